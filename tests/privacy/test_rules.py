"""The privacy rules as pure functions: retention terms, how long records are kept, and what
the destruction record and the person's export leave out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.events import Event, EventType
from bot.domain.privacy import keep_until, log_export, person_events, retention_due

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_retention_terms_per_status() -> None:
    def due(status: str, days: float) -> bool:
        return retention_due(
            status, NOW - timedelta(days=days), NOW, rejected_days=90, nurture_days=365
        )

    assert not due("rejected", 89.9) and due("rejected", 90)
    assert not due("nurture", 364.9) and due("nurture", 365)
    # Leads in work are never purged by retention, however quiet.
    for status in ("target", "booked", "deal", "qualifying", "closed"):
        assert not due(status, 5000)


def test_records_are_kept_three_years_a_leap_day_to_the_28th() -> None:
    assert keep_until(NOW) == datetime(2029, 11, 22, 9, 0, tzinfo=UTC)
    assert keep_until(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2031, 2, 28, tzinfo=UTC)


def event(type_: EventType, actor: str, **data: object) -> Event:
    return Event(id=1, lead_id=7, type=type_, at=NOW, actor=actor, data=data)


def test_the_destruction_record_log_keeps_no_typed_text_and_no_names() -> None:
    events = [
        event(EventType.DESK_NOTE_ADDED, "staff:6001", note="call after 6, wife Maria"),
        event(EventType.DESK_OWNER_SET, "staff:6001", owner=6001, owner_name="Olga", how="take"),
        event(EventType.DESK_VERDICT_OVERRIDDEN, "staff:6001", reason_text="rich", to="target"),
    ]
    exported = log_export(events)
    assert exported[0] == {
        "type": "desk.note_added",
        "at": "2026-11-22T09:00:00Z",
        "actor": "staff:6001",
        "data": {},
    }
    assert exported[1]["data"] == {"owner": 6001, "how": "take"}
    assert exported[2]["data"] == {"to": "target"}


def test_the_persons_export_shows_staff_as_staff() -> None:
    [shown] = person_events(
        [event(EventType.DESK_OWNER_SET, "staff:6001", owner=6001, previous=6002, how="take")]
    )
    assert shown["by"] == "staff" and shown["data"] == {"how": "take"}

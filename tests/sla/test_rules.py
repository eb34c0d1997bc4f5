"""Which event opens or meets which deadline, and when a breach climbs: the rules as tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.events import Event, EventType
from bot.domain.hours import parse_schedule
from bot.domain.sla import (
    Change,
    CloseAll,
    DeadlineKind,
    Meet,
    Open,
    Reschedule,
    SlaLimits,
    answer_by,
    changes_for,
    due_after,
    first_rung_at,
    next_rung_at,
)
from bot.i18n import Translations

MOSCOW = ZoneInfo("Europe/Moscow")
DESK = parse_schedule("mon-fri 09:00-19:00", today=date(2026, 11, 1))
LIMITS = SlaLimits(take=15, first_contact=60, reply=30)
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
TAKE, FIRST, REPLY, CALL = (
    DeadlineKind.TAKE,
    DeadlineKind.FIRST_CONTACT,
    DeadlineKind.REPLY,
    DeadlineKind.NEXT_CALL,
)


def event(type_: EventType, **data: Any) -> Event:
    return Event(id=1, lead_id=7, type=type_, at=NOW, actor="staff:5001", data=data)


@pytest.mark.parametrize(
    ("happened", "changes"),
    [
        (event(EventType.QUALIFIED, verdict="target", to="target"), (Open(TAKE, unless_met=True),)),
        (
            event(EventType.QUALIFIED, verdict="nurture", to="nurture"),
            (Open(TAKE, unless_met=True),),
        ),
        (event(EventType.QUALIFIED, verdict="reject", to="rejected"), (CloseAll(),)),
        (
            event(EventType.DESK_OWNER_SET, owner=5001, how="take"),
            (Meet(TAKE), Open(FIRST, unless_met=True)),
        ),
        (event(EventType.DESK_CALL_LOGGED, outcome="reached"), (Meet(FIRST), Meet(CALL))),
        (event(EventType.DESK_CALL_LOGGED, outcome="no_answer"), (Meet(CALL),)),
        (event(EventType.DESK_CALL_LOGGED, outcome="wrong_number"), (Meet(CALL),)),
        (event(EventType.DESK_STAFF_REPLIED, kind="text"), (Meet(FIRST), Meet(REPLY))),
        (event(EventType.DESK_CLIENT_MESSAGE, kind="photo"), (Open(REPLY),)),
        (
            event(EventType.DESK_NEXT_CALL_SET, at="2026-12-01T10:00:00Z"),
            (Reschedule(CALL, datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),),
        ),
        # A time that is not one is ignored rather than breaking the consumer.
        (event(EventType.DESK_NEXT_CALL_SET, at="tomorrow"), ()),
        (event(EventType.DESK_NEXT_CALL_SET), ()),
        (event(EventType.DESK_CLOSED, reason="duplicate"), (CloseAll(),)),
        (event(EventType.ERASED), (CloseAll(),)),
        (event(EventType.STATUS_CHANGED, to="closed"), (CloseAll(),)),
        (event(EventType.VIEWING_BOOKED, to="booked"), (CloseAll(),)),
        # Back to work: nothing to cancel.
        (event(EventType.STATUS_CHANGED, to="target"), ()),
        (event(EventType.STATUS_CHANGED, to="qualifying"), ()),
        (event(EventType.DESK_NOTE_ADDED, note="call after lunch"), ()),
        (event(EventType.DESK_SLA_BREACHED, kind="take"), ()),
        (event(EventType.CREATED), ()),
    ],
)
def test_what_each_event_does_to_deadlines(happened: Event, changes: tuple[Change, ...]) -> None:
    assert changes_for(happened) == changes


def moscow(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


@pytest.mark.parametrize(
    ("kind", "start", "due"),
    [
        (TAKE, moscow(2026, 11, 30, 10, 0), moscow(2026, 11, 30, 10, 15)),
        (TAKE, moscow(2026, 11, 27, 18, 55), moscow(2026, 11, 30, 9, 10)),
        (FIRST, moscow(2026, 11, 30, 18, 30), moscow(2026, 12, 1, 9, 30)),
        (REPLY, moscow(2026, 11, 28, 23, 0), moscow(2026, 11, 30, 9, 30)),
    ],
)
def test_limits_are_desk_time(kind: DeadlineKind, start: datetime, due: datetime) -> None:
    assert due_after(start, kind, LIMITS, DESK, MOSCOW) == due


def test_the_ladder_waits_for_desk_hours() -> None:
    # A next call planned for 20:00 is told at the next opening, not in the evening.
    assert first_rung_at(moscow(2026, 11, 30, 20, 0), DESK, MOSCOW) == moscow(2026, 12, 1, 9, 0)
    assert first_rung_at(moscow(2026, 11, 30, 12, 0), DESK, MOSCOW) == moscow(2026, 11, 30, 12, 0)
    # Rung 2 comes after the same limit again: 15 desk minutes after a take breach ...
    breached = moscow(2026, 11, 27, 18, 50)
    assert next_rung_at(breached, TAKE, LIMITS, DESK, MOSCOW) == moscow(2026, 11, 30, 9, 5)
    # ... and an overdue call climbs after the first-contact limit.
    assert next_rung_at(moscow(2026, 11, 30, 10, 0), CALL, LIMITS, DESK, MOSCOW) == moscow(
        2026, 11, 30, 11, 0
    )


def test_the_client_is_promised_the_next_opening_plus_the_limit() -> None:
    assert answer_by(moscow(2026, 11, 30, 12, 0), REPLY, LIMITS, DESK, MOSCOW) == moscow(
        2026, 11, 30, 12, 30
    )
    assert answer_by(moscow(2026, 11, 27, 19, 30), REPLY, LIMITS, DESK, MOSCOW) == moscow(
        2026, 11, 30, 9, 30
    )


def test_every_deadline_kind_has_a_name_in_both_languages() -> None:
    translations = Translations("ru")
    for language in ("ru", "en"):
        t = translations.get(language)
        for kind in DeadlineKind:
            key = f"sla.kind.{kind}"
            assert t(key) != key, (language, key)

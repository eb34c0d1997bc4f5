"""Deadlines follow the event log, and handling a batch again changes nothing."""

from __future__ import annotations

from bot.domain.events import EventType
from bot.storage import events
from bot.storage.deadlines import Deadline
from tests.conftest import Harness
from tests.sla.helpers import desk_event, moscow, qualified_lead, rows, take


async def replay_all(h: Harness) -> None:
    """What a crash before the consumer saved its position does: the batch comes again."""
    async with h.app.db.read() as conn:
        batch = await events.after(conn, 0, 1000)
    await h.app.desk_timers.handle_events(batch)
    await h.app.desk_timers.handle_events(batch)


def summary(deadlines: list[Deadline]) -> list[tuple[str, str | None, str]]:
    return [(d.kind, d.outcome, d.due_at.isoformat()) for d in deadlines]


async def test_the_same_batch_twice_opens_one_deadline(harness: Harness) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    before = await rows(h)
    assert summary(before) == [("take", None, moscow(2026, 11, 30, 10, 15).isoformat())]
    await replay_all(h)
    assert await rows(h) == before


async def test_a_replayed_conversation_keeps_each_deadline_as_it_was(harness: Harness) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    await take(h)
    await desk_event(h, EventType.DESK_CLIENT_MESSAGE, kind="text")
    h.clock.current = moscow(2026, 11, 30, 10, 20)
    await desk_event(h, EventType.DESK_STAFF_REPLIED, kind="text")
    h.clock.current = moscow(2026, 11, 30, 10, 40)
    await desk_event(h, EventType.DESK_CLIENT_MESSAGE, kind="photo")
    before = await rows(h)
    assert [(d.kind, d.outcome) for d in before] == [
        ("take", "met"),
        ("first_contact", "met"),  # answering the client is a first contact
        ("reply", "met"),
        ("reply", None),  # the second message still waits (until 11:10)
    ]
    assert before[-1].due_at == moscow(2026, 11, 30, 11, 10)
    await replay_all(h)
    assert await rows(h) == before


async def test_a_next_call_is_due_at_its_time_and_moves_with_it(harness: Harness) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    await take(h)
    await desk_event(h, EventType.DESK_NEXT_CALL_SET, at="2026-11-30T17:00:00Z")  # 20:00
    [call] = [d for d in await rows(h) if d.kind == "next_call"]
    assert call.due_at == moscow(2026, 11, 30, 20, 0)
    assert call.next_rung_at == moscow(2026, 12, 1, 9, 0)  # told when the desk opens
    await desk_event(h, EventType.DESK_NEXT_CALL_SET, at="2026-12-01T08:00:00Z")  # 11:00
    await replay_all(h)
    calls = [d for d in await rows(h) if d.kind == "next_call"]
    assert [(d.outcome, d.due_at) for d in calls] == [
        ("moved", moscow(2026, 11, 30, 20, 0)),
        (None, moscow(2026, 12, 1, 11, 0)),
    ]
    await desk_event(h, EventType.DESK_CALL_LOGGED, outcome="no_answer")
    calls = [d for d in await rows(h) if d.kind == "next_call"]
    assert calls[-1].outcome == "met"


async def test_a_taken_lead_is_not_timed_again_and_a_contact_made_stays_made(
    harness: Harness,
) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    await take(h)
    await desk_event(h, EventType.DESK_CALL_LOGGED, outcome="reached")
    # Re-qualified, then handed to someone else: no new take, no new first contact.
    await desk_event(h, EventType.QUALIFIED, verdict="target", to="target")
    await desk_event(h, EventType.DESK_OWNER_SET, owner=5003, previous=5001, how="reassign")
    assert [(d.kind, d.outcome) for d in await rows(h)] == [
        ("take", "met"),
        ("first_contact", "met"),
    ]


async def test_closing_the_lead_cancels_what_runs(harness: Harness) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    await take(h)
    await desk_event(h, EventType.DESK_CLIENT_MESSAGE, kind="text")
    await desk_event(h, EventType.DESK_CLOSED, reason="duplicate")
    assert {(d.kind, d.outcome) for d in await rows(h)} == {
        ("take", "met"),
        ("first_contact", "cancelled"),
        ("reply", "cancelled"),
    }
    h.clock.current = moscow(2026, 12, 3, 12, 0)
    await h.app.desk_timers.run_due()
    assert not [e for e in await _types(h) if e == EventType.DESK_SLA_BREACHED]


async def test_an_erased_lead_takes_its_deadlines_along(harness: Harness) -> None:
    h = harness
    client = await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    await client.send("/forget")
    await h.app.pipe.drain()
    assert await h.lead() is None
    assert await rows(h) == []
    # An event about it still in the log (written before the erasure) opens nothing.
    await desk_event(h, EventType.DESK_CLIENT_MESSAGE, kind="text")
    assert await rows(h) == []
    assert await h.app.pipe.lag() == {
        "desk_timers": 0,
        "staff_card": 0,
        "answer_media": 0,
        "deal_summary": 0,
        "sales_desk": 0,
    }


async def _types(h: Harness) -> list[str]:
    async with h.app.db.read() as conn:
        return [str(e.type) for e in await events.for_lead(conn, 1)]

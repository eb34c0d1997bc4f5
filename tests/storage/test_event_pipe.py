"""The event log and its consumers on a real SQLite file: order, positions, failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from bot.domain.events import Event, EventType
from bot.services.event_pipe import BATCH_SIZE, EventPipe
from bot.storage import events, leads
from bot.storage.db import Database

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return AT


class Recorder:
    def __init__(self, fail_times: int = 0, pause: float = 0.0) -> None:
        self.seen: list[int] = []
        self.fail_times = fail_times
        self.pause = pause

    async def handle_events(self, batch: Sequence[Event]) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("card service down")
        await asyncio.sleep(self.pause)
        self.seen += [event.id for event in batch]


@pytest.fixture
def db(store: Database) -> Database:
    return store


async def append(db: Database, count: int, lead_id: int = 1) -> list[int]:
    async with db.transaction() as tx:
        return [
            await events.append(
                tx, lead_id, EventType.STATUS_CHANGED, at=AT, actor="test", data={"n": n}
            )
            for n in range(count)
        ]


async def test_consumers_see_every_event_once_in_order(db: Database) -> None:
    pipe = EventPipe(db, Clock())
    card, crm = Recorder(), Recorder()
    pipe.register("card", card)
    pipe.register("crm", crm)
    await pipe.drain()  # both start at the (empty) head
    written = await append(db, BATCH_SIZE * 2 + 7)
    await pipe.drain()
    assert card.seen == crm.seen == written
    await pipe.drain()
    assert card.seen == written
    assert await pipe.lag() == {"card": 0, "crm": 0}


async def test_a_failing_consumer_keeps_its_position_and_others_go_on(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    pipe = EventPipe(db, Clock())
    card, crm = Recorder(fail_times=1), Recorder()
    pipe.register("card", card)
    pipe.register("crm", crm)
    await pipe.drain()
    written = await append(db, 3)
    with caplog.at_level(logging.ERROR):
        await pipe.drain()
    assert "consumer card failed on events" in caplog.text
    assert card.seen == [] and crm.seen == written
    assert await pipe.lag() == {"card": 3, "crm": 0}
    await pipe.drain()  # the next pass (or the periodic job) picks it up
    assert card.seen == written


async def test_concurrent_drains_handle_each_event_once(db: Database) -> None:
    pipe = EventPipe(db, Clock())
    card = Recorder(pause=0.01)
    pipe.register("card", card)
    await pipe.drain()

    async def change_and_drain(lead_id: int) -> None:
        await append(db, 2, lead_id)
        await pipe.drain()

    await asyncio.gather(*(change_and_drain(lead_id) for lead_id in range(1, 41)))
    await pipe.drain()
    assert len(card.seen) == 80
    assert card.seen == sorted(set(card.seen))


async def test_positions_survive_a_restart_and_new_consumers_start_at_the_head(
    db: Database,
) -> None:
    first = EventPipe(db, Clock())
    card = Recorder()
    first.register("card", card)
    await first.drain()
    await append(db, 5)
    await first.drain()
    later = await append(db, 2)

    restarted = EventPipe(db, Clock())
    card_again, digest = Recorder(), Recorder()
    restarted.register("card", card_again)
    restarted.register("digest", digest)
    await restarted.drain()
    assert card_again.seen == later  # only what the first process had not handled
    assert digest.seen == []  # a new consumer does not replay history
    await append(db, 1)
    await restarted.drain()
    assert len(digest.seen) == 1


async def test_erasure_blanks_typed_text_in_events_and_keeps_the_facts(db: Database) -> None:
    async with db.transaction() as tx:
        lead_id = await leads.create(
            tx,
            telegram_user_id=77,
            chat_id=77,
            username=None,
            language="en",
            source="vk_spring",
            checklist_id="flats",
            checklist_version=1,
            consent_version="1",
            at=AT,
        )
        await events.append(
            tx,
            lead_id,
            EventType.DESK_VERDICT_OVERRIDDEN,
            at=AT,
            actor="staff:9",
            data={"from": "reject", "to": "target", "reason_text": "Anna called, +7 916 …"},
        )
        await events.append(
            tx, lead_id, EventType.DESK_NOTE_ADDED, at=AT, actor="staff:9", data={"note": "x"}
        )
        other = await events.append(
            tx, lead_id + 1, EventType.DESK_NOTE_ADDED, at=AT, actor="staff:9", data={"note": "y"}
        )
        lead = await leads.get(tx, lead_id)
        assert lead is not None
        await leads.erase(tx, lead, at=AT, actor="prospect")

    async with db.read() as conn:
        kept = await events.after(conn, 0, 100)
    by_type = {event.type: event.data for event in kept if event.lead_id == lead_id}
    assert by_type[EventType.DESK_VERDICT_OVERRIDDEN] == {"from": "reject", "to": "target"}
    assert by_type[EventType.DESK_NOTE_ADDED] == {}
    assert by_type[EventType.CREATED]["source"] == "vk_spring"  # the counts survive
    assert next(e for e in kept if e.id == other).data == {"note": "y"}  # another lead's

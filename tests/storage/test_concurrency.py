"""What SQLite's single writer used to guarantee, under real concurrency on both stores.

PostgreSQL runs transactions at once (READ COMMITTED): each test starts its writers on
separate connections together and checks what a person would notice afterwards.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain.events import EventType
from bot.domain.leads import LeadId
from bot.storage import events, leads
from bot.storage.appointments import SlotTaken
from bot.storage.db import Database
from tests.storage.test_booking_constraints import MONDAY_10, _book, _setup
from tests.stores import another_connection

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


async def _create(db: Database, user_id: int) -> LeadId:
    async with db.transaction() as tx:
        return await leads.create(
            tx,
            telegram_user_id=user_id,
            chat_id=user_id,
            username=None,
            language="en",
            source="direct",
            checklist_id="c",
            checklist_version=1,
            consent_version="1",
            at=NOW,
        )


async def _racers(db: Database, count: int) -> list[Database]:
    racers = [another_connection(db) for _ in range(count)]
    for racer in racers:
        await racer.connect()
    return racers


async def _close(racers: list[Database]) -> None:
    for racer in racers:
        await racer.close()


async def test_twenty_prospects_at_once_get_twenty_distinct_leads(store: Database) -> None:
    racers = await _racers(store, 20)
    try:
        ids = await asyncio.gather(*(_create(racer, 2000 + n) for n, racer in enumerate(racers)))
    finally:
        await _close(racers)
    assert sorted(ids) == list(range(1, 21))
    async with store.read() as conn:
        for lead_id in ids:
            history = await events.for_lead(conn, lead_id)
            assert [event.lead_id for event in history] == [lead_id, lead_id]


async def test_an_erased_leads_id_is_not_given_again_under_load(store: Database) -> None:
    first = await _create(store, 3000)
    async with store.transaction() as tx:
        lead = await leads.get(tx, first)
        assert lead is not None
        await leads.erase(tx, lead, at=NOW, actor="test")
    racers = await _racers(store, 5)
    try:
        ids = await asyncio.gather(*(_create(racer, 3001 + n) for n, racer in enumerate(racers)))
    finally:
        await _close(racers)
    assert first not in ids
    assert len(set(ids)) == 5


async def test_two_bookings_of_a_sites_last_place_at_once_get_one(store: Database) -> None:
    [anna, boris] = await _setup(store, capacity=1, cap=None, leads=2)
    racers = await _racers(store, 2)
    try:
        results = await asyncio.gather(
            _book(racers[0], 1, anna, MONDAY_10),
            _book(racers[1], 2, boris, MONDAY_10),
            return_exceptions=True,
        )
    finally:
        await _close(racers)
    assert sum(result is None for result in results) == 1
    [refused] = [result for result in results if result is not None]
    assert isinstance(refused, SlotTaken) and refused.reason == "site_full"


async def test_two_bookings_of_a_managers_last_daily_place_at_once_get_one(
    store: Database,
) -> None:
    [anna, _] = await _setup(store, capacity=5, cap=1, leads=2)
    racers = await _racers(store, 2)
    try:
        results = await asyncio.gather(
            _book(racers[0], 1, anna, MONDAY_10),
            _book(racers[1], 2, anna, MONDAY_10 + timedelta(hours=4)),
            return_exceptions=True,
        )
    finally:
        await _close(racers)
    assert sum(result is None for result in results) == 1
    [refused] = [result for result in results if result is not None]
    assert isinstance(refused, SlotTaken) and refused.reason == "manager_day_full"


async def test_events_appended_at_once_are_each_read_once_in_id_order(store: Database) -> None:
    writers = 8
    racers = await _racers(store, writers)
    seen: list[int] = []
    done = asyncio.Event()

    async def write(racer: Database, lead_id: int) -> None:
        for n in range(10):
            async with racer.transaction() as tx:
                await events.append(
                    tx, lead_id, EventType.STATUS_CHANGED, at=NOW, actor="t", data={"n": n}
                )

    async def read() -> None:
        position = 0
        while True:
            finished = done.is_set()
            async with store.read() as conn:
                batch = await events.after(conn, position, 50)
            seen.extend(event.id for event in batch)
            position = batch[-1].id if batch else position
            if finished and not batch:
                return
            await asyncio.sleep(0)

    reader = asyncio.create_task(read())
    try:
        await asyncio.gather(*(write(racer, n + 1) for n, racer in enumerate(racers)))
    finally:
        done.set()
        await reader
        await _close(racers)
    assert len(seen) == writers * 10
    assert seen == sorted(seen)

"""The database itself refuses clashing bookings: one manager's time, a site's capacity,
a manager's daily cap, even when separate connections race for one slot."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.hours import WeeklySchedule
from bot.domain.slots import SlotPolicy, manager_claim, site_claim
from bot.domain.viewings import AppointmentStatus, Manager
from bot.storage import appointments, managers, sites
from bot.storage.appointments import Claim, SlotTaken
from bot.storage.db import Database
from tests.stores import another_connection

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
MONDAY_10 = datetime(2026, 11, 23, 7, tzinfo=UTC)  # 10:00 Moscow
POLICY = SlotPolicy()


@pytest.fixture
def db(store: Database) -> Database:
    return store


async def _setup(db: Database, *, capacity: int, cap: int | None, leads: int) -> list[Manager]:
    async with db.transaction() as tx:
        await sites.upsert(
            tx,
            code="office",
            name="Office",
            address="1 Main St",
            location=None,
            timezone="Europe/Moscow",
            capacity=capacity,
        )
        site = await sites.by_code(tx, "office")
        assert site is not None
        team = [
            await managers.create(
                tx,
                telegram_user_id=7000 + number,
                display_name=f"Manager {number}",
                language="en",
                timezone="Europe/Moscow",
                schedule=WeeklySchedule.DEFAULT,
                site_id=site.id,
                covers=("*",),
                daily_cap=cap,
                weight=1,
                feed_token=f"token-{number}",
                at=NOW,
            )
            for number in range(2)
        ]
        for number in range(leads):
            await tx.execute(
                "INSERT INTO leads (telegram_user_id, chat_id, status, language, source,"
                " checklist_id, checklist_version, consent_version, consent_at, created_at,"
                " updated_at) VALUES (?, ?, 'target', 'en', 'direct', 'c', 1, '1', ?, ?, ?)",
                (1000 + number, 1000 + number, NOW.isoformat(), NOW.isoformat(), NOW.isoformat()),
            )
    return team


def _claim(start: datetime) -> Claim:
    return Claim(
        start=start,
        end=start + POLICY.length,
        manager_day=(start + timedelta(hours=3)).date(),
        manager_cells=manager_claim(start, POLICY),
        site_cells=site_claim(start, POLICY),
    )


async def _book(db: Database, lead_id: int, manager: Manager, start: datetime) -> None:
    async with db.transaction() as tx:
        await appointments.book(
            tx,
            lead_id=lead_id,
            manager_id=manager.id,
            site_id=manager.site_id or 0,
            claim=_claim(start),
            at=NOW,
        )


async def test_racing_connections_get_exactly_one_booking(db: Database) -> None:
    [anna, _] = await _setup(db, capacity=5, cap=None, leads=8)
    # Eight separate connections, as if eight processes pressed the same slot at once.
    racers = [another_connection(db) for _ in range(8)]
    for racer in racers:
        await racer.connect()
    try:
        results = await asyncio.gather(
            *(_book(racer, lead, anna, MONDAY_10) for lead, racer in enumerate(racers, 1)),
            return_exceptions=True,
        )
    finally:
        for racer in racers:
            await racer.close()
    assert sum(result is None for result in results) == 1
    refused = [result for result in results if result is not None]
    assert all(isinstance(r, SlotTaken) and r.reason == "manager_busy" for r in refused)


async def test_buffer_between_viewings_of_one_manager(db: Database) -> None:
    [anna, _] = await _setup(db, capacity=5, cap=None, leads=3)
    await _book(db, 1, anna, MONDAY_10)
    with pytest.raises(SlotTaken, match="manager_busy"):
        await _book(db, 2, anna, MONDAY_10 + timedelta(hours=1))  # inside the 15 min buffer
    await _book(db, 2, anna, MONDAY_10 + timedelta(hours=1, minutes=15))


async def test_site_capacity_counts_every_manager(db: Database) -> None:
    [anna, boris] = await _setup(db, capacity=1, cap=None, leads=2)
    await _book(db, 1, anna, MONDAY_10)
    with pytest.raises(SlotTaken, match="site_full"):
        await _book(db, 2, boris, MONDAY_10 + timedelta(minutes=30))
    await _book(db, 2, boris, MONDAY_10 + timedelta(hours=1))  # the site is free again


async def test_daily_cap_and_cancelling_gives_the_time_back(db: Database) -> None:
    [anna, _] = await _setup(db, capacity=5, cap=1, leads=2)
    await _book(db, 1, anna, MONDAY_10)
    with pytest.raises(SlotTaken, match="manager_day_full"):
        await _book(db, 2, anna, MONDAY_10 + timedelta(hours=4))
    async with db.transaction() as tx:
        first = await appointments.open_for_lead(tx, 1)
        assert first is not None
        await appointments.set_status(tx, first, AppointmentStatus.CANCELLED, NOW)
    await _book(db, 2, anna, MONDAY_10)  # the same slot, now free

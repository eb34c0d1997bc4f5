"""A lone process records each update_id with the update's own commit and keeps the ids in
flight in memory; after a restart, or once an id has left memory, the database decides."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.middlewares.once import DatabaseClaims
from bot.storage.db import Database
from bot.storage.unit_of_work import GroupCommit, holding


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


async def claim(claims: DatabaseClaims, store: Database, update_id: int) -> bool:
    """Claims inside an update, whose end commits what it held."""
    with holding() as writes:
        taken = await claims.claim(update_id)
        await GroupCommit(store).write(writes.take())
    return taken


async def test_a_restarted_process_drops_what_its_predecessor_handled(store: Database) -> None:
    before = DatabaseClaims(store, FixedClock())
    assert await claim(before, store, 500)
    assert not await claim(before, store, 500)  # in memory

    after = DatabaseClaims(store, FixedClock())  # a new process: nothing in memory
    assert not await claim(after, store, 500)  # the database knows it
    assert await claim(after, store, 499)  # older but never handled
    assert await claim(after, store, 501)


async def test_an_id_that_left_memory_is_looked_up(store: Database) -> None:
    claims = DatabaseClaims(store, FixedClock(), in_flight_size=2)
    for update_id in (10, 11, 12):
        assert await claim(claims, store, update_id)
    # 10 is no longer in memory; its repeat is found in the database.
    assert not await claim(claims, store, 10)
    assert not await claim(claims, store, 12)


async def test_a_released_update_can_be_handled_again(store: Database) -> None:
    claims = DatabaseClaims(store, FixedClock())
    with holding():
        assert await claims.claim(7)
        await claims.release(7)  # its handler failed before anything was committed
    assert await claim(claims, store, 7)

"""Conversation state lives in the database and survives closing and reopening it."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.storage.db import Database
from bot.storage.fsm import DatabaseStorage
from tests.stores import another_connection


class Flow(StatesGroup):
    asking = State()


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_state_and_data_survive_a_restart(store: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=10, user_id=10)
    other = StorageKey(bot_id=1, chat_id=11, user_id=11)
    storage = DatabaseStorage(store, FixedClock())
    await storage.set_state(key, Flow.asking)
    await storage.set_data(key, {"q": "budget", "sel": {"payment": ["cash"]}, "lang": "ru"})
    await storage.update_data(key, {"msg": 42})
    await store.close()

    db = another_connection(store)
    await db.connect()
    storage = DatabaseStorage(db, FixedClock())
    try:
        assert await storage.get_state(key) == Flow.asking.state
        assert await storage.get_data(key) == {
            "q": "budget",
            "sel": {"payment": ["cash"]},
            "lang": "ru",
            "msg": 42,
        }
        assert await storage.get_state(other) is None
        assert await storage.get_data(other) == {}
    finally:
        await db.close()


async def test_clearing_removes_the_row(store: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=10, user_id=10)
    storage = DatabaseStorage(store, FixedClock())
    await storage.set_state(key, "Flow:asking")
    await storage.set_data(key, {"a": 1})
    async with store.read() as conn, conn.execute("SELECT COUNT(*) FROM fsm_state") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == 1
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    async with store.read() as conn, conn.execute("SELECT COUNT(*) FROM fsm_state") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == 0


async def test_without_a_copy_a_change_by_another_writer_is_seen(store: Database) -> None:
    key = StorageKey(bot_id=1, chat_id=10, user_id=10)
    cached = DatabaseStorage(store, FixedClock())
    uncached = DatabaseStorage(store, FixedClock(), cache_size=0)
    other = DatabaseStorage(store, FixedClock(), cache_size=0)  # another replica
    for storage in (cached, uncached):
        await storage.set_data(key, {"q": "budget"})
    await other.set_data(key, {"q": "payment"})
    assert await uncached.get_data(key) == {"q": "payment"}
    assert await cached.get_data(key) == {"q": "budget"}  # why replicas turn it off


async def test_forgetting_a_person_drops_only_their_chat(store: Database) -> None:
    person = StorageKey(bot_id=1, chat_id=10, user_id=10)
    other = StorageKey(bot_id=1, chat_id=110, user_id=110)
    storage = DatabaseStorage(store, FixedClock())
    await storage.set_state(person, "Flow:asking")
    await storage.set_state(other, "Flow:asking")
    await storage.forget_person(10, 10)
    assert await storage.get_state(person) is None
    assert await storage.get_state(other) == "Flow:asking"

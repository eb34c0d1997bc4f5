"""aiogram FSM storage in the bot's database, so conversations survive restarts.

Every change is written with the update that made it (held in its `UpdateWrites`, see
bot/storage/unit_of_work.py), or at once outside an update; reads come from a bounded
in-memory copy, because aiogram asks for the state on every update. The copy is only
right while this process is the only writer: with several replicas it is off
(`cache_size=0`).
With REDIS_URL the conversations live in Redis instead (bot/storage/fsm_redis.py).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from bot.clock import Clock
from bot.storage import unit_of_work
from bot.storage.codec import dump_time
from bot.storage.db import Database
from bot.storage.privacy import fsm_keys
from bot.storage.unit_of_work import Statement

_SELECT = "SELECT state, data FROM fsm_state WHERE storage_key = ?"
_UPSERT = """
INSERT INTO fsm_state (storage_key, state, data, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (storage_key)
DO UPDATE SET state = excluded.state, data = excluded.data, updated_at = excluded.updated_at
"""
_DELETE = "DELETE FROM fsm_state WHERE storage_key = ?"

DEFAULT_CACHE_SIZE = 10_000

# The data is kept encoded, so no caller can change the cached copy by accident.
_Record = tuple[str | None, str]
_EMPTY = "{}"


def _key(key: StorageKey) -> str:
    return ":".join(
        str(part)
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id or "",
            key.business_connection_id or "",
            key.destiny,
        )
    )


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database, clock: Clock, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self._db = db
        self._clock = clock
        self._cache: OrderedDict[str, _Record] = OrderedDict()
        self._cache_size = cache_size

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        _, encoded = await self._get(_key(key))
        await self._put(_key(key), (value, encoded))

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._get(_key(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._get(_key(key))
        encoded = json.dumps(dict(data), ensure_ascii=False, sort_keys=True)
        await self._put(_key(key), (state, encoded))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, encoded = await self._get(_key(key))
        data: dict[str, Any] = json.loads(encoded)
        return data

    async def forget_person(self, chat_id: int, user_id: int) -> None:
        """Drops the conversation state of a person's chat (an erased person's)."""
        async with self._db.read() as conn:
            keys = await fsm_keys(conn, chat_id, user_id)
        await self.forget(keys)

    async def forget(self, keys: list[str]) -> None:
        """Drops stored conversations by raw key (an erased person's), cached copies too."""
        writes = unit_of_work.current()
        async with self._db.read() as conn:
            for key in keys:
                await conn.execute(_DELETE, (key,))
        for key in keys:
            self._cache.pop(key, None)
            if writes is not None:
                writes.drop(("fsm", key))

    async def close(self) -> None:
        # The database belongs to the application, which closes it.
        self._cache.clear()

    async def _get(self, key: str) -> _Record:
        writes = unit_of_work.current()
        if writes is not None:
            held, value = writes.peek(("fsm", key))
            if held:  # written in this update, not committed yet
                held_record: _Record = value
                return held_record
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        async with self._db.read() as conn, conn.execute(_SELECT, (key,)) as cursor:
            row = await cursor.fetchone()
        record: _Record = (None, _EMPTY) if row is None else (row[0], row[1])
        self._remember(key, record)
        return record

    async def _put(self, key: str, record: _Record) -> None:
        state, encoded = record
        statement: Statement = (
            (_DELETE, (key,))
            if state is None and encoded == _EMPTY
            else (_UPSERT, (key, state, encoded, dump_time(self._clock.now())))
        )
        writes = unit_of_work.current()
        if writes is not None:
            writes.hold(("fsm", key), statement, record)
        else:
            async with self._db.read() as conn:
                await conn.execute(*statement)
        self._remember(key, record)

    def _remember(self, key: str, record: _Record) -> None:
        self._cache[key] = record
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

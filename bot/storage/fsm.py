"""aiogram FSM storage in the bot's SQLite file, so conversations survive restarts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from bot.clock import Clock
from bot.storage.codec import dump_time
from bot.storage.db import Database

_SELECT = "SELECT state, data FROM fsm_state WHERE storage_key = ?"
_UPSERT_STATE = """
INSERT INTO fsm_state (storage_key, state, updated_at) VALUES (?, ?, ?)
ON CONFLICT (storage_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
"""
_UPSERT_DATA = """
INSERT INTO fsm_state (storage_key, data, updated_at) VALUES (?, ?, ?)
ON CONFLICT (storage_key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
"""
_DELETE_EMPTY = "DELETE FROM fsm_state WHERE storage_key = ? AND state IS NULL AND data = '{}'"


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


class SQLiteStorage(BaseStorage):
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._db.transaction() as tx:
            await tx.execute(_UPSERT_STATE, (_key(key), value, dump_time(self._clock.now())))
            await tx.execute(_DELETE_EMPTY, (_key(key),))

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._row(key)
        return None if row is None else row[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        encoded = json.dumps(dict(data), ensure_ascii=False, sort_keys=True)
        async with self._db.transaction() as tx:
            await tx.execute(_UPSERT_DATA, (_key(key), encoded, dump_time(self._clock.now())))
            await tx.execute(_DELETE_EMPTY, (_key(key),))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._row(key)
        if row is None:
            return {}
        loaded: dict[str, Any] = json.loads(row[1])
        return loaded

    async def close(self) -> None:
        # The database belongs to the application, which closes it.
        return None

    async def _row(self, key: StorageKey) -> tuple[str | None, str] | None:
        async with self._db.transaction() as tx, tx.execute(_SELECT, (_key(key),)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else (row[0], row[1])

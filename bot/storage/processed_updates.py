"""The update_ids already taken from Telegram (migrations/0016_processed_updates.sql)."""

from __future__ import annotations

from datetime import datetime

from bot.storage.codec import dump_time
from bot.storage.db import Connection

# Portable: SQLite (3.35+) and PostgreSQL both skip the row and return nothing on a repeat.
_CLAIM = """
INSERT INTO processed_updates (update_id, received_at) VALUES (?, ?)
ON CONFLICT (update_id) DO NOTHING
RETURNING update_id
"""
# The same row written inside the update's own transaction (bot/storage/unit_of_work.py).
_RECORD = """
INSERT INTO processed_updates (update_id, received_at) VALUES (?, ?)
ON CONFLICT (update_id) DO NOTHING
"""
_TAKEN = "SELECT 1 FROM processed_updates WHERE update_id = ?"
_HIGHEST = "SELECT COALESCE(MAX(update_id), 0) FROM processed_updates"
_RELEASE = "DELETE FROM processed_updates WHERE update_id = ?"
_PRUNE = "DELETE FROM processed_updates WHERE received_at < ?"


async def claim(conn: Connection, update_id: int, at: datetime) -> bool:
    """True if the update is new (and is now recorded); False if it was taken before."""
    async with conn.execute(_CLAIM, (update_id, dump_time(at))) as cursor:
        row = await cursor.fetchone()
    return row is not None


def record(update_id: int, at: datetime) -> tuple[str, tuple[int, str | None]]:
    """The statement that records the update as taken, to run in a later transaction."""
    return _RECORD, (update_id, dump_time(at))


async def taken(conn: Connection, update_id: int) -> bool:
    async with conn.execute(_TAKEN, (update_id,)) as cursor:
        return await cursor.fetchone() is not None


async def highest(conn: Connection) -> int:
    """The newest update_id recorded (0: none)."""
    async with conn.execute(_HIGHEST) as cursor:
        row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def release(conn: Connection, update_id: int) -> None:
    """Forgets an update whose handling failed, so a re-delivery of it is handled."""
    await conn.execute(_RELEASE, (update_id,))


async def prune(conn: Connection, before: datetime) -> int:
    """Forgets updates received before `before`; returns how many."""
    cursor = await conn.execute(_PRUNE, (dump_time(before),))
    return cursor.rowcount

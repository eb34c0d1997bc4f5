"""Small key/value settings the bot learns at run time (e.g. the bound staff group)."""

from __future__ import annotations

from bot.storage.db import Connection

STAFF_CHAT_KEY = "staff_chat_id"

_SELECT = "SELECT value FROM bot_settings WHERE key = ?"
_DELETE = "DELETE FROM bot_settings WHERE key = ?"
_UPSERT = """
INSERT INTO bot_settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""


async def get_value(tx: Connection, key: str) -> str | None:
    async with tx.execute(_SELECT, (key,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def set_value(tx: Connection, key: str, value: str) -> None:
    await tx.execute(_UPSERT, (key, value))


async def delete_value(tx: Connection, key: str) -> None:
    await tx.execute(_DELETE, (key,))

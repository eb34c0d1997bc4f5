"""Messages to a client that the sales desk (or staff) asked the bot to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, insert_returning_id

_INSERT = """
INSERT INTO client_messages (lead_id, text, actor, due_at, created_at) VALUES (?, ?, ?, ?, ?)
RETURNING id
"""
_DUE = """
SELECT id, lead_id, text, actor, due_at, attempts FROM client_messages
WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?
"""
_SENT = "UPDATE client_messages SET state = 'sent', sent_at = ? WHERE id = ? AND state = 'pending'"
_FAILED = "UPDATE client_messages SET state = ?, attempts = attempts + 1 WHERE id = ?"
_RETRY = "UPDATE client_messages SET attempts = attempts + 1, due_at = ? WHERE id = ?"


@dataclass(frozen=True)
class ClientMessage:
    id: int
    lead_id: int
    text: str
    actor: str
    due_at: datetime
    attempts: int


def _message(row: Any) -> ClientMessage:
    due_at = load_time(row["due_at"])
    assert due_at is not None
    return ClientMessage(
        id=row["id"],
        lead_id=row["lead_id"],
        text=row["text"],
        actor=row["actor"],
        due_at=due_at,
        attempts=row["attempts"],
    )


async def add(
    tx: Connection, lead_id: int, text: str, actor: str, due_at: datetime, at: datetime
) -> int:
    new_id = await insert_returning_id(
        tx, _INSERT, (lead_id, text, actor, dump_time(due_at), dump_time(at))
    )
    if new_id is None:
        raise RuntimeError("insert returned no id")
    return new_id


async def due(tx: Connection, now: datetime, limit: int) -> list[ClientMessage]:
    async with tx.execute(_DUE, (dump_time(now), limit)) as cursor:
        return [_message(row) for row in await cursor.fetchall()]


async def mark_sent(tx: Connection, message_id: int, at: datetime) -> bool:
    cursor = await tx.execute(_SENT, (dump_time(at), message_id))
    return cursor.rowcount > 0


async def mark_failed(tx: Connection, message_id: int, state: str) -> None:
    """`state`: "blocked" (the client blocked the bot) or "refused" (Telegram said no)."""
    await tx.execute(_FAILED, (state, message_id))


async def retry_at(tx: Connection, message_id: int, at: datetime) -> None:
    await tx.execute(_RETRY, (dump_time(at), message_id))

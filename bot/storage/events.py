"""The event log: appended in the caller's transaction, read by consumers in order."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from bot.domain.events import FREE_TEXT_KEYS, Event, EventType
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, insert_returning_id

_INSERT = "INSERT INTO events (lead_id, type, at, actor, data) VALUES (?, ?, ?, ?, ?) RETURNING id"
_SELECT_AFTER = """
SELECT id, lead_id, type, at, actor, data FROM events WHERE id > ? ORDER BY id LIMIT ?
"""
_SELECT_FOR_LEAD = """
SELECT id, lead_id, type, at, actor, data FROM events WHERE lead_id = ? ORDER BY id
"""
_SELECT_ONE = "SELECT id, lead_id, type, at, actor, data FROM events WHERE id = ?"
_HEAD = "SELECT COALESCE(MAX(id), 0) FROM events"
_POSITION = "SELECT position FROM event_consumers WHERE name = ?"
_SAVE_POSITION = """
INSERT INTO event_consumers (name, position, updated_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
WHERE excluded.position > event_consumers.position
"""

# Set when the running task appended an event: the update middleware drains the
# consumers only then, so an update that changed no lead costs no extra query.
_appended: ContextVar[bool] = ContextVar("events_appended", default=False)


_SCRUB = """
UPDATE events SET data = json_remove(data, ?)
WHERE lead_id = ? AND json_extract(data, ?) IS NOT NULL
"""


def appended_in_this_task() -> bool:
    return _appended.get()


def reset_appended() -> None:
    _appended.set(False)


async def append(
    tx: Connection,
    lead_id: int,
    type_: EventType,
    *,
    at: datetime,
    actor: str,
    data: Mapping[str, Any] | None = None,
) -> int:
    payload = json.dumps(dict(data or {}), ensure_ascii=False, separators=(",", ":"))
    event_id = await insert_returning_id(
        tx, _INSERT, (lead_id, type_, dump_time(at), actor, payload)
    )
    _appended.set(True)
    if event_id is None:
        raise RuntimeError("insert returned no id")
    return event_id


async def scrub_free_text(tx: Connection, lead_id: int) -> None:
    """Blanks what people typed (an override reason, a note) in an erased lead's events."""
    for key in FREE_TEXT_KEYS:
        await tx.execute(_SCRUB, (f"$.{key}", lead_id, f"$.{key}"))


def from_row(row: Any) -> Event:
    """An `events` row (selected with its column names) as an Event."""
    at = load_time(row["at"])
    assert at is not None
    return Event(
        id=row["id"],
        lead_id=row["lead_id"],
        type=EventType(row["type"]),
        at=at,
        actor=row["actor"],
        data=json.loads(row["data"]),
    )


async def after(tx: Connection, position: int, limit: int) -> list[Event]:
    async with tx.execute(_SELECT_AFTER, (position, limit)) as cursor:
        return [from_row(row) for row in await cursor.fetchall()]


async def for_lead(tx: Connection, lead_id: int) -> list[Event]:
    async with tx.execute(_SELECT_FOR_LEAD, (lead_id,)) as cursor:
        return [from_row(row) for row in await cursor.fetchall()]


async def get(tx: Connection, event_id: int) -> Event | None:
    async with tx.execute(_SELECT_ONE, (event_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else from_row(row)


async def head(tx: Connection) -> int:
    async with tx.execute(_HEAD) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def position(tx: Connection, consumer: str) -> int | None:
    async with tx.execute(_POSITION, (consumer,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def save_position(tx: Connection, consumer: str, value: int, at: datetime) -> None:
    """Only ever moves forward, so a slow consumer run cannot rewind a faster one."""
    await tx.execute(_SAVE_POSITION, (consumer, value, dump_time(at)))


def ids(events: Sequence[Event]) -> list[int]:
    return [event.id for event in events]

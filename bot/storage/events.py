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
_SELECT_BETWEEN = """
SELECT id, lead_id, type, at, actor, data FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?
"""
# PostgreSQL draws ids when rows are inserted but shows them when transactions commit, so
# a reader could see event 12 before 11 commits and move past 11 for good. Appenders hold
# this lock shared until they commit; a reader takes it exclusively for one statement,
# which waits out every appender that may hold a smaller id than the head it reads.
_PG_APPEND_LOCK = "SELECT pg_advisory_xact_lock_shared(?)"
_PG_SETTLED_HEAD = """
SELECT pg_advisory_xact_lock(?) AS settled, (SELECT COALESCE(MAX(id), 0) FROM events) AS head
"""
_PG_EVENTS_KEY = 0x6C656164_6576656E
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


_SELECT_DATA_FOR_LEAD = "SELECT id, data FROM events WHERE lead_id = ? ORDER BY id"
_SET_DATA = "UPDATE events SET data = ? WHERE id = ?"


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
    payload = _dump(dict(data or {}))
    if tx.dialect == "postgres":
        await tx.execute(_PG_APPEND_LOCK, (_PG_EVENTS_KEY,))
    event_id = await insert_returning_id(
        tx, _INSERT, (lead_id, type_, dump_time(at), actor, payload)
    )
    _appended.set(True)
    if event_id is None:
        raise RuntimeError("insert returned no id")
    return event_id


async def scrub_free_text(tx: Connection, lead_id: int) -> None:
    """Blanks what people typed (an override reason, a note) in an erased lead's events."""
    # In Python rather than with JSON functions: the same on both stores, and an erased
    # lead has few events.
    async with tx.execute(_SELECT_DATA_FOR_LEAD, (lead_id,)) as cursor:
        rows = await cursor.fetchall()
    for row in rows:
        data = json.loads(row["data"])
        if isinstance(data, dict) and any(key in data for key in FREE_TEXT_KEYS):
            kept = {key: value for key, value in data.items() if key not in FREE_TEXT_KEYS}
            await tx.execute(_SET_DATA, (_dump(kept), row["id"]))


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))


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
    """The next events after `position`, in order, none of them behind a later one unseen."""
    if tx.dialect == "postgres":
        async with tx.execute(_PG_SETTLED_HEAD, (_PG_EVENTS_KEY,)) as cursor:
            row = await cursor.fetchone()
        settled = int(row["head"]) if row is not None else 0
        if settled <= position:
            return []
        async with tx.execute(_SELECT_BETWEEN, (position, settled, limit)) as cursor:
            return [from_row(row) for row in await cursor.fetchall()]
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

"""The sales-desk outbox: which leads the CRM hears about, and one delivery per event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class Delivery:
    event_id: int
    lead_id: int
    type: str
    state: DeliveryState
    attempts: int
    refusals: int
    next_at: datetime
    first_failed_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class Backlog:
    pending: int
    dead: int
    oldest: Delivery | None
    last_failed: Delivery | None
    dead_letters: list[Delivery]


_COLUMNS = (
    "event_id, lead_id, type, state, attempts, refusals, next_at, first_failed_at, last_status,"
    " last_error, created_at"
)
_TRACK = """
INSERT INTO sales_desk_leads (lead_id, since_event_id) VALUES (?, ?)
ON CONFLICT (lead_id) DO NOTHING
"""
_TRACKED = "SELECT lead_id FROM sales_desk_leads WHERE lead_id IN ({marks})"
_CRM_ID = "SELECT crm_id FROM sales_desk_leads WHERE lead_id = ?"
_SET_CRM_ID = "UPDATE sales_desk_leads SET crm_id = ? WHERE lead_id = ?"
_ENQUEUE = """
INSERT INTO sales_desk_deliveries (event_id, lead_id, type, next_at, created_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (event_id) DO NOTHING
"""
# The oldest pending delivery of each lead, if it is due: per-lead order is kept by
# never looking past a lead's first pending event.
_DUE_HEADS = f"""
SELECT {_COLUMNS} FROM sales_desk_deliveries AS d
WHERE d.state = 'pending' AND d.next_at <= ?
  AND d.event_id = (SELECT MIN(event_id) FROM sales_desk_deliveries
                    WHERE lead_id = d.lead_id AND state = 'pending')
ORDER BY d.event_id LIMIT ?
"""  # noqa: S608
_DELIVERED = """
UPDATE sales_desk_deliveries
SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL,
    finished_at = ?
WHERE event_id = ? AND state = 'pending'
"""
_FAILED = """
UPDATE sales_desk_deliveries
SET attempts = attempts + 1, refusals = refusals + ?, last_status = ?, last_error = ?, next_at = ?,
    first_failed_at = COALESCE(first_failed_at, ?)
WHERE event_id = ? AND state = 'pending'
"""
_DEAD = """
UPDATE sales_desk_deliveries
SET state = 'dead', attempts = attempts + 1, last_status = ?, last_error = ?, finished_at = ?
WHERE event_id = ? AND state = 'pending'
"""
_REPLAY_LEAD = """
UPDATE sales_desk_deliveries
SET state = 'pending', refusals = 0, next_at = ?, first_failed_at = NULL, finished_at = NULL
WHERE lead_id = ? AND state = 'dead'
"""
_REPLAY_ALL = """
UPDATE sales_desk_deliveries
SET state = 'pending', refusals = 0, next_at = ?, first_failed_at = NULL, finished_at = NULL
WHERE state = 'dead'
"""
_COUNT = "SELECT state, COUNT(*) FROM sales_desk_deliveries GROUP BY state"
_OLDEST_PENDING = f"""
SELECT {_COLUMNS} FROM sales_desk_deliveries WHERE state = 'pending' ORDER BY event_id LIMIT 1
"""  # noqa: S608
_LAST_FAILED = f"""
SELECT {_COLUMNS} FROM sales_desk_deliveries WHERE last_error IS NOT NULL
ORDER BY COALESCE(finished_at, next_at) DESC LIMIT 1
"""  # noqa: S608
_DEAD_LETTERS = f"""
SELECT {_COLUMNS} FROM sales_desk_deliveries WHERE state = 'dead' ORDER BY event_id LIMIT ?
"""  # noqa: S608


def _delivery(row: Any) -> Delivery:
    next_at = load_time(row["next_at"])
    created_at = load_time(row["created_at"])
    assert next_at is not None and created_at is not None
    return Delivery(
        event_id=row["event_id"],
        lead_id=row["lead_id"],
        type=row["type"],
        state=DeliveryState(row["state"]),
        attempts=row["attempts"],
        refusals=row["refusals"],
        next_at=next_at,
        first_failed_at=load_time(row["first_failed_at"]),
        last_status=row["last_status"],
        last_error=row["last_error"],
        created_at=created_at,
    )


async def track(tx: Connection, lead_id: int, since_event_id: int) -> None:
    await tx.execute(_TRACK, (lead_id, since_event_id))


async def tracked(tx: Connection, lead_ids: Sequence[int]) -> set[int]:
    if not lead_ids:
        return set()
    query = _TRACKED.format(marks=",".join("?" * len(lead_ids)))
    async with tx.execute(query, tuple(lead_ids)) as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def crm_id(tx: Connection, lead_id: int) -> str | None:
    async with tx.execute(_CRM_ID, (lead_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else row[0]


async def set_crm_id(tx: Connection, lead_id: int, value: str) -> None:
    await tx.execute(_SET_CRM_ID, (value, lead_id))


async def enqueue(tx: Connection, event_id: int, lead_id: int, type_: str, at: datetime) -> None:
    await tx.execute(_ENQUEUE, (event_id, lead_id, type_, dump_time(at), dump_time(at)))


async def due_heads(tx: Connection, now: datetime, limit: int) -> list[Delivery]:
    async with tx.execute(_DUE_HEADS, (dump_time(now), limit)) as cursor:
        return [_delivery(row) for row in await cursor.fetchall()]


async def mark_delivered(tx: Connection, event_id: int, status: int | None, at: datetime) -> None:
    await tx.execute(_DELIVERED, (status, dump_time(at), event_id))


async def mark_failed(
    tx: Connection,
    event_id: int,
    *,
    status: int | None,
    error: str,
    next_at: datetime,
    at: datetime,
    refused: bool,
) -> None:
    await tx.execute(
        _FAILED, (int(refused), status, error, dump_time(next_at), dump_time(at), event_id)
    )


async def mark_dead(
    tx: Connection, event_id: int, *, status: int | None, error: str, at: datetime
) -> None:
    await tx.execute(_DEAD, (status, error, dump_time(at), event_id))


async def replay(tx: Connection, lead_id: int | None, at: datetime) -> int:
    """Dead letters of one lead (or all) go back to the queue; returns how many."""
    if lead_id is None:
        cursor = await tx.execute(_REPLAY_ALL, (dump_time(at),))
    else:
        cursor = await tx.execute(_REPLAY_LEAD, (dump_time(at), lead_id))
    return cursor.rowcount


async def backlog(tx: Connection, dead_shown: int) -> Backlog:
    async with tx.execute(_COUNT) as cursor:
        counts = {str(row[0]): int(row[1]) for row in await cursor.fetchall()}
    async with tx.execute(_OLDEST_PENDING) as cursor:
        oldest = await cursor.fetchone()
    async with tx.execute(_LAST_FAILED) as cursor:
        failed = await cursor.fetchone()
    async with tx.execute(_DEAD_LETTERS, (dead_shown,)) as cursor:
        dead = [_delivery(row) for row in await cursor.fetchall()]
    return Backlog(
        pending=counts.get(DeliveryState.PENDING, 0),
        dead=counts.get(DeliveryState.DEAD, 0),
        oldest=None if oldest is None else _delivery(oldest),
        last_failed=None if failed is None else _delivery(failed),
        dead_letters=dead,
    )

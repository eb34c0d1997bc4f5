"""Reads for the numbers: the funnel's events, the leads to export, the leads to find."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.events import Event, EventType
from bot.domain.funnel import FUNNEL_EVENTS
from bot.domain.leads import LeadId
from bot.storage import events as event_log
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection

# Times are stored as UTC ISO strings, so they compare as text. The cohort is found by
# (type, at); "+type" keeps SQLite on the per-lead index for the outer read.
_COHORT_EVENTS = f"""
SELECT id, lead_id, type, at, actor, data FROM events
WHERE +type IN ({", ".join("?" for _ in FUNNEL_EVENTS)})
  AND lead_id IN (
      SELECT lead_id FROM events WHERE type = ? AND at >= ? AND at < ?
  )
ORDER BY id
"""  # noqa: S608 -- only placeholders are formatted in
_MANAGER_NAMES = "SELECT id, display_name FROM managers"
_CREATED_LEADS = """
SELECT id FROM leads WHERE created_at >= ? AND created_at < ? ORDER BY id
"""
_DESK = """
SELECT owner_name, owner_id, taken_at, first_contact_at FROM desk_leads WHERE lead_id = ?
"""
_SEARCHABLE = """
SELECT id, name, phone, status, verdict, staff_chat_id, staff_thread_id FROM leads
WHERE name IS NOT NULL OR phone IS NOT NULL
ORDER BY id DESC
"""


@dataclass(frozen=True)
class DeskFacts:
    owner: str | None
    taken_at: datetime | None
    first_contact_at: datetime | None


@dataclass(frozen=True)
class Searchable:
    """What /find matches on and shows for one lead."""

    lead_id: LeadId
    name: str | None
    phone: str | None
    status: str
    verdict: str | None
    staff_chat_id: int | None
    staff_thread_id: int | None


async def cohort_events(tx: Connection, start: datetime, end: datetime) -> list[Event]:
    """The funnel's events of every lead created in [start, end), erased ones included."""
    params: Sequence[Any] = (
        *FUNNEL_EVENTS,
        EventType.CREATED,
        dump_time(start),
        dump_time(end),
    )
    async with tx.execute(_COHORT_EVENTS, params) as cursor:
        rows = await cursor.fetchall()
    return [event_log.from_row(row) for row in rows]


async def manager_names(tx: Connection) -> dict[int, str]:
    async with tx.execute(_MANAGER_NAMES) as cursor:
        return {row[0]: str(row[1]) for row in await cursor.fetchall()}


async def created_leads(tx: Connection, start: datetime, end: datetime) -> list[LeadId]:
    async with tx.execute(_CREATED_LEADS, (dump_time(start), dump_time(end))) as cursor:
        return [LeadId(row[0]) for row in await cursor.fetchall()]


async def desk_facts(tx: Connection, lead_id: LeadId) -> DeskFacts | None:
    async with tx.execute(_DESK, (lead_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    owner = row["owner_name"] or (None if row["owner_id"] is None else str(row["owner_id"]))
    return DeskFacts(owner, load_time(row["taken_at"]), load_time(row["first_contact_at"]))


async def searchable(tx: Connection) -> list[Searchable]:
    """Every lead with a name or a phone, newest first (matching is done in Python:
    SQLite's lower() knows no Cyrillic)."""
    async with tx.execute(_SEARCHABLE) as cursor:
        rows = await cursor.fetchall()
    return [
        Searchable(
            lead_id=LeadId(row["id"]),
            name=row["name"],
            phone=row["phone"],
            status=row["status"],
            verdict=row["verdict"],
            staff_chat_id=row["staff_chat_id"],
            staff_thread_id=row["staff_thread_id"],
        )
        for row in rows
    ]

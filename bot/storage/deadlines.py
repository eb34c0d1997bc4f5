"""Deadlines on the desk's work (desk_deadlines) and the notices their breaches still have
to send (sla_notices). Every change is keyed by the event that caused it, so handling a
batch of events twice changes nothing the second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.sla import DeadlineKind
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection

_COLUMNS = (
    "id, lead_id, kind, started_at, due_at, met_at, breached_at, rung, next_rung_at, "
    "client_told_at, outcome"
)
# INSERT OR IGNORE: one open deadline per lead and kind, and one per opening event.
_OPEN = """
INSERT OR IGNORE INTO desk_deadlines
    (lead_id, kind, started_at, due_at, next_rung_at, opened_by)
VALUES (?, ?, ?, ?, ?, ?)
"""
_EVER_MET = """
SELECT 1 FROM desk_deadlines
WHERE lead_id = ? AND kind = ? AND outcome = 'met' AND closed_by < ?
LIMIT 1
"""
# Only deadlines opened before the closing event: a replayed event never closes a
# deadline that a later event opened.
_CLOSE = """
UPDATE desk_deadlines SET met_at = ?, closed_by = ?, outcome = ?
WHERE lead_id = ? AND kind = ? AND met_at IS NULL AND opened_by < ?
"""
_CLOSE_ALL = """
UPDATE desk_deadlines SET met_at = ?, closed_by = ?, outcome = 'cancelled'
WHERE lead_id = ? AND met_at IS NULL AND opened_by < ?
"""
_OPEN_DUE = f"""
SELECT {_COLUMNS} FROM desk_deadlines
WHERE lead_id = ? AND kind = ? AND met_at IS NULL
"""  # noqa: S608
_OPEN_FOR_LEAD = f"""
SELECT {_COLUMNS} FROM desk_deadlines WHERE lead_id = ? AND met_at IS NULL ORDER BY due_at
"""  # noqa: S608
_ALL_FOR_LEAD = f"SELECT {_COLUMNS} FROM desk_deadlines WHERE lead_id = ? ORDER BY id"  # noqa: S608
_RUNG_DUE = f"""
SELECT {_COLUMNS} FROM desk_deadlines
WHERE met_at IS NULL AND next_rung_at IS NOT NULL AND next_rung_at <= ?
ORDER BY next_rung_at, id LIMIT ?
"""  # noqa: S608
# The compare-and-set that moves a rung: only the run that sees `rung` unchanged wins.
_CLIMB = """
UPDATE desk_deadlines
SET rung = ?, breached_at = COALESCE(breached_at, ?), next_rung_at = ?
WHERE id = ? AND rung = ? AND met_at IS NULL
"""
_CLIENT_TOLD = "SELECT 1 FROM desk_deadlines WHERE lead_id = ? AND client_told_at IS NOT NULL"
_TELL_CLIENT = "UPDATE desk_deadlines SET client_told_at = ? WHERE id = ?"

_NOTICE_COLUMNS = "id, deadline_id, lead_id, rung, audience, target, attempts"
_ADD_NOTICE = """
INSERT OR IGNORE INTO sla_notices
    (deadline_id, lead_id, rung, audience, target, created_at, next_try_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_NOTICES_DUE = f"""
SELECT {_NOTICE_COLUMNS} FROM sla_notices
WHERE done_at IS NULL AND next_try_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
ORDER BY next_try_at, id LIMIT ?
"""  # noqa: S608
_CLAIM = """
UPDATE sla_notices SET claimed_until = ?
WHERE id = ? AND done_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ?)
"""
_NOTICE_DONE = """
UPDATE sla_notices SET done_at = ?, outcome = ?, attempts = attempts + 1, claimed_until = NULL
WHERE id = ? AND done_at IS NULL
"""
_NOTICE_RETRY = """
UPDATE sla_notices SET next_try_at = ?, attempts = attempts + 1, claimed_until = NULL
WHERE id = ? AND done_at IS NULL
"""


@dataclass(frozen=True)
class Deadline:
    id: int
    lead_id: int
    kind: DeadlineKind
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None
    rung: int
    next_rung_at: datetime | None
    client_told_at: datetime | None
    outcome: str | None


@dataclass(frozen=True)
class Notice:
    id: int
    deadline_id: int
    lead_id: int
    rung: int
    audience: str  # owner / head / group / client
    target: int  # the head of sales' Telegram id; 0 for the others
    attempts: int


def _required(value: str) -> datetime:
    loaded = load_time(value)
    assert loaded is not None
    return loaded


def _deadline(row: Any) -> Deadline:
    return Deadline(
        id=row["id"],
        lead_id=row["lead_id"],
        kind=DeadlineKind(row["kind"]),
        started_at=_required(row["started_at"]),
        due_at=_required(row["due_at"]),
        met_at=load_time(row["met_at"]),
        breached_at=load_time(row["breached_at"]),
        rung=row["rung"],
        next_rung_at=load_time(row["next_rung_at"]),
        client_told_at=load_time(row["client_told_at"]),
        outcome=row["outcome"],
    )


def _notice(row: Any) -> Notice:
    return Notice(
        id=row["id"],
        deadline_id=row["deadline_id"],
        lead_id=row["lead_id"],
        rung=row["rung"],
        audience=row["audience"],
        target=row["target"],
        attempts=row["attempts"],
    )


async def open_deadline(
    tx: Connection,
    lead_id: int,
    kind: DeadlineKind,
    *,
    started_at: datetime,
    due_at: datetime,
    first_rung_at: datetime,
    event_id: int,
) -> bool:
    """Opens a deadline unless one of the kind is open, or this event opened one already."""
    times = (dump_time(started_at), dump_time(due_at), dump_time(first_rung_at))
    cursor = await tx.execute(_OPEN, (lead_id, kind, *times, event_id))
    return cursor.rowcount > 0


async def ever_met(tx: Connection, lead_id: int, kind: DeadlineKind, before_event: int) -> bool:
    async with tx.execute(_EVER_MET, (lead_id, kind, before_event)) as cursor:
        return await cursor.fetchone() is not None


async def close(
    tx: Connection,
    lead_id: int,
    kind: DeadlineKind,
    *,
    at: datetime,
    event_id: int,
    outcome: str = "met",
) -> bool:
    cursor = await tx.execute(_CLOSE, (dump_time(at), event_id, outcome, lead_id, kind, event_id))
    return cursor.rowcount > 0


async def close_all(tx: Connection, lead_id: int, *, at: datetime, event_id: int) -> None:
    await tx.execute(_CLOSE_ALL, (dump_time(at), event_id, lead_id, event_id))


async def open_of_kind(tx: Connection, lead_id: int, kind: DeadlineKind) -> Deadline | None:
    async with tx.execute(_OPEN_DUE, (lead_id, kind)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _deadline(row)


async def open_for_lead(tx: Connection, lead_id: int) -> list[Deadline]:
    """The lead's running deadlines, soonest first (for the card's "take within 12 min")."""
    async with tx.execute(_OPEN_FOR_LEAD, (lead_id,)) as cursor:
        return [_deadline(row) for row in await cursor.fetchall()]


async def for_lead(tx: Connection, lead_id: int) -> list[Deadline]:
    async with tx.execute(_ALL_FOR_LEAD, (lead_id,)) as cursor:
        return [_deadline(row) for row in await cursor.fetchall()]


async def rung_due(tx: Connection, now: datetime, limit: int) -> list[Deadline]:
    async with tx.execute(_RUNG_DUE, (dump_time(now), limit)) as cursor:
        return [_deadline(row) for row in await cursor.fetchall()]


async def climb(
    tx: Connection,
    deadline: Deadline,
    *,
    to_rung: int,
    breached_at: datetime,
    next_rung_at: datetime | None,
) -> bool:
    """Moves the deadline from its rung to `to_rung`; False if another run moved it first
    or it was met meanwhile."""
    cursor = await tx.execute(
        _CLIMB,
        (to_rung, dump_time(breached_at), dump_time(next_rung_at), deadline.id, deadline.rung),
    )
    return cursor.rowcount > 0


async def client_told(tx: Connection, lead_id: int) -> bool:
    async with tx.execute(_CLIENT_TOLD, (lead_id,)) as cursor:
        return await cursor.fetchone() is not None


async def mark_client_told(tx: Connection, deadline_id: int, at: datetime) -> None:
    await tx.execute(_TELL_CLIENT, (dump_time(at), deadline_id))


async def add_notice(
    tx: Connection, deadline: Deadline, rung: int, audience: str, target: int, at: datetime
) -> None:
    await tx.execute(
        _ADD_NOTICE,
        (deadline.id, deadline.lead_id, rung, audience, target, dump_time(at), dump_time(at)),
    )


async def notices_due(tx: Connection, now: datetime, limit: int) -> list[Notice]:
    stamp = dump_time(now)
    async with tx.execute(_NOTICES_DUE, (stamp, stamp, limit)) as cursor:
        return [_notice(row) for row in await cursor.fetchall()]


async def claim_notice(tx: Connection, notice_id: int, now: datetime, until: datetime) -> bool:
    """Takes the notice for one sender; False if another run holds it or it is done."""
    cursor = await tx.execute(_CLAIM, (dump_time(until), notice_id, dump_time(now)))
    return cursor.rowcount > 0


async def notice_done(tx: Connection, notice_id: int, at: datetime, outcome: str) -> None:
    await tx.execute(_NOTICE_DONE, (dump_time(at), outcome, notice_id))


async def notice_retry(tx: Connection, notice_id: int, at: datetime) -> None:
    await tx.execute(_NOTICE_RETRY, (dump_time(at), notice_id))


_GET = f"SELECT {_COLUMNS} FROM desk_deadlines WHERE id = ?"  # noqa: S608
_LEAD_EXISTS = "SELECT 1 FROM leads WHERE id = ?"
_OWNER = "SELECT owner_id, owner_name FROM desk_leads WHERE lead_id = ? AND owner_id IS NOT NULL"


async def get(tx: Connection, deadline_id: int) -> Deadline | None:
    async with tx.execute(_GET, (deadline_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _deadline(row)


async def lead_exists(tx: Connection, lead_id: int) -> bool:
    """An event may name a lead erased since: it gets no deadline."""
    async with tx.execute(_LEAD_EXISTS, (lead_id,)) as cursor:
        return await cursor.fetchone() is not None


async def owner(tx: Connection, lead_id: int) -> tuple[int, str | None] | None:
    """The lead-manager responsible for the lead now (Telegram id, name), if any."""
    async with tx.execute(_OWNER, (lead_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else (int(row["owner_id"]), row["owner_name"])

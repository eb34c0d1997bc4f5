"""The desk's row per lead (`desk_leads`: owner, calls, close, override, what a staff member
is asked to type), the open time limits read for the card, and the roster of staff seen.

The relay writes `relay_open`, `last_client_*` and `last_staff_reply_at` with its own
upserts; this module writes the other columns. Callers own the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.desk import CallOutcome, CloseReason, DeskLead
from bot.domain.scoring import Verdict
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, Row

_SELECT = """
SELECT lead_id, owner_id, owner_name, taken_at, first_contact_at, last_call_outcome,
       last_call_at, next_call_at, next_step_required, closed_reason, closed_at,
       override_verdict, override_reason, override_by, relay_open, last_client_message_at,
       last_client_text, last_staff_reply_at, pending_input
FROM desk_leads WHERE lead_id = ?
"""
_ENSURE = """
INSERT INTO desk_leads (lead_id, updated_at) VALUES (?, ?) ON CONFLICT (lead_id) DO NOTHING
"""
# Conditional: of two people pressing Take at once, only the first finds no owner.
_TAKE = """
UPDATE desk_leads SET owner_id = ?, owner_name = ?, taken_at = ?, updated_at = ?
WHERE lead_id = ? AND owner_id IS NULL AND closed_at IS NULL
"""
_SET_OWNER = """
UPDATE desk_leads SET owner_id = ?, owner_name = ?, taken_at = ?, updated_at = ?
WHERE lead_id = ?
"""
_LOG_CALL = """
UPDATE desk_leads SET last_call_outcome = ?, last_call_at = ?, next_step_required = 1,
    first_contact_at = COALESCE(first_contact_at, ?), updated_at = ?
WHERE lead_id = ? AND closed_at IS NULL
"""
_SET_NEXT_CALL = """
UPDATE desk_leads SET next_call_at = ?, next_step_required = 0, updated_at = ?
WHERE lead_id = ? AND closed_at IS NULL
"""
_CLOSE = """
UPDATE desk_leads SET closed_reason = ?, closed_at = ?, next_step_required = 0,
    pending_input = NULL, updated_at = ?
WHERE lead_id = ?
"""
_OVERRIDE = """
UPDATE desk_leads SET override_verdict = ?, override_reason = ?, override_by = ?,
    pending_input = NULL, updated_at = ?
WHERE lead_id = ?
"""
_SET_PENDING = "UPDATE desk_leads SET pending_input = ?, updated_at = ? WHERE lead_id = ?"
_LEAD_BY_THREAD = "SELECT id FROM leads WHERE staff_chat_id = ? AND staff_thread_id = ?"
# A group without topics: the lead whose card asked this person to type something.
_LEAD_AWAITING = """
SELECT d.lead_id FROM desk_leads d JOIN leads l ON l.id = d.lead_id
WHERE l.staff_chat_id = ? AND l.staff_thread_id IS NULL
  AND json_extract(d.pending_input, '$.by') = ?
ORDER BY d.updated_at DESC LIMIT 1
"""
_OPEN_DEADLINES = """
SELECT kind, due_at, breached_at FROM desk_deadlines
WHERE lead_id = ? AND met_at IS NULL ORDER BY due_at
"""
_SEE_STAFF = """
INSERT INTO desk_staff (telegram_id, name, seen_at) VALUES (?, ?, ?)
ON CONFLICT (telegram_id) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at
"""
_ROSTER = "SELECT telegram_id, name FROM desk_staff ORDER BY name, telegram_id"
_STAFF_NAME = "SELECT name FROM desk_staff WHERE telegram_id = ?"


@dataclass(frozen=True)
class OpenDeadline:
    kind: str  # take / first_contact / reply / next_call
    due_at: datetime
    breached: bool


@dataclass(frozen=True)
class StaffPerson:
    telegram_id: int
    name: str


def _time(row: Row, key: str) -> datetime | None:
    return load_time(row[key])


def _desk(row: Row) -> DeskLead:
    outcome, reason, verdict = row["last_call_outcome"], row["closed_reason"], None
    if row["override_verdict"] is not None:
        verdict = Verdict(row["override_verdict"])
    return DeskLead(
        lead_id=row["lead_id"],
        owner_id=row["owner_id"],
        owner_name=row["owner_name"],
        taken_at=_time(row, "taken_at"),
        first_contact_at=_time(row, "first_contact_at"),
        last_call_outcome=None if outcome is None else CallOutcome(outcome),
        last_call_at=_time(row, "last_call_at"),
        next_call_at=_time(row, "next_call_at"),
        next_step_required=bool(row["next_step_required"]),
        closed_reason=None if reason is None else CloseReason(reason),
        closed_at=_time(row, "closed_at"),
        override_verdict=verdict,
        override_reason=row["override_reason"],
        override_by=row["override_by"],
        relay_open=bool(row["relay_open"]),
        last_client_message_at=_time(row, "last_client_message_at"),
        last_client_text=row["last_client_text"],
        last_staff_reply_at=_time(row, "last_staff_reply_at"),
        pending_input=row["pending_input"],
    )


async def get(conn: Connection, lead_id: int) -> DeskLead:
    """The lead's desk state; a lead nobody has worked yet gets the defaults."""
    cursor = await conn.execute(_SELECT, (lead_id,))
    row = await cursor.fetchone()
    return DeskLead(lead_id=lead_id) if row is None else _desk(row)


async def ensure(tx: Connection, lead_id: int, at: datetime) -> None:
    await tx.execute(_ENSURE, (lead_id, dump_time(at)))


async def take(tx: Connection, lead_id: int, owner_id: int, owner_name: str, at: datetime) -> bool:
    """Makes `owner_id` the owner unless somebody already is; True if this call did it."""
    await ensure(tx, lead_id, at)
    when = dump_time(at)
    cursor = await tx.execute(_TAKE, (owner_id, owner_name, when, when, lead_id))
    return cursor.rowcount == 1


async def set_owner(
    tx: Connection, lead_id: int, owner_id: int, owner_name: str, at: datetime
) -> None:
    await ensure(tx, lead_id, at)
    when = dump_time(at)
    await tx.execute(_SET_OWNER, (owner_id, owner_name, when, when, lead_id))


async def log_call(tx: Connection, lead_id: int, outcome: CallOutcome, at: datetime) -> bool:
    """A call attempt counts as the first contact: it is what the contact time limit asks.
    False if the lead was closed meanwhile."""
    await ensure(tx, lead_id, at)
    when = dump_time(at)
    cursor = await tx.execute(_LOG_CALL, (outcome.value, when, when, when, lead_id))
    return cursor.rowcount == 1


async def set_next_call(tx: Connection, lead_id: int, call_at: datetime, at: datetime) -> bool:
    """False if the lead was closed meanwhile."""
    await ensure(tx, lead_id, at)
    cursor = await tx.execute(_SET_NEXT_CALL, (dump_time(call_at), dump_time(at), lead_id))
    return cursor.rowcount == 1


async def close(tx: Connection, lead_id: int, reason: CloseReason, at: datetime) -> None:
    await ensure(tx, lead_id, at)
    when = dump_time(at)
    await tx.execute(_CLOSE, (reason.value, when, when, lead_id))


async def set_override(
    tx: Connection, lead_id: int, verdict: Verdict, reason: str, by: int, at: datetime
) -> None:
    await ensure(tx, lead_id, at)
    await tx.execute(_OVERRIDE, (verdict.value, reason, by, dump_time(at), lead_id))


async def set_pending(tx: Connection, lead_id: int, pending: str | None, at: datetime) -> None:
    await ensure(tx, lead_id, at)
    await tx.execute(_SET_PENDING, (pending, dump_time(at), lead_id))


async def lead_by_thread(conn: Connection, chat_id: int, thread_id: int) -> int | None:
    cursor = await conn.execute(_LEAD_BY_THREAD, (chat_id, thread_id))
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def lead_awaiting(conn: Connection, chat_id: int, user_id: int) -> int | None:
    cursor = await conn.execute(_LEAD_AWAITING, (chat_id, user_id))
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def open_deadlines(conn: Connection, lead_id: int) -> list[OpenDeadline]:
    cursor = await conn.execute(_OPEN_DEADLINES, (lead_id,))
    found = []
    for row in await cursor.fetchall():
        due = load_time(row["due_at"])
        assert due is not None
        found.append(OpenDeadline(row["kind"], due, row["breached_at"] is not None))
    return found


async def see_staff(tx: Connection, telegram_id: int, name: str, at: datetime) -> None:
    await tx.execute(_SEE_STAFF, (telegram_id, name, dump_time(at)))


async def roster(conn: Connection) -> list[StaffPerson]:
    cursor = await conn.execute(_ROSTER)
    return [StaffPerson(row["telegram_id"], row["name"]) for row in await cursor.fetchall()]


async def staff_name(conn: Connection, telegram_id: int) -> str | None:
    cursor = await conn.execute(_STAFF_NAME, (telegram_id,))
    row = await cursor.fetchone()
    return None if row is None else str(row[0])

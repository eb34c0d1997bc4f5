"""Per-lead nurture state (nurture_state): the follow-up timer and what became of it.

Callers own the transaction. A follow-up is claimed by one sender (compare-and-set on
`claimed_until`) before it is sent, and recorded after, so two runs or a restart never
send it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, Row

_COLUMNS = (
    "lead_id, asked_at, asked_language, every_days, attempts, due_at, last_sent_at,"
    " last_message_id, answered_at, stopped_at, stopped_via, last_activity_at"
)
# A new verdict keeps whether the consent was asked and whether nurture was stopped.
_UPSERT = """
INSERT INTO nurture_state (lead_id, every_days, due_at, last_activity_at)
VALUES (?, ?, ?, ?)
ON CONFLICT (lead_id) DO UPDATE SET
    every_days = excluded.every_days,
    due_at = CASE WHEN nurture_state.stopped_at IS NULL THEN excluded.due_at END,
    attempts = 0,
    claimed_until = NULL,
    last_activity_at = excluded.last_activity_at
"""
_GET = f"SELECT {_COLUMNS} FROM nurture_state WHERE lead_id = ?"  # noqa: S608
_MARK_ASKED = """
UPDATE nurture_state SET asked_at = ?, asked_language = ? WHERE lead_id = ? AND asked_at IS NULL
"""
_PLAN = """
UPDATE nurture_state SET due_at = ?, last_activity_at = ?
WHERE lead_id = ? AND stopped_at IS NULL
"""
_DUE = f"""
SELECT {_COLUMNS} FROM nurture_state
WHERE due_at IS NOT NULL AND stopped_at IS NULL AND due_at <= ?
    AND (claimed_until IS NULL OR claimed_until <= ?)
ORDER BY due_at, lead_id LIMIT ?
"""  # noqa: S608
_NEXT_DUE = "SELECT MIN(due_at) FROM nurture_state WHERE due_at IS NOT NULL AND stopped_at IS NULL"
_CLAIM = """
UPDATE nurture_state SET claimed_until = ?
WHERE lead_id = ? AND due_at = ? AND stopped_at IS NULL
    AND (claimed_until IS NULL OR claimed_until <= ?)
"""
_SENT = """
UPDATE nurture_state
SET attempts = attempts + 1, last_sent_at = ?, last_message_id = ?, due_at = ?,
    claimed_until = NULL
WHERE lead_id = ?
"""
_RELEASE = "UPDATE nurture_state SET claimed_until = NULL, due_at = ? WHERE lead_id = ?"
_DROP = "UPDATE nurture_state SET due_at = NULL, claimed_until = NULL WHERE lead_id = ?"
_ANSWERED = """
UPDATE nurture_state SET answered_at = ?, attempts = 0, due_at = NULL, last_activity_at = ?
WHERE lead_id = ?
"""
_STOP = """
UPDATE nurture_state
SET stopped_at = ?, stopped_via = ?, due_at = NULL, claimed_until = NULL, last_activity_at = ?
WHERE lead_id = ? AND stopped_at IS NULL
"""
_LAST_ACTIVITY = "SELECT last_activity_at FROM nurture_state WHERE lead_id = ?"


@dataclass(frozen=True)
class NurtureState:
    lead_id: int
    asked_at: datetime | None
    asked_language: str | None
    every_days: int
    attempts: int
    due_at: datetime | None
    last_sent_at: datetime | None
    last_message_id: int | None
    answered_at: datetime | None
    stopped_at: datetime | None
    stopped_via: str | None
    last_activity_at: datetime


def _state(row: Row) -> NurtureState:
    activity = load_time(row["last_activity_at"])
    assert activity is not None
    return NurtureState(
        lead_id=row["lead_id"],
        asked_at=load_time(row["asked_at"]),
        asked_language=row["asked_language"],
        every_days=row["every_days"],
        attempts=row["attempts"],
        due_at=load_time(row["due_at"]),
        last_sent_at=load_time(row["last_sent_at"]),
        last_message_id=row["last_message_id"],
        answered_at=load_time(row["answered_at"]),
        stopped_at=load_time(row["stopped_at"]),
        stopped_via=row["stopped_via"],
        last_activity_at=activity,
    )


async def record_verdict(
    tx: Connection, lead_id: int, *, every_days: int, due_at: datetime | None, at: datetime
) -> None:
    """A nurture verdict: the interval, and the next follow-up when one may be planned."""
    await tx.execute(_UPSERT, (lead_id, every_days, dump_time(due_at), dump_time(at)))


async def get(tx: Connection, lead_id: int) -> NurtureState | None:
    cursor = await tx.execute(_GET, (lead_id,))
    row = await cursor.fetchone()
    return None if row is None else _state(row)


async def mark_asked(tx: Connection, lead_id: int, language: str, at: datetime) -> bool:
    """True for the first ask only: the marketing consent is asked once per lead."""
    cursor = await tx.execute(_MARK_ASKED, (dump_time(at), language, lead_id))
    return cursor.rowcount > 0


async def plan(tx: Connection, lead_id: int, due_at: datetime | None, at: datetime) -> None:
    await tx.execute(_PLAN, (dump_time(due_at), dump_time(at), lead_id))


async def due(tx: Connection, now: datetime, limit: int) -> list[NurtureState]:
    stamp = dump_time(now)
    cursor = await tx.execute(_DUE, (stamp, stamp, limit))
    return [_state(row) for row in await cursor.fetchall()]


async def next_due(tx: Connection) -> datetime | None:
    cursor = await tx.execute(_NEXT_DUE)
    row = await cursor.fetchone()
    return None if row is None else load_time(row[0])


async def claim(tx: Connection, state: NurtureState, now: datetime, until: datetime) -> bool:
    """Takes the follow-up for this run; False if another run has it or it changed."""
    cursor = await tx.execute(
        _CLAIM, (dump_time(until), state.lead_id, dump_time(state.due_at), dump_time(now))
    )
    return cursor.rowcount > 0


async def mark_sent(
    tx: Connection, lead_id: int, *, message_id: int | None, next_due: datetime, at: datetime
) -> None:
    await tx.execute(_SENT, (dump_time(at), message_id, dump_time(next_due), lead_id))


async def release(tx: Connection, lead_id: int, retry_at: datetime) -> None:
    """Telegram failed for now: the follow-up is tried again at `retry_at`."""
    await tx.execute(_RELEASE, (dump_time(retry_at), lead_id))


async def drop(tx: Connection, lead_id: int) -> None:
    """No follow-up planned (the lead moved on); a new nurture verdict plans one again."""
    await tx.execute(_DROP, (lead_id,))


async def mark_answered(tx: Connection, lead_id: int, at: datetime) -> None:
    await tx.execute(_ANSWERED, (dump_time(at), dump_time(at), lead_id))


async def stop(tx: Connection, lead_id: int, via: str, at: datetime) -> bool:
    """True if this call stopped it (it was running)."""
    stamp = dump_time(at)
    cursor = await tx.execute(_STOP, (stamp, via, stamp, lead_id))
    return cursor.rowcount > 0


async def last_nurture_activity(tx: Connection, lead_id: int) -> datetime | None:
    """The last time the client did something about nurture (the verdict included); None
    for a lead that never was nurture. Retention counts a nurture lead's silence from it."""
    cursor = await tx.execute(_LAST_ACTIVITY, (lead_id,))
    row = await cursor.fetchone()
    return None if row is None else load_time(row[0])

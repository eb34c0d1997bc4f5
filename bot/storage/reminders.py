"""Reminders waiting to be sent. Callers own the transaction.

The rows are the schedule: the scheduler only wakes a job that reads the due ones,
so a restart loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.domain.reminders import ReminderKind
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, Row


class ReminderState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Its moment passed while the bot was down and it is no longer useful.
    DROPPED = "dropped"
    # The viewing moved or was cancelled.
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Reminder:
    id: int
    kind: ReminderKind
    appointment_id: int | None
    manager_id: int | None
    for_day: date | None
    due_at: datetime
    not_after: datetime | None
    state: ReminderState
    attempts: int


_COLUMNS = "id, kind, appointment_id, manager_id, for_day, due_at, not_after, state, attempts"
_INSERT = """
INSERT OR IGNORE INTO reminders (kind, appointment_id, manager_id, for_day, due_at, not_after)
VALUES (?, ?, ?, ?, ?, ?)
"""
_DUE = f"""
SELECT {_COLUMNS} FROM reminders
WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?
"""  # noqa: S608
_FOR_APPOINTMENT = f"SELECT {_COLUMNS} FROM reminders WHERE appointment_id = ? ORDER BY due_at"  # noqa: S608
_FINISH = "UPDATE reminders SET state = ?, done_at = ? WHERE id = ? AND state = 'pending'"
_RETRY = "UPDATE reminders SET attempts = attempts + 1, due_at = ? WHERE id = ?"
_CANCEL_FOR_APPOINTMENT = """
UPDATE reminders SET state = 'cancelled', done_at = ?
WHERE appointment_id = ? AND state = 'pending'
"""
_CANCEL_KIND_FOR_APPOINTMENT = """
UPDATE reminders SET state = 'cancelled', done_at = ?
WHERE appointment_id = ? AND kind = ? AND state = 'pending'
"""
_CANCEL_AGENDAS = """
UPDATE reminders SET state = 'cancelled', done_at = ?
WHERE manager_id = ? AND kind = 'agenda' AND state = 'pending'
"""


def _reminder(row: Row) -> Reminder:
    due_at = load_time(row["due_at"])
    assert due_at is not None
    return Reminder(
        id=row["id"],
        kind=ReminderKind(row["kind"]),
        appointment_id=row["appointment_id"],
        manager_id=row["manager_id"],
        for_day=None if row["for_day"] is None else date.fromisoformat(row["for_day"]),
        due_at=due_at,
        not_after=load_time(row["not_after"]),
        state=ReminderState(row["state"]),
        attempts=row["attempts"],
    )


async def add(
    tx: Connection,
    kind: ReminderKind,
    due_at: datetime,
    not_after: datetime | None,
    *,
    appointment_id: int | None = None,
    manager_id: int | None = None,
    for_day: date | None = None,
) -> None:
    """Adds a reminder; an agenda already planned for that manager and day is kept."""
    await tx.execute(
        _INSERT,
        (
            kind.value,
            appointment_id,
            manager_id,
            None if for_day is None else for_day.isoformat(),
            dump_time(due_at),
            dump_time(not_after),
        ),
    )


async def due(tx: Connection, now: datetime, limit: int = 100) -> list[Reminder]:
    async with tx.execute(_DUE, (dump_time(now), limit)) as cursor:
        return [_reminder(row) for row in await cursor.fetchall()]


async def for_appointment(tx: Connection, appointment_id: int) -> list[Reminder]:
    async with tx.execute(_FOR_APPOINTMENT, (appointment_id,)) as cursor:
        return [_reminder(row) for row in await cursor.fetchall()]


async def finish(tx: Connection, reminder_id: int, state: ReminderState, at: datetime) -> None:
    await tx.execute(_FINISH, (state.value, dump_time(at), reminder_id))


async def retry_at(tx: Connection, reminder_id: int, at: datetime) -> None:
    await tx.execute(_RETRY, (dump_time(at), reminder_id))


async def cancel_for_appointment(
    tx: Connection, appointment_id: int, at: datetime, kind: ReminderKind | None = None
) -> None:
    if kind is None:
        await tx.execute(_CANCEL_FOR_APPOINTMENT, (dump_time(at), appointment_id))
    else:
        await tx.execute(_CANCEL_KIND_FOR_APPOINTMENT, (dump_time(at), appointment_id, kind.value))


async def cancel_agendas(tx: Connection, manager_id: int, at: datetime) -> None:
    """A manager's hours changed or they were paused: their planned agendas go."""
    await tx.execute(_CANCEL_AGENDAS, (dump_time(at), manager_id))

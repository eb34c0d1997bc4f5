"""Viewings and the time cells they hold. Callers own the transaction.

A booking inserts the viewing and then its cells; the primary key on a manager's
cells, the site capacity trigger and the daily cap trigger refuse a clash inside
SQLite itself, so two prospects pressing one slot at once cannot both get it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.leads import LeadId
from bot.domain.slots import Busy, cells
from bot.domain.viewings import (
    Appointment,
    AppointmentId,
    AppointmentStatus,
    ManagerId,
    SiteId,
)
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, IntegrityError, Row, insert_returning_id


@dataclass(frozen=True)
class Claim:
    """A viewing's time and the cells it takes from its manager and its site."""

    start: datetime
    end: datetime
    manager_day: date  # the manager's local date, for the daily cap
    manager_cells: Busy
    site_cells: Busy


class SlotTaken(Exception):
    """The database refused the booking: the time, the site or the day is full."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_COLUMNS = (
    "id, uid, lead_id, manager_id, site_id, starts_at, ends_at, status, sequence,"
    " confirmed_at, created_at, updated_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM appointments"  # noqa: S608
_INSERT = """
INSERT INTO appointments (uid, lead_id, manager_id, site_id, starts_at, ends_at, manager_day,
                          status, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?)
RETURNING id
"""
_MOVE = """
UPDATE appointments SET starts_at = ?, ends_at = ?, manager_day = ?, sequence = sequence + 1,
                        confirmed_at = NULL, caldav_attempts = 0, caldav_next_at = NULL,
                        updated_at = ?
WHERE id = ?
"""
_SET_STATUS = """
UPDATE appointments SET status = ?, sequence = sequence + ?, caldav_attempts = 0,
                        caldav_next_at = NULL, updated_at = ?
WHERE id = ?
"""
_CONFIRM = "UPDATE appointments SET confirmed_at = ?, updated_at = ? WHERE id = ?"
_INSERT_MANAGER_CELL = (
    "INSERT INTO manager_cells (manager_id, cell, appointment_id) VALUES (?, ?, ?)"
)
_INSERT_SITE_CELL = "INSERT INTO site_cells (site_id, cell, appointment_id) VALUES (?, ?, ?)"
_DELETE_MANAGER_CELLS = "DELETE FROM manager_cells WHERE appointment_id = ?"
_DELETE_SITE_CELLS = "DELETE FROM site_cells WHERE appointment_id = ?"
_CALDAV_DUE = f"""
SELECT {_COLUMNS} FROM appointments a
WHERE (a.caldav_sequence IS NULL OR a.caldav_sequence <> a.sequence)
  AND (a.caldav_next_at IS NULL OR a.caldav_next_at <= ?)
  AND NOT (a.caldav_sequence IS NULL AND a.status IN ('cancelled', 'moved'))
  AND EXISTS (SELECT 1 FROM managers m WHERE m.id = a.manager_id AND m.caldav_url IS NOT NULL)
ORDER BY a.id
"""  # noqa: S608
_CALDAV_DONE = (
    "UPDATE appointments SET caldav_sequence = ?, caldav_attempts = 0, caldav_next_at = NULL"
    " WHERE id = ?"
)
_CALDAV_FAILED = (
    "UPDATE appointments SET caldav_attempts = caldav_attempts + 1, caldav_next_at = ? WHERE id = ?"
)
_CALDAV_FORGET = "UPDATE appointments SET caldav_sequence = NULL WHERE manager_id = ?"
# Viewings whose time is still held: the open ones and the ones that took place.
_HOLDING = "('booked', 'attended', 'no_show')"


def _appointment(row: Row) -> Appointment:
    start, end = load_time(row["starts_at"]), load_time(row["ends_at"])
    created, updated = load_time(row["created_at"]), load_time(row["updated_at"])
    assert start is not None and end is not None and created is not None and updated is not None
    return Appointment(
        id=AppointmentId(row["id"]),
        uid=row["uid"],
        lead_id=LeadId(row["lead_id"]),
        manager_id=ManagerId(row["manager_id"]),
        site_id=SiteId(row["site_id"]),
        start=start,
        end=end,
        status=AppointmentStatus(row["status"]),
        sequence=row["sequence"],
        confirmed_at=load_time(row["confirmed_at"]),
        created_at=created,
        updated_at=updated,
    )


async def _many(tx: Connection, sql: str, params: tuple[object, ...]) -> list[Appointment]:
    async with tx.execute(sql, params) as cursor:
        return [_appointment(row) for row in await cursor.fetchall()]


async def get(tx: Connection, appointment_id: int) -> Appointment | None:
    found = await _many(tx, f"{_SELECT} WHERE id = ?", (appointment_id,))
    return found[0] if found else None


async def open_for_lead(tx: Connection, lead_id: int) -> Appointment | None:
    found = await _many(tx, f"{_SELECT} WHERE lead_id = ? AND status = 'booked'", (lead_id,))
    return found[0] if found else None


async def latest_for_lead(tx: Connection, lead_id: int) -> Appointment | None:
    found = await _many(tx, f"{_SELECT} WHERE lead_id = ? ORDER BY id DESC LIMIT 1", (lead_id,))
    return found[0] if found else None


async def holding_between(tx: Connection, start: datetime, end: datetime) -> list[Appointment]:
    """Viewings holding time that overlaps [start, end), any manager or site."""
    return await _many(
        tx,
        f"{_SELECT} WHERE status IN {_HOLDING} AND ends_at > ? AND starts_at < ?"
        " ORDER BY starts_at",
        (dump_time(start), dump_time(end)),
    )


async def for_manager(
    tx: Connection, manager_id: int, start: datetime, end: datetime
) -> list[Appointment]:
    """Every viewing of a manager that starts in [start, end), cancelled ones included."""
    return await _many(
        tx,
        f"{_SELECT} WHERE manager_id = ? AND starts_at >= ? AND starts_at < ? ORDER BY starts_at",
        (manager_id, dump_time(start), dump_time(end)),
    )


async def upcoming_count(tx: Connection, since: datetime) -> dict[int, int]:
    """Open viewings from `since` on, per manager."""
    async with tx.execute(
        "SELECT manager_id, COUNT(*) FROM appointments"
        " WHERE status = 'booked' AND starts_at >= ? GROUP BY manager_id",
        (dump_time(since),),
    ) as cursor:
        return {int(row[0]): int(row[1]) for row in await cursor.fetchall()}


async def book(
    tx: Connection,
    *,
    lead_id: int,
    manager_id: int,
    site_id: int,
    claim: Claim,
    at: datetime,
) -> Appointment:
    """Books the viewing, or raises SlotTaken; the caller's transaction is still usable."""
    await tx.execute("SAVEPOINT book")
    try:
        new_id = await insert_returning_id(
            tx,
            _INSERT,
            (
                f"{uuid.uuid4()}@leadsieve",
                lead_id,
                manager_id,
                site_id,
                dump_time(claim.start),
                dump_time(claim.end),
                claim.manager_day.isoformat(),
                dump_time(at),
                dump_time(at),
            ),
        )
        appointment_id = new_id or 0
        await _claim(tx, appointment_id, manager_id, site_id, claim)
    except IntegrityError as error:
        await tx.execute("ROLLBACK TO book")
        await tx.execute("RELEASE book")
        raise SlotTaken(_reason(error)) from None
    await tx.execute("RELEASE book")
    booked = await get(tx, appointment_id)
    assert booked is not None
    return booked


async def move(
    tx: Connection,
    appointment: Appointment,
    claim: Claim,
    at: datetime,
) -> Appointment:
    """Moves an open viewing; on SlotTaken the old time is still held."""
    await tx.execute("SAVEPOINT move")
    try:
        await tx.execute(_DELETE_MANAGER_CELLS, (appointment.id,))
        await tx.execute(_DELETE_SITE_CELLS, (appointment.id,))
        await tx.execute(
            _MOVE,
            (
                dump_time(claim.start),
                dump_time(claim.end),
                claim.manager_day.isoformat(),
                dump_time(at),
                appointment.id,
            ),
        )
        await _claim(tx, appointment.id, appointment.manager_id, appointment.site_id, claim)
    except IntegrityError as error:
        await tx.execute("ROLLBACK TO move")
        await tx.execute("RELEASE move")
        raise SlotTaken(_reason(error)) from None
    await tx.execute("RELEASE move")
    moved = await get(tx, appointment.id)
    assert moved is not None
    return moved


async def set_status(
    tx: Connection, appointment: Appointment, status: AppointmentStatus, at: datetime
) -> Appointment:
    """Cancelled and moved viewings give their time back and tell calendars (SEQUENCE+1)."""
    releases = status in (AppointmentStatus.CANCELLED, AppointmentStatus.MOVED)
    if releases:
        await tx.execute(_DELETE_MANAGER_CELLS, (appointment.id,))
        await tx.execute(_DELETE_SITE_CELLS, (appointment.id,))
    await tx.execute(_SET_STATUS, (status.value, int(releases), dump_time(at), appointment.id))
    changed = await get(tx, appointment.id)
    assert changed is not None
    return changed


async def confirm(tx: Connection, appointment_id: int, at: datetime) -> None:
    await tx.execute(_CONFIRM, (dump_time(at), dump_time(at), appointment_id))


async def caldav_due(tx: Connection, now: datetime) -> list[Appointment]:
    """Viewings whose managers' CalDAV calendars do not show their latest version yet."""
    return await _many(tx, _CALDAV_DUE, (dump_time(now),))


async def caldav_done(tx: Connection, appointment_id: int, sequence: int) -> None:
    await tx.execute(_CALDAV_DONE, (sequence, appointment_id))


async def caldav_attempts(tx: Connection, appointment_id: int) -> int:
    """How many pushes of this version have failed in a row."""
    async with tx.execute(
        "SELECT caldav_attempts FROM appointments WHERE id = ?", (appointment_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def caldav_failed(tx: Connection, appointment_id: int, retry_at: datetime) -> None:
    await tx.execute(_CALDAV_FAILED, (dump_time(retry_at), appointment_id))


async def caldav_forget(tx: Connection, manager_id: int) -> None:
    """A newly connected calendar gets every viewing pushed again."""
    await tx.execute(_CALDAV_FORGET, (manager_id,))


async def _claim(
    tx: Connection,
    appointment_id: int,
    manager_id: int,
    site_id: int,
    claim: Claim,
) -> None:
    await tx.executemany(
        _INSERT_MANAGER_CELL,
        [(manager_id, _seconds(cell), appointment_id) for cell in cells(claim.manager_cells)],
    )
    await tx.executemany(
        _INSERT_SITE_CELL,
        [(site_id, _seconds(cell), appointment_id) for cell in cells(claim.site_cells)],
    )


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _reason(error: IntegrityError) -> str:
    # SQLite names the column ("appointments.lead_id"), PostgreSQL the index.
    message = str(error)
    if "site_full" in message:
        return "site_full"
    if "manager_day_full" in message:
        return "manager_day_full"
    if "appointments.lead_id" in message or "appointments_one_open_per_lead" in message:
        return "lead_has_viewing"
    return "manager_busy"

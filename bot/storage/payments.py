"""The payment schedule (table `payments`): read, replaced, and moved with compare-and-set
updates, so two presses or two runs at once change a payment only once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.domain.payments import Payment, PaymentStatus, PlannedPayment, schedule_change
from bot.domain.payments import next_unpaid as _earliest_unpaid
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, insert_returning_id

_COLUMNS = (
    "id, lead_id, due_on, amount_minor, currency, label, status, claimed_at, paid_at,"
    " confirmed_by, claims, overdue_rung"
)
_FOR_LEAD = f"SELECT {_COLUMNS} FROM payments WHERE lead_id = ? ORDER BY due_on, id"  # noqa: S608
_GET = f"SELECT {_COLUMNS} FROM payments WHERE id = ?"  # noqa: S608
# Not paid, due by `?`, below the last overdue rung: what the reminder and overdue job reads.
_OPEN_DUE_BY = f"""
SELECT {_COLUMNS} FROM payments
WHERE status = 'due' AND due_on <= ? AND overdue_rung < ?
ORDER BY due_on, id
"""  # noqa: S608
_DELETE_UNPAID = "DELETE FROM payments WHERE id = ? AND lead_id = ? AND status <> 'paid'"
_NEXT_ID = "INSERT INTO payment_serial DEFAULT VALUES RETURNING id"
_FORGET_ID = "DELETE FROM payment_serial WHERE id = ?"  # the sequence keeps the high mark
_INSERT = """
INSERT INTO payments (id, lead_id, due_on, amount_minor, currency, label, status, created_at,
    updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'due', ?, ?)
"""
_CLAIM = """
UPDATE payments SET status = 'claimed', claimed_at = ?, claims = claims + 1, updated_at = ?
WHERE id = ? AND status = 'due'
"""
_CONFIRM = """
UPDATE payments SET status = 'paid', paid_at = ?, confirmed_by = ?, updated_at = ?
WHERE id = ? AND status = 'claimed' AND claims = ?
"""
_NOT_RECEIVED = """
UPDATE payments SET status = 'due', claimed_at = NULL, updated_at = ?
WHERE id = ? AND status = 'claimed' AND claims = ?
"""
_CLIMB = """
UPDATE payments SET overdue_rung = ?, updated_at = ?
WHERE id = ? AND overdue_rung = ? AND status = 'due'
"""


def _payment(row: Any) -> Payment:
    return Payment(
        id=row["id"],
        lead_id=row["lead_id"],
        due_on=date.fromisoformat(row["due_on"]),
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        label=row["label"],
        status=PaymentStatus(row["status"]),
        claimed_at=load_time(row["claimed_at"]),
        paid_at=load_time(row["paid_at"]),
        confirmed_by=row["confirmed_by"],
        claims=row["claims"],
        overdue_rung=row["overdue_rung"],
    )


async def for_lead(tx: Connection, lead_id: int) -> list[Payment]:
    """The lead's whole schedule, paid ones included, by due date."""
    async with tx.execute(_FOR_LEAD, (lead_id,)) as cursor:
        return [_payment(row) for row in await cursor.fetchall()]


async def next_unpaid(tx: Connection, lead_id: int) -> Payment | None:
    """The client's next payment (the earliest not paid), for `/deal` and the card."""
    return _earliest_unpaid(await for_lead(tx, lead_id))


async def get(tx: Connection, payment_id: int) -> Payment | None:
    async with tx.execute(_GET, (payment_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _payment(row)


async def open_due_by(tx: Connection, last_day: date, last_rung: int) -> list[Payment]:
    """Payments still `due` (not claimed, not paid) whose due date is on or before
    `last_day`, not yet at `last_rung`."""
    async with tx.execute(_OPEN_DUE_BY, (last_day.isoformat(), last_rung)) as cursor:
        return [_payment(row) for row in await cursor.fetchall()]


async def change_unpaid(
    tx: Connection,
    lead_id: int,
    delete: Sequence[int],
    insert: Sequence[PlannedPayment],
    at: datetime,
) -> None:
    """Deletes unpaid payments by id (and, by cascade, what they still had to tell) and
    inserts new ones; a paid payment is never deleted."""
    stamp = dump_time(at)
    for payment_id in delete:
        await tx.execute(_DELETE_UNPAID, (payment_id, lead_id))
    for payment in insert:
        new_id = await insert_returning_id(tx, _NEXT_ID, ())
        if new_id is None:
            raise RuntimeError("insert returned no id")
        await tx.execute(_FORGET_ID, (new_id,))
        await tx.execute(
            _INSERT,
            (
                new_id,
                lead_id,
                payment.due_on.isoformat(),
                payment.amount_minor,
                payment.currency,
                payment.label,
                stamp,
                stamp,
            ),
        )


async def replace_unpaid(
    tx: Connection, lead_id: int, planned: Sequence[PlannedPayment], at: datetime
) -> bool:
    """Makes the unpaid payments `planned`, keeping the rows of payments that stay as they
    were; paid payments stay. False if nothing had to change."""
    change = schedule_change(await for_lead(tx, lead_id), list(planned))
    if not change.empty:
        await change_unpaid(tx, lead_id, change.delete, change.insert, at)
    return not change.empty


async def claim(tx: Connection, payment_id: int, at: datetime) -> bool:
    """due → claimed; False if it was not due (a second press, already paid)."""
    stamp = dump_time(at)
    cursor = await tx.execute(_CLAIM, (stamp, stamp, payment_id))
    return cursor.rowcount == 1


async def confirm(tx: Connection, payment_id: int, claim_no: int, at: datetime, by: str) -> bool:
    """claimed (that claim) → paid; False for an old button or a second answer."""
    stamp = dump_time(at)
    cursor = await tx.execute(_CONFIRM, (stamp, by, stamp, payment_id, claim_no))
    return cursor.rowcount == 1


async def not_received(tx: Connection, payment_id: int, claim_no: int, at: datetime) -> bool:
    """claimed (that claim) → due again; False for an old button or a second answer."""
    cursor = await tx.execute(_NOT_RECEIVED, (dump_time(at), payment_id, claim_no))
    return cursor.rowcount == 1


async def climb(tx: Connection, payment: Payment, to_rung: int, at: datetime) -> bool:
    """One overdue rung up; False if another run moved it first or it is no longer due."""
    cursor = await tx.execute(_CLIMB, (to_rung, dump_time(at), payment.id, payment.overdue_rung))
    return cursor.rowcount == 1

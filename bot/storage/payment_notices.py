"""What payments still have to tell people (table `payment_notices`): added in the
transaction of the change, claimed by one sender, retried until done, once each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.storage.codec import dump_time
from bot.storage.db import Connection


class NoticeKind(StrEnum):
    REMINDER = "reminder"  # step: days before the due date
    CLAIMED = "claimed"  # step: the claim's number
    CONFIRMED = "confirmed"
    NOT_RECEIVED = "not_received"
    OVERDUE = "overdue"  # step: the rung


class Audience(StrEnum):
    CLIENT = "client"
    RECEIVABLES = "receivables"  # target: their Telegram id
    TOPIC = "topic"  # the lead's topic in the staff group
    HEAD = "head"  # target: a head of sales' Telegram id
    GROUP = "group"  # the staff group itself (no head of sales, or one unreachable)


@dataclass(frozen=True)
class PaymentNotice:
    id: int
    payment_id: int
    lead_id: int
    kind: NoticeKind
    step: int
    audience: Audience
    target: int
    attempts: int


_COLUMNS = "id, payment_id, lead_id, kind, step, audience, target, attempts"
_ADD = """
INSERT OR IGNORE INTO payment_notices
    (payment_id, lead_id, kind, step, audience, target, created_at, next_try_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
_EXISTS = "SELECT 1 FROM payment_notices WHERE payment_id = ? AND kind = ? AND step = ? LIMIT 1"
_DUE = f"""
SELECT {_COLUMNS} FROM payment_notices
WHERE done_at IS NULL AND next_try_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
ORDER BY next_try_at, id LIMIT ?
"""  # noqa: S608
_CLAIM = """
UPDATE payment_notices SET claimed_until = ?
WHERE id = ? AND done_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ?)
"""
_DONE = """
UPDATE payment_notices SET done_at = ?, outcome = ?, attempts = attempts + 1, claimed_until = NULL
WHERE id = ? AND done_at IS NULL
"""
_RETRY = """
UPDATE payment_notices SET next_try_at = ?, attempts = attempts + ?, claimed_until = NULL
WHERE id = ? AND done_at IS NULL
"""


def _notice(row: Any) -> PaymentNotice:
    return PaymentNotice(
        id=row["id"],
        payment_id=row["payment_id"],
        lead_id=row["lead_id"],
        kind=NoticeKind(row["kind"]),
        step=row["step"],
        audience=Audience(row["audience"]),
        target=row["target"],
        attempts=row["attempts"],
    )


async def add(
    tx: Connection,
    payment_id: int,
    lead_id: int,
    kind: NoticeKind,
    step: int,
    audience: Audience,
    *,
    at: datetime,
    send_at: datetime | None = None,
    target: int = 0,
) -> bool:
    """False if this notice was already added (it is sent once)."""
    cursor = await tx.execute(
        _ADD,
        (
            payment_id,
            lead_id,
            kind,
            step,
            audience,
            target,
            dump_time(at),
            dump_time(send_at or at),
        ),
    )
    return cursor.rowcount == 1


async def exists(tx: Connection, payment_id: int, kind: NoticeKind, step: int) -> bool:
    async with tx.execute(_EXISTS, (payment_id, kind, step)) as cursor:
        return await cursor.fetchone() is not None


async def due(tx: Connection, now: datetime, limit: int) -> list[PaymentNotice]:
    stamp = dump_time(now)
    async with tx.execute(_DUE, (stamp, stamp, limit)) as cursor:
        return [_notice(row) for row in await cursor.fetchall()]


async def claim(tx: Connection, notice_id: int, now: datetime, until: datetime) -> bool:
    cursor = await tx.execute(_CLAIM, (dump_time(until), notice_id, dump_time(now)))
    return cursor.rowcount == 1


async def done(tx: Connection, notice_id: int, at: datetime, outcome: str) -> None:
    await tx.execute(_DONE, (dump_time(at), outcome, notice_id))


async def retry(tx: Connection, notice_id: int, at: datetime, *, counted: bool = True) -> None:
    """Tries again at `at`; `counted=False` when it only waits (quiet hours), not failed."""
    await tx.execute(_RETRY, (dump_time(at), int(counted), notice_id))

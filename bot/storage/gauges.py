"""Read-only figures for /metrics: what each durable queue still owes, reminders due and
missed time limits, read in one short transaction at each scrape.

An item counts as pending once it is owed: its time has come, or a try already failed (a
retry waiting out its back-off still counts; a client message the CRM scheduled for next
week does not). Its age counts from its own due time while untried, else from when it was
written, so notices held back for quiet hours do not look hours late. Times are ISO text in
UTC (bot/storage/codec.py), so text comparison orders them; the SQL is portable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection

__all__ = ["QUEUES", "QueueFigures", "Snapshot", "read"]

# The queue names /metrics reports, in the order of _BACKLOG's parts.
QUEUES = (
    "sales_desk",
    "relay_outbox",
    "sla_notices",
    "deal_notices",
    "payment_notices",
    "document_outbox",
    "client_messages",
)

_BACKLOG = """
SELECT 'sales_desk' AS queue, COUNT(*) AS pending,
    MIN(CASE WHEN attempts = 0 THEN next_at ELSE created_at END) AS since
FROM sales_desk_deliveries WHERE state = 'pending' AND (next_at <= ? OR attempts > 0)
UNION ALL
SELECT 'relay_outbox', COUNT(*), MIN(CASE WHEN attempts = 0 THEN due_at ELSE created_at END)
FROM relay_outbox WHERE state = 'pending' AND (due_at <= ? OR attempts > 0)
UNION ALL
SELECT 'sla_notices', COUNT(*), MIN(CASE WHEN attempts = 0 THEN next_try_at ELSE created_at END)
FROM sla_notices WHERE done_at IS NULL AND (next_try_at <= ? OR attempts > 0)
UNION ALL
SELECT 'deal_notices', COUNT(*), MIN(CASE WHEN attempts = 0 THEN next_try_at ELSE created_at END)
FROM deal_notices WHERE done_at IS NULL AND (next_try_at <= ? OR attempts > 0)
UNION ALL
SELECT 'payment_notices', COUNT(*),
    MIN(CASE WHEN attempts = 0 THEN next_try_at ELSE created_at END)
FROM payment_notices WHERE done_at IS NULL AND (next_try_at <= ? OR attempts > 0)
UNION ALL
SELECT 'document_outbox', COUNT(*), MIN(CASE WHEN attempts = 0 THEN due_at ELSE created_at END)
FROM document_outbox WHERE state = 'pending' AND (due_at <= ? OR attempts > 0)
UNION ALL
SELECT 'client_messages', COUNT(*), MIN(CASE WHEN attempts = 0 THEN due_at ELSE created_at END)
FROM client_messages WHERE state = 'pending' AND (due_at <= ? OR attempts > 0)
"""
_REMINDERS_DUE = "SELECT COUNT(*) FROM reminders WHERE state = 'pending' AND due_at <= ?"
# An open time limit (not met, not cancelled: both set met_at) past its due time.
_SLA_BREACHES = "SELECT COUNT(*) FROM desk_deadlines WHERE met_at IS NULL AND due_at <= ?"


@dataclass(frozen=True)
class QueueFigures:
    queue: str
    pending: int
    oldest_seconds: float  # 0 when nothing is pending


@dataclass(frozen=True)
class Snapshot:
    queues: tuple[QueueFigures, ...]
    reminders_due: int
    sla_breaches: int


async def read(conn: Connection, now: datetime) -> Snapshot:
    """Every figure as of `now`; run it inside one transaction for a consistent picture."""
    at = dump_time(now)
    queues: list[QueueFigures] = []
    async with conn.execute(_BACKLOG, (at,) * len(QUEUES)) as cursor:
        for row in await cursor.fetchall():
            since = load_time(row[2])
            age = 0.0 if since is None else max(0.0, (now - since).total_seconds())
            queues.append(QueueFigures(str(row[0]), int(row[1]), age))
    return Snapshot(
        queues=tuple(queues),
        reminders_due=await _count(conn, _REMINDERS_DUE, at),
        sla_breaches=await _count(conn, _SLA_BREACHES, at),
    )


async def _count(conn: Connection, sql: str, at: str | None) -> int:
    async with conn.execute(sql, (at,)) as cursor:
        row = await cursor.fetchone()
    return 0 if row is None else int(row[0])

"""What erasure, export and retention read and write. Callers own the transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.domain.consent import Purpose
from bot.domain.leads import Lead, LeadId
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection

_INSERT_ANONYMOUS = """
INSERT INTO erased_leads (status, verdict, source, checklist_id, checklist_version, created_on,
                          erased_on, reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
_INSERT_RECORD = """
INSERT INTO destruction_records (lead_id, destroyed_at, requested_by, destroyed_by, reason,
                                 categories, system, event_log, keep_until)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_RECORDS = """
SELECT id, lead_id, destroyed_at, requested_by, destroyed_by, reason, categories, system,
       event_log, keep_until
FROM destruction_records ORDER BY id
"""
_PURGE_RECORDS = "DELETE FROM destruction_records WHERE keep_until <= ?"
_ANONYMOUS = """
SELECT status, verdict, source, checklist_id, checklist_version, created_on, erased_on, reason
FROM erased_leads ORDER BY id
"""
_DELETE_CONSENTS = "DELETE FROM consents WHERE telegram_user_id = ? OR lead_id = ?"
# Delivery attempts may have kept the CRM's answer, which can quote the lead back.
_SCRUB_DELIVERIES = "UPDATE sales_desk_deliveries SET last_error = NULL WHERE lead_id = ?"
_DROP_PENDING_DELIVERIES = """
DELETE FROM sales_desk_deliveries WHERE lead_id = ? AND state = 'pending' AND type <> ?
"""
_FORGET_ANSWER_CACHE = "DELETE FROM api_idempotency WHERE instr(body, ?) > 0"
_FSM_KEYS = "SELECT storage_key FROM fsm_state WHERE storage_key LIKE ?"
_RETENTION = """
SELECT l.id, l.status, l.updated_at,
       (SELECT MAX(e.at) FROM events e WHERE e.lead_id = l.id) AS last_event_at
FROM leads l WHERE l.status IN (?, ?) ORDER BY l.id
"""
# Leads whose person withdrew the CRM transfer and has not given it again.
_CRM_WITHHELD = """
SELECT DISTINCT c.lead_id FROM consents c
WHERE c.purpose = ? AND c.lead_id IN ({marks})
  AND NOT EXISTS (
      SELECT 1 FROM consents live
      WHERE live.telegram_user_id = c.telegram_user_id AND live.purpose = c.purpose
        AND live.withdrawn_at IS NULL)
"""

# Each category of personal data the bot may hold about a lead, and how to see it is there.
CATEGORY_QUERIES: tuple[tuple[str, str], ...] = (
    ("answers", "SELECT COUNT(*) FROM lead_answers WHERE lead_id = ?"),
    ("viewings", "SELECT COUNT(*) FROM appointments WHERE lead_id = ?"),
    ("deal", "SELECT COUNT(*) FROM deals WHERE lead_id = ?"),
    ("documents", "SELECT COUNT(*) FROM deal_documents WHERE lead_id = ?"),
    ("payments", "SELECT COUNT(*) FROM payments WHERE lead_id = ?"),
    ("relayed_messages", "SELECT COUNT(*) FROM relay_messages WHERE lead_id = ?"),
    ("relay_outbox", "SELECT COUNT(*) FROM relay_outbox WHERE lead_id = ?"),
    ("client_messages", "SELECT COUNT(*) FROM client_messages WHERE lead_id = ?"),
    ("desk_facts", "SELECT COUNT(*) FROM desk_leads WHERE lead_id = ?"),
)


async def record_anonymous(tx: Connection, lead: Lead, *, reason: str, at: datetime) -> None:
    """The funnel's row for an erased lead: its outcome and dates, nothing of the person."""
    await tx.execute(
        _INSERT_ANONYMOUS,
        (
            lead.status.value,
            None if lead.verdict is None else lead.verdict.value,
            lead.source,
            lead.checklist_id,
            lead.checklist_version,
            lead.created_at.date().isoformat(),
            at.date().isoformat(),
            reason,
        ),
    )


async def anonymous_rows(tx: Connection) -> list[dict[str, Any]]:
    cursor = await tx.execute(_ANONYMOUS)
    return [dict(row) for row in await cursor.fetchall()]


async def record_destruction(
    tx: Connection,
    *,
    lead_id: int,
    at: datetime,
    requested_by: str,
    destroyed_by: str,
    reason: str,
    categories: Sequence[str],
    system: str,
    event_log: Sequence[dict[str, Any]],
    keep_until: datetime,
) -> None:
    await tx.execute(
        _INSERT_RECORD,
        (
            lead_id,
            dump_time(at),
            requested_by,
            destroyed_by,
            reason,
            json.dumps(list(categories)),
            system,
            json.dumps(list(event_log), ensure_ascii=False),
            dump_time(keep_until),
        ),
    )


async def destruction_records(tx: Connection) -> list[dict[str, Any]]:
    cursor = await tx.execute(_RECORDS)
    records = []
    for row in await cursor.fetchall():
        record = dict(row)
        record["categories"] = json.loads(row["categories"])
        record["event_log"] = json.loads(row["event_log"])
        records.append(record)
    return records


async def purge_records(tx: Connection, now: datetime) -> int:
    """Destruction records past their 3 years go."""
    cursor = await tx.execute(_PURGE_RECORDS, (dump_time(now),))
    return cursor.rowcount


async def categories(tx: Connection, lead_id: int) -> list[str]:
    """The categories of data held about the lead beyond its own row."""
    found = []
    for name, query in CATEGORY_QUERIES:
        cursor = await tx.execute(query, (lead_id,))
        row = await cursor.fetchone()
        if row is not None and row[0]:
            found.append(name)
    return found


async def delete_consents(tx: Connection, user_id: int, lead_id: int) -> None:
    await tx.execute(_DELETE_CONSENTS, (user_id, lead_id))


async def scrub_deliveries(tx: Connection, lead_id: int) -> None:
    await tx.execute(_SCRUB_DELIVERIES, (lead_id,))


async def drop_pending_deliveries(tx: Connection, lead_id: int, keep_type: str) -> None:
    """What was queued for the CRM and not sent yet stays here (except `keep_type`)."""
    await tx.execute(_DROP_PENDING_DELIVERIES, (lead_id, keep_type))


async def forget_answer_cache(tx: Connection, needles: Iterable[str]) -> None:
    """Cached API answers (idempotent replays) that quote the person go."""
    for needle in needles:
        await tx.execute(_FORGET_ANSWER_CACHE, (needle,))


async def fsm_keys(tx: Connection, chat_id: int, user_id: int) -> list[str]:
    """The conversation-state keys of the person's private chat (see bot/storage/fsm.py)."""
    cursor = await tx.execute(_FSM_KEYS, (f"%:{chat_id}:{user_id}:%",))
    return [row[0] for row in await cursor.fetchall()]


async def retention_rows(
    tx: Connection, statuses: tuple[str, str]
) -> list[tuple[LeadId, str, datetime]]:
    """Leads in the given statuses with the moment of their last activity."""
    cursor = await tx.execute(_RETENTION, statuses)
    found = []
    for row in await cursor.fetchall():
        moments = [
            moment
            for moment in (load_time(row["updated_at"]), load_time(row["last_event_at"]))
            if moment is not None
        ]
        found.append((LeadId(row["id"]), row["status"], max(moments)))
    return found


async def crm_withheld(tx: Connection, lead_ids: Sequence[int]) -> set[int]:
    if not lead_ids:
        return set()
    marks = ", ".join("?" for _ in lead_ids)
    query = _CRM_WITHHELD.format(marks=marks)
    cursor = await tx.execute(query, (Purpose.CRM_TRANSFER.value, *lead_ids))
    return {row[0] for row in await cursor.fetchall()}


async def rows(tx: Connection, query: str, params: Sequence[object]) -> list[dict[str, Any]]:
    """Rows as plain dicts, for the export."""
    cursor = await tx.execute(query, tuple(params))
    return [dict(row) for row in await cursor.fetchall()]

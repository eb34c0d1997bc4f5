"""The deal of a lead, its overdue ladder, its pinned summary and the notices it owes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.deal import Deal
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection

_COLUMNS = """
lead_id, timeline_id, timeline_version, stage, stage_since, stage_due_at, facts, started_at,
started_by, closed_at, summary_chat_id, summary_message_id, overdue_rung, next_rung_at,
summary_due_at
"""
_GET = f"SELECT {_COLUMNS} FROM deals WHERE lead_id = ?"  # noqa: S608
_INSERT = """
INSERT INTO deals (lead_id, timeline_id, timeline_version, stage, stage_since, stage_due_at,
    facts, started_at, started_by, updated_at, next_rung_at, summary_due_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (lead_id) DO NOTHING
"""
# Compare-and-set on the stage visit: of two moves from the same stage, one wins.
_MOVE = """
UPDATE deals SET stage = ?, stage_since = ?, stage_due_at = ?, closed_at = ?, overdue_rung = 0,
    next_rung_at = ?, summary_due_at = ?, updated_at = ?
WHERE lead_id = ? AND stage = ? AND stage_since = ? AND closed_at IS NULL
"""
_FACTS = """
UPDATE deals SET facts = ?, summary_due_at = ?, updated_at = ? WHERE lead_id = ?
"""
_ACCEPTED = "SELECT DISTINCT stage, document FROM deal_documents WHERE lead_id = ? AND status = ?"
_DOCUMENTS = """
SELECT document, status FROM deal_documents WHERE lead_id = ? AND stage = ? ORDER BY id
"""
_NEXT_PAYMENT = """
SELECT id, due_on, amount_minor, currency, label, status FROM payments
WHERE lead_id = ? AND status <> 'paid' ORDER BY due_on, id LIMIT 1
"""
_SUMMARY_DUE = f"""
SELECT {_COLUMNS} FROM deals WHERE summary_due_at IS NOT NULL AND summary_due_at <= ?
ORDER BY summary_due_at LIMIT ?
"""  # noqa: S608
_SET_SUMMARY = """
UPDATE deals SET summary_chat_id = ?, summary_message_id = ? WHERE lead_id = ?
"""
_SUMMARY_AGAIN = """
UPDATE deals SET summary_due_at = COALESCE(summary_due_at, ?) WHERE lead_id = ?
"""
_SUMMARY_SHOWN = "UPDATE deals SET summary_due_at = NULL WHERE lead_id = ? AND summary_due_at = ?"
_SUMMARY_RETRY = "UPDATE deals SET summary_due_at = ? WHERE lead_id = ? AND summary_due_at = ?"
_RUNG_DUE = f"""
SELECT {_COLUMNS} FROM deals
WHERE closed_at IS NULL AND next_rung_at IS NOT NULL AND next_rung_at <= ?
ORDER BY next_rung_at LIMIT ?
"""  # noqa: S608
_CLIMB = """
UPDATE deals SET overdue_rung = ?, next_rung_at = ?
WHERE lead_id = ? AND overdue_rung = ? AND stage_since = ? AND closed_at IS NULL
"""
_NOTICE_COLUMNS = "id, lead_id, stage, stage_since, rung, audience, target, attempts"
_ADD_NOTICE = """
INSERT INTO deal_notices (lead_id, stage, stage_since, rung, audience, target, created_at,
    next_try_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (lead_id, stage_since, rung, audience, target) DO NOTHING
"""
_NOTICES_DUE = f"""
SELECT {_NOTICE_COLUMNS} FROM deal_notices
WHERE done_at IS NULL AND next_try_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
ORDER BY next_try_at, id LIMIT ?
"""  # noqa: S608
_CLAIM = """
UPDATE deal_notices SET claimed_until = ?
WHERE id = ? AND done_at IS NULL AND (claimed_until IS NULL OR claimed_until <= ?)
"""
_NOTICE_DONE = """
UPDATE deal_notices SET done_at = ?, outcome = ?, attempts = attempts + 1, claimed_until = NULL
WHERE id = ?
"""
_NOTICE_RETRY = """
UPDATE deal_notices SET next_try_at = ?, attempts = attempts + 1, claimed_until = NULL
WHERE id = ?
"""


def _deal(row: Any) -> Deal:
    since, started = load_time(row["stage_since"]), load_time(row["started_at"])
    assert since is not None and started is not None
    return Deal(
        lead_id=row["lead_id"],
        timeline_id=row["timeline_id"],
        timeline_version=row["timeline_version"],
        stage=row["stage"],
        stage_since=since,
        stage_due_at=load_time(row["stage_due_at"]),
        facts={str(k): bool(v) for k, v in json.loads(row["facts"]).items()},
        started_at=started,
        started_by=row["started_by"],
        closed_at=load_time(row["closed_at"]),
        summary_chat_id=row["summary_chat_id"],
        summary_message_id=row["summary_message_id"],
        overdue_rung=row["overdue_rung"],
        next_rung_at=load_time(row["next_rung_at"]),
        summary_due_at=load_time(row["summary_due_at"]),
    )


def _facts(facts: Mapping[str, bool]) -> str:
    return json.dumps(dict(facts), sort_keys=True)


async def get(tx: Connection, lead_id: int) -> Deal | None:
    async with tx.execute(_GET, (lead_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _deal(row)


async def create(
    tx: Connection,
    lead_id: int,
    timeline: tuple[str, int],
    stage: str,
    facts: Mapping[str, bool],
    *,
    at: datetime,
    due: datetime | None,
    actor: str,
) -> bool:
    """False if the lead already has a deal."""
    now = dump_time(at)
    cursor = await tx.execute(
        _INSERT,
        (
            lead_id,
            *timeline,
            stage,
            now,
            dump_time(due),
            _facts(facts),
            now,
            actor,
            now,
            dump_time(due),
            now,
        ),
    )
    return cursor.rowcount > 0


async def move(
    tx: Connection,
    deal: Deal,
    stage: str,
    *,
    at: datetime,
    due: datetime | None,
    closes: bool,
) -> bool:
    """Moves the deal from the stage it was read in; False if it moved meanwhile."""
    now = dump_time(at)
    cursor = await tx.execute(
        _MOVE,
        (
            stage,
            now,
            dump_time(due),
            now if closes else None,
            None if closes else dump_time(due),
            now,
            now,
            deal.lead_id,
            deal.stage,
            dump_time(deal.stage_since),
        ),
    )
    return cursor.rowcount > 0


async def set_facts(tx: Connection, lead_id: int, facts: Mapping[str, bool], at: datetime) -> None:
    now = dump_time(at)
    await tx.execute(_FACTS, (_facts(facts), now, now, lead_id))


async def accepted_documents(tx: Connection, lead_id: int) -> set[tuple[str, str]]:
    async with tx.execute(_ACCEPTED, (lead_id, "accepted")) as cursor:
        return {(row["stage"], row["document"]) for row in await cursor.fetchall()}


async def document_states(tx: Connection, lead_id: int, stage: str) -> dict[str, str]:
    """Each document's latest status for the stage (received / accepted / rejected)."""
    async with tx.execute(_DOCUMENTS, (lead_id, stage)) as cursor:
        rows = await cursor.fetchall()
    states: dict[str, str] = {}
    for row in rows:
        # An accepted document stays accepted whatever was sent after it.
        if states.get(row["document"]) != "accepted":
            states[row["document"]] = row["status"]
    return states


@dataclass(frozen=True)
class NextPayment:
    id: int
    due_on: str  # the client's local date, YYYY-MM-DD
    amount_minor: int
    currency: str
    label: str | None
    status: str


async def next_payment(tx: Connection, lead_id: int) -> NextPayment | None:
    async with tx.execute(_NEXT_PAYMENT, (lead_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return NextPayment(
        row["id"], row["due_on"], row["amount_minor"], row["currency"], row["label"], row["status"]
    )


# --- the pinned summary --------------------------------------------------------------


async def summaries_due(tx: Connection, now: datetime, limit: int) -> list[Deal]:
    async with tx.execute(_SUMMARY_DUE, (dump_time(now), limit)) as cursor:
        return [_deal(row) for row in await cursor.fetchall()]


async def set_summary(tx: Connection, lead_id: int, chat_id: int, message_id: int) -> None:
    await tx.execute(_SET_SUMMARY, (chat_id, message_id, lead_id))


async def summary_again(tx: Connection, lead_id: int, at: datetime) -> None:
    """The summary shows something that changed outside a move (a document's status)."""
    await tx.execute(_SUMMARY_AGAIN, (dump_time(at), lead_id))


async def summary_shown(tx: Connection, deal: Deal) -> None:
    """Done with the edit it was due for; a move meanwhile asked for another one."""
    await tx.execute(_SUMMARY_SHOWN, (deal.lead_id, dump_time(deal.summary_due_at)))


async def summary_retry(tx: Connection, deal: Deal, at: datetime) -> None:
    await tx.execute(_SUMMARY_RETRY, (dump_time(at), deal.lead_id, dump_time(deal.summary_due_at)))


# --- the overdue ladder --------------------------------------------------------------


async def rung_due(tx: Connection, now: datetime, limit: int) -> list[Deal]:
    async with tx.execute(_RUNG_DUE, (dump_time(now), limit)) as cursor:
        return [_deal(row) for row in await cursor.fetchall()]


async def climb(tx: Connection, deal: Deal, to_rung: int, next_rung_at: datetime | None) -> bool:
    """One rung up from where it was read; False if moved or climbed meanwhile."""
    cursor = await tx.execute(
        _CLIMB,
        (
            to_rung,
            dump_time(next_rung_at),
            deal.lead_id,
            deal.overdue_rung,
            dump_time(deal.stage_since),
        ),
    )
    return cursor.rowcount > 0


@dataclass(frozen=True)
class DealNotice:
    id: int
    lead_id: int
    stage: str
    stage_since: datetime
    rung: int
    audience: str  # topic / person / head / group
    target: int
    attempts: int


def _notice(row: Any) -> DealNotice:
    since = load_time(row["stage_since"])
    assert since is not None
    return DealNotice(
        row["id"],
        row["lead_id"],
        row["stage"],
        since,
        row["rung"],
        row["audience"],
        row["target"],
        row["attempts"],
    )


async def add_notice(
    tx: Connection, deal: Deal, rung: int, audience: str, target: int, at: datetime
) -> None:
    now = dump_time(at)
    await tx.execute(
        _ADD_NOTICE,
        (deal.lead_id, deal.stage, dump_time(deal.stage_since), rung, audience, target, now, now),
    )


async def notices_due(tx: Connection, now: datetime, limit: int) -> list[DealNotice]:
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

"""Leads, their answers and their history. Callers own the transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from sqlite3 import Row

from bot.domain.answers import Answer
from bot.domain.leads import Lead, LeadEvent, LeadId, LeadStatus
from bot.domain.scoring import Reason, Verdict
from bot.storage.codec import dump_reasons, dump_time, load_reasons, load_time
from bot.storage.db import Connection

_COLUMNS = (
    "id, telegram_user_id, chat_id, username, status, language, source, checklist_id,"
    " checklist_version, name, phone, score, max_score, verdict, reasons, follow_up_at,"
    " consent_version, consent_at, unreachable_at, staff_chat_id, staff_thread_id,"
    " staff_message_id, staff_posted_at, created_at, updated_at, qualified_at, manager_id,"
    " route_code, route_params, routed_at, callback_note, callback_requested_at"
)
_SELECT_BY_USER = f"SELECT {_COLUMNS} FROM leads WHERE telegram_user_id = ?"  # noqa: S608
_SELECT_BY_ID = f"SELECT {_COLUMNS} FROM leads WHERE id = ?"  # noqa: S608
_SELECT_ANSWERS = (
    "SELECT question_id, value FROM lead_answers WHERE lead_id = ? ORDER BY position, answered_at"
)
_INSERT_LEAD = """
INSERT INTO leads (telegram_user_id, chat_id, username, status, language, source, checklist_id,
                   checklist_version, consent_version, consent_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_UPSERT_ANSWER = """
INSERT INTO lead_answers (lead_id, question_id, position, value, answered_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (lead_id, question_id)
DO UPDATE SET position = excluded.position, value = excluded.value,
              answered_at = excluded.answered_at
"""
_DELETE_ANSWER = "DELETE FROM lead_answers WHERE lead_id = ? AND question_id = ?"
_DELETE_ALL_ANSWERS = "DELETE FROM lead_answers WHERE lead_id = ?"
_UPDATE_STATUS = "UPDATE leads SET status = ?, updated_at = ? WHERE id = ?"
_INSERT_EVENT = """
INSERT INTO lead_events (lead_id, at, actor, from_status, to_status, reason)
VALUES (?, ?, ?, ?, ?, ?)
"""
_SELECT_EVENTS = """
SELECT lead_id, at, actor, from_status, to_status, reason
FROM lead_events WHERE lead_id = ? ORDER BY id
"""
_UPDATE_ASSESSMENT = """
UPDATE leads SET score = ?, max_score = ?, verdict = ?, reasons = ?, follow_up_at = ?,
                 name = ?, phone = ?, qualified_at = ?, checklist_id = ?, checklist_version = ?,
                 staff_posted_at = NULL, updated_at = ?
WHERE id = ?
"""
_UPDATE_LANGUAGE = "UPDATE leads SET language = ?, updated_at = ? WHERE id = ?"
_UPDATE_USERNAME = "UPDATE leads SET username = ? WHERE id = ? AND username IS NOT ?"
_MARK_UNREACHABLE = """
UPDATE leads SET unreachable_at = ?, updated_at = ? WHERE chat_id = ? AND unreachable_at IS NULL
"""
_MARK_REACHABLE = (
    "UPDATE leads SET unreachable_at = NULL WHERE id = ? AND unreachable_at IS NOT NULL"
)
_UPDATE_STAFF_POST = """
UPDATE leads SET staff_chat_id = ?, staff_thread_id = ?, staff_message_id = ?,
                 staff_posted_at = ?
WHERE id = ?
"""
_UPDATE_STAFF_THREAD = "UPDATE leads SET staff_chat_id = ?, staff_thread_id = ? WHERE id = ?"
_SELECT_UNPOSTED = """
SELECT id FROM leads WHERE staff_posted_at IS NULL AND verdict IS NOT NULL ORDER BY id
"""
_COUNT_BY_STATUS = "SELECT status, COUNT(*) FROM leads GROUP BY status"
_COUNT_BY_SOURCE = """
SELECT source, COUNT(*) FROM leads WHERE created_at >= ? GROUP BY source ORDER BY 2 DESC, 1
"""
_DELETE_LEAD = "DELETE FROM leads WHERE id = ?"
_UPDATE_ROUTE = """
UPDATE leads SET manager_id = ?, route_code = ?, route_params = ?, routed_at = ?, updated_at = ?
WHERE id = ?
"""
_UPDATE_CALLBACK = """
UPDATE leads SET callback_note = ?, callback_requested_at = ?, updated_at = ? WHERE id = ?
"""


def _lead_from_row(row: Row, answers: dict[str, Answer | None]) -> Lead:
    return Lead(
        id=LeadId(row["id"]),
        telegram_user_id=row["telegram_user_id"],
        chat_id=row["chat_id"],
        username=row["username"],
        status=LeadStatus(row["status"]),
        language=row["language"],
        source=row["source"],
        checklist_id=row["checklist_id"],
        checklist_version=row["checklist_version"],
        name=row["name"],
        phone=row["phone"],
        score=row["score"],
        max_score=row["max_score"],
        verdict=Verdict(row["verdict"]) if row["verdict"] else None,
        reasons=load_reasons(row["reasons"]),
        follow_up_at=load_time(row["follow_up_at"]),
        consent_version=row["consent_version"],
        consent_at=_required_time(row["consent_at"]),
        unreachable_at=load_time(row["unreachable_at"]),
        staff_chat_id=row["staff_chat_id"],
        staff_thread_id=row["staff_thread_id"],
        staff_message_id=row["staff_message_id"],
        staff_posted_at=load_time(row["staff_posted_at"]),
        created_at=_required_time(row["created_at"]),
        updated_at=_required_time(row["updated_at"]),
        qualified_at=load_time(row["qualified_at"]),
        manager_id=row["manager_id"],
        route_code=row["route_code"],
        route_params=json.loads(row["route_params"]),
        routed_at=load_time(row["routed_at"]),
        callback_note=row["callback_note"],
        callback_requested_at=load_time(row["callback_requested_at"]),
        answers=answers,
    )


def _required_time(value: str) -> datetime:
    loaded = load_time(value)
    if loaded is None:
        raise ValueError("a required timestamp is empty")
    return loaded


def _load_answer(raw: str) -> Answer | None:
    value = json.loads(raw)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if value is None or isinstance(value, str | int):
        return value
    raise ValueError(f"unexpected stored answer {raw!r}")


async def _with_answers(tx: Connection, row: Row | None) -> Lead | None:
    if row is None:
        return None
    async with tx.execute(_SELECT_ANSWERS, (row["id"],)) as cursor:
        answers = {qid: _load_answer(raw) for qid, raw in await cursor.fetchall()}
    return _lead_from_row(row, answers)


async def get_by_user(tx: Connection, telegram_user_id: int) -> Lead | None:
    async with tx.execute(_SELECT_BY_USER, (telegram_user_id,)) as cursor:
        return await _with_answers(tx, await cursor.fetchone())


async def get(tx: Connection, lead_id: LeadId) -> Lead | None:
    async with tx.execute(_SELECT_BY_ID, (lead_id,)) as cursor:
        return await _with_answers(tx, await cursor.fetchone())


async def create(
    tx: Connection,
    *,
    telegram_user_id: int,
    chat_id: int,
    username: str | None,
    language: str,
    source: str,
    checklist_id: str,
    checklist_version: int,
    consent_version: str,
    at: datetime,
) -> LeadId:
    cursor = await tx.execute(
        _INSERT_LEAD,
        (
            telegram_user_id,
            chat_id,
            username,
            LeadStatus.NEW,
            language,
            source,
            checklist_id,
            checklist_version,
            consent_version,
            dump_time(at),
            dump_time(at),
            dump_time(at),
        ),
    )
    if cursor.lastrowid is None:
        raise RuntimeError("insert returned no id")
    lead_id = LeadId(cursor.lastrowid)
    await add_event(
        tx,
        lead_id,
        at=at,
        actor="prospect",
        from_status=None,
        to_status=LeadStatus.NEW,
        reason="consent",
    )
    return lead_id


async def save_answer(
    tx: Connection,
    lead_id: LeadId,
    question_id: str,
    position: int,
    value: Answer | None,
    at: datetime,
) -> None:
    stored = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    await tx.execute(_UPSERT_ANSWER, (lead_id, question_id, position, stored, dump_time(at)))


async def delete_answers(tx: Connection, lead_id: LeadId, question_ids: Iterable[str]) -> None:
    await tx.executemany(_DELETE_ANSWER, [(lead_id, qid) for qid in question_ids])


async def clear_answers(tx: Connection, lead_id: LeadId) -> None:
    await tx.execute(_DELETE_ALL_ANSWERS, (lead_id,))


async def add_event(
    tx: Connection,
    lead_id: LeadId,
    *,
    at: datetime,
    actor: str,
    from_status: LeadStatus | None,
    to_status: LeadStatus,
    reason: str,
) -> None:
    await tx.execute(_INSERT_EVENT, (lead_id, dump_time(at), actor, from_status, to_status, reason))


async def set_status(
    tx: Connection,
    lead: Lead,
    to_status: LeadStatus,
    *,
    at: datetime,
    actor: str,
    reason: str,
) -> None:
    """Moves the lead and records the move in lead_events, in the caller's transaction."""
    await tx.execute(_UPDATE_STATUS, (to_status, dump_time(at), lead.id))
    await add_event(
        tx, lead.id, at=at, actor=actor, from_status=lead.status, to_status=to_status, reason=reason
    )


async def events(tx: Connection, lead_id: LeadId) -> list[LeadEvent]:
    async with tx.execute(_SELECT_EVENTS, (lead_id,)) as cursor:
        rows = await cursor.fetchall()
    return [
        LeadEvent(
            lead_id=LeadId(row["lead_id"]),
            at=_required_time(row["at"]),
            actor=row["actor"],
            from_status=LeadStatus(row["from_status"]) if row["from_status"] else None,
            to_status=LeadStatus(row["to_status"]),
            reason=row["reason"],
        )
        for row in rows
    ]


async def save_assessment(
    tx: Connection,
    lead_id: LeadId,
    *,
    score: int,
    max_score: int,
    verdict: Verdict,
    reasons: tuple[Reason, ...],
    follow_up_at: datetime | None,
    name: str | None,
    phone: str | None,
    checklist_id: str,
    checklist_version: int,
    at: datetime,
) -> None:
    await tx.execute(
        _UPDATE_ASSESSMENT,
        (
            score,
            max_score,
            verdict,
            dump_reasons(reasons),
            dump_time(follow_up_at),
            name,
            phone,
            dump_time(at),
            checklist_id,
            checklist_version,
            dump_time(at),
            lead_id,
        ),
    )


async def set_language(tx: Connection, lead_id: LeadId, language: str, at: datetime) -> None:
    await tx.execute(_UPDATE_LANGUAGE, (language, dump_time(at), lead_id))


async def set_username(tx: Connection, lead_id: LeadId, username: str | None) -> None:
    await tx.execute(_UPDATE_USERNAME, (username, lead_id, username))


async def mark_unreachable(tx: Connection, chat_id: int, at: datetime) -> bool:
    cursor = await tx.execute(_MARK_UNREACHABLE, (dump_time(at), dump_time(at), chat_id))
    return cursor.rowcount > 0


async def mark_reachable(tx: Connection, lead_id: LeadId) -> None:
    await tx.execute(_MARK_REACHABLE, (lead_id,))


async def set_staff_post(
    tx: Connection,
    lead_id: LeadId,
    *,
    chat_id: int,
    thread_id: int | None,
    message_id: int,
    at: datetime,
) -> None:
    await tx.execute(_UPDATE_STAFF_POST, (chat_id, thread_id, message_id, dump_time(at), lead_id))


async def set_staff_thread(tx: Connection, lead_id: LeadId, chat_id: int, thread_id: int) -> None:
    await tx.execute(_UPDATE_STAFF_THREAD, (chat_id, thread_id, lead_id))


async def unposted(tx: Connection) -> list[LeadId]:
    async with tx.execute(_SELECT_UNPOSTED) as cursor:
        return [LeadId(row[0]) for row in await cursor.fetchall()]


async def count_by_status(tx: Connection) -> dict[LeadStatus, int]:
    async with tx.execute(_COUNT_BY_STATUS) as cursor:
        return {LeadStatus(status): count for status, count in await cursor.fetchall()}


async def count_by_source(tx: Connection, since: datetime) -> list[tuple[str, int]]:
    async with tx.execute(_COUNT_BY_SOURCE, (dump_time(since),)) as cursor:
        return [(source, count) for source, count in await cursor.fetchall()]


async def delete(tx: Connection, lead_id: LeadId) -> None:
    await tx.execute(_DELETE_LEAD, (lead_id,))


async def set_route(
    tx: Connection,
    lead_id: int,
    *,
    manager_id: int | None,
    code: str,
    params: Mapping[str, str | int],
    at: datetime,
) -> None:
    """Who the lead went to and why (shown on the staff card)."""
    await tx.execute(
        _UPDATE_ROUTE,
        (
            manager_id,
            code,
            json.dumps(dict(params), ensure_ascii=False),
            dump_time(at),
            dump_time(at),
            lead_id,
        ),
    )


async def set_callback(tx: Connection, lead_id: int, note: str | None, at: datetime) -> None:
    """The prospect wants a call instead of the offered slots; `note` is their wish."""
    await tx.execute(
        _UPDATE_CALLBACK, (note, None if note is None else dump_time(at), dump_time(at), lead_id)
    )

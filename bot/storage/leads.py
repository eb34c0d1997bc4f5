"""Leads, their answers and their history. Callers own the transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.domain.answers import Answer
from bot.domain.events import EventType
from bot.domain.leads import Lead, LeadEvent, LeadId, LeadStatus
from bot.domain.scoring import Reason, Verdict
from bot.storage import events as event_log
from bot.storage.codec import dump_reasons, dump_time, load_reasons, load_time
from bot.storage.db import Connection, Row, insert_returning_id

_COLUMNS = (
    "id, telegram_user_id, chat_id, username, status, language, source, checklist_id,"
    " checklist_version, name, phone, score, max_score, verdict, reasons, follow_up_at,"
    " consent_version, consent_at, unreachable_at, staff_chat_id, staff_thread_id,"
    " staff_message_id, staff_posted_at, created_at, updated_at, qualified_at, manager_id,"
    " route_code, route_params, routed_at, callback_note, callback_requested_at, card_stale_at"
)
# A lead and its answers in one look-up (one round trip to PostgreSQL): a row per answer,
# or one row with no answer; the lead's columns repeat.
_WITH_ANSWERS = f"""
SELECT {_COLUMNS}, a.question_id AS answer_question, a.value AS answer_value
FROM leads LEFT JOIN lead_answers AS a ON a.lead_id = leads.id
WHERE leads.{{key}} = ?
ORDER BY a.position, a.answered_at
"""  # noqa: S608
_SELECT_BY_USER = _WITH_ANSWERS.format(key="telegram_user_id")
_SELECT_BY_ID = _WITH_ANSWERS.format(key="id")
_SELECT_ANSWERS = (
    "SELECT question_id, value FROM lead_answers WHERE lead_id = ? ORDER BY position, answered_at"
)
# An id is never given twice, not even after an erasure: the event log (and the CRM) still
# know the erased lead by it. Both maxima are index look-ups.
_INSERT_LEAD = """
INSERT INTO leads (id, telegram_user_id, chat_id, username, status, language, source,
                   checklist_id, checklist_version, consent_version, consent_at, created_at,
                   updated_at)
VALUES ((SELECT COALESCE(MAX(top), 0) + 1
         FROM (SELECT MAX(id) AS top FROM leads UNION ALL SELECT MAX(lead_id) FROM events) AS m),
        ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""
# PostgreSQL runs creations at once, and two would draw the same MAX + 1: each waits here
# for the one before it to commit (SQLite's single writer does the same).
_PG_CREATE_LOCK = "SELECT pg_advisory_xact_lock(?)"
_PG_CREATE_KEY = 0x6C656164_6C656164
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
                 staff_posted_at = ?, card_stale_at = NULL
WHERE id = ?
"""
_UPDATE_STAFF_THREAD = "UPDATE leads SET staff_chat_id = ?, staff_thread_id = ? WHERE id = ?"
_SELECT_UNPOSTED = """
SELECT id FROM leads
WHERE (staff_posted_at IS NULL OR card_stale_at IS NOT NULL) AND verdict IS NOT NULL ORDER BY id
"""
_SET_CARD_STALE = "UPDATE leads SET card_stale_at = ? WHERE id = ?"
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
        card_stale_at=load_time(row["card_stale_at"]),
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
    if value is None or isinstance(value, str | int | float):
        return value  # a float: a number question with decimals
    raise ValueError(f"unexpected stored answer {raw!r}")


def _with_answers(rows: list[Row]) -> Lead | None:
    if not rows:
        return None
    answers = {
        row["answer_question"]: _load_answer(row["answer_value"])
        for row in rows
        if row["answer_question"] is not None
    }
    return _lead_from_row(rows[0], answers)


async def answers_of(tx: Connection, lead_id: LeadId) -> dict[str, Answer | None]:
    """The lead's answers, in checklist order (as `Lead.answers`)."""
    async with tx.execute(_SELECT_ANSWERS, (lead_id,)) as cursor:
        return {qid: _load_answer(raw) for qid, raw in await cursor.fetchall()}


async def get_by_user(tx: Connection, telegram_user_id: int) -> Lead | None:
    async with tx.execute(_SELECT_BY_USER, (telegram_user_id,)) as cursor:
        return _with_answers(await cursor.fetchall())


async def get(tx: Connection, lead_id: LeadId) -> Lead | None:
    async with tx.execute(_SELECT_BY_ID, (lead_id,)) as cursor:
        return _with_answers(await cursor.fetchall())


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
    if tx.dialect == "postgres":
        await tx.execute(_PG_CREATE_LOCK, (_PG_CREATE_KEY,))
    new_id = await insert_returning_id(
        tx,
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
    if new_id is None:
        raise RuntimeError("insert returned no id")
    lead_id = LeadId(new_id)
    created = {"from": None, "to": LeadStatus.NEW, "reason": "consent", "source": source}
    await event_log.append(tx, lead_id, EventType.CREATED, at=at, actor="prospect", data=created)
    await event_log.append(
        tx,
        lead_id,
        EventType.CONSENT_GIVEN,
        at=at,
        actor="prospect",
        data={"version": consent_version},
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


async def set_status(
    tx: Connection,
    lead: Lead,
    to_status: LeadStatus,
    *,
    at: datetime,
    actor: str,
    reason: str,
    event: EventType = EventType.STATUS_CHANGED,
    data: Mapping[str, object] | None = None,
) -> None:
    """Moves the lead and records the move as one event, in the caller's transaction."""
    await tx.execute(_UPDATE_STATUS, (to_status, dump_time(at), lead.id))
    facts = {"from": lead.status, "to": to_status, "reason": reason, **(data or {})}
    await event_log.append(tx, lead.id, event, at=at, actor=actor, data=facts)


async def events(tx: Connection, lead_id: LeadId) -> list[LeadEvent]:
    """The lead's status history (events that moved it), oldest first."""
    return [
        LeadEvent(
            lead_id=LeadId(event.lead_id),
            at=event.at,
            actor=event.actor,
            from_status=LeadStatus(event.data["from"]) if event.data.get("from") else None,
            to_status=LeadStatus(event.data["to"]),
            reason=str(event.data.get("reason", "")),
        )
        for event in await event_log.for_lead(tx, lead_id)
        # A deal's stage change also has from/to, but of deal stages, not statuses.
        if "to" in event.data and event.type is not EventType.DEAL_STAGE_CHANGED
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


async def set_card_stale(tx: Connection, lead_id: LeadId, at: datetime | None) -> None:
    """A card edit failed (at) or went through (None); stale cards are retried by a job."""
    await tx.execute(_SET_CARD_STALE, (dump_time(at), lead_id))


async def unposted(tx: Connection) -> list[LeadId]:
    async with tx.execute(_SELECT_UNPOSTED) as cursor:
        return [LeadId(row[0]) for row in await cursor.fetchall()]


async def erase(tx: Connection, lead: Lead, *, at: datetime, actor: str) -> None:
    """Deletes the lead with its answers and viewings; `lead.erased` tells the consumers.

    The event keeps only where the lead's card was, so staff can be told; nothing personal.
    """
    await tx.execute(_DELETE_LEAD, (lead.id,))
    await event_log.scrub_free_text(tx, lead.id)
    where = {"staff_chat_id": lead.staff_chat_id, "staff_thread_id": lead.staff_thread_id}
    await event_log.append(tx, lead.id, EventType.ERASED, at=at, actor=actor, data=where)


async def set_route(
    tx: Connection,
    lead_id: int,
    *,
    manager_id: int | None,
    code: str,
    params: Mapping[str, str | int],
    at: datetime,
    actor: str = "routing",
) -> None:
    """Who the lead went to and why (shown on the staff card), as a `lead.manager_assigned`."""
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
    assigned = {"manager_id": manager_id, "route": code}
    await event_log.append(
        tx, lead_id, EventType.MANAGER_ASSIGNED, at=at, actor=actor, data=assigned
    )


async def set_callback(tx: Connection, lead_id: int, note: str | None, at: datetime) -> None:
    """The prospect wants a call instead of the offered slots; `note` is their wish.

    The wish itself stays on the lead (it is personal); the event only says there is one.
    """
    await tx.execute(
        _UPDATE_CALLBACK, (note, None if note is None else dump_time(at), dump_time(at), lead_id)
    )
    if note is not None:
        await event_log.append(tx, lead_id, EventType.CALLBACK_REQUESTED, at=at, actor="prospect")

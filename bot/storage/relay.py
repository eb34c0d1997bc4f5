"""The relay's rows: the outbox of copies and edits still to carry, the message-id map both
ways, and the relay's columns of `desk_leads`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.leads import LeadStatus
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection


class Direction(StrEnum):
    IN = "in"  # the prospect's chat → the lead's topic
    OUT = "out"  # the lead's topic → the prospect's chat


class Action(StrEnum):
    COPY = "copy"
    EDIT_TEXT = "edit_text"
    EDIT_CAPTION = "edit_caption"
    NOTICE = "notice"  # a line of the bot's own in the topic


@dataclass(frozen=True)
class Job:
    """One row of the relay outbox."""

    id: int
    lead_id: int
    direction: Direction
    action: Action
    kind: str
    from_chat_id: int
    message_id: int
    media_group_id: str | None
    reply_to_message_id: int | None
    text: str | None
    entities: list[dict[str, Any]] | None
    actor: str
    attempts: int
    due_at: datetime


@dataclass(frozen=True)
class RelayState:
    relay_open: bool
    pending_input: bool  # staff are being asked to type something (e.g. a reason)
    last_client_message_at: datetime | None = None


_JOB_COLUMNS = (
    "id, lead_id, direction, action, kind, from_chat_id, message_id, media_group_id,"
    " reply_to_message_id, text, entities, actor, attempts, due_at"
)
_INSERT = """
INSERT OR IGNORE INTO relay_outbox (lead_id, direction, action, kind, from_chat_id, message_id,
    media_group_id, reply_to_message_id, text, entities, actor, due_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_SETTLE_ALBUM = """
UPDATE relay_outbox SET due_at = ?
WHERE lead_id = ? AND media_group_id = ? AND state = 'pending'
"""
_DUE = f"""
SELECT {_JOB_COLUMNS} FROM relay_outbox
WHERE state = 'pending' AND due_at <= ? ORDER BY id LIMIT ?
"""  # noqa: S608
_ALBUM = f"""
SELECT {_JOB_COLUMNS} FROM relay_outbox
WHERE lead_id = ? AND direction = ? AND media_group_id = ? AND action = 'copy'
    AND state = 'pending'
ORDER BY message_id
"""  # noqa: S608
_NEXT_DUE = "SELECT MIN(due_at) FROM relay_outbox WHERE state = 'pending'"
# A carried edit keeps no copy of what the person wrote.
_DONE = """
UPDATE relay_outbox SET state = 'done', done_at = ?,
    text = CASE WHEN action = 'notice' THEN text END, entities = NULL
WHERE id = ? AND state = 'pending'
"""
_FAILED = """
UPDATE relay_outbox SET state = 'failed', attempts = attempts + 1,
    text = CASE WHEN action = 'notice' THEN text END, entities = NULL
WHERE id = ?
"""
_RETRY = "UPDATE relay_outbox SET attempts = attempts + 1, due_at = ? WHERE id = ?"
_POSTPONE = "UPDATE relay_outbox SET due_at = ? WHERE id = ?"

_RECORD = """
INSERT OR IGNORE INTO relay_messages (lead_id, direction, prospect_chat_id, prospect_message_id,
    staff_chat_id, staff_message_id, at)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_STAFF_SIDE = """
SELECT staff_chat_id, staff_message_id FROM relay_messages
WHERE prospect_chat_id = ? AND prospect_message_id = ?
"""
_PROSPECT_SIDE = """
SELECT lead_id, prospect_chat_id, prospect_message_id FROM relay_messages
WHERE staff_chat_id = ? AND staff_message_id = ?
"""
_CARRIED_BY = """
SELECT lead_id FROM relay_messages
WHERE direction = ?1 AND ((?1 = 'in' AND prospect_chat_id = ?2 AND prospect_message_id = ?3)
    OR (?1 = 'out' AND staff_chat_id = ?2 AND staff_message_id = ?3))
UNION ALL
SELECT lead_id FROM relay_outbox
WHERE direction = ?1 AND action = 'copy' AND from_chat_id = ?2 AND message_id = ?3
    AND state = 'pending'
LIMIT 1
"""
_LEAD_BY_THREAD = "SELECT id FROM leads WHERE staff_chat_id = ? AND staff_thread_id = ?"

_OPEN = """
INSERT INTO desk_leads (lead_id, relay_open, updated_at) VALUES (?, 1, ?)
ON CONFLICT (lead_id) DO UPDATE SET relay_open = 1, updated_at = excluded.updated_at
WHERE desk_leads.relay_open = 0
"""
_CLOSE = "UPDATE desk_leads SET relay_open = 0, updated_at = ? WHERE lead_id = ? AND relay_open = 1"
_STATE = """
SELECT relay_open, pending_input, last_client_message_at FROM desk_leads WHERE lead_id = ?
"""
# Whether a prospect's message may belong to the relay, in one look-up (most do not).
_STANDING = """
SELECT l.status, COALESCE(d.relay_open, 0) FROM leads AS l
LEFT JOIN desk_leads AS d ON d.lead_id = l.id
WHERE l.telegram_user_id = ?
"""
_LAST_ANSWERED_BY_BOT = """
SELECT type = 'desk.kb_answered' FROM events
WHERE lead_id = ? AND type IN ('desk.client_message', 'desk.kb_answered')
ORDER BY id DESC LIMIT 1
"""
_CLIENT_WROTE = """
INSERT INTO desk_leads (lead_id, last_client_message_at, last_client_text, updated_at)
VALUES (?, ?, ?, ?)
ON CONFLICT (lead_id) DO UPDATE SET last_client_message_at = excluded.last_client_message_at,
    last_client_text = excluded.last_client_text, updated_at = excluded.updated_at
"""
_STAFF_REPLIED = """
INSERT INTO desk_leads (lead_id, last_staff_reply_at, updated_at) VALUES (?, ?, ?)
ON CONFLICT (lead_id) DO UPDATE SET last_staff_reply_at = excluded.last_staff_reply_at,
    updated_at = excluded.updated_at
"""


def _job(row: Any) -> Job:
    due_at = load_time(row["due_at"])
    assert due_at is not None
    return Job(
        id=row["id"],
        lead_id=row["lead_id"],
        direction=Direction(row["direction"]),
        action=Action(row["action"]),
        kind=row["kind"],
        from_chat_id=row["from_chat_id"],
        message_id=row["message_id"],
        media_group_id=row["media_group_id"],
        reply_to_message_id=row["reply_to_message_id"],
        text=row["text"],
        entities=None if row["entities"] is None else json.loads(row["entities"]),
        actor=row["actor"],
        attempts=row["attempts"],
        due_at=due_at,
    )


# --- the outbox --------------------------------------------------------------------------


async def add(
    tx: Connection,
    *,
    lead_id: int,
    direction: Direction,
    action: Action,
    kind: str,
    from_chat_id: int,
    message_id: int,
    actor: str,
    due_at: datetime,
    at: datetime,
    media_group_id: str | None = None,
    reply_to_message_id: int | None = None,
    text: str | None = None,
    entities: Sequence[dict[str, Any]] | None = None,
) -> bool:
    """Queues a job; False if this message's copy is queued already (a repeated update)."""
    cursor = await tx.execute(
        _INSERT,
        (
            lead_id,
            direction,
            action,
            kind,
            from_chat_id,
            message_id,
            media_group_id,
            reply_to_message_id,
            text,
            None if entities is None else json.dumps(list(entities), ensure_ascii=False),
            actor,
            dump_time(due_at),
            dump_time(at),
        ),
    )
    return cursor.rowcount > 0


async def settle_album(tx: Connection, lead_id: int, media_group_id: str, due_at: datetime) -> None:
    """Another item of an album arrived: the whole album waits until `due_at`."""
    await tx.execute(_SETTLE_ALBUM, (dump_time(due_at), lead_id, media_group_id))


async def due(conn: Connection, now: datetime, limit: int) -> list[Job]:
    async with conn.execute(_DUE, (dump_time(now), limit)) as cursor:
        return [_job(row) for row in await cursor.fetchall()]


async def album(
    conn: Connection, lead_id: int, direction: Direction, media_group_id: str
) -> list[Job]:
    """The album's items still to copy, in message order (copyMessages wants them so)."""
    async with conn.execute(_ALBUM, (lead_id, direction, media_group_id)) as cursor:
        return [_job(row) for row in await cursor.fetchall()]


async def next_due(conn: Connection) -> datetime | None:
    async with conn.execute(_NEXT_DUE) as cursor:
        row = await cursor.fetchone()
    return None if row is None else load_time(row[0])


async def mark_done(tx: Connection, job_ids: Sequence[int], at: datetime) -> None:
    for job_id in job_ids:
        await tx.execute(_DONE, (dump_time(at), job_id))


async def mark_failed(tx: Connection, job_ids: Sequence[int]) -> None:
    for job_id in job_ids:
        await tx.execute(_FAILED, (job_id,))


async def retry_at(tx: Connection, job_ids: Sequence[int], at: datetime) -> None:
    for job_id in job_ids:
        await tx.execute(_RETRY, (dump_time(at), job_id))


async def postpone(tx: Connection, job_ids: Sequence[int], at: datetime) -> None:
    """Later, without counting an attempt (there is nowhere to carry it yet)."""
    for job_id in job_ids:
        await tx.execute(_POSTPONE, (dump_time(at), job_id))


# --- the message-id map ------------------------------------------------------------------


async def record(
    tx: Connection,
    lead_id: int,
    direction: Direction,
    *,
    prospect: tuple[int, int],
    staff: tuple[int, int],
    at: datetime,
) -> None:
    """Pairs a message with its copy: (chat id, message id) on each side."""
    await tx.execute(_RECORD, (lead_id, direction, *prospect, *staff, dump_time(at)))


async def staff_side(conn: Connection, chat_id: int, message_id: int) -> tuple[int, int] | None:
    """The topic's message paired with a message of the prospect's chat."""
    async with conn.execute(_STAFF_SIDE, (chat_id, message_id)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


async def prospect_side(
    conn: Connection, chat_id: int, message_id: int
) -> tuple[int, int, int] | None:
    """(lead id, chat id, message id) paired with a message of the staff group."""
    async with conn.execute(_PROSPECT_SIDE, (chat_id, message_id)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))


async def carried_by(
    conn: Connection, direction: Direction, chat_id: int, message_id: int
) -> int | None:
    """The lead whose relay copied (or is to copy) this message; None if it never did."""
    async with conn.execute(_CARRIED_BY, (direction, chat_id, message_id)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def lead_by_thread(conn: Connection, chat_id: int, thread_id: int) -> int | None:
    async with conn.execute(_LEAD_BY_THREAD, (chat_id, thread_id)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


# --- desk_leads --------------------------------------------------------------------------


async def open_relay(tx: Connection, lead_id: int, at: datetime) -> bool:
    """True if the relay was closed until now."""
    cursor = await tx.execute(_OPEN, (lead_id, dump_time(at)))
    return cursor.rowcount > 0


async def close_relay(tx: Connection, lead_id: int, at: datetime) -> None:
    await tx.execute(_CLOSE, (dump_time(at), lead_id))


async def state(conn: Connection, lead_id: int) -> RelayState:
    async with conn.execute(_STATE, (lead_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return RelayState(relay_open=False, pending_input=False)
    return RelayState(
        relay_open=bool(row[0]),
        pending_input=row[1] is not None,
        last_client_message_at=load_time(row[2]),
    )


async def standing(conn: Connection, user_id: int) -> tuple[LeadStatus, bool] | None:
    """The person's lead status and whether their relay is open (None: no lead)."""
    async with conn.execute(_STANDING, (user_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else (LeadStatus(row[0]), bool(row[1]))


async def last_answered_by_bot(conn: Connection, lead_id: int) -> bool:
    """Whether the prospect's latest message was answered from the knowledge base."""
    async with conn.execute(_LAST_ANSWERED_BY_BOT, (lead_id,)) as cursor:
        row = await cursor.fetchone()
    return row is not None and bool(row[0])


async def client_wrote(tx: Connection, lead_id: int, preview: str, at: datetime) -> None:
    await tx.execute(_CLIENT_WROTE, (lead_id, dump_time(at), preview, dump_time(at)))


async def staff_replied(tx: Connection, lead_id: int, at: datetime) -> None:
    await tx.execute(_STAFF_REPLIED, (lead_id, dump_time(at), dump_time(at)))

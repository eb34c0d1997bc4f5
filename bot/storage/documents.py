"""A deal's documents (`deal_documents`), the client's intake state (`document_intake`) and
what the bot owes people about them (`document_outbox`). Callers own the transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.documents import (
    DocumentStatus,
    FileKind,
    IncomingFile,
    RejectReason,
    StoredDocument,
)
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, Row, insert_returning_id

_COLUMNS = (
    "id, lead_id, stage, stage_title, document, title, personal, status, file_id, file_unique_id,"
    " mime_type, stored_path, client_message_id, staff_chat_id, staff_message_id,"
    " received_at, reviewed_by, reject_reason, removed_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM deal_documents"  # noqa: S608
_BY_LEAD = _SELECT + " WHERE lead_id = ? ORDER BY id"
_BY_ID = _SELECT + " WHERE id = ?"
_TAKEN = "SELECT 1 FROM deal_documents WHERE lead_id = ? AND client_message_id = ?"
_INSERT = """
INSERT INTO deal_documents (lead_id, stage, stage_title, document, title, personal, status,
    file_id, file_unique_id, file_name, mime_type, file_size, client_message_id, received_at)
VALUES (?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (lead_id, client_message_id) DO NOTHING
RETURNING id
"""
# Conditional: of two reviews at once only the first finds the document still received.
_REVIEW = """
UPDATE deal_documents SET status = ?, reviewed_at = ?, reviewed_by = ?, reject_reason = ?
WHERE id = ? AND status = 'received' AND removed_at IS NULL
"""
_POSTED = "UPDATE deal_documents SET staff_chat_id = ?, staff_message_id = ? WHERE id = ?"
_STORED = "UPDATE deal_documents SET stored_path = ? WHERE id = ?"
# The file id cannot be NULL (the column says so); an empty one is "gone".
_REMOVE = """
UPDATE deal_documents SET file_id = '', file_unique_id = '', file_name = NULL,
    stored_path = NULL, removed_at = ?
WHERE id = ?
"""

_INTAKE = """
SELECT chosen, held, held_document, album, album_document FROM document_intake
WHERE lead_id = ?
"""
_SET_INTAKE = """
INSERT INTO document_intake (lead_id, chosen, held, held_document, album, album_document,
    updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (lead_id) DO UPDATE SET chosen = excluded.chosen, held = excluded.held,
    held_document = excluded.held_document, album = excluded.album,
    album_document = excluded.album_document, updated_at = excluded.updated_at
"""

_ENQUEUE = """
INSERT INTO document_outbox (lead_id, document_id, kind, text, markup, chat_id, message_id,
    due_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_DUE = """
SELECT id, lead_id, document_id, kind, text, markup, chat_id, message_id, attempts
FROM document_outbox WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?
"""
_DONE = "UPDATE document_outbox SET state = ?, done_at = ? WHERE id = ? AND state = 'pending'"
_RETRY = "UPDATE document_outbox SET attempts = attempts + 1, due_at = ? WHERE id = ?"
_DROP_FOR = """
UPDATE document_outbox SET state = 'done', done_at = ?
WHERE document_id = ? AND state = 'pending' AND kind IN ('review', 'download')
"""


def _document(row: Row) -> StoredDocument:
    received_at = load_time(row["received_at"])
    assert received_at is not None
    reason = row["reject_reason"]
    return StoredDocument(
        id=row["id"],
        lead_id=row["lead_id"],
        stage=row["stage"],
        stage_title=row["stage_title"] or row["stage"],
        document=row["document"],
        title=row["title"] or row["document"],
        personal=bool(row["personal"]),
        status=DocumentStatus(row["status"]),
        file_id=row["file_id"],
        file_unique_id=row["file_unique_id"],
        mime_type=row["mime_type"],
        stored_path=row["stored_path"],
        client_message_id=row["client_message_id"],
        staff_chat_id=row["staff_chat_id"],
        staff_message_id=row["staff_message_id"],
        received_at=received_at,
        reviewed_by=row["reviewed_by"],
        reject_reason=None if reason is None else RejectReason(reason),
        removed=row["removed_at"] is not None,
    )


async def for_lead(conn: Connection, lead_id: int) -> list[StoredDocument]:
    cursor = await conn.execute(_BY_LEAD, (lead_id,))
    return [_document(row) for row in await cursor.fetchall()]


async def get(conn: Connection, document_id: int) -> StoredDocument | None:
    cursor = await conn.execute(_BY_ID, (document_id,))
    row = await cursor.fetchone()
    return None if row is None else _document(row)


async def taken(conn: Connection, lead_id: int, message_id: int) -> bool:
    """Whether this client message is a document already (the same update again)."""
    cursor = await conn.execute(_TAKEN, (lead_id, message_id))
    return await cursor.fetchone() is not None


async def add(
    tx: Connection,
    lead_id: int,
    *,
    stage: str,
    stage_title: str,
    document: str,
    title: str,
    personal: bool,
    file: IncomingFile,
    at: datetime,
) -> int | None:
    """The new document's id; None if this message was taken before (the same update)."""
    new_id = await insert_returning_id(
        tx,
        _INSERT,
        (
            lead_id,
            stage,
            stage_title,
            document,
            title,
            int(personal),
            file.file_id,
            file.file_unique_id,
            file.file_name,
            file.mime_type,
            file.file_size,
            file.message_id,
            dump_time(at),
        ),
    )
    return new_id


async def review(
    tx: Connection,
    document_id: int,
    status: DocumentStatus,
    *,
    by: int,
    reason: RejectReason | None,
    at: datetime,
) -> bool:
    """Accepts or rejects a received document; False if it was reviewed (or removed)."""
    cursor = await tx.execute(
        _REVIEW,
        (status.value, dump_time(at), by, None if reason is None else reason.value, document_id),
    )
    return cursor.rowcount > 0


async def set_posted(tx: Connection, document_id: int, chat_id: int, message_id: int) -> None:
    await tx.execute(_POSTED, (chat_id, message_id, document_id))


async def set_stored(tx: Connection, document_id: int, path: str) -> None:
    await tx.execute(_STORED, (path, document_id))


async def remove(tx: Connection, document_id: int, at: datetime) -> None:
    """Forgets the file (its id and the stored copy's path); the row stays as a record."""
    await tx.execute(_REMOVE, (dump_time(at), document_id))
    await tx.execute(_DROP_FOR, (dump_time(at), document_id))


# --- the intake state ------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    chosen: str | None = None
    held: tuple[IncomingFile, ...] = ()
    held_document: str | None = None
    album: str | None = None
    album_document: str | None = None


def _dump_files(files: tuple[IncomingFile, ...]) -> str | None:
    if not files:
        return None
    return json.dumps(
        [
            {
                "message_id": file.message_id,
                "kind": file.kind.value,
                "file_id": file.file_id,
                "file_unique_id": file.file_unique_id,
                "file_name": file.file_name,
                "mime_type": file.mime_type,
                "file_size": file.file_size,
                "media_group_id": file.media_group_id,
            }
            for file in files
        ],
        ensure_ascii=False,
    )


def _load_files(text: str | None) -> tuple[IncomingFile, ...]:
    if text is None:
        return ()
    return tuple(
        IncomingFile(
            message_id=int(raw["message_id"]),
            kind=FileKind(raw["kind"]),
            file_id=str(raw["file_id"]),
            file_unique_id=str(raw["file_unique_id"]),
            file_name=raw.get("file_name"),
            mime_type=raw.get("mime_type"),
            file_size=raw.get("file_size"),
            media_group_id=raw.get("media_group_id"),
        )
        for raw in json.loads(text)
    )


async def intake(conn: Connection, lead_id: int) -> Intake:
    cursor = await conn.execute(_INTAKE, (lead_id,))
    row = await cursor.fetchone()
    if row is None:
        return Intake()
    return Intake(
        chosen=row["chosen"],
        held=_load_files(row["held"]),
        held_document=row["held_document"],
        album=row["album"],
        album_document=row["album_document"],
    )


async def set_intake(tx: Connection, lead_id: int, state: Intake, at: datetime) -> None:
    await tx.execute(
        _SET_INTAKE,
        (
            lead_id,
            state.chosen,
            _dump_files(state.held),
            state.held_document,
            state.album,
            state.album_document,
            dump_time(at),
        ),
    )


# --- the outbox ------------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    """One thing the bot owes: kind is review / download / client / staff / unpost."""

    id: int
    lead_id: int
    document_id: int | None
    kind: str
    text: str | None
    markup: str | None  # InlineKeyboardMarkup as JSON
    chat_id: int | None
    message_id: int | None
    attempts: int


async def enqueue(
    tx: Connection,
    lead_id: int,
    kind: str,
    *,
    at: datetime,
    document_id: int | None = None,
    text: str | None = None,
    markup: str | None = None,
    chat_id: int | None = None,
    message_id: int | None = None,
    due_at: datetime | None = None,
) -> None:
    """A duty due at `due_at` (default: at once)."""
    await tx.execute(
        _ENQUEUE,
        (
            lead_id,
            document_id,
            kind,
            text,
            markup,
            chat_id,
            message_id,
            dump_time(due_at or at),
            dump_time(at),
        ),
    )


async def due(conn: Connection, now: datetime, limit: int) -> list[Duty]:
    cursor = await conn.execute(_DUE, (dump_time(now), limit))
    return [
        Duty(
            id=row["id"],
            lead_id=row["lead_id"],
            document_id=row["document_id"],
            kind=row["kind"],
            text=row["text"],
            markup=row["markup"],
            chat_id=row["chat_id"],
            message_id=row["message_id"],
            attempts=row["attempts"],
        )
        for row in await cursor.fetchall()
    ]


async def finish(tx: Connection, duty_id: int, at: datetime, *, failed: bool = False) -> bool:
    """Marks the duty done (or given up); False if it was not pending any more."""
    cursor = await tx.execute(_DONE, ("failed" if failed else "done", dump_time(at), duty_id))
    return cursor.rowcount > 0


async def retry_at(tx: Connection, duty_id: int, at: datetime) -> None:
    await tx.execute(_RETRY, (dump_time(at), duty_id))

"""Rules of a deal's document intake and review, without Telegram or a database.

A client sends the documents the deal's current stage asks for; each is a row that staff
accept or reject. Which document a file is: the one the client picked ("📎 Send: …"), else
the only one still missing, else the bot asks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.checklist import Localized


@dataclass(frozen=True)
class DocumentRequest:
    """A document the deal's current stage asks the client for (its conditions hold)."""

    stage: str
    document: str  # the document's id in the deal file
    title: Localized
    # Passport, SNILS and the like: only after the `documents` consent.
    personal: bool
    required: bool
    stage_title: Localized | None = None  # None: staff see the stage's id


# Telegram's getFile limit: a bot cannot download a bigger file.
MAX_FILE_BYTES = 20 * 1024 * 1024
# What staff may type as "what to fix" (the rest is cut).
MAX_FIX_LENGTH = 500


class DocumentStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RejectReason(StrEnum):
    """The codes of the `deal.document_rejected` event's `reason`."""

    UNREADABLE = "unreadable"
    WRONG_DOCUMENT = "wrong_document"
    EXPIRED = "expired"
    INCOMPLETE = "incomplete"
    OTHER = "other"


class FileKind(StrEnum):
    """What a client's message carries, as far as intake cares."""

    PHOTO = "photo"
    DOCUMENT = "document"
    OTHER = "other"  # voice, sticker, video note, video, ...: not taken as a document


@dataclass(frozen=True)
class IncomingFile:
    """A photo or a file a client sent (Telegram's ids; never a name in a path)."""

    message_id: int
    kind: FileKind
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None
    media_group_id: str | None = None  # an album's pages come as separate messages


@dataclass(frozen=True)
class StoredDocument:
    id: int
    lead_id: int
    stage: str
    stage_title: str  # in the staff language
    document: str
    title: str
    personal: bool
    status: DocumentStatus
    file_id: str
    file_unique_id: str
    mime_type: str | None
    stored_path: str | None
    client_message_id: int
    staff_chat_id: int | None
    staff_message_id: int | None
    received_at: datetime
    reviewed_by: int | None
    reject_reason: RejectReason | None
    removed: bool


def too_big(file: IncomingFile) -> bool:
    return file.file_size is not None and file.file_size > MAX_FILE_BYTES


def latest(documents: Sequence[StoredDocument]) -> dict[tuple[str, str], StoredDocument]:
    """The newest row per (stage, document): a rejected one is replaced by the next file."""
    newest: dict[tuple[str, str], StoredDocument] = {}
    for document in sorted(documents, key=lambda d: d.id):
        newest[(document.stage, document.document)] = document
    return newest


def missing(
    wanted: Sequence[DocumentRequest], documents: Sequence[StoredDocument]
) -> list[DocumentRequest]:
    """What the stage still needs: never sent, rejected, or removed since."""
    newest = latest(documents)
    result = []
    for request in wanted:
        have = newest.get((request.stage, request.document))
        if have is None or have.removed or have.status is DocumentStatus.REJECTED:
            result.append(request)
    return result


def sendable(
    wanted: Sequence[DocumentRequest], documents: Sequence[StoredDocument]
) -> list[DocumentRequest]:
    """What the client may (re)send by a button: everything wanted not yet accepted."""
    newest = latest(documents)
    result = []
    for request in wanted:
        have = newest.get((request.stage, request.document))
        if have is None or have.removed or have.status is not DocumentStatus.ACCEPTED:
            result.append(request)
    return result


@dataclass(frozen=True)
class Ask:
    """Several documents are missing: the client says which this file is."""

    choices: tuple[DocumentRequest, ...]


def which(
    wanted: Sequence[DocumentRequest],
    documents: Sequence[StoredDocument],
    chosen: str | None,
) -> DocumentRequest | Ask | None:
    """The document a file is; Ask when it is unclear; None when the stage wants none of
    it (the file goes to the relay as any other message)."""
    if chosen is not None:
        for request in sendable(wanted, documents):
            if request.document == chosen:
                return request
    needed = missing(wanted, documents)
    if not needed:
        return None
    if len(needed) == 1:
        return needed[0]
    return Ask(tuple(needed))


def needs_consent(request: DocumentRequest, consent_live: bool) -> bool:
    """Passport, SNILS and the like are taken only under the `documents` consent."""
    return request.personal and not consent_live


def file_suffix(kind: FileKind, mime_type: str | None) -> str:
    """The extension of a stored copy, from the type (never from the client's file name)."""
    if kind is FileKind.PHOTO:
        return ".jpg"
    known = {
        "application/pdf": ".pdf",
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/heic": ".heic",
        "image/webp": ".webp",
        "application/msword": ".doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    }
    return known.get(mime_type or "", ".bin")


_FIX_KIND = "document_fix"


@dataclass(frozen=True)
class AwaitedFix:
    """A reviewer chose a reject reason; their next message in the lead's topic says what
    to fix. Kept in `desk_leads.pending_input` (as the card's override reason is), so it
    survives a restart and the relay leaves that message alone."""

    by: int
    document_id: int
    reason: RejectReason

    def to_text(self) -> str:
        return json.dumps(
            {
                "kind": _FIX_KIND,
                "by": self.by,
                "document_id": self.document_id,
                "reason": self.reason.value,
            }
        )


def awaited_fix(pending_input: str | None) -> AwaitedFix | None:
    """What `pending_input` awaits, if it is a document's "what to fix" (else None)."""
    if pending_input is None:
        return None
    try:
        raw = json.loads(pending_input)
        if raw.get("kind") != _FIX_KIND:
            return None
        return AwaitedFix(int(raw["by"]), int(raw["document_id"]), RejectReason(raw["reason"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None

"""Document rules without Telegram or a database: which document a file is, what is missing,
the card's lines, the reviewer's awaited answer and the callback sizes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.documents import (
    MAX_FILE_BYTES,
    Ask,
    AwaitedFix,
    DocumentStatus,
    FileKind,
    IncomingFile,
    RejectReason,
    StoredDocument,
    awaited_fix,
    file_suffix,
    missing,
    needs_consent,
    too_big,
    which,
)
from bot.i18n import Translations
from bot.keyboards.callbacks import DocConsentCb, DocReview, DocReviewCb, DocSendCb
from bot.views.documents import document_lines, documents_keyboard
from tests.documents.conftest import STAGES

MORTGAGE = STAGES["mortgage"]
INCOME, APPROVAL = MORTGAGE


def stored(
    document: str, status: DocumentStatus, *, id_: int = 1, removed: bool = False
) -> StoredDocument:
    return StoredDocument(
        id=id_,
        lead_id=1,
        stage="mortgage",
        stage_title="Mortgage",
        document=document,
        title=document.title(),
        personal=False,
        status=status,
        file_id="f",
        file_unique_id="u",
        mime_type=None,
        stored_path=None,
        client_message_id=10,
        staff_chat_id=None,
        staff_message_id=None,
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
        reviewed_by=None,
        reject_reason=RejectReason.UNREADABLE if status is DocumentStatus.REJECTED else None,
        removed=removed,
    )


def test_which_document_a_file_is() -> None:
    assert which(MORTGAGE, [], None) == Ask((INCOME, APPROVAL))
    assert which(MORTGAGE, [], "approval") == APPROVAL
    received = [stored("income", DocumentStatus.RECEIVED)]
    assert which(MORTGAGE, received, None) == APPROVAL  # the only one missing
    everything = [*received, stored("approval", DocumentStatus.ACCEPTED, id_=2)]
    assert which(MORTGAGE, everything, None) is None  # nothing wanted: the relay's
    # A rejected one is missing again; a chosen one already accepted is not taken.
    again = [
        stored("income", DocumentStatus.REJECTED),
        stored("approval", DocumentStatus.ACCEPTED, id_=2),
    ]
    assert which(MORTGAGE, again, None) == INCOME
    assert which(MORTGAGE, again, "approval") == INCOME
    assert which([], [], "income") is None


def test_missing_counts_the_newest_row_and_removed_files() -> None:
    rows = [
        stored("income", DocumentStatus.REJECTED, id_=1),
        stored("income", DocumentStatus.RECEIVED, id_=2),
        stored("approval", DocumentStatus.ACCEPTED, id_=3, removed=True),
    ]
    assert missing(MORTGAGE, rows) == [APPROVAL]


def test_size_consent_and_suffix() -> None:
    file = IncomingFile(1, FileKind.DOCUMENT, "f", "u", "x.exe", "application/pdf", MAX_FILE_BYTES)
    assert not too_big(file)
    assert too_big(IncomingFile(1, FileKind.DOCUMENT, "f", "u", file_size=MAX_FILE_BYTES + 1))
    assert not too_big(IncomingFile(1, FileKind.PHOTO, "f", "u"))  # size unknown: try it
    passport = STAGES["signing"][0]
    assert needs_consent(passport, consent_live=False)
    assert not needs_consent(passport, consent_live=True)
    assert not needs_consent(INCOME, consent_live=False)
    assert file_suffix(FileKind.DOCUMENT, "application/pdf") == ".pdf"
    assert file_suffix(FileKind.DOCUMENT, "application/x-evil") == ".bin"
    assert file_suffix(FileKind.PHOTO, None) == ".jpg"


def test_awaited_fix_round_trip_and_other_kinds() -> None:
    fix = AwaitedFix(by=7, document_id=3, reason=RejectReason.EXPIRED)
    assert awaited_fix(fix.to_text()) == fix
    assert awaited_fix('{"kind": "override_reason", "by": 7, "verdict": "target"}') is None
    assert awaited_fix("not json") is None
    assert awaited_fix(None) is None


def test_card_lines_tick_accepted_and_show_the_rest() -> None:
    t = Translations("ru").get("ru")
    rows = [
        stored("income", DocumentStatus.REJECTED, id_=1),
        stored("approval", DocumentStatus.ACCEPTED, id_=2),
        stored("income", DocumentStatus.RECEIVED, id_=3),
    ]
    assert document_lines(rows, t) == ["📄 Документы:", "⏳ Income", "✅ Approval"]
    assert document_lines([stored("income", DocumentStatus.REJECTED)], t) == [
        "📄 Документы:",
        "❌ Income: отклонён (не читается)",
    ]
    assert document_lines([], t) == []


def test_send_buttons_and_callback_sizes() -> None:
    t = Translations("ru").get("en")
    markup = documents_keyboard(MORTGAGE, t)
    assert markup is not None
    assert [row[0].text for row in markup.inline_keyboard] == [
        "📎 Send: Income statement",
        "📎 Send: Bank approval",
    ]
    assert documents_keyboard([], t) is None
    long_id = "d" * 40
    packed = [
        DocSendCb(document=long_id, held=True).pack(),
        DocConsentCb(agree=False).pack(),
        DocReviewCb(action=DocReview.NO_NOTE, document_id=2**53, reason="wrong_document").pack(),
    ]
    for value in packed:
        assert len(value.encode()) <= 64, value

"""Document intake and review as the client and staff see them: the buttons, the review
copy's caption, the card's lines. Pure: data and a translator in, text and markup out."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.documents import (
    DocumentRequest,
    DocumentStatus,
    RejectReason,
    StoredDocument,
    latest,
)
from bot.i18n import Translator
from bot.keyboards.callbacks import DocConsentCb, DocReview, DocReviewCb, DocSendCb

_MARKS = {
    DocumentStatus.ACCEPTED: "✅",
    DocumentStatus.RECEIVED: "⏳",
    DocumentStatus.REJECTED: "❌",
}


def documents_keyboard(
    requests: Sequence[DocumentRequest], t: Translator
) -> InlineKeyboardMarkup | None:
    """ "📎 Send: <document>" per document the client may send now (None: nothing to send).

    The deal's stage message and /deal attach it; the next file after a press is that one.
    """
    rows = [
        [
            InlineKeyboardButton(
                text=t("documents.send_button", title=request.title.get(t.language)),
                callback_data=DocSendCb(document=request.document).pack(),
            )
        ]
        for request in requests
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def which_keyboard(choices: Sequence[DocumentRequest], t: Translator) -> InlineKeyboardMarkup:
    """ "Which document is this?": one button per missing document, and "Something else"."""
    rows = [
        [
            InlineKeyboardButton(
                text=request.title.get(t.language),
                callback_data=DocSendCb(document=request.document, held=True).pack(),
            )
        ]
        for request in choices
    ]
    other = DocSendCb(document="", held=True).pack()
    rows.append([InlineKeyboardButton(text=t("documents.which.other"), callback_data=other)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def consent_markup(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("documents.consent.agree"),
                    callback_data=DocConsentCb(agree=True).pack(),
                ),
                InlineKeyboardButton(
                    text=t("documents.consent.decline"),
                    callback_data=DocConsentCb(agree=False).pack(),
                ),
            ]
        ]
    )


def review_caption(lead_id: int, title: str, stage: str, t: Translator) -> str:
    return t("documents.review.caption", id=lead_id, title=escape(title), stage=escape(stage))


def review_markup(document_id: int, t: Translator) -> InlineKeyboardMarkup:
    def button(label: str, action: DocReview) -> InlineKeyboardButton:
        data = DocReviewCb(action=action, document_id=document_id).pack()
        return InlineKeyboardButton(text=t(label), callback_data=data)

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("documents.review.accept", DocReview.ACCEPT),
                button("documents.review.reject", DocReview.REJECT),
            ]
        ]
    )


def reasons_markup(document_id: int, t: Translator) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=t(f"documents.reason.{reason}"),
                callback_data=DocReviewCb(
                    action=DocReview.REJECT, document_id=document_id, reason=reason.value
                ).pack(),
            )
        ]
        for reason in RejectReason
    ]
    back = DocReviewCb(action=DocReview.BACK, document_id=document_id).pack()
    rows.append([InlineKeyboardButton(text=t("documents.review.back"), callback_data=back)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def no_note_markup(document_id: int, reason: RejectReason, t: Translator) -> InlineKeyboardMarkup:
    data = DocReviewCb(action=DocReview.NO_NOTE, document_id=document_id, reason=reason.value)
    button = InlineKeyboardButton(text=t("documents.review.no_note"), callback_data=data.pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def document_lines(documents: Sequence[StoredDocument], t: Translator) -> list[str]:
    """The card's documents: accepted ticked, waiting and rejected shown (newest per one)."""
    shown = list(latest(documents).values())
    if not shown:
        return []
    lines = [t("documents.card.header")]
    for document in shown:
        title = escape(document.title)
        if document.removed:
            lines.append(t("documents.card.removed", title=title))
        elif document.status is DocumentStatus.REJECTED and document.reject_reason is not None:
            reason = t(f"documents.reason.{document.reject_reason}")
            lines.append(t("documents.card.rejected", title=title, reason=reason))
        else:
            lines.append(f"{_MARKS[document.status]} {title}")
    return lines

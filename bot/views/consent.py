"""The consent documents: each purpose its own message (152-FZ art. 9 as amended in 2025).

The text rendered here is exactly what the person reads, so its SHA-256 (recorded in the
ledger) proves what they accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.consent import Purpose
from bot.i18n import Translator
from bot.keyboards.callbacks import ConsentCb, ConsentDocCb
from bot.views import Screen


@dataclass(frozen=True)
class Operator:
    """Who processes the data, as the documents name them (COMPANY_NAME, OPERATOR_DETAILS)."""

    company: str
    details: str
    policy_url: str | None
    version: str


def consent_document(t: Translator, purpose: Purpose, operator: Operator) -> str:
    name = operator.company if not operator.details else f"{operator.company}, {operator.details}"
    policy = (
        t("consent.policy_link", url=escape(operator.policy_url, quote=True))
        if operator.policy_url
        else t("consent.policy_on_request")
    )
    return t(
        f"consent.doc.{purpose.value}",
        operator=escape(name),
        version=escape(operator.version),
        policy=policy,
    )


def processing_screen(t: Translator, operator: Operator) -> Screen:
    """The first document: without it nothing is stored (the buttons are the old ones)."""
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("consent.agree"), ConsentCb(agree=True).pack())],
            [_button(t("consent.decline"), ConsentCb(agree=False).pack())],
        ]
    )
    return Screen(consent_document(t, Purpose.PROCESSING, operator), keyboard, alone=True)


def transfer_screen(t: Translator, operator: Operator, processing_message_id: int) -> Screen:
    """The CRM transfer, asked separately when a sales desk is configured."""

    def button(key: str, agree: bool) -> InlineKeyboardButton:
        data = ConsentDocCb(p=Purpose.CRM_TRANSFER.value, agree=agree, m=processing_message_id)
        return _button(t(key), data.pack())

    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[button("consent.agree", True)], [button("consent.decline", False)]]
    )
    return Screen(consent_document(t, Purpose.CRM_TRANSFER, operator), keyboard, alone=True)


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)

"""What a person reads about their consents (/privacy), and the administrator's Erase menu."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.consent import Consent, Purpose
from bot.i18n import Translator
from bot.keyboards.callbacks import DeskAction, DeskCb, EraseCb, PrivacyCb
from bot.views import Screen


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def purpose_name(t: Translator, purpose: Purpose) -> str:
    return t(f"privacy.purpose.{purpose.value}")


def overview_screen(t: Translator, given: Sequence[Consent], zone: ZoneInfo) -> Screen:
    """Each consent (withdrawn ones too) with a Withdraw button for those in force."""
    if not given:
        return Screen(t("privacy.none"))
    lines = [t("privacy.title"), ""]
    buttons = []
    for consent in given:
        state = (
            t("privacy.live")
            if consent.withdrawn_at is None
            else t("privacy.withdrawn", when=_when(consent.withdrawn_at, zone))
        )
        name = purpose_name(t, consent.purpose)
        lines.append(
            t(
                "privacy.item",
                purpose=name,
                version=consent.version,
                given=_when(consent.given_at, zone),
                state=state,
            )
        )
        if consent.withdrawn_at is None:
            data = PrivacyCb(p=consent.purpose.value).pack()
            text = t("privacy.button.withdraw", purpose=name)
            buttons.append([InlineKeyboardButton(text=text, callback_data=data)])
    lines += ["", t("privacy.footer")]
    markup = InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None
    return Screen("\n".join(lines), markup)


def confirm_forget_screen(t: Translator) -> Screen:
    sure = PrivacyCb(p=Purpose.PROCESSING.value, sure=True).pack()
    keep = PrivacyCb(p="", sure=False).pack()
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t("privacy.button.forget_sure"), callback_data=sure)],
            [InlineKeyboardButton(text=t("privacy.button.keep"), callback_data=keep)],
        ]
    )
    return Screen(t("privacy.confirm_forget"), keyboard)


def erase_button(lead_id: int, t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t("erase.button"), callback_data=EraseCb(lead_id=lead_id).pack()
    )


def erase_menu(lead_id: int, t: Translator) -> InlineKeyboardMarkup:
    sure = EraseCb(lead_id=lead_id, sure=True).pack()
    back = DeskCb(action=DeskAction.BACK, lead_id=lead_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t("erase.confirm", id=lead_id), callback_data=sure)],
            [InlineKeyboardButton(text=t("erase.back"), callback_data=back)],
        ]
    )

"""What a nurture lead reads: the marketing consent document and the follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.checklist import Checklist, describe_answer
from bot.domain.leads import Lead
from bot.i18n import Translator
from bot.keyboards.callbacks import NurtureAction, NurtureCb
from bot.views import Screen
from bot.views.answer_words import media_words


def operator_text(company: str, details: str) -> str:
    """The operator as the consent names it: the company, and its legal details if set."""
    name = escape(company)
    return f"{name}, {escape(details)}" if details.strip() else name


def consent_text(t: Translator, *, company: str, details: str) -> str:
    """The marketing consent, exactly as shown: its hash is the proof of what was agreed."""
    return t("consent.doc.marketing", operator=operator_text(company, details))


def consent_screen(t: Translator, lead_id: int, *, company: str, details: str) -> Screen:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("nurture.consent.yes"), NurtureAction.YES, lead_id)],
            [_button(t("nurture.consent.no"), NurtureAction.NO, lead_id)],
        ]
    )
    return Screen(consent_text(t, company=company, details=details), markup, alone=True)


def consent_given_text(t: Translator, due_at: datetime | None, zone: ZoneInfo) -> str:
    if due_at is None:
        return t("nurture.consent.given_no_date")
    return t("nurture.consent.given", date=due_at.astimezone(zone).strftime("%d.%m.%Y"))


def follow_up_screen(
    t: Translator, lead: Lead, checklist: Checklist, question_ids: Sequence[str]
) -> Screen:
    """Reminds what the client said to the questions that will be asked again."""
    lines = []
    for question_id in question_ids:
        question = checklist.question(question_id)
        answer = describe_answer(
            question, lead.answers.get(question_id), lead.language, media_words=media_words(t)
        )
        said = escape(answer) if answer is not None else t("nurture.followup.no_answer")
        lines.append(f"• {escape(question.text.get(lead.language))} — {said}")
    text = t("nurture.followup", answers="\n".join(lines))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("nurture.followup.answer"), NurtureAction.ANSWER, lead.id)],
            [_button(t("nurture.followup.stop"), NurtureAction.STOP, lead.id)],
        ]
    )
    return Screen(text, markup)


def _button(text: str, action: NurtureAction, lead_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=NurtureCb(action=action, lead_id=lead_id).pack()
    )

"""What the prospect reads. Every user-supplied value is HTML-escaped here."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove

from bot.domain.answers import Answer, AnswerError
from bot.domain.checklist import (
    Option,
    Question,
    QuestionKind,
    describe_answer,
    format_long_date,
)
from bot.domain.checklist_text import Localized
from bot.domain.leads import Lead, LeadStatus
from bot.domain.scoring import Assessment, Verdict
from bot.domain.wording import Wording, fill
from bot.i18n import Translator
from bot.keyboards.callbacks import HumanCb, QuestionsCb
from bot.keyboards.prospect import (
    language_keyboard,
    phone_keyboard,
    question_keyboard,
    restart_keyboard,
)
from bot.views import Screen
from bot.views.answer_words import media_words, number_example


def question_screen(
    question: Question,
    t: Translator,
    language: str,
    *,
    position: int,
    total: int,
    selection: Collection[str] = (),
    can_go_back: bool,
    options: Sequence[Option] | None = None,
    today: date | None = None,
) -> Screen:
    lines = [
        t("question.progress", position=position, total=total),
        "",
        escape(question.text.get(language)),
    ]
    # The checklist's own hint says it best; ours is the fallback for a bare question.
    hint = (
        escape(question.hint.get(language))
        if question.hint is not None
        else _instruction(question, t)
    )
    if hint:
        lines += ["", f"<i>{hint}</i>"]
    if question.kind is QuestionKind.PHONE:
        markup = phone_keyboard(t, optional=question.optional, can_go_back=can_go_back)
        return Screen("\n".join(lines), markup)
    keyboard = question_keyboard(
        question,
        language,
        t,
        selection=selection,
        can_go_back=can_go_back,
        options=options,
        today=today,
    )
    return Screen("\n".join(lines), keyboard)


def _instruction(question: Question, t: Translator) -> str | None:
    if question.kind is QuestionKind.MULTI:
        return t("question.instruction.multi")
    if question.kind is QuestionKind.NUMBER:
        if question.example is None:
            return t("question.instruction.number")
        example = escape(number_example(question, t))
        return t("question.instruction.number_example", example=example)
    if question.kind is QuestionKind.DATE:
        return t("question.instruction.date")
    if question.kind is QuestionKind.EMAIL:
        return t("question.instruction.email")
    if question.kind is QuestionKind.MEDIA:
        return t("question.instruction.media")
    if question.kind is QuestionKind.TEXT:
        return t("question.instruction.text", max_length=question.max_length)
    if question.kind is QuestionKind.PHONE:
        return t("question.instruction.phone")
    return None


def answered_text(question: Question, answer: Answer | None, t: Translator, language: str) -> str:
    """The question message after it was answered: the question and the answer, no buttons."""
    shown = describe_answer(question, answer, language, media_words=media_words(t))
    value = escape(shown) if shown is not None else t("answer.skipped")
    return f"{escape(question.text.get(language))}\n\n{t('answer.given', answer=value)}"


def answer_saved_screen(
    question: Question, answer: Answer | None, t: Translator, language: str
) -> Screen:
    """Typed answers are confirmed in a message of their own; it also removes a reply keyboard."""
    shown = describe_answer(question, answer, language, media_words=media_words(t))
    value = escape(shown) if shown is not None else t("answer.skipped")
    return Screen(t("answer.given", answer=value), ReplyKeyboardRemove(remove_keyboard=True))


def problem_text(error: AnswerError, t: Translator) -> str:
    params = {
        name: _grouped(value)
        if isinstance(value, int)
        else format_long_date(value, t.language)
        if isinstance(value, date)
        else value
        for name, value in error.params.items()
    }
    return t(f"problem.{error.code}", **params)


def _grouped(number: int) -> str:
    # "8 500 000": a no-break space keeps the number on one line.
    return f"{number:,}".replace(",", "\u00a0")


def outcome_text(
    verdict: Verdict,
    message: Localized | None,
    wording: Wording,
    t: Translator,
    *,
    name: str | None,
    follow_up: str,
) -> str:
    """The prospect's one outcome message: the deciding rule's message, else the checklist's
    wording for the verdict, else the catalog's; then the line of commands. `follow_up` is
    the nurture date as shown; the terminal simulator prints the same text."""
    language = t.language
    by_verdict = {
        Verdict.TARGET: wording.outcome.target,
        Verdict.NURTURE: wording.outcome.nurture,
        Verdict.REJECT: wording.outcome.reject,
    }
    chosen = message if message is not None else by_verdict[verdict]
    # Checklist texts are plain text; the catalog's are HTML already.
    text = escape(chosen.get(language)) if chosen is not None else t(f"outcome.{verdict.value}")
    filled = fill(_with_name(_date_ends_sentence(text, follow_up), name), date=follow_up)
    return f"{filled}\n\n{t('outcome.commands')}"


def _date_ends_sentence(text: str, follow_up: str) -> str:
    """ "…примерно {date}." with "22 декабря 2026 г." would read "г..": the date's own
    full stop ends the sentence."""
    return text.replace("{date}.", "{date}") if follow_up.endswith(".") else text


def _with_name(text: str, name: str | None) -> str:
    """{name} filled, or taken out with the comma before it: "Thank you, {name}!" reads
    "Thank you!" and "{name}, we…" reads "We…" when the lead gave no name."""
    if name:
        return fill(text, name=escape(name))
    text = _NAME_AFTER_COMMA.sub("", text)
    leading = _NAME_FIRST.match(text)
    if leading is not None:
        rest = text[leading.end() :]
        text = rest[:1].upper() + rest[1:]
    return _NAME_ANYWHERE.sub("", text)


_NAME_AFTER_COMMA = re.compile(r",\s*\{name\}")
_NAME_FIRST = re.compile(r"^\{name\}[,!.]?\s*")
_NAME_ANYWHERE = re.compile(r"\s?\{name\}")


def outcome_screen(
    lead: Lead, assessment: Assessment, wording: Wording, t: Translator, zone: ZoneInfo
) -> Screen:
    text = outcome_text(
        assessment.verdict,
        assessment.prospect_message,
        wording,
        t,
        name=lead.name,
        follow_up=_date(lead.follow_up_at, lead.language, zone),
    )
    # The phone question's reply keyboard went with its confirmation, so the outcome can
    # carry the "Ask a person" button.
    return Screen(text, ask_person_markup(t, "checklist"))


def greeting_text(wording: Wording, t: Translator, company: str) -> str:
    """The first message: the checklist's own greeting, else the catalog's neutral one."""
    if wording.greeting is not None:
        return fill(escape(wording.greeting.get(t.language)), company=escape(company))
    return t("greeting", company=escape(company))


def back_to_questions_markup(t: Translator) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=t("relay.back_to_questions"), callback_data=QuestionsCb().pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def ask_person_markup(t: Translator, via: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=t("relay.ask_person"), callback_data=HumanCb(via=via).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


_VIEWING_STATUSES = frozenset(
    {LeadStatus.BOOKED, LeadStatus.CANCELLED, LeadStatus.NO_SHOW, LeadStatus.ATTENDED}
)


def returning_screen(lead: Lead, t: Translator, zone: ZoneInfo) -> Screen:
    name = escape(lead.name) if lead.name else None
    hello = t("returning.hello_name", name=name) if name else t("returning.hello")
    if lead.status is LeadStatus.TARGET:
        status = t("returning.target")
    elif lead.status is LeadStatus.NURTURE:
        status = t("returning.nurture", date=_date(lead.follow_up_at, lead.language, zone))
    elif lead.status is LeadStatus.REJECTED:
        status = t("returning.rejected")
    elif lead.status in _VIEWING_STATUSES:
        status = t("returning.viewing")
    else:
        status = t("returning.in_progress")
    return Screen(f"{hello}\n\n{status}", restart_keyboard(t))


def language_screen(languages: Collection[str], t: Translator) -> Screen:
    return Screen(t("language.choose"), language_keyboard(languages, t))


def _date(moment: datetime | None, language: str, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    return format_long_date(moment.astimezone(zone).date(), language)

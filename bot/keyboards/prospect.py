"""Keyboards the prospect sees. Pure: data and translated labels in, markup out."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.domain.checklist import Option, Question, QuestionKind
from bot.i18n import Translator
from bot.keyboards.calendar import calendar_rows, first_month
from bot.keyboards.callbacks import (
    BackCb,
    DoneCb,
    LanguageCb,
    OptionCb,
    PickCb,
    RestartCb,
    SkipCb,
    ToggleCb,
)

# Short option labels fit two to a row on a phone screen; longer ones get a row each.
_PAIR_LIMIT = 16


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    if all(len(button.text) <= _PAIR_LIMIT for button in buttons):
        return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return [[button] for button in buttons]


def question_keyboard(
    question: Question,
    language: str,
    t: Translator,
    *,
    selection: Collection[str] = (),
    can_go_back: bool,
    options: Sequence[Option] | None = None,
    today: date | None = None,
    month: date | None = None,
) -> InlineKeyboardMarkup | None:
    """Inline buttons for a question; phone questions use `phone_keyboard` instead.

    `options`: the ones the prospect may see (all when None); `today` opens a date
    question's calendar (on `month`, else the first month with an allowed day).
    """
    rows: list[list[InlineKeyboardButton]] = []
    shown = question.options if options is None else options
    if question.kind is QuestionKind.DATE and today is not None:
        rows += calendar_rows(question, language, month or first_month(question, today), today)
    if question.kind is QuestionKind.SINGLE:
        rows += _rows(
            [
                _button(option.label(language), OptionCb(q=question.id, o=option.id).pack())
                for option in shown
            ]
        )
    elif question.kind is QuestionKind.MULTI:
        rows += _rows(
            [
                _button(
                    t("question.selected", label=option.label(language))
                    if option.id in selection
                    else option.label(language),
                    ToggleCb(q=question.id, o=option.id).pack(),
                )
                for option in shown
            ]
        )
        rows.append([_button(t("question.done"), DoneCb(q=question.id).pack())])
    footer: list[InlineKeyboardButton] = []
    if can_go_back:
        footer.append(_button(t("question.back"), BackCb(q=question.id).pack()))
    if question.optional:
        footer.append(_button(t("question.skip"), SkipCb(q=question.id).pack()))
    if footer:
        rows.append(footer)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def candidates_keyboard(
    question: Question, candidates: Sequence[Option], language: str
) -> InlineKeyboardMarkup:
    """The options a typed answer may have meant: a press answers (single) or adds the
    option to the selection (multi)."""
    buttons = [
        _button(
            option.label(language),
            (
                OptionCb(q=question.id, o=option.id)
                if question.kind is QuestionKind.SINGLE
                else PickCb(q=question.id, o=option.id)
            ).pack(),
        )
        for option in candidates
    ]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons))


def phone_keyboard(t: Translator, *, optional: bool, can_go_back: bool) -> ReplyKeyboardMarkup:
    rows = [[KeyboardButton(text=t("phone.share"), request_contact=True)]]
    extra = []
    if can_go_back:
        extra.append(KeyboardButton(text=t("question.back")))
    if optional:
        extra.append(KeyboardButton(text=t("question.skip")))
    if extra:
        rows.append(extra)
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, one_time_keyboard=False)


def language_keyboard(languages: Collection[str], t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t(f"language.name.{code}"), LanguageCb(lang=code).pack())]
            for code in languages
        ]
    )


def restart_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("returning.update_answers"), RestartCb().pack())]]
    )

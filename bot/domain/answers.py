"""Turning what a prospect typed or tapped into an answer value, or a coded error.

Answer values by question kind: single → option id, multi → tuple of option ids in
the checklist's order, number → int, text → stripped str, phone → E.164 str.
A skipped optional question is stored as None; a missing key means "not asked yet".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, TypeAlias

import phonenumbers

# Re-exported: callers have always imported the errors from here.
from bot.domain.answer_errors import AnswerError as AnswerError
from bot.domain.answer_errors import AnswerErrorCode as AnswerErrorCode
from bot.domain.typed_number import parse_quantity

if TYPE_CHECKING:
    # Only for annotations: checklist.py imports this module at runtime.
    from bot.domain.checklist import Question

Answer: TypeAlias = str | int | float | tuple[str, ...]
Answers: TypeAlias = Mapping[str, Answer | None]


# --- numbers ------------------------------------------------------------------------------


def parse_number(text: str) -> int:
    """An amount as people type it: "8 500 000", "8,5 млн", "7.2m", "$1.2m", "500к"."""
    return int(parse_quantity(text, units=(), currency=True, decimals=0))


def validate_number(question: Question, text: str) -> int:
    value = parse_number(text)
    if question.min is not None and value < question.min:
        raise AnswerError(AnswerErrorCode.TOO_SMALL, min=question.min)
    if question.max is not None and value > question.max:
        raise AnswerError(AnswerErrorCode.TOO_LARGE, max=question.max)
    return value


# --- text ---------------------------------------------------------------------------------


def validate_text(question: Question, text: str) -> str:
    value = text.strip()
    if not value:
        raise AnswerError(AnswerErrorCode.EMPTY)
    if len(value) > question.max_length:
        raise AnswerError(AnswerErrorCode.TOO_LONG, max_length=question.max_length)
    return value


# --- phone --------------------------------------------------------------------------------

_MAX_PHONE_INPUT = 40


def normalize_phone(text: str, region: str) -> str:
    """A valid phone number in E.164; `region` applies to numbers typed without "+"."""
    value = text.strip()
    # phonenumbers reads letters as a keypad ("1-800-FLOWERS"); a prospect typing
    # letters has made a mistake, so refuse instead of guessing.
    if not value or len(value) > _MAX_PHONE_INPUT or any(char.isalpha() for char in value):
        raise AnswerError(AnswerErrorCode.INVALID_PHONE)
    if value.startswith("00"):
        # The international prefix of most countries; the default region may not know it.
        value = "+" + value[2:]
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise AnswerError(AnswerErrorCode.INVALID_PHONE) from error
    if not phonenumbers.is_valid_number(number):
        raise AnswerError(AnswerErrorCode.INVALID_PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """ "+79161234567" as people read it: "+7 916 123-45-67"."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- multi --------------------------------------------------------------------------------


def validate_multi(question: Question, selected: Collection[str]) -> tuple[str, ...]:
    """The chosen option ids in checklist order; stale or unknown ids are dropped."""
    chosen = tuple(option.id for option in question.options if option.id in selected)
    if len(chosen) < question.min_selected:
        raise AnswerError(AnswerErrorCode.SELECT_AT_LEAST, min_selected=question.min_selected)
    if question.max_selected is not None and len(chosen) > question.max_selected:
        raise AnswerError(AnswerErrorCode.SELECT_AT_MOST, max_selected=question.max_selected)
    return chosen

"""Turning what a prospect typed or tapped into an answer value, or a coded error.

Answer values by question kind: single → option id, multi → tuple of option ids in
the checklist's order, number → int, text → stripped str, phone → E.164 str.
A skipped optional question is stored as None; a missing key means "not asked yet".
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

import phonenumbers

if TYPE_CHECKING:
    # Only for annotations: checklist.py imports this module at runtime.
    from bot.domain.checklist import Question

Answer: TypeAlias = str | int | float | tuple[str, ...]
Answers: TypeAlias = Mapping[str, Answer | None]


class AnswerErrorCode(StrEnum):
    """The bot has a locale message for each of these (problem.<code>)."""

    CHOOSE_OPTION = "choose_option"
    NOT_A_NUMBER = "not_a_number"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID_PHONE = "invalid_phone"
    SELECT_AT_LEAST = "select_at_least"


class AnswerError(Exception):
    """An answer we cannot accept; `code` and `params` feed the locale message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code if not params else f"{code} {params}")
        self.code = code
        self.params: dict[str, object] = dict(params)


# --- numbers ------------------------------------------------------------------------------

# Longer than any real amount: refusing early keeps the regexes cheap on pasted essays.
_MAX_NUMBER_INPUT = 64

_MULTIPLIERS: dict[str, int] = {
    **dict.fromkeys(["k", "к", "т", "тыс", "тысяча", "тысячи", "тысяч", "thousand"], 10**3),
    # "кк"/"kk" is common Russian slang for a million ("5кк").
    **dict.fromkeys(
        ["m", "м", "mm", "mln", "млн", "кк", "kk", "миллион", "миллиона", "миллионов"], 10**6
    ),
    **dict.fromkeys(["million", "millions"], 10**6),
    **dict.fromkeys(
        ["b", "bn", "млрд", "миллиард", "миллиарда", "миллиардов", "billion", "billions"], 10**9
    ),
}
_CURRENCY_WORDS = frozenset(
    ["₽", "$", "р", "руб", "рубль", "рубля", "рублей", "rub", "rur", "usd", "доллар", "долларов"]
)
# Hedges people put in front of a budget; the number that follows is still the answer.
_HEDGE_WORDS = frozenset(
    ["~", "≈", "около", "примерно", "где-то", "до", "about", "around", "approx", "up", "to"]
)
_SPACES = "\u00a0\u2007\u2009\u202f"
_GROUP_SEPARATORS = " '’_"  # other spaces are already plain spaces here
_NUMBER_RE = re.compile(r"(?P<before>[^\d]*?)(?P<number>\d(?:[\d.,'’_\s]*\d)?)(?P<after>[^\d]*)")
_WORD_RE = re.compile(r"[₽$~≈]|[a-zа-яё-]+")


def parse_number(text: str) -> int:
    """An amount as people type it: "8 500 000", "8,5 млн", "7.2m", "$1.2m", "500к"."""
    # Any run of spaces (incl. non-breaking and thin ones) is one separator.
    cleaned = re.sub(r"[\s" + _SPACES + r"]+", " ", text).strip().lower().replace("ё", "е")
    if not cleaned:
        raise AnswerError(AnswerErrorCode.EMPTY)
    if len(cleaned) > _MAX_NUMBER_INPUT:
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    match = _NUMBER_RE.fullmatch(cleaned)
    if match is None:
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    if match["before"].endswith((".", ",")):
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)  # ".5": we will not guess a zero
    _check_words(match["before"], _CURRENCY_WORDS | _HEDGE_WORDS)
    multiplier = _multiplier(match["after"])
    value = _decimal(match["number"], has_multiplier=multiplier != 1) * multiplier
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _words(text: str) -> list[str]:
    """Splits the text around the number into words; anything unexpected is garbage."""
    leftover = _WORD_RE.sub(" ", text).replace(".", " ").replace(",", " ")
    if leftover.strip():
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    return _WORD_RE.findall(text)


def _check_words(text: str, allowed: frozenset[str]) -> None:
    if any(word not in allowed for word in _words(text)):
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)


def _multiplier(text: str) -> int:
    """At most one multiplier word, then only currency marks ("5 млн руб.")."""
    words = _words(text)
    multiplier = 1
    if words and words[0] in _MULTIPLIERS:
        multiplier = _MULTIPLIERS[words.pop(0)]
    if any(word not in _CURRENCY_WORDS for word in words):
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    return multiplier


def _decimal(number: str, *, has_multiplier: bool) -> Decimal:
    """Decides which of "," and "." is the decimal mark, checks the digit grouping."""
    decimal_mark: str | None = None
    if "," in number and "." in number:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
    else:
        for mark in ",.":
            if number.count(mark) == 1:
                tail = number.rsplit(mark, 1)[1]
                # "5,000" is five thousand, but "5,000 млн" and "5,5" are decimals:
                # nobody groups thousands in front of a multiplier.
                if has_multiplier or len(tail) != 3 or not tail.isdigit():
                    decimal_mark = mark
    whole, fraction = number, ""
    if decimal_mark is not None:
        if number.count(decimal_mark) != 1:
            raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
        whole, fraction = number.split(decimal_mark)
        if not fraction.isdigit():
            raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    groups = re.split("[" + re.escape(_GROUP_SEPARATORS + ".,") + "]", whole)
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(group) != 3 for group in groups[1:])
    ):
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    if not all(group.isdigit() for group in groups):
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    try:
        return Decimal("".join(groups) + ("." + fraction if fraction else ""))
    except InvalidOperation as error:  # pragma: no cover - the checks above rule it out
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER) from error


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
        raise AnswerError("select_at_most", max_selected=question.max_selected)
    return chosen

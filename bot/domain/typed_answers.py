"""A typed answer to any kind of question: the text a prospect sent, turned into the
answer value (see bot/domain/answers.py) or an AnswerError with a code the bot explains.

Buttons answer choice questions too; this module is for what people type instead, and
for everything the conversation and the simulator must parse the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.domain.answers import (
    Answer,
    AnswerError,
    AnswerErrorCode,
    normalize_phone,
    parse_number,
    validate_multi,
    validate_text,
)
from bot.domain.checklist import Option, Question, QuestionKind


def parse_typed(
    question: Question,
    text: str,
    *,
    region: str,
    today: date,
    visible: Sequence[Option] | None = None,
) -> Answer:
    """The answer `text` gives to `question`, or AnswerError.

    `region` is the checklist's phone region, `today` the bot's local date (dates are
    relative to it), `visible` the options the prospect can see (all when None).
    """
    match question.kind:
        case QuestionKind.NUMBER:
            return _number(question, text)
        case QuestionKind.TEXT:
            return validate_text(question, text)
        case QuestionKind.PHONE:
            return normalize_phone(text, region)
        case QuestionKind.DATE:
            return _date(question, text, today)
        case QuestionKind.EMAIL:
            return parse_email_text(text)
        case QuestionKind.MEDIA:
            raise AnswerError("send_media")
        case QuestionKind.SINGLE:
            return match_one_id(text, _options(question, visible))
        case QuestionKind.MULTI:
            chosen = match_many_ids(text, _options(question, visible))
            return validate_multi(question, chosen)


def _options(question: Question, visible: Sequence[Option] | None) -> Sequence[Option]:
    return question.options if visible is None else visible


def _number(question: Question, text: str) -> int | float:
    value = number_from_text(question, text)
    if question.min is not None and value < question.min:
        raise AnswerError(AnswerErrorCode.TOO_SMALL, min=question.min)
    if question.max is not None and value > question.max:
        raise AnswerError(AnswerErrorCode.TOO_LARGE, max=question.max)
    return value


def _date(question: Question, text: str, today: date) -> str:
    value = parse_date_text(text, today)
    if question.min_days is not None:
        earliest = today + timedelta(days=question.min_days)
        if value < earliest:
            raise AnswerError("date_too_early", date=earliest)
    if question.max_days is not None:
        latest = today + timedelta(days=question.max_days)
        if value > latest:
            raise AnswerError("date_too_late", date=latest)
    return value.isoformat()


# --- the parsers (stand-ins until the tolerant parsers land) -------------------------------


def number_from_text(question: Question, text: str) -> int | float:
    return parse_number(text)


def parse_date_text(text: str, today: date) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise AnswerError("not_a_date") from None


def parse_email_text(text: str) -> str:
    value = text.strip()
    local, at, domain = value.rpartition("@")
    if not local or not at or "." not in domain or " " in value or len(value) > 254:
        raise AnswerError("invalid_email")
    return f"{local}@{domain.lower()}"


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def match_one_id(text: str, options: Sequence[Option]) -> str:
    wanted = _fold(text)
    found = [option.id for option in options if wanted in map(_fold, option.words())]
    if len(found) > 1:
        raise AnswerError("ambiguous", candidates=tuple(found))
    if not found:
        raise AnswerError(AnswerErrorCode.CHOOSE_OPTION)
    return found[0]


def match_many_ids(text: str, options: Sequence[Option]) -> tuple[str, ...]:
    items = [item for item in text.replace(";", ",").split(",") if item.strip()]
    return tuple(match_one_id(item, options) for item in items)

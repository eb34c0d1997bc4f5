"""A typed answer to any kind of question: the text a prospect sent, turned into the
answer value (see bot/domain/answers.py) or an AnswerError with a code the bot explains.

Buttons answer choice questions too; this module is for what people type instead, and
for everything the conversation and the simulator must parse the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.answer_errors import AnswerError, AnswerErrorCode
from bot.domain.answers import Answer, normalize_phone, validate_multi, validate_text
from bot.domain.checklist import Option, Question, QuestionKind
from bot.domain.emails import normalize_email
from bot.domain.typed_choice import Ambiguous, Choice, Matched, match_many, match_one
from bot.domain.typed_dates import check_date_range, parse_date
from bot.domain.typed_number import is_currency_word, parse_quantity


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
            return parse_number_answer(question, text)
        case QuestionKind.TEXT:
            return validate_text(question, text)
        case QuestionKind.PHONE:
            return normalize_phone(text, region)
        case QuestionKind.DATE:
            day = check_date_range(
                parse_date(text, today=today),
                today=today,
                min_days=question.min_days,
                max_days=question.max_days,
            )
            return day.isoformat()
        case QuestionKind.EMAIL:
            return normalize_email(text)
        case QuestionKind.MEDIA:
            raise AnswerError(AnswerErrorCode.SEND_MEDIA)
        case QuestionKind.SINGLE:
            return _choose(text, _choices(question, visible), many=False)[0]
        case QuestionKind.MULTI:
            return validate_multi(question, _choose(text, _choices(question, visible), many=True))


def unit_words(question: Question) -> tuple[str, ...]:
    """Every word that may follow a number: the unit and unit_words in all languages."""
    words = [] if question.unit is None else list(question.unit.texts.values())
    if question.unit_words is not None:
        words += question.unit_words.all()
    return tuple(dict.fromkeys(words))


def parse_number_answer(question: Question, text: str) -> int | float:
    """A number typed with the question's own unit and decimals, within min..max."""
    units = unit_words(question)
    # Currency stays accepted without a unit: the format had no units words before.
    currency = not units or any(is_currency_word(word) for word in units)
    amount = parse_quantity(text, units=units, currency=currency, decimals=question.decimals)
    value: int | float = int(amount) if question.decimals == 0 else float(amount)
    if question.min is not None and value < question.min:
        raise AnswerError(AnswerErrorCode.TOO_SMALL, min=question.min)
    if question.max is not None and value > question.max:
        raise AnswerError(AnswerErrorCode.TOO_LARGE, max=question.max)
    return value


def _choices(question: Question, visible: Sequence[Option] | None) -> list[Choice]:
    options = question.options if visible is None else visible
    return [Choice(id=option.id, words=option.words()) for option in options]


def _choose(text: str, choices: Sequence[Choice], *, many: bool) -> tuple[str, ...]:
    found = match_many(text, choices) if many else match_one(text, choices)
    if isinstance(found, Matched) and found.ids:
        return found.ids
    if isinstance(found, Ambiguous):
        raise AnswerError(AnswerErrorCode.AMBIGUOUS, candidates=found.ids)
    raise AnswerError(AnswerErrorCode.CHOOSE_OPTION)

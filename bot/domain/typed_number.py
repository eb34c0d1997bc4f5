"""Reading an amount as people type it: "8 500 000", "8,5 млн", "85 тыс. км", "1,6 л".

A quantity is a number with an optional multiplier word after it ("тыс", "млн", "k"),
then optionally the question's unit ("км", "km", "литра"); hedge words may come first
("около 85 тыс км"). Anything else around the number is refused rather than guessed at:
"85 км 3", "5-6 млн", a number inside a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bot.domain.answer_errors import AnswerError, AnswerErrorCode

# Longer than any real amount: refusing early keeps the regexes cheap on pasted essays.
_MAX_NUMBER_INPUT = 64
MAX_DECIMALS = 6

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
    [
        *("₽", "$", "р", "руб", "рубль", "рубля", "рублей", "rub", "rur", "usd"),
        *("доллар", "доллара", "долларов", "dollar", "dollars", "rouble", "roubles", "ruble"),
        "rubles",
    ]
)
# Hedges people put in front of an amount; the number that follows is still the answer.
_HEDGE_WORDS = frozenset(
    ["~", "≈", "около", "примерно", "где-то", "до", "about", "around", "approx", "up", "to"]
)
_SPACES = "\u00a0\u2007\u2009\u202f"
_GROUP_SEPARATORS = " '’_"  # other spaces are already plain spaces here
_NUMBER_RE = re.compile(r"(?P<before>[^\d]*?)(?P<number>\d(?:[\d.,'’_\s]*\d)?)(?P<after>[^\d]*)")
_WORD_RE = re.compile(r"[₽$~≈]|[a-zа-яё-]+")


def _fold(text: str) -> str:
    """Lower case, ё as е, any run of spaces (incl. non-breaking and thin ones) as one."""
    return re.sub(r"[\s" + _SPACES + r"]+", " ", text).strip().lower().replace("ё", "е")


def _unit_key(text: str) -> str:
    return _fold(text).rstrip(".").strip()


def is_currency_word(word: str) -> bool:
    """Whether a unit word names money ("₽", "руб.", "RUB", "USD"): then currency is typed."""
    return _unit_key(word) in _CURRENCY_WORDS


def parse_quantity(text: str, *, units: Collection[str], currency: bool, decimals: int) -> Decimal:
    """The amount typed, rounded half-up to `decimals` places (0: a whole number).

    `units` are the question's unit texts and unit words in every language; one of them
    may end the answer. When a unit is also a multiplier word ("m" for metres), the unit
    wins at the end: "85 m" is 85, "85k m" is 85 000. Currency words ("₽", "руб") are
    accepted only when `currency` is true.
    """
    if not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"decimals must be 0..{MAX_DECIMALS}, got {decimals}")
    cleaned = _fold(text)
    if not cleaned:
        raise AnswerError(AnswerErrorCode.EMPTY)
    if len(cleaned) > _MAX_NUMBER_INPUT:
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    cleaned = _without_unit(cleaned, units)
    match = _NUMBER_RE.fullmatch(cleaned)
    if match is None:
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    if match["before"].endswith((".", ",")):
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)  # ".5": we will not guess a zero
    money = _CURRENCY_WORDS if currency else frozenset[str]()
    _check_words(match["before"], money | _HEDGE_WORDS)
    multiplier = _multiplier(match["after"], money)
    value = _decimal(match["number"], has_multiplier=multiplier != 1) * multiplier
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _without_unit(cleaned: str, units: Collection[str]) -> str:
    """The text without one trailing unit ("85 тыс. км" → "85 тыс."), longest unit first."""
    bare = cleaned.rstrip(".").rstrip()
    for unit in sorted({_unit_key(unit) for unit in units} - {""}, key=len, reverse=True):
        if not bare.endswith(unit):
            continue
        before = bare[: -len(unit)]
        # The unit must be a word of its own: "км" does not end "5 ткм", "м" not "5 км".
        if before.strip() and not (unit[0].isalpha() and before[-1].isalpha()):
            return before.rstrip()
    return cleaned


def _words(text: str) -> list[str]:
    """Splits the text around the number into words; anything unexpected is garbage."""
    leftover = _WORD_RE.sub(" ", text).replace(".", " ").replace(",", " ")
    if leftover.strip():
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)
    return _WORD_RE.findall(text)


def _check_words(text: str, allowed: frozenset[str]) -> None:
    if any(word not in allowed for word in _words(text)):
        raise AnswerError(AnswerErrorCode.NOT_A_NUMBER)


def _multiplier(text: str, money: frozenset[str]) -> int:
    """At most one multiplier word, then only currency marks ("5 млн руб.")."""
    words = _words(text)
    multiplier = 1
    if words and words[0] in _MULTIPLIERS:
        multiplier = _MULTIPLIERS[words.pop(0)]
    if any(word not in money for word in words):
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
                # "5,000" is five thousand, but "5,000 млн", "0,125" and "5,5" are
                # decimals: nobody groups thousands in front of a multiplier or after 0.
                head = number.split(mark, 1)[0]
                if has_multiplier or head == "0" or len(tail) != 3 or not tail.isdigit():
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

"""Reading a date as people type it: "15.03.2027", "15 марта", "March 15", "завтра".

Without a year the date is the next such day on or after today ("15.03" in April is next
March); a two-digit year is the one within twenty years ahead or eighty back ("15.03.27"
is 2027, "15.03.85" is 1985), so both bookings and birth dates read right. Whether a date
is too early or too late for the question is `check_date_range`'s call, not the parser's.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.domain.answer_errors import AnswerError, AnswerErrorCode

_MAX_DATE_INPUT = 40  # "15 сентября 2027 года" is far shorter; essays are refused early
_YEARS_AHEAD = 20  # a two-digit year further ahead than this is of the last century
_LEAP_SEARCH = 9  # "29.02" waits for the next leap year, at most eight years away

_RELATIVE: dict[str, int] = {
    **dict.fromkeys(["today", "сегодня"], 0),
    **dict.fromkeys(["tomorrow", "завтра"], 1),
    **dict.fromkeys(["послезавтра", "day after tomorrow", "the day after tomorrow"], 2),
}

# Russian months in every case form, after ё → е: (stem, endings).
_RU_MONTHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("январ", ("ь", "я", "ю", "ем", "е")),
    ("феврал", ("ь", "я", "ю", "ем", "е")),
    ("март", ("", "а", "у", "ом", "е")),
    ("апрел", ("ь", "я", "ю", "ем", "е")),
    ("ма", ("й", "я", "ю", "ем", "е")),
    ("июн", ("ь", "я", "ю", "ем", "е")),
    ("июл", ("ь", "я", "ю", "ем", "е")),
    ("август", ("", "а", "у", "ом", "е")),
    ("сентябр", ("ь", "я", "ю", "ем", "е")),
    ("октябр", ("ь", "я", "ю", "ем", "е")),
    ("ноябр", ("ь", "я", "ю", "ем", "е")),
    ("декабр", ("ь", "я", "ю", "ем", "е")),
)
_EN_MONTHS = (
    *("january", "february", "march", "april", "may", "june", "july", "august"),
    *("september", "october", "november", "december"),
)
_SHORT_MONTHS: tuple[tuple[str, ...], ...] = (
    ("янв", "jan"),
    ("фев", "февр", "feb"),
    ("мар", "mar"),
    ("апр", "apr"),
    ("май", "may"),
    ("июн", "jun"),
    ("июл", "jul"),
    ("авг", "aug"),
    ("сен", "сент", "sep", "sept"),
    ("окт", "oct"),
    ("ноя", "нояб", "nov"),
    ("дек", "dec"),
)
# Full names, the only ones a typo is forgiven in: short words are too close to each other.
_FULL_MONTHS: dict[str, int] = {
    **{
        stem + ending: number
        for number, (stem, endings) in enumerate(_RU_MONTHS, start=1)
        for ending in endings
    },
    **{name: number for number, name in enumerate(_EN_MONTHS, start=1)},
}
_MONTHS: dict[str, int] = {
    **{word: number for number, words in enumerate(_SHORT_MONTHS, start=1) for word in words},
    **_FULL_MONTHS,
}
_MIN_TYPO_LENGTH = 5

_NUMERIC_RE = re.compile(r"(\d{1,2})([./-])(\d{1,2})(?:\2(\d{2}|\d{4}))?")
_ISO_RE = re.compile(r"(\d{4})([./-])(\d{1,2})\2(\d{1,2})")
_DAY_RE = re.compile(r"(\d{1,2})(?:st|nd|rd|th|-?го|-?е)?")
_YEAR_RE = re.compile(r"\d{4}")
# What may follow a year: "2027 г.", "2027 года", "2027г".
_YEAR_WORDS = frozenset(["г", "года", "год"])
_FILLER_WORDS = frozenset(["of", "the"])


def parse_date(text: str, *, today: date) -> date:
    """The date typed, or AnswerError(NOT_A_DATE) for garbage and impossible dates."""
    if len(text) > 4 * _MAX_DATE_INPUT:
        raise AnswerError(AnswerErrorCode.NOT_A_DATE)  # before any regex sees an essay
    cleaned = re.sub(r"\s+", " ", text).strip().lower().replace("ё", "е")
    if not cleaned or len(cleaned) > _MAX_DATE_INPUT:
        raise AnswerError(AnswerErrorCode.NOT_A_DATE)
    relative = _RELATIVE.get(cleaned.rstrip("."))
    if relative is not None:
        return today + timedelta(days=relative)
    cleaned = re.sub(r"(\d{4}) ?(?:г\.?|года?)\.?$", r"\1", cleaned)  # "2027 г.", "2027г"
    cleaned = cleaned.rstrip(".").strip()
    if (match := _ISO_RE.fullmatch(cleaned)) is not None:
        return _make(int(match[1]), int(match[3]), int(match[4]))
    if (match := _NUMERIC_RE.fullmatch(cleaned)) is not None:
        year = None if match[4] is None else _full_year(match[4], today)
        return _on_or_after(int(match[1]), int(match[3]), year, today)
    return _parse_words(cleaned, today)


def check_date_range(
    value: date, *, today: date, min_days: int | None, max_days: int | None
) -> date:
    """The date when it is within the question's days from today, else a coded error.

    The error's `date` param is the limit as a `date`: the view formats it for people.
    """
    if min_days is not None and value < (earliest := today + timedelta(days=min_days)):
        raise AnswerError(AnswerErrorCode.DATE_TOO_EARLY, date=earliest)
    if max_days is not None and value > (latest := today + timedelta(days=max_days)):
        raise AnswerError(AnswerErrorCode.DATE_TOO_LATE, date=latest)
    return value


def _parse_words(cleaned: str, today: date) -> date:
    """ "15 марта [2027]", "15 мар", "1 янв.", "March 15[, 2027]", "15th of March 2027"."""
    words = [
        word.strip(".")
        for word in re.split(r"[\s,]+", cleaned)
        if word.strip(".") and word.strip(".") not in _FILLER_WORDS
    ]
    year: int | None = None
    if words and words[-1] in _YEAR_WORDS:
        words.pop()
    if len(words) == 3 and _YEAR_RE.fullmatch(words[-1]):
        year = int(words.pop())
    if len(words) != 2:
        raise AnswerError(AnswerErrorCode.NOT_A_DATE)
    first, second = words
    if (day := _DAY_RE.fullmatch(first)) is not None:
        month = _month(second)
    elif (day := _DAY_RE.fullmatch(second)) is not None:
        month = _month(first)
    else:
        raise AnswerError(AnswerErrorCode.NOT_A_DATE)
    return _on_or_after(int(day[1]), month, year, today)


def _month(word: str) -> int:
    if (number := _MONTHS.get(word)) is not None:
        return number
    if len(word) >= _MIN_TYPO_LENGTH:
        close = {n for name, n in _FULL_MONTHS.items() if _within_one_edit(word, name)}
        if len(close) == 1:
            return close.pop()
    raise AnswerError(AnswerErrorCode.NOT_A_DATE)


def _full_year(digits: str, today: date) -> int:
    if len(digits) == 4:
        return int(digits)
    year = 2000 + int(digits)
    return year if year <= today.year + _YEARS_AHEAD else year - 100


def _on_or_after(day: int, month: int, year: int | None, today: date) -> date:
    if year is not None:
        return _make(year, month, day)
    for candidate in range(today.year, today.year + _LEAP_SEARCH):
        try:
            value = date(candidate, month, day)
        except ValueError:
            continue
        if value >= today:
            return value
    raise AnswerError(AnswerErrorCode.NOT_A_DATE)


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise AnswerError(AnswerErrorCode.NOT_A_DATE) from None


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau distance at most 1: one letter wrong, missing, extra or swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))

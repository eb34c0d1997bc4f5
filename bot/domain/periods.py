"""Reporting periods: what staff type after /stats or /export, as local dates and UTC bounds.

A period is a run of whole days in the team's zone; its UTC bounds follow the zone's
offsets (a day across a DST change is 23 or 25 hours long).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# A range longer than this is most likely a typo in the year.
MAX_DAYS = 366

# ISO dates, and the day-first dates people in Russia type (20.11.2026).
_DATE = r"\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{4}"
_RANGE_RE = re.compile(rf"({_DATE})\s*(?:\.\.|—|–|-)\s*({_DATE})")
_DAY_RE = re.compile(_DATE)


class PeriodKind(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    WEEK = "week"
    MONTH = "month"
    DAYS = "days"


# Words accepted for each named period, both languages.
_WORDS: dict[str, PeriodKind] = {
    "": PeriodKind.TODAY,
    "today": PeriodKind.TODAY,
    "сегодня": PeriodKind.TODAY,
    "yesterday": PeriodKind.YESTERDAY,
    "вчера": PeriodKind.YESTERDAY,
    "week": PeriodKind.WEEK,
    "неделя": PeriodKind.WEEK,
    "month": PeriodKind.MONTH,
    "месяц": PeriodKind.MONTH,
}


class PeriodError(ValueError):
    """The text is not a period; `code` says why (for the staff answer)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Period:
    """Days `first`..`last` inclusive, in the team's zone."""

    kind: PeriodKind
    first: date
    last: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of `first` to local midnight after `last`."""
        start = datetime.combine(self.first, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone).astimezone(UTC)
        return start, end

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def day(kind: PeriodKind, today: date) -> Period:
    """A named period ending today (the week from Monday, the month from the 1st)."""
    if kind is PeriodKind.TODAY:
        return Period(kind, today, today)
    if kind is PeriodKind.YESTERDAY:
        yesterday = today - timedelta(days=1)
        return Period(kind, yesterday, yesterday)
    if kind is PeriodKind.WEEK:
        return Period(kind, today - timedelta(days=today.weekday()), today)
    if kind is PeriodKind.MONTH:
        return Period(kind, today.replace(day=1), today)
    raise PeriodError("unknown")


def parse_period(text: str | None, today: date) -> Period:
    """`today`, `week`, `month`, `yesterday`, `2026-11-01..2026-11-15` or one date
    (ISO or day-first: `01.11.2026..15.11.2026`)."""
    cleaned = (text or "").strip().lower()
    if cleaned in _WORDS:
        return day(_WORDS[cleaned], today)
    match = _RANGE_RE.fullmatch(cleaned)
    if match:
        first, last = _date(match.group(1)), _date(match.group(2))
    elif _DAY_RE.fullmatch(cleaned):
        first = last = _date(cleaned)
    else:
        raise PeriodError("unknown")
    if last < first:
        raise PeriodError("reversed")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("too_long")
    return Period(PeriodKind.DAYS, first, last)


def _date(text: str) -> date:
    try:
        if "." in text:
            day_, month, year = (int(part) for part in text.split("."))
            return date(year, month, day_)
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError("bad_date") from None

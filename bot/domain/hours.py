"""A sales manager's working hours: the weekly schedule, its text form (/hours) and storage form.

Hours are local wall-clock times in the manager's zone (the zone itself lives with the manager,
not here). A day's working intervals are sorted and do not overlap; a break is the gap between
two intervals. An interval never wraps past midnight; its end may be 24:00, stored as
`time(0)` because `datetime.time` cannot say 24:00.

What a manager types after /hours, one rule per line (";" also separates rules):

    mon-fri 10:00-19:00 break 13:00-14:00      пн-пт с 10 до 19 перерыв 13-14
    sat 11-16                                  сб 11:00-16:00
    sun off                                    вс выходной
    2026-12-31 off                             31.12, 01.01 выходной   31.12-08.01 выходной

Day ranges may wrap the week ("fri-mon" is Fri, Sat, Sun, Mon). Weekdays nobody mentions are
days off; a later rule for a weekday replaces an earlier one. "DD.MM" is the next such date on
or after today. Times are "10", "10:00", "10.00", "9:30", "10am", "7pm"; minutes must be a
multiple of 5 (the booking cell). Specific dates can only be made days off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import ClassVar

MINUTES_PER_DAY = 24 * 60
# Working hours are whole multiples of the booking cell (slots.CELL), so slot starts taken
# `step` after an interval start stay cell-aligned.
_MINUTE_GRAIN = 5


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _clock(minutes: int) -> time:
    return time(0) if minutes == MINUTES_PER_DAY else time(minutes // 60, minutes % 60)


def format_minutes(minutes: int) -> str:
    """0..1440 minutes after midnight as "HH:MM" ("24:00" for the end of the day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class TimeRange:
    """[start, end) in local wall-clock time; `end == time(0)` means 24:00."""

    start: time
    end: time

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise ValueError(f"working hours are naive whole minutes, got {value!r}")
        if self.start_minute >= self.end_minute:
            raise ValueError(f"{self.label()}: start must be before end")

    @classmethod
    def from_minutes(cls, start: int, end: int) -> TimeRange:
        return cls(_clock(start), _clock(end))

    @property
    def start_minute(self) -> int:
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        return _minutes(self.end) or MINUTES_PER_DAY

    def label(self, dash: str = "–") -> str:
        return f"{format_minutes(self.start_minute)}{dash}{format_minutes(self.end_minute)}"


def _check_day(intervals: tuple[TimeRange, ...]) -> None:
    for before, after in pairwise(intervals):
        if after.start_minute < before.end_minute:
            raise ValueError(f"{after.label()} overlaps or precedes {before.label()}")


@dataclass(frozen=True)
class WeeklySchedule:
    """Working intervals for Monday..Sunday (index 0..6) plus specific dates off."""

    DEFAULT: ClassVar[WeeklySchedule]

    days: tuple[tuple[TimeRange, ...], ...]
    days_off: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError(f"a week has 7 days, got {len(self.days)}")
        for intervals in self.days:
            _check_day(intervals)

    def intervals_on(self, day: date) -> tuple[TimeRange, ...]:
        if day in self.days_off:
            return ()
        return self.days[day.weekday()]

    def is_working_day(self, day: date) -> bool:
        return bool(self.intervals_on(day))

    def to_json(self) -> str:
        """Stable text for the database: same schedule, same string."""
        return json.dumps(
            {
                "days": [[interval.label("-") for interval in day] for day in self.days],
                "days_off": sorted(day.isoformat() for day in self.days_off),
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> WeeklySchedule:
        """The inverse of to_json; ValueError if the stored text is damaged."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a schedule is a JSON object")
        days = data.get("days")
        days_off = data.get("days_off", [])
        if not isinstance(days, list) or not isinstance(days_off, list):
            raise ValueError("a schedule has a list of days and a list of days off")
        week: list[tuple[TimeRange, ...]] = []
        for day in days:
            if not isinstance(day, list):
                raise ValueError(f"a day is a list of intervals, got {day!r}")
            week.append(tuple(_stored_range(item) for item in day))
        off: set[date] = set()
        for item in days_off:
            if not isinstance(item, str):
                raise ValueError(f"a day off is an ISO date, got {item!r}")
            off.add(date.fromisoformat(item))
        return cls(days=tuple(week), days_off=frozenset(off))


def _stored_range(item: object) -> TimeRange:
    match = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", item) if isinstance(item, str) else None
    if match is None:
        raise ValueError(f"an interval is 'HH:MM-HH:MM', got {item!r}")
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    if start_minute > 59 or end_minute > 59:
        raise ValueError(f"bad minutes in {item!r}")
    start, end = start_hour * 60 + start_minute, end_hour * 60 + end_minute
    if start >= end or end > MINUTES_PER_DAY:
        raise ValueError(f"bad interval {item!r}")
    return TimeRange.from_minutes(start, end)


_WEEKDAY_HOURS = (TimeRange(time(10), time(13)), TimeRange(time(14), time(19)))
WeeklySchedule.DEFAULT = WeeklySchedule(days=(_WEEKDAY_HOURS,) * 5 + ((), ()))


# --- formatting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DayGroup:
    """Consecutive weekdays (0 = Monday) with identical hours; empty intervals = days off."""

    first: int
    last: int
    intervals: tuple[TimeRange, ...]


def group_days(schedule: WeeklySchedule) -> list[DayGroup]:
    """The whole week Monday..Sunday as runs of equal days (no wrap from Sunday to Monday)."""
    groups: list[DayGroup] = []
    for index, intervals in enumerate(schedule.days):
        if groups and groups[-1].intervals == intervals:
            groups[-1] = DayGroup(groups[-1].first, index, intervals)
        else:
            groups.append(DayGroup(index, index, intervals))
    return groups


def format_schedule(
    schedule: WeeklySchedule, day_names: Sequence[str], *, day_off: str | None = None
) -> list[str]:
    """Lines like "Mon–Fri 10:00–13:00, 14:00–19:00".

    `day_names` are the 7 localised short names, Monday first. Days off are left out unless
    `day_off` gives the word for them ("Sat–Sun off"). Specific dates off are not included:
    render `schedule.days_off` as the caller sees fit. With English or Russian names the
    lines parse back into the same weekly hours.
    """
    if len(day_names) != 7:
        raise ValueError(f"need 7 day names, got {len(day_names)}")
    lines: list[str] = []
    for group in group_days(schedule):
        days = day_names[group.first]
        if group.last != group.first:
            days += "–" + day_names[group.last]
        if group.intervals:
            lines.append(f"{days} " + ", ".join(item.label() for item in group.intervals))
        elif day_off is not None:
            lines.append(f"{days} {day_off}")
    return lines


# --- parsing ------------------------------------------------------------------------------


class ScheduleErrorCode(StrEnum):
    """The bot has a locale message for each of these (hours.<code>); params listed per code."""

    EMPTY = "empty"  # nothing but spaces
    UNKNOWN_DAY = "unknown_day"  # word
    MISSING_DAYS = "missing_days"  # a rule that starts with hours or "off"
    MISSING_HOURS = "missing_hours"  # days with neither hours nor "off"
    BAD_TIME = "bad_time"  # text
    END_BEFORE_START = "end_before_start"  # start, end
    BREAK_OUTSIDE = "break_outside"  # start, end
    OVERLAP = "overlap"  # start, end: the interval that overlaps an earlier one
    BAD_DATE = "bad_date"  # text
    PAST_DATE = "past_date"  # text
    DATE_NEEDS_OFF = "date_needs_off"  # text: dates can only be days off
    UNEXPECTED = "unexpected"  # text
    NO_WORKING_DAYS = "no_working_days"


class ScheduleError(Exception):
    """A schedule we cannot accept; `line` is 1-based, `code` and `params` feed the message."""

    def __init__(self, code: ScheduleErrorCode, *, line: int, **params: str | int) -> None:
        super().__init__(f"line {line}: {code}" + (f" {params}" if params else ""))
        self.code = code
        self.line = line
        self.params: dict[str, str | int] = dict(params)


def _weekdays(*names: str) -> dict[str, tuple[int, ...]]:
    """Each name (several per weekday, comma-separated) -> that weekday's index."""
    return {word: (index,) for index, words in enumerate(names) for word in words.split(",")}


_DAY_WORDS: dict[str, tuple[int, ...]] = {
    **_weekdays(
        "mon,monday,mo",
        "tue,tues,tuesday,tu",
        "wed,wednesday,we",
        "thu,thur,thurs,thursday,th",
        "fri,friday,fr",
        "sat,saturday,sa",
        "sun,sunday,su",
    ),
    # Nominative, genitive ("с понедельника") and accusative ("по пятницу") forms.
    **_weekdays(
        "пн,пон,понедельник,понедельника",
        "вт,вто,вторник,вторника",
        "ср,сре,среда,среды,среду",
        "чт,чет,четверг,четверга",
        "пт,пят,пятница,пятницы,пятницу",
        "сб,суб,суббота,субботы,субботу",
        "вс,вос,воскресенье,воскресенья",
    ),
    **dict.fromkeys(["weekdays", "workdays", "будни"], (0, 1, 2, 3, 4)),
    **dict.fromkeys(["weekend", "weekends", "выходные"], (5, 6)),
    **dict.fromkeys(["daily", "everyday", "ежедневно"], (0, 1, 2, 3, 4, 5, 6)),
}
_OFF_PHRASES = frozenset(
    [
        "off",
        "day off",
        "closed",
        "not working",
        "выходной",
        "выходные",
        "вых",
        "нерабочий",
        "нерабочий день",
        "не работаю",
    ]
)
_OFF_WORDS = frozenset(word for phrase in _OFF_PHRASES for word in phrase.split())
_BREAK_WORDS = frozenset(["break", "breaks", "lunch", "перерыв", "перерывы", "обед"])
_FROM_WORDS = frozenset(["from", "с", "со"])
_TO_WORDS = frozenset(["to", "till", "until", "through", "до", "по"])
_AND_WORDS = frozenset(["and", "и"])
# Words that end the list of days and begin the hours ("вс выходные": off, not "weekend").
_BODY_WORDS = _OFF_WORDS | _BREAK_WORDS | _FROM_WORDS | _TO_WORDS

_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_TOKEN_RE = re.compile(
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})|(?P<num>\d+(?:[:.]\d+)*)|(?P<word>[^\W\d_]+)|(?P<punct>\S)"
)
_TIME_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?")
_DAY_MONTH_RE = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?")
_MAX_DATE_RANGE = 366


@dataclass(frozen=True)
class _Token:
    kind: str  # iso | num | word | punct
    text: str


class _Rule:
    """One rule's tokens with a cursor; errors carry the rule's line."""

    def __init__(self, text: str, line: int) -> None:
        normal = text.lower().replace("ё", "е").translate(_DASHES).strip().rstrip(".!")
        normal = normal.lstrip("-•*· ")  # a bulleted list
        self.tokens = [
            _Token(str(match.lastgroup), match.group()) for match in _TOKEN_RE.finditer(normal)
        ]
        self.line = line
        self.index = 0

    def error(self, code: ScheduleErrorCode, **params: str | int) -> ScheduleError:
        return ScheduleError(code, line=self.line, **params)

    def peek(self, ahead: int = 0) -> _Token | None:
        index = self.index + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def rest(self) -> list[_Token]:
        return self.tokens[self.index :]


def _is_word(token: _Token | None, words: frozenset[str] | None = None) -> bool:
    return token is not None and token.kind == "word" and (words is None or token.text in words)


def _is_range_mark(token: _Token | None) -> bool:
    return token is not None and (token.text == "-" or _is_word(token, _TO_WORDS))


@dataclass
class _Draft:
    """The schedule as the rules so far describe it."""

    days: dict[int, tuple[TimeRange, ...]]
    days_off: set[date]
    last_line: int = 1


def parse_schedule(text: str, *, today: date) -> WeeklySchedule:
    """The manager's /hours text as a schedule, or a ScheduleError naming the line."""
    draft = _Draft(days={}, days_off=set())
    seen_rule = False
    for line_number, line in enumerate(text.splitlines(), start=1):
        for part in line.split(";"):
            rule = _Rule(part, line_number)
            if not rule.tokens:
                continue
            seen_rule = True
            draft.last_line = line_number
            first = rule.tokens[0]
            if first.kind in ("iso", "num"):
                draft.days_off.update(_parse_dates_off(rule, today))
            else:
                weekdays = _parse_days(rule)
                intervals = _parse_hours(rule)
                for weekday in weekdays:
                    draft.days[weekday] = intervals
    if not seen_rule:
        raise ScheduleError(ScheduleErrorCode.EMPTY, line=1)
    week = tuple(draft.days.get(index, ()) for index in range(7))
    if not any(week):
        raise ScheduleError(ScheduleErrorCode.NO_WORKING_DAYS, line=draft.last_line)
    return WeeklySchedule(days=week, days_off=frozenset(draft.days_off))


def _parse_days(rule: _Rule) -> list[int]:
    """Day names, lists and ranges at the start of a rule; the cursor stops at the hours."""
    days: list[int] = []
    while (token := rule.peek()) is not None:
        if token.text == "," or _is_word(token, _AND_WORDS):
            rule.index += 1
            continue
        if not _is_word(token):
            break
        following = rule.peek(1)
        if token.text in _FROM_WORDS and following is not None and following.text in _DAY_WORDS:
            rule.index += 1  # "с понедельника по пятницу"
            continue
        if days and token.text in _BODY_WORDS:
            break
        first = _DAY_WORDS.get(token.text)
        if first is None:
            if token.text in _BODY_WORDS:
                raise rule.error(ScheduleErrorCode.MISSING_DAYS)
            raise rule.error(ScheduleErrorCode.UNKNOWN_DAY, word=token.text)
        rule.index += 1
        end = rule.peek(1)
        if _is_range_mark(rule.peek()) and _is_word(end) and end is not None:
            last = _DAY_WORDS.get(end.text)
            if last is None:
                raise rule.error(ScheduleErrorCode.UNKNOWN_DAY, word=end.text)
            # A range may wrap the week: "fri-mon" is Fri, Sat, Sun, Mon.
            span = (last[-1] - first[0]) % 7
            days.extend((first[0] + offset) % 7 for offset in range(span + 1))
            rule.index += 2
        else:
            days.extend(first)
    if not days:
        raise rule.error(ScheduleErrorCode.MISSING_DAYS)
    return days


def _parse_hours(rule: _Rule) -> tuple[TimeRange, ...]:
    """What follows the days: "off", or intervals with optional breaks."""
    rest = rule.rest()
    if not rest:
        raise rule.error(ScheduleErrorCode.MISSING_HOURS)
    if all(_is_word(token) for token in rest) and " ".join(t.text for t in rest) in _OFF_PHRASES:
        return ()
    work: list[tuple[int, int]] = []
    breaks: list[tuple[int, int]] = []
    target = work
    while (token := rule.peek()) is not None:
        if token.text == "," or _is_word(token, _AND_WORDS | _FROM_WORDS):
            rule.index += 1
        elif _is_word(token, _BREAK_WORDS):
            target = breaks
            rule.index += 1
        elif token.kind == "num":
            target.append(_parse_range(rule))
        else:
            raise rule.error(ScheduleErrorCode.UNEXPECTED, text=token.text)
    if not work:
        raise rule.error(ScheduleErrorCode.MISSING_HOURS)
    return _subtract(rule, _merge(rule, work), _merge(rule, breaks, touching=False))


def _parse_range(rule: _Rule) -> tuple[int, int]:
    start_token = rule.tokens[rule.index]
    start = _parse_time(rule)
    if not _is_range_mark(rule.peek()) or (end_token := rule.peek(1)) is None:
        raise rule.error(ScheduleErrorCode.BAD_TIME, text=start_token.text)
    if end_token.kind != "num":
        raise rule.error(ScheduleErrorCode.BAD_TIME, text=end_token.text)
    rule.index += 1
    end = _parse_time(rule)
    if start >= end:
        raise rule.error(
            ScheduleErrorCode.END_BEFORE_START,
            start=format_minutes(start),
            end=format_minutes(end),
        )
    return start, end


def _parse_time(rule: _Rule) -> int:
    """A time token (and a following am/pm) as minutes after midnight, 0..1440."""
    token = rule.tokens[rule.index]
    rule.index += 1
    text, meridiem = token.text, None
    if (after := rule.peek()) is not None and after.kind == "word" and after.text in ("am", "pm"):
        meridiem = after.text
        text += meridiem
        rule.index += 1
    match = _TIME_RE.fullmatch(token.text)
    if match is None:
        raise rule.error(ScheduleErrorCode.BAD_TIME, text=text)
    hour, minute = int(match[1]), int(match[2] or 0)
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise rule.error(ScheduleErrorCode.BAD_TIME, text=text)
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    value = hour * 60 + minute
    if minute > 59 or value > MINUTES_PER_DAY or minute % _MINUTE_GRAIN:
        raise rule.error(ScheduleErrorCode.BAD_TIME, text=text)
    return value


def _merge(rule: _Rule, ranges: list[tuple[int, int]], *, touching: bool = True) -> list[list[int]]:
    """Sorted ranges; touching working ranges join ("10-13 13-19" is 10-19)."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            raise rule.error(
                ScheduleErrorCode.OVERLAP, start=format_minutes(start), end=format_minutes(end)
            )
        if merged and touching and start == merged[-1][1]:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def _subtract(rule: _Rule, work: list[list[int]], breaks: list[list[int]]) -> tuple[TimeRange, ...]:
    pieces = [list(item) for item in work]
    for start, end in breaks:
        for index, (work_start, work_end) in enumerate(pieces):
            if work_start <= start and end <= work_end:
                pieces[index : index + 1] = [[work_start, start], [end, work_end]]
                break
        else:
            raise rule.error(
                ScheduleErrorCode.BREAK_OUTSIDE,
                start=format_minutes(start),
                end=format_minutes(end),
            )
    return tuple(TimeRange.from_minutes(start, end) for start, end in pieces if start < end)


def _parse_dates_off(rule: _Rule, today: date) -> set[date]:
    """ "31.12", "2026-12-31", lists and ranges of them, then an "off" phrase."""
    days: set[date] = set()
    after_comma = False
    while (token := rule.peek()) is not None:
        if token.text == "," and days:
            rule.index += 1
            after_comma = True
            continue
        if token.kind not in ("iso", "num"):
            break
        if days and not after_comma and not _looks_like_date(token):
            break  # "31.12 10-15": hours after a date
        after_comma = False
        first = _parse_date(rule, token, today)
        rule.index += 1
        end = rule.peek(1)
        if _is_range_mark(rule.peek()) and end is not None and end.kind in ("iso", "num"):
            last = _parse_date(rule, end, first, range_end=True)
            span = (last - first).days
            if not 0 <= span < _MAX_DATE_RANGE:
                raise rule.error(ScheduleErrorCode.BAD_DATE, text=f"{token.text}-{end.text}")
            days.update(first + timedelta(days=offset) for offset in range(span + 1))
            rule.index += 2
        else:
            days.add(first)
    rest = rule.rest()
    if not (
        rest
        and all(_is_word(item) for item in rest)
        and " ".join(item.text for item in rest) in _OFF_PHRASES
    ):
        raise rule.error(ScheduleErrorCode.DATE_NEEDS_OFF, text=rule.tokens[0].text)
    return days


def _looks_like_date(token: _Token) -> bool:
    if token.kind == "iso":
        return True
    match = _DAY_MONTH_RE.fullmatch(token.text)
    return match is not None and 1 <= int(match[1]) <= 31 and 1 <= int(match[2]) <= 12


def _looks_like_time(text: str) -> bool:
    match = _TIME_RE.fullmatch(text)
    return match is not None and int(match[1]) <= 24 and int(match[2] or 0) <= 59


def _parse_date(rule: _Rule, token: _Token, today: date, *, range_end: bool = False) -> date:
    """An ISO or DD.MM[.YYYY] date; without a year, the first such date on or after `today`.

    For the end of a range `today` is the range's first day and an earlier date is the
    caller's to refuse.
    """
    if token.kind == "iso":
        year, month, day = (int(part) for part in token.text.split("-"))
    elif (match := _DAY_MONTH_RE.fullmatch(token.text)) is not None and 1 <= int(match[2]) <= 12:
        day, month = int(match[1]), int(match[2])
        year = 0 if match[3] is None else int(match[3]) + (2000 if len(match[3]) == 2 else 0)
    elif rule.index == 0 and _looks_like_time(token.text):
        raise rule.error(ScheduleErrorCode.MISSING_DAYS)  # "10-19": hours without days
    else:
        raise rule.error(ScheduleErrorCode.BAD_DATE, text=token.text)
    if year:
        try:
            value = date(year, month, day)
        except ValueError:
            raise rule.error(ScheduleErrorCode.BAD_DATE, text=token.text) from None
        if value < today and not range_end:
            raise rule.error(ScheduleErrorCode.PAST_DATE, text=token.text)
        return value
    # 29.02 waits for the next leap year; anything else is at most a year away.
    for candidate_year in range(today.year, today.year + 9):
        try:
            value = date(candidate_year, month, day)
        except ValueError:
            continue
        if value >= today:
            return value
    raise rule.error(ScheduleErrorCode.BAD_DATE, text=token.text)

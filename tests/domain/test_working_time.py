"""Desk time: limits count only desk hours, in the team's zone, across weekends, days off
and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.hours import WeeklySchedule, parse_schedule
from bot.domain.working_time import add_working, is_open, working_between

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
DESK = parse_schedule("mon-fri 09:00-19:00", today=date(2026, 11, 1))


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # Inside one working day.
        (at(MOSCOW, 2026, 11, 30, 10, 0), 15, at(MOSCOW, 2026, 11, 30, 10, 15)),
        # Friday evening: 5 minutes on Friday, 10 on Monday morning.
        (at(MOSCOW, 2026, 11, 27, 18, 55), 15, at(MOSCOW, 2026, 11, 30, 9, 10)),
        # Ending exactly at closing time stays on the day.
        (at(MOSCOW, 2026, 11, 27, 18, 45), 15, at(MOSCOW, 2026, 11, 27, 19, 0)),
        # Given on a Saturday: counted from Monday's opening.
        (at(MOSCOW, 2026, 11, 28, 12, 0), 60, at(MOSCOW, 2026, 11, 30, 10, 0)),
        # Given at night: from the same morning's opening.
        (at(MOSCOW, 2026, 12, 1, 3, 0), 30, at(MOSCOW, 2026, 12, 1, 9, 30)),
        # Longer than a working day: carries over to the next day.
        (at(MOSCOW, 2026, 12, 1, 18, 0), 12 * 60, at(MOSCOW, 2026, 12, 3, 10, 0)),
        # Zero minutes out of hours: the next opening (a breach waits for desk hours).
        (at(MOSCOW, 2026, 11, 27, 19, 0), 0, at(MOSCOW, 2026, 11, 30, 9, 0)),
        # A start given in UTC is read in the desk's zone (15:55 UTC = 18:55 in Moscow).
        (datetime(2026, 11, 27, 15, 55, tzinfo=UTC), 15, at(MOSCOW, 2026, 11, 30, 9, 10)),
    ],
)
def test_add_working_counts_desk_hours_only(start: datetime, minutes: int, due: datetime) -> None:
    assert add_working(start, minutes, DESK, MOSCOW) == due


def test_a_day_off_is_skipped() -> None:
    schedule = parse_schedule("mon-fri 09:00-19:00; 31.12 off", today=date(2026, 12, 1))
    # Wednesday 30 Dec at 18:30, one hour: Thursday 31 Dec is off, so Friday 1 Jan at 09:30.
    due = add_working(at(MOSCOW, 2026, 12, 30, 18, 30), 60, schedule, MOSCOW)
    assert due == at(MOSCOW, 2027, 1, 1, 9, 30)
    assert not is_open(at(MOSCOW, 2026, 12, 31, 12, 0), schedule, MOSCOW)


def test_opening_hours_keep_their_wall_clock_across_a_dst_change() -> None:
    # Berlin leaves summer time on Sunday 25 Oct 2026: Friday 18:30 is 16:30 UTC,
    # Monday 09:30 is 08:30 UTC.
    start = at(BERLIN, 2026, 10, 23, 18, 30)
    due = add_working(start, 60, DESK, BERLIN)
    assert due == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 9
    assert working_between(start, due, DESK, BERLIN) == timedelta(minutes=60)


def test_a_round_the_clock_desk_counts_the_real_hours_of_a_dst_night() -> None:
    always = parse_schedule("mon-sun 00:00-24:00", today=date(2026, 10, 1))
    saturday = at(BERLIN, 2026, 10, 24, 0, 0)
    monday = at(BERLIN, 2026, 10, 26, 0, 0)
    # The night of 25 Oct has 25 hours in Berlin.
    assert working_between(saturday, monday, always, BERLIN) == timedelta(hours=49)
    assert add_working(saturday, 49 * 60, always, BERLIN) == monday
    # In spring the night of 29 Mar has 23.
    spring = working_between(at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30), always, BERLIN)
    assert spring == timedelta(hours=23)


def test_working_between() -> None:
    friday = at(MOSCOW, 2026, 11, 27, 18, 0)
    monday = at(MOSCOW, 2026, 11, 30, 10, 0)
    assert working_between(friday, monday, DESK, MOSCOW) == timedelta(hours=2)
    assert working_between(monday, friday, DESK, MOSCOW) == -timedelta(hours=2)
    saturday, sunday = at(MOSCOW, 2026, 11, 28, 10), at(MOSCOW, 2026, 11, 29, 10)
    assert working_between(saturday, sunday, DESK, MOSCOW) == timedelta()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(MOSCOW, 2026, 11, 27, 9, 0), True),
        (at(MOSCOW, 2026, 11, 27, 18, 59), True),
        (at(MOSCOW, 2026, 11, 27, 19, 0), False),
        (at(MOSCOW, 2026, 11, 27, 8, 59), False),
        (at(MOSCOW, 2026, 11, 28, 12, 0), False),
    ],
)
def test_is_open(moment: datetime, expected: bool) -> None:
    assert is_open(moment, DESK, MOSCOW) is expected


def test_a_schedule_without_working_time_is_an_error() -> None:
    closed = WeeklySchedule(days=((),) * 7)
    with pytest.raises(ValueError, match="no working time"):
        add_working(at(MOSCOW, 2026, 11, 27, 12, 0), 15, closed, MOSCOW)

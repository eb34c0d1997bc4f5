"""A manager's working hours: what /hours accepts, what it refuses and on which line."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.domain.hours import (
    DayGroup,
    ScheduleError,
    ScheduleErrorCode,
    TimeRange,
    WeeklySchedule,
    format_schedule,
    group_days,
    parse_schedule,
)

TODAY = date(2026, 6, 1)  # a Monday
EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RU = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
OFF: tuple[TimeRange, ...] = ()


def hours(*ranges: str) -> tuple[TimeRange, ...]:
    """hours("10:00-13:00", "14:00-19:00") -> the TimeRanges."""
    result: list[TimeRange] = []
    for item in ranges:
        start, end = item.split("-")
        start_minute = int(start[:2]) * 60 + int(start[3:])
        end_minute = int(end[:2]) * 60 + int(end[3:])
        result.append(TimeRange.from_minutes(start_minute, end_minute))
    return tuple(result)


WEEKDAY = hours("10:00-13:00", "14:00-19:00")
SATURDAY = hours("11:00-16:00")


def week(*days: tuple[TimeRange, ...]) -> tuple[tuple[TimeRange, ...], ...]:
    return days + (OFF,) * (7 - len(days))


def parse(text: str) -> WeeklySchedule:
    return parse_schedule(text, today=TODAY)


def error_of(text: str, today: date = TODAY) -> ScheduleError:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text, today=today)
    return caught.value


# --- parsing ------------------------------------------------------------------------------

EXPECTED_EXAMPLE = WeeklySchedule(
    days=(WEEKDAY,) * 5 + (SATURDAY, OFF), days_off=frozenset({date(2026, 12, 31)})
)


@pytest.mark.parametrize(
    "text",
    [
        "mon-fri 10:00-19:00 break 13:00-14:00\nsat 11:00-16:00\nsun off\n2026-12-31 off",
        "пн-пт 10-19 перерыв 13-14\nсб 11:00-16:00\nвс выходной\n31.12 выходной",
        "MON-FRI 10:00-19:00 BREAK 13:00-14:00; Sat 11-16; 31.12.2026 OFF",
        "Пн–Пт 10.00–19.00 обед 13.00–14.00\nСб 11–16\n31.12.26 выходной",
        "с понедельника по пятницу с 10 до 19, перерыв с 13 до 14\nсубботу 11-16\n31.12 вых",
        "weekdays 10am-7pm lunch 1pm-2pm\nsaturday 11am-4pm\nsunday closed\n31.12 day off",
        "будни 10-13, 14-19\n\n  сб 11-16  \nвс нерабочий день\n31.12 не работаю",
        "- mon-fri 10-19 break 13-14\n- sat 11-16.\n- 31.12 off",
    ],
)
def test_the_documented_example_in_english_and_russian(text: str) -> None:
    assert parse(text) == EXPECTED_EXAMPLE


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon,wed,fri 10-19", (hours("10:00-19:00"), OFF) * 2 + (hours("10:00-19:00"), OFF, OFF)),
        (
            "mon, wed and fri 10-19",
            (hours("10:00-19:00"), OFF) * 2 + (hours("10:00-19:00"), OFF, OFF),
        ),
        # A range may wrap the week.
        ("fri-mon 9:30-18", (hours("09:30-18:00"),) + (OFF,) * 3 + (hours("09:30-18:00"),) * 3),
        ("daily 10-18", (hours("10:00-18:00"),) * 7),
        ("ежедневно 10-18", (hours("10:00-18:00"),) * 7),
        ("выходные 10-16", (OFF,) * 5 + (hours("10:00-16:00"),) * 2),
        ("weekend 10-16", (OFF,) * 5 + (hours("10:00-16:00"),) * 2),
        ("mon 10-13 15-19", week(hours("10:00-13:00", "15:00-19:00"))),
        ("mon 10-13, 15-19", week(hours("10:00-13:00", "15:00-19:00"))),
        ("mon 10-13 и 15-19", week(hours("10:00-13:00", "15:00-19:00"))),
        # Touching intervals join.
        ("mon 10-13 13-19", week(hours("10:00-19:00"))),
        (
            "mon 9-20 break 12-13 break 16:00-16:30",
            week(hours("09:00-12:00", "13:00-16:00", "16:30-20:00")),
        ),
        (
            "mon 9-20 перерывы 12-13, 16-16:30",
            week(hours("09:00-12:00", "13:00-16:00", "16:30-20:00")),
        ),
        # A break at the edge only shortens the day.
        ("mon 10-19 break 10-11", week(hours("11:00-19:00"))),
        ("mon 12pm-12:30pm", week(hours("12:00-12:30"))),
        ("mon 12am-6am", week(hours("00:00-06:00"))),
        ("mon 18:00-24:00", week(hours("18:00-24:00"))),
        ("mon 0-24", week(hours("00:00-24:00"))),
        ("mon 9:05-9:55", week(hours("09:05-09:55"))),
        # Later rules win for the weekday they name.
        (
            "mon-fri 10-19\nwed off",
            (hours("10:00-19:00"),) * 2 + (OFF,) + (hours("10:00-19:00"),) * 2 + (OFF, OFF),
        ),
        ("mon off\nmon 11-12", week(hours("11:00-12:00"))),
        ("пн 10-19; пн 12-13", week(hours("12:00-13:00"))),
        ("понедельник 10-19", week(hours("10:00-19:00"))),
        ("Вт 10-19", week(OFF, hours("10:00-19:00"))),
        ("ср 10‒19", week(OFF, OFF, hours("10:00-19:00"))),
        ("thursday from 10 to 19", week(OFF, OFF, OFF, hours("10:00-19:00"))),
        ("пт с 10 до 19", week(OFF, OFF, OFF, OFF, hours("10:00-19:00"))),
        ("со среды по пятницу 10-19", week(OFF, OFF, *(hours("10:00-19:00"),) * 3)),
        ("вс выходные\nпн 10-19", week(hours("10:00-19:00"))),
    ],
)
def test_day_lists_ranges_and_times(text: str, days: tuple[tuple[TimeRange, ...], ...]) -> None:
    assert parse(text).days == days


@pytest.mark.parametrize(
    ("text", "today", "days_off"),
    [
        ("31.12 off", date(2026, 6, 1), {date(2026, 12, 31)}),
        # DD.MM is the next such date on or after today.
        ("31.12 off", date(2027, 1, 5), {date(2027, 12, 31)}),
        ("01.06 off", date(2026, 6, 1), {date(2026, 6, 1)}),
        ("31.05 off", date(2026, 6, 1), {date(2027, 5, 31)}),
        ("29.02 off", date(2026, 6, 1), {date(2028, 2, 29)}),
        ("1.5 off", date(2026, 6, 1), {date(2027, 5, 1)}),
        ("31.12.2026 off", date(2026, 6, 1), {date(2026, 12, 31)}),
        ("31.12.27 off", date(2026, 6, 1), {date(2027, 12, 31)}),
        ("2026-12-31 off", date(2026, 6, 1), {date(2026, 12, 31)}),
        ("31.12, 01.01 выходной", date(2026, 6, 1), {date(2026, 12, 31), date(2027, 1, 1)}),
        ("31.12 01.01 off", date(2026, 6, 1), {date(2026, 12, 31), date(2027, 1, 1)}),
        (
            "30.12-02.01 выходной",
            date(2026, 6, 1),
            {date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)},
        ),
        ("2026-12-31-2027-01-01 off", date(2026, 6, 1), {date(2026, 12, 31), date(2027, 1, 1)}),
        ("12.06 off\n04.11 off", date(2026, 6, 1), {date(2026, 6, 12), date(2026, 11, 4)}),
    ],
)
def test_dates_off(text: str, today: date, days_off: set[date]) -> None:
    schedule = parse_schedule("mon-fri 10-19\n" + text, today=today)
    assert schedule.days_off == days_off
    assert schedule.days[:5] == (hours("10:00-19:00"),) * 5


@pytest.mark.parametrize(
    ("text", "code", "line", "params"),
    [
        ("", ScheduleErrorCode.EMPTY, 1, {}),
        (" \n ;; \n", ScheduleErrorCode.EMPTY, 1, {}),
        ("mon-fri 10-19\nmnday 10-19", ScheduleErrorCode.UNKNOWN_DAY, 2, {"word": "mnday"}),
        ("mon-frj 10-19", ScheduleErrorCode.UNKNOWN_DAY, 1, {"word": "frj"}),
        ("понедельнек 10-19", ScheduleErrorCode.UNKNOWN_DAY, 1, {"word": "понедельнек"}),
        ("10-19", ScheduleErrorCode.MISSING_DAYS, 1, {}),
        ("mon 10-19\n10.00-19.00", ScheduleErrorCode.MISSING_DAYS, 2, {}),
        ("mon 10-19\noff", ScheduleErrorCode.MISSING_DAYS, 2, {}),
        ("mon 10-19\nbreak 13-14", ScheduleErrorCode.MISSING_DAYS, 2, {}),
        ("mon-fri", ScheduleErrorCode.MISSING_HOURS, 1, {}),
        ("mon 10-19\ntue break 13-14", ScheduleErrorCode.MISSING_HOURS, 2, {}),
        ("mon 10", ScheduleErrorCode.BAD_TIME, 1, {"text": "10"}),
        ("mon 10-", ScheduleErrorCode.BAD_TIME, 1, {"text": "10"}),
        ("mon 10-abc", ScheduleErrorCode.BAD_TIME, 1, {"text": "abc"}),
        ("mon 25-26", ScheduleErrorCode.BAD_TIME, 1, {"text": "25"}),
        ("mon 10:60-19", ScheduleErrorCode.BAD_TIME, 1, {"text": "10:60"}),
        ("mon 24:30-25", ScheduleErrorCode.BAD_TIME, 1, {"text": "24:30"}),
        ("mon 10:0-19", ScheduleErrorCode.BAD_TIME, 1, {"text": "10:0"}),
        ("mon 9:32-19", ScheduleErrorCode.BAD_TIME, 1, {"text": "9:32"}),
        ("mon 13pm-19", ScheduleErrorCode.BAD_TIME, 1, {"text": "13pm"}),
        ("mon 1000-1900", ScheduleErrorCode.BAD_TIME, 1, {"text": "1000"}),
        ("mon 10-9", ScheduleErrorCode.END_BEFORE_START, 1, {"start": "10:00", "end": "09:00"}),
        ("sat 22-02", ScheduleErrorCode.END_BEFORE_START, 1, {"start": "22:00", "end": "02:00"}),
        ("mon 10-10", ScheduleErrorCode.END_BEFORE_START, 1, {"start": "10:00", "end": "10:00"}),
        (
            "mon 10-19 break 14-13",
            ScheduleErrorCode.END_BEFORE_START,
            1,
            {"start": "14:00", "end": "13:00"},
        ),
        ("mon 24-10", ScheduleErrorCode.END_BEFORE_START, 1, {"start": "24:00", "end": "10:00"}),
        (
            "mon 10-19\ntue 10-19 break 9-10",
            ScheduleErrorCode.BREAK_OUTSIDE,
            2,
            {"start": "09:00", "end": "10:00"},
        ),
        (
            "mon 10-13 14-19 break 12:30-14:30",
            ScheduleErrorCode.BREAK_OUTSIDE,
            1,
            {"start": "12:30", "end": "14:30"},
        ),
        ("mon 10-14 13-19", ScheduleErrorCode.OVERLAP, 1, {"start": "13:00", "end": "19:00"}),
        (
            "mon 10-19 break 13-14 13:30-14:30",
            ScheduleErrorCode.OVERLAP,
            1,
            {"start": "13:30", "end": "14:30"},
        ),
        ("mon 10-19\n31.13 off", ScheduleErrorCode.BAD_DATE, 2, {"text": "31.13"}),
        ("mon 10-19\n32.12 off", ScheduleErrorCode.BAD_DATE, 2, {"text": "32.12"}),
        ("mon 10-19\n2026-02-30 off", ScheduleErrorCode.BAD_DATE, 2, {"text": "2026-02-30"}),
        ("mon 10-19\n31.12, 31.13 off", ScheduleErrorCode.BAD_DATE, 2, {"text": "31.13"}),
        ("mon 10-19\n31.12 31.13 off", ScheduleErrorCode.DATE_NEEDS_OFF, 2, {"text": "31.12"}),
        (
            "mon 10-19\n31.12-30.12.2026 off",
            ScheduleErrorCode.BAD_DATE,
            2,
            {"text": "31.12-30.12.2026"},
        ),
        (
            "mon 10-19\n01.01.2027-01.01.2029 off",
            ScheduleErrorCode.BAD_DATE,
            2,
            {"text": "01.01.2027-01.01.2029"},
        ),
        ("mon 10-19\n\n2026-05-31 off", ScheduleErrorCode.PAST_DATE, 3, {"text": "2026-05-31"}),
        ("mon 10-19\n31.05.2026 off", ScheduleErrorCode.PAST_DATE, 2, {"text": "31.05.2026"}),
        ("mon 10-19\n31.12 10-15", ScheduleErrorCode.DATE_NEEDS_OFF, 2, {"text": "31.12"}),
        ("mon 10-19\n31.12", ScheduleErrorCode.DATE_NEEDS_OFF, 2, {"text": "31.12"}),
        ("mon 10-19 foo", ScheduleErrorCode.UNEXPECTED, 1, {"text": "foo"}),
        ("mon 10-19 off", ScheduleErrorCode.UNEXPECTED, 1, {"text": "off"}),
        ("mon 10-19 sat 11-16", ScheduleErrorCode.UNEXPECTED, 1, {"text": "sat"}),
        ("mon 10-19 @", ScheduleErrorCode.UNEXPECTED, 1, {"text": "@"}),
        ("sun off", ScheduleErrorCode.NO_WORKING_DAYS, 1, {}),
        ("mon 10-19\nвс выходной\nmon off\n\n", ScheduleErrorCode.NO_WORKING_DAYS, 3, {}),
        ("вс выходные", ScheduleErrorCode.NO_WORKING_DAYS, 1, {}),
        (
            "mon 10-19; tue 10-19 break 8-9",
            ScheduleErrorCode.BREAK_OUTSIDE,
            1,
            {"start": "08:00", "end": "09:00"},
        ),
    ],
)
def test_refusals_name_the_line(
    text: str, code: ScheduleErrorCode, line: int, params: dict[str, str | int]
) -> None:
    error = error_of(text)
    assert (error.code, error.line, error.params) == (code, line, params)
    assert f"line {line}" in str(error)


def test_every_error_code_is_reachable() -> None:
    """The locale needs a message for each code; each appears in the refusals above."""
    # Kept in sync by hand with the table: a new code without a case fails here.
    covered = {
        ScheduleErrorCode.EMPTY,
        ScheduleErrorCode.UNKNOWN_DAY,
        ScheduleErrorCode.MISSING_DAYS,
        ScheduleErrorCode.MISSING_HOURS,
        ScheduleErrorCode.BAD_TIME,
        ScheduleErrorCode.END_BEFORE_START,
        ScheduleErrorCode.BREAK_OUTSIDE,
        ScheduleErrorCode.OVERLAP,
        ScheduleErrorCode.BAD_DATE,
        ScheduleErrorCode.PAST_DATE,
        ScheduleErrorCode.DATE_NEEDS_OFF,
        ScheduleErrorCode.UNEXPECTED,
        ScheduleErrorCode.NO_WORKING_DAYS,
    }
    assert covered == set(ScheduleErrorCode)


# --- the schedule -------------------------------------------------------------------------


def test_default_is_weekdays_ten_to_seven_with_a_lunch_break() -> None:
    assert WeeklySchedule.DEFAULT.days == (WEEKDAY,) * 5 + (OFF, OFF)
    assert WeeklySchedule.DEFAULT.days_off == frozenset()


def test_intervals_on_a_date() -> None:
    schedule = WeeklySchedule(days=EXPECTED_EXAMPLE.days, days_off=frozenset({date(2026, 6, 3)}))
    assert schedule.intervals_on(date(2026, 6, 1)) == WEEKDAY  # Monday
    assert schedule.intervals_on(date(2026, 6, 3)) == ()  # a Wednesday off
    assert schedule.intervals_on(date(2026, 6, 6)) == SATURDAY
    assert schedule.intervals_on(date(2026, 6, 7)) == ()
    assert [schedule.is_working_day(date(2026, 6, day)) for day in range(1, 8)] == [
        True,
        True,
        False,
        True,
        True,
        True,
        False,
    ]


def test_time_range_end_of_day_is_midnight() -> None:
    late = TimeRange(time(18), time(0))
    assert (late.start_minute, late.end_minute) == (18 * 60, 24 * 60)
    assert late.label() == "18:00–24:00"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (time(10), time(10)),
        (time(19), time(10)),
        (time(10, 0, 30), time(11)),
        (time(0, 5), time(0, 5)),
    ],
)
def test_time_range_refuses_bad_bounds(start: time, end: time) -> None:
    with pytest.raises(ValueError, match=r"working hours|start must be before end"):
        TimeRange(start, end)
    assert TimeRange(time(0), time(0, 5)).end_minute == 5  # a midnight start is not 24:00


def test_schedule_refuses_a_short_week_and_overlaps() -> None:
    with pytest.raises(ValueError, match="7 days"):
        WeeklySchedule(days=(WEEKDAY,) * 6)
    with pytest.raises(ValueError, match="overlaps"):
        WeeklySchedule(days=week(hours("10:00-14:00", "13:00-19:00")))


# --- storage ------------------------------------------------------------------------------


def test_json_is_stable_and_round_trips() -> None:
    assert WeeklySchedule.DEFAULT.to_json() == (
        '{"days":[' + ",".join(['["10:00-13:00","14:00-19:00"]'] * 5) + ',[],[]],"days_off":[]}'
    )
    schedule = parse(
        "mon 00:00-24:00\ntue 9:05-12 13-18\nsat 18-24\n01.01 off\n31.12 off\n2026-06-12 off"
    )
    text = schedule.to_json()
    assert '"days_off":["2026-06-12","2026-12-31","2027-01-01"]' in text
    assert '["18:00-24:00"]' in text
    assert WeeklySchedule.from_json(text) == schedule
    assert WeeklySchedule.from_json(text).to_json() == text


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"days":[]}',
        '{"days":[[],[],[],[],[],[]]}',
        '{"days":[["10-19"],[],[],[],[],[],[]]}',
        '{"days":[["19:00-10:00"],[],[],[],[],[],[]]}',
        '{"days":[["10:00-24:30"],[],[],[],[],[],[]]}',
        '{"days":[["10:61-12:00"],[],[],[],[],[],[]]}',
        '{"days":[["10:00-14:00","13:00-19:00"],[],[],[],[],[],[]]}',
        '{"days":[[],[],[],[],[],[],[]],"days_off":["31.12"]}',
        '{"days":[[],[],[],[],[],[],[]],"days_off":[20261231]}',
        '{"days":[1,[],[],[],[],[],[]]}',
    ],
)
def test_damaged_json_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any damage, one exception type
        WeeklySchedule.from_json(text)


# --- formatting ---------------------------------------------------------------------------


def test_format_groups_consecutive_equal_days() -> None:
    assert format_schedule(EXPECTED_EXAMPLE, EN) == [
        "Mon–Fri 10:00–13:00, 14:00–19:00",
        "Sat 11:00–16:00",
    ]
    assert format_schedule(EXPECTED_EXAMPLE, RU, day_off="выходной") == [
        "Пн–Пт 10:00–13:00, 14:00–19:00",
        "Сб 11:00–16:00",
        "Вс выходной",
    ]


def test_format_does_not_group_across_different_days() -> None:
    schedule = parse("mon,wed 10-19\ntue 10-18\nthu-fri 10-19\nsun 0-24")
    assert format_schedule(schedule, EN, day_off="off") == [
        "Mon 10:00–19:00",
        "Tue 10:00–18:00",
        "Wed–Fri 10:00–19:00",
        "Sat off",
        "Sun 00:00–24:00",
    ]
    assert group_days(schedule)[2] == DayGroup(2, 4, hours("10:00-19:00"))
    assert [(group.first, group.last) for group in group_days(schedule)] == [
        (0, 0),
        (1, 1),
        (2, 4),
        (5, 5),
        (6, 6),
    ]


def test_format_needs_seven_names() -> None:
    with pytest.raises(ValueError, match="7 day names"):
        format_schedule(EXPECTED_EXAMPLE, EN[:5])


@pytest.mark.parametrize(("names", "off"), [(EN, "off"), (RU, "выходной")])
def test_formatted_lines_parse_back(names: tuple[str, ...], off: str) -> None:
    schedule = parse("mon,wed 10-13 14-19\ntue 9:30-18\nthu-sat 11-20 break 15-15:30\nsun 18-24")
    text = "\n".join(format_schedule(schedule, names, day_off=off))
    assert parse(text) == schedule

"""Period parsing and the funnel arithmetic, without Telegram or a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.events import Event, EventType
from bot.domain.funnel import Stage, funnel
from bot.domain.lead_search import matches, phone_digits
from bot.domain.periods import Period, PeriodError, PeriodKind, parse_period
from bot.i18n import Translations
from bot.views.stats import SLICE_LIMIT, stats_text
from tests.stats.seed import COHORT, utc

TODAY = date(2026, 11, 22)  # a Sunday
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        (None, TODAY, TODAY),
        ("", TODAY, TODAY),
        ("today", TODAY, TODAY),
        ("  Сегодня ", TODAY, TODAY),
        ("yesterday", date(2026, 11, 21), date(2026, 11, 21)),
        ("week", date(2026, 11, 16), TODAY),
        ("неделя", date(2026, 11, 16), TODAY),
        ("month", date(2026, 11, 1), TODAY),
        ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("2026-11-01 .. 2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("2026-11-01—2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
        ("2026-02-28..2026-03-01", date(2026, 2, 28), date(2026, 3, 1)),
        ("2026-11-03", date(2026, 11, 3), date(2026, 11, 3)),
        ("01.11.2026..15.11.2026", date(2026, 11, 1), date(2026, 11, 15)),
        ("3.11.2026", date(2026, 11, 3), date(2026, 11, 3)),
        ("01.11.2026 - 2026-11-15", date(2026, 11, 1), date(2026, 11, 15)),
    ],
)
def test_periods_people_type(text: str | None, first: date, last: date) -> None:
    period = parse_period(text, TODAY)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("weak", "unknown"),
        ("last week", "unknown"),
        ("2026-11", "unknown"),
        ("11/01/2026", "unknown"),
        ("01.11.26", "unknown"),
        ("31.11.2026", "bad_date"),
        ("2026-11-15..", "unknown"),
        ("2026-02-30", "bad_date"),
        ("2026-13-01..2026-13-05", "bad_date"),
        ("2026-11-15..2026-11-01", "reversed"),
        ("2024-01-01..2026-01-01", "too_long"),
    ],
)
def test_bad_periods_say_why(text: str, code: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text, TODAY)
    assert raised.value.code == code


def test_a_week_is_monday_to_today_and_a_monday_week_is_one_day() -> None:
    monday = date(2026, 11, 16)
    assert parse_period("week", monday) == Period(PeriodKind.WEEK, monday, monday)
    assert parse_period("month", date(2026, 11, 1)).days == 1


def test_bounds_are_local_midnights_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start, end = parse_period("2026-10-25", TODAY).bounds(berlin)  # clocks go back
    assert start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=25)
    start, end = parse_period("2026-11-20", TODAY).bounds(MOSCOW)
    assert (start, end) == (utc("2026-11-19 21:00"), utc("2026-11-20 21:00"))


def _events() -> list[Event]:
    return [
        Event(i, lead_id, type_, utc(at), "system", data)
        for i, (lead_id, type_, at, data) in enumerate(COHORT, start=1)
    ]


def test_the_cohort_funnel_counts_by_arrival() -> None:
    start, end = parse_period("2026-11-20..2026-11-21", TODAY).bounds(MOSCOW)
    result = funnel(_events(), start, end)
    assert {stage: result.total[stage] for stage in Stage} == {
        Stage.NEW: 3,
        Stage.QUALIFIED: 3,
        Stage.TARGET: 2,  # 103's override counts
        Stage.BOOKED: 2,
        Stage.ATTENDED: 1,  # 101 came on the 25th: still in the 20th's cohort
    }
    shares = {(a, b): share for a, b, share in result.conversions()}
    assert shares[(Stage.QUALIFIED, Stage.TARGET)] == pytest.approx(2 / 3)
    assert shares[(Stage.BOOKED, Stage.ATTENDED)] == pytest.approx(0.5)
    assert list(result.by_source) == ["vk_spring", "site"]
    assert result.by_source["vk_spring"][Stage.TARGET] == 1
    assert result.by_verdict == {"target": 2, "nurture": 1}
    assert result.by_owner["Olga"][Stage.BOOKED] == 2
    assert result.by_sales_manager[7][Stage.ATTENDED] == 1
    assert result.median_take == timedelta(minutes=20)  # 15 and 25
    assert result.median_first_contact == timedelta(minutes=55)  # 45 (not the no-answer) and 65
    assert result.breaches == {"take": 1}
    assert result.erased == 1


def test_an_empty_period_has_no_conversions_and_no_medians() -> None:
    start, end = parse_period("2026-11-01", TODAY).bounds(MOSCOW)
    result = funnel(_events(), start, end)
    assert result.total[Stage.NEW] == 0
    assert all(share is None for _, _, share in result.conversions())
    assert result.median_take is None and result.median_first_contact is None


@pytest.mark.parametrize(
    ("query", "name", "phone", "found"),
    [
        ("8 (916) 123-45-67", None, "+79161234567", True),
        ("+7 916 123 45 67", None, "+79161234567", True),
        ("9161234567", None, "+79161234567", True),
        ("123-45", None, "+79161234567", True),
        ("8 916 000-00-00", None, "+79161234567", False),
        ("анна ёлкина", "Анна Елкина", None, True),
        ("ЕЛКИНА", "Анна  Ёлкина", None, True),
        ("anna", "Anna Smith", None, True),
        ("Ольга", "Анна", None, False),
        ("12", "Анна", "+79161234567", False),  # too few digits: a name, and not this one
        ("   ", "Анна", None, False),
    ],
)
def test_find_matches(query: str, name: str | None, phone: str | None, found: bool) -> None:
    assert matches(query, name, phone) is found


def test_phone_queries_keep_the_last_ten_digits() -> None:
    assert phone_digits("8 (916) 123-45-67") == "9161234567"
    assert phone_digits("Anna 916") is None


def test_a_long_tail_of_sources_is_cut_to_fit_a_message() -> None:
    created = [
        Event(i, i, EventType.CREATED, utc("2026-11-20 10:00"), "prospect", {"source": f"s{i}"})
        for i in range(1, 16)
    ]
    start, end = parse_period("2026-11-20", TODAY).bounds(MOSCOW)
    t = Translations("ru").get("ru")
    period = parse_period("2026-11-20", TODAY)
    lines = stats_text(funnel(created, start, end), period, {}, t).splitlines()
    assert sum(1 for line in lines if line.startswith("s")) == SLICE_LIMIT
    assert f"… и ещё {15 - SLICE_LIMIT}" in lines


def test_the_longest_stats_text_fits_one_telegram_message() -> None:
    rows: list[Event] = []
    for i in range(1, 31):
        at = utc("2026-11-20 10:00")
        rows += [
            Event(4 * i, i, EventType.CREATED, at, "prospect", {"source": f"{i:02d}" + "x" * 62}),
            Event(4 * i + 1, i, EventType.QUALIFIED, at, "checklist", {"verdict": "target"}),
            Event(
                4 * i + 2,
                i,
                EventType.DESK_OWNER_SET,
                at,
                "staff:1",
                {"owner_name": f"{i:02d}" + "Я" * 62},
            ),
            Event(4 * i + 3, i, EventType.VIEWING_BOOKED, at, "prospect", {"manager_id": i}),
        ]
    start, end = parse_period("2026-11-20", TODAY).bounds(MOSCOW)
    names = {i: f"{i:02d}" + "Ж" * 62 for i in range(1, 31)}
    kinds = ("take", "first_contact", "reply", "next_call")
    result = replace(funnel(rows, start, end), breaches=dict.fromkeys(kinds, 999))
    text = stats_text(
        result, parse_period("2026-11-20", TODAY), names, Translations("ru").get("ru")
    )
    assert len(text) < 4096  # with the HTML tags, so the visible text is shorter still

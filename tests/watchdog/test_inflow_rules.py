"""The watchdog's rules as tables: the usual rate, "well below", back to normal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.inflow import (
    Basis,
    Change,
    Expectation,
    SourceShare,
    covered_weeks,
    expectation,
    is_drop,
    is_recovered,
    judge,
    past_windows,
    poisson_tail,
    source_shares,
)

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


def learned(rate: float) -> Expectation:
    return Expectation(rate=rate, basis=Basis.LEARNED)


def floor(rate: float) -> Expectation:
    return Expectation(rate=rate, basis=Basis.FLOOR)


@pytest.mark.parametrize(
    ("count", "rate", "tail"),
    [
        (0, 3.0, 0.0498),
        (0, 5.0, 0.0067),
        (2, 10.0, 0.0028),
        (3, 10.0, 0.0103),
        (9, 20.0, 0.0050),
        (0, 0.0, 1.0),
        (-1, 5.0, 0.0),
        (500, 1000.0, 0.0),  # no underflow or overflow at large rates
    ],
)
def test_poisson_tail(count: int, rate: float, tail: float) -> None:
    assert poisson_tail(count, rate) == pytest.approx(tail, abs=5e-5)


@pytest.mark.parametrize(
    ("count", "expected", "drop"),
    [
        # Low volumes: an empty hour is normal at 3 or 4 an hour, so nothing is said.
        (0, learned(3), False),
        (0, learned(4), False),
        (0, learned(5), True),
        (1, learned(5), False),
        (2, learned(10), True),
        (3, learned(10), False),
        (9, learned(20), True),
        # A tiny p-value alone is not "well below": 900 of a usual 1000 is a dip.
        (900, learned(1000), False),
        (500, learned(1000), True),
        # The operator's floor is taken literally; 0 switches the alert off.
        (4, floor(5), True),
        (5, floor(5), False),
        (0, floor(0.5), True),
        (1, floor(0.5), False),
        (0, floor(0), False),
    ],
)
def test_is_drop(count: int, expected: Expectation, drop: bool) -> None:
    assert is_drop(count, expected) is drop


@pytest.mark.parametrize(
    ("count", "expected", "recovered"),
    [
        (0, learned(1), False),  # a quiet evening is no news of recovery
        (1, learned(5), False),
        (2, learned(5), True),  # 2 of 5 happens 12% of the time: normal
        (74, learned(100), False),
        (75, learned(100), True),
        # Hysteresis at a floor: the floor itself is not enough to say "back".
        (5, floor(5), False),
        (4, floor(4), False),
        (5, floor(4), True),
        (7, floor(5), True),
        (3, floor(2), True),
        (1, floor(0.5), True),
        (13, floor(10), True),
        (12, floor(10), False),
    ],
)
def test_is_recovered(count: int, expected: Expectation, recovered: bool) -> None:
    assert is_recovered(count, expected) is recovered


@pytest.mark.parametrize(
    ("low", "count", "change"),
    [
        (False, 0, Change.DROP),
        (True, 0, Change.NONE),  # still low: nothing new to say
        (True, 3, Change.NONE),  # between the two thresholds: no flapping
        (False, 3, Change.NONE),
        (True, 6, Change.RECOVERY),
        (False, 6, Change.NONE),
    ],
)
def test_judge_has_hysteresis(low: bool, count: int, change: Change) -> None:
    assert judge(low, count, learned(8)) is change


@pytest.mark.parametrize(
    ("weekly", "covered", "configured", "result"),
    [
        ([6, 5, 7, 6], 4, None, learned(6)),
        ([6, 5, 40, 6], 4, None, learned(6)),  # one campaign spike does not move it
        ([6, 0, 7, 6], 4, None, learned(6)),  # nor one holiday
        ([6, 5, 7, 6], 3, None, None),  # too little history
        ([], 0, None, None),
        ([], 0, 2.5, floor(2.5)),
        ([6, 5, 7, 6], 4, 2.0, floor(2.0)),  # the setting wins over learning
    ],
)
def test_expectation(
    weekly: list[int], covered: int, configured: float | None, result: Expectation | None
) -> None:
    assert expectation(configured, weekly, covered) == result


def test_past_windows_keep_the_wall_clock_across_dst() -> None:
    # Berlin leaves summer time on 2026-10-25: 11:00 local is 09:00 UTC before, 10:00 after.
    now = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)  # Monday 11:00 in Berlin
    ends = past_windows(now, BERLIN)
    assert [end.astimezone(BERLIN).strftime("%a %H:%M") for end in ends] == ["Mon 11:00"] * 4
    assert ends[0] == datetime(2026, 10, 19, 9, 0, tzinfo=UTC)
    assert ends[3] == datetime(2026, 9, 28, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first_days_ago", "covered"),
    [(None, 0), (1, 0), (7, 0), (8, 1), (22, 3), (29, 4), (365, 4)],
)
def test_covered_weeks(first_days_ago: int | None, covered: int) -> None:
    now = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    ends = past_windows(now, MSK)
    first = None if first_days_ago is None else now - timedelta(days=first_days_ago)
    assert covered_weeks(first, ends) == covered


def test_source_shares_put_the_quiet_campaign_first() -> None:
    weekly = [
        {"vk_spring": 4, "direct": 2},
        {"vk_spring": 5, "direct": 1},
        {"vk_spring": 4, "direct": 2, "site": 1},
        {"vk_spring": 6, "direct": 2},
    ]
    shares = source_shares({"direct": 1, "tg_ads": 2}, weekly)
    assert shares == [
        SourceShare("vk_spring", now=0, usual=4.5, stopped=True),
        SourceShare("direct", now=1, usual=2.0, stopped=False),
        SourceShare("tg_ads", now=2, usual=0.0, stopped=False),
        SourceShare("site", now=0, usual=0.0, stopped=False),
    ]


def test_source_shares_without_history_and_capped() -> None:
    now = {f"s{i}": i for i in range(1, 8)}
    shares = source_shares(now, [])
    assert [share.source for share in shares] == ["s7", "s6", "s5", "s4", "s3"]
    assert all(share.usual is None and not share.stopped for share in shares)


@pytest.mark.parametrize(
    ("now", "weekly", "stopped"),
    [
        (0, [2, 2, 3, 1], True),
        (0, [1, 1, 2, 1], False),  # usually one: an empty hour is common
        (1, [5, 5, 5, 5], False),  # slowed down, not stopped
    ],
)
def test_a_source_stopped(now: int, weekly: list[int], stopped: bool) -> None:
    [share] = source_shares({"vk": now}, [{"vk": count} for count in weekly])
    assert share.stopped is stopped

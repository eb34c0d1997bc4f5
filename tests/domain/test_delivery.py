"""When a sales-desk delivery is tried again, and when it is given up on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.delivery import (
    GIVE_UP_AFTER,
    PAUSE_LONGEST,
    RETRY_AFTER_LONGEST,
    RETRY_SCHEDULE,
    endpoint_pause,
    expired,
    jittered,
    next_try,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_the_schedule_is_the_standard_webhooks_one_stretched_to_about_three_days() -> None:
    assert RETRY_SCHEDULE[:7] == (
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
    )
    total = sum(RETRY_SCHEDULE, timedelta())
    assert timedelta(days=2, hours=12) < total < timedelta(days=3)
    # Even the slowest jitter of every step fits before an event is given up on by age.
    assert total * 1.2 < GIVE_UP_AFTER


@pytest.mark.parametrize(("refusals", "base"), list(enumerate(RETRY_SCHEDULE, start=1)))
def test_each_refusal_waits_its_step_give_or_take_a_fifth(refusals: int, base: timedelta) -> None:
    rng = random.Random(refusals)
    for _ in range(50):
        at = next_try(refusals, NOW, rng)
        assert at is not None
        assert base * 0.8 <= at - NOW <= base * 1.2


def test_after_the_last_step_the_event_is_dead() -> None:
    assert next_try(len(RETRY_SCHEDULE) + 1, NOW, random.Random(1)) is None


def test_jitter_spreads_events_that_failed_together() -> None:
    rng = random.Random(7)
    delays = {jittered(timedelta(minutes=5), rng) for _ in range(20)}
    assert len(delays) == 20


@pytest.mark.parametrize(
    ("failures", "retry_after", "pause"),
    [
        (1, None, timedelta(seconds=1)),
        (2, None, timedelta(seconds=1.5)),
        (3, None, timedelta(seconds=2.25)),
        (10, None, timedelta(seconds=1.5**9)),
        (12, None, PAUSE_LONGEST),
        (10_000, None, PAUSE_LONGEST),
        (1, 30.0, timedelta(seconds=30)),  # the CRM's Retry-After wins
        (5, 2.0, timedelta(seconds=2)),
        (1, 0.0, timedelta(seconds=1)),
        (1, 86_400.0, RETRY_AFTER_LONGEST),  # a day off is not believed
    ],
)
def test_an_unavailable_endpoint_pauses(
    failures: int, retry_after: float | None, pause: timedelta
) -> None:
    assert endpoint_pause(failures, retry_after) == pause


def test_events_expire_only_after_failing_for_the_whole_schedule() -> None:
    assert not expired(None, NOW)
    assert not expired(NOW - timedelta(days=2), NOW)
    assert expired(NOW - GIVE_UP_AFTER, NOW)

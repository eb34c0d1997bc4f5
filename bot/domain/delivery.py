"""When to try a sales-desk delivery again, and when to give up: pure rules.

Two kinds of failure are told apart. When the CRM as a whole is unavailable (down,
overloaded, throttling), the endpoint pauses: probes back off from 1 s to 1 min and no
event uses up its tries, so an outage of hours costs a few probes and the backlog goes
out in order as soon as the CRM is back. When the CRM refuses one event, that event
follows the Standard Webhooks schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then
14 h and 24 h: about 3 days), with jitter, and becomes a dead letter after the last try.
An event still undelivered 3 days after its first failure is a dead letter either way.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=24),
)
JITTER = 0.2
# The schedule with the longest jitter still fits: about 3 days.
GIVE_UP_AFTER = sum(RETRY_SCHEDULE, timedelta()) * (1 + JITTER) + timedelta(hours=1)
PAUSE_FIRST = timedelta(seconds=1)
PAUSE_GROWTH = 1.5
# Probing a down CRM once a minute costs nothing and finds it back within a minute.
PAUSE_LONGEST = timedelta(minutes=1)
# Retry-After beyond this is not believed: a CRM asking for a day off would stall every lead.
RETRY_AFTER_LONGEST = timedelta(hours=1)


def jittered(delay: timedelta, rng: random.Random) -> timedelta:
    """±20 %, so events that failed together do not all come back in the same second."""
    factor = 1 + rng.uniform(-JITTER, JITTER)
    return timedelta(seconds=delay.total_seconds() * factor)


def next_try(refusals: int, now: datetime, rng: random.Random) -> datetime | None:
    """After the `refusals`-th refusal of one event: when to try it again, or None (dead)."""
    if refusals > len(RETRY_SCHEDULE):
        return None
    return now + jittered(RETRY_SCHEDULE[refusals - 1], rng)


def endpoint_pause(failures_in_a_row: int, retry_after: float | None) -> timedelta:
    """How long to leave the whole endpoint alone after it was unavailable.

    Probes grow by half each time (1 s, 1.5 s, 2.3 s, …, at most a minute): a short blip
    costs seconds, not a long wait after the CRM is back; a long outage costs a probe a
    minute.
    """
    steps = min(max(failures_in_a_row - 1, 0), 32)
    backoff = min(PAUSE_FIRST * PAUSE_GROWTH**steps, PAUSE_LONGEST)
    if retry_after is None or retry_after <= 0:
        return backoff
    return min(timedelta(seconds=retry_after), RETRY_AFTER_LONGEST)


def expired(first_failed_at: datetime | None, now: datetime) -> bool:
    """An event failing for longer than the whole schedule is given up on."""
    return first_failed_at is not None and now - first_failed_at >= GIVE_UP_AFTER

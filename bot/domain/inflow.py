"""The inflow watchdog's rules: how many leads an hour are usual, and when the last hour
was "well below" that (and when it is back to normal).

Usual rate (learned): the median of the leads created in the same hour (the 60 minutes
ending at the same wall-clock time) on the last 4 same weekdays. The median, because one
campaign spike or one holiday in those weeks must not move it. All 4 weeks must lie after
the first lead ever recorded; with less history the watchdog stays silent (unless a floor
is set).

"Well below" (learned): leads arrive roughly as a Poisson process, so a quiet hour at a
low rate is normal (at 3 an hour, an hour without leads happens 5% of the time). A drop
is an hour so poor that it happens less than 1% of the time at the usual rate AND that
brought at most half the usual. In practice nothing is said while the usual is below
5 leads an hour. Back to normal (hysteresis, so the alert does not flap on the boundary):
at least one lead, and either an hour that happens at least 10% of the time at the usual
rate or three quarters of the usual.

Floor (`INFLOW_MIN_PER_HOUR`, set by the operator, overrides learning): a drop is an hour
with fewer leads than the floor; back to normal is an hour with a quarter more than it
(and at least one lead more than the floor's whole part). A floor of 0 turns the alert off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from statistics import median
from zoneinfo import ZoneInfo

WINDOW = timedelta(hours=1)
WEEKS = 4
DROP_TAIL = 0.01
DROP_RATIO = 0.5
RECOVER_TAIL = 0.10
RECOVER_RATIO = 0.75
FLOOR_RECOVER_RATIO = 1.25
SOURCES_SHOWN = 5
# A source "stopped" when it brought none of usually 2+ (an empty hour at 2 happens 14% of
# the time; at 1, 37%: too common to point at).
STOPPED_MIN_USUAL = 2.0


class Basis(StrEnum):
    LEARNED = "learned"  # the median of the last WEEKS same weekdays
    FLOOR = "floor"  # INFLOW_MIN_PER_HOUR


@dataclass(frozen=True)
class Expectation:
    rate: float  # leads in the window
    basis: Basis


class Change(StrEnum):
    NONE = "none"
    DROP = "drop"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class SourceShare:
    source: str
    now: int
    usual: float | None  # None: no history to compare with
    stopped: bool  # usually brings leads in this hour, brought none


def past_windows(now: datetime, zone: ZoneInfo, weeks: int = WEEKS) -> list[datetime]:
    """The end of the same hour on each of the last `weeks` same weekdays (UTC-aware).

    Wall-clock arithmetic in the team's zone: 10:00 stays 10:00 across a DST change.
    """
    local = now.astimezone(zone)
    return [(local - timedelta(days=7 * week)).astimezone(UTC) for week in range(1, weeks + 1)]


def covered_weeks(first_lead_at: datetime | None, window_ends: Sequence[datetime]) -> int:
    """How many of the past windows started after the first lead was recorded."""
    if first_lead_at is None:
        return 0
    return sum(1 for end in window_ends if first_lead_at <= end - WINDOW)


def expectation(
    floor: float | None, weekly_counts: Sequence[int], covered: int
) -> Expectation | None:
    """What the last hour is measured against; None when there is nothing to measure by."""
    if floor is not None:
        return Expectation(rate=floor, basis=Basis.FLOOR)
    if covered < WEEKS or len(weekly_counts) < WEEKS:
        return None
    return Expectation(rate=float(median(weekly_counts[:WEEKS])), basis=Basis.LEARNED)


def poisson_tail(count: int, rate: float) -> float:
    """P(N <= count) for N ~ Poisson(rate); in log space so large rates do not underflow."""
    if count < 0:
        return 0.0
    if rate <= 0:
        return 1.0
    logs = [k * math.log(rate) - rate - math.lgamma(k + 1) for k in range(count + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(value - top) for value in logs))


def is_drop(count: int, expected: Expectation) -> bool:
    if expected.basis is Basis.FLOOR:
        return count < expected.rate
    return count <= DROP_RATIO * expected.rate and poisson_tail(count, expected.rate) < DROP_TAIL


def is_recovered(count: int, expected: Expectation) -> bool:
    if count < 1:
        return False
    if expected.basis is Basis.FLOOR:
        needed = max(math.floor(expected.rate) + 1, math.ceil(FLOOR_RECOVER_RATIO * expected.rate))
        return count >= needed
    return (
        count >= RECOVER_RATIO * expected.rate or poisson_tail(count, expected.rate) >= RECOVER_TAIL
    )


def judge(low: bool, count: int, expected: Expectation) -> Change:
    """The watchdog's state change for an hour with `count` leads; `low` is the state now."""
    if not low and is_drop(count, expected):
        return Change.DROP
    if low and is_recovered(count, expected):
        return Change.RECOVERY
    return Change.NONE


def source_shares(
    now: Mapping[str, int],
    weekly: Sequence[Mapping[str, int]],
    limit: int = SOURCES_SHOWN,
) -> list[SourceShare]:
    """Leads per source in the last hour against the median of the covered past weeks,
    the biggest shortfall first (a campaign link that stopped bringing leads on top)."""
    sources = set(now).union(*weekly)
    shares = []
    for source in sources:
        usual = float(median(week.get(source, 0) for week in weekly)) if weekly else None
        count = now.get(source, 0)
        stopped = count == 0 and usual is not None and usual >= STOPPED_MIN_USUAL
        shares.append(SourceShare(source=source, now=count, usual=usual, stopped=stopped))
    # Shortfall first; then the sources that usually (or now) bring the most.
    shares.sort(
        key=lambda s: (-max((s.usual or 0.0) - s.now, 0.0), -(s.usual or 0.0), -s.now, s.source)
    )
    return shares[:limit]


@dataclass(frozen=True)
class Reception:
    """How updates reach the bot, as Telegram's getWebhookInfo tells it."""

    answered: bool  # False: Telegram could not be asked (itself a finding)
    webhook_url: str = ""  # empty: long polling
    pending: int = 0
    last_error_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    """What the bot can tell about itself when leads stop coming."""

    window_start: datetime
    window_end: datetime
    count: int
    expected: Expectation
    last_update_at: datetime | None
    reception: Reception
    crm_pending: int
    crm_dead: int
    crm_oldest_at: datetime | None
    errors: int
    sources: list[SourceShare]

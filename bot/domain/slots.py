"""Free viewing slots: when a manager can show a site to a prospect.

A start s is free for a manager when
- [s, s + length) lies inside one of the manager's working intervals that day (wall-clock
  hours in the manager's zone; candidate starts are interval start + k * step, wall time);
- the manager's claim [s, s + length + buffer) overlaps no existing viewing's claim
  [v.start, v.end + buffer) and no calendar event widened to [b.start, b.end + buffer);
- s >= now + notice and s falls on one of the next `horizon_days` site-local dates;
- the manager has fewer than `daily_cap` viewings that manager-local day;
- at every moment of [s, s + length) fewer than `capacity` viewings are under way at the site.

Internally instants are whole seconds since the epoch: the search runs over thousands of
candidates and viewings, and sorted integer lists with bisect keep it O((n + m) log n).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.hours import TimeRange, WeeklySchedule

CELL = timedelta(minutes=5)  # booking granularity: the database claims time in cells of this size

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_CELL_SECONDS = CELL // _SECOND


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _floor(value: datetime) -> int:
    return (value - _EPOCH) // _SECOND


def _ceil(value: datetime) -> int:
    return -((_EPOCH - value) // _SECOND)


def _instant(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


@dataclass(frozen=True)
class SlotPolicy:
    length: timedelta = timedelta(minutes=60)  # a viewing lasts this long
    buffer: timedelta = timedelta(minutes=15)  # a manager's gap between two viewings
    step: timedelta = timedelta(minutes=30)  # starts every `step` from a working interval's start
    notice: timedelta = timedelta(hours=2)  # the earliest slot is now + notice
    horizon_days: int = 14  # the next N site-local dates, today included

    def __post_init__(self) -> None:
        for name, value, may_be_zero in (
            ("length", self.length, False),
            ("buffer", self.buffer, True),
            ("step", self.step, False),
            # "Book from right now" is a legitimate setting for a walk-in sales office.
            ("notice", self.notice, True),
        ):
            if value < timedelta(0) or (value == timedelta(0) and not may_be_zero):
                raise ValueError(f"{name} must be positive, got {value}")
            if value % CELL:
                raise ValueError(f"{name} must be a multiple of {CELL}, got {value}")
        if self.horizon_days < 1:
            raise ValueError(f"horizon_days must be at least 1, got {self.horizon_days}")


@dataclass(frozen=True)
class Busy:
    """[start, end), aware (UTC by convention)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end < self.start:
            raise ValueError(f"busy ends before it starts: {self.start} > {self.end}")


@dataclass(frozen=True)
class ManagerAvailability:
    manager_id: int
    zone: ZoneInfo  # working hours are wall-clock times in this zone
    schedule: WeeklySchedule
    daily_cap: int | None  # max viewings per manager-local day; None = no cap
    site_id: int  # where this manager holds viewings
    viewings: Sequence[Busy]  # the manager's existing viewings, without the buffer
    blocked: Sequence[Busy] = ()  # events from the manager's own calendar


@dataclass(frozen=True)
class SiteAvailability:
    site_id: int
    zone: ZoneInfo  # prospects see times in this zone; the horizon counts its dates
    capacity: int  # viewings it can hold at once
    viewings: Sequence[Busy]  # every existing viewing at the site, any manager

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"site {self.site_id}: capacity must be at least 1")


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime
    site_id: int
    manager_ids: tuple[int, ...]  # managers free then at this site, in input order


def manager_claim(start: datetime, policy: SlotPolicy) -> Busy:
    """The time a viewing takes from its manager: the viewing and the buffer after it."""
    return Busy(start, start + policy.length + policy.buffer)


def site_claim(start: datetime, policy: SlotPolicy) -> Busy:
    """The time a viewing takes from its site."""
    return Busy(start, start + policy.length)


def cells(busy: Busy) -> list[datetime]:
    """The UTC starts of the CELL-sized cells covering `busy`, whose bounds must be aligned."""
    start, end = _floor(busy.start), _floor(busy.end)
    if (
        start % _CELL_SECONDS
        or end % _CELL_SECONDS
        or busy.start.microsecond
        or busy.end.microsecond
    ):
        raise ValueError(f"{busy} is not aligned to {CELL}")
    return [_instant(second) for second in range(start, end, _CELL_SECONDS)]


# --- interval sets ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Blocks:
    """Sorted, disjoint [start, end) intervals in seconds."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)


def _merge(intervals: Iterable[tuple[int, int]]) -> _Blocks:
    blocks = _Blocks()
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if blocks.ends and start <= blocks.ends[-1]:
            blocks.ends[-1] = max(blocks.ends[-1], end)
        else:
            blocks.starts.append(start)
            blocks.ends.append(end)
    return blocks


def _site_full(site: SiteAvailability) -> _Blocks:
    """Where `capacity` viewings are already under way at the site: no room for another."""
    events: list[tuple[int, int]] = []
    for viewing in site.viewings:
        start, end = _floor(viewing.start), _ceil(viewing.end)
        if start < end:
            events += [(start, 1), (end, -1)]
    # At equal times ends sort first: [a, b) and [b, c) never overlap.
    events.sort()
    full: list[tuple[int, int]] = []
    under_way, full_since = 0, 0
    for moment, change in events:
        before = under_way
        under_way += change
        if before < site.capacity <= under_way:
            full_since = moment
        elif under_way < site.capacity <= before:
            full.append((full_since, moment))
    return _merge(full)


def _manager_busy(manager: ManagerAvailability, policy: SlotPolicy) -> _Blocks:
    """Existing claims and calendar events, each with the buffer after it.

    A viewing claims [v.start, v.end + buffer), which is manager_claim(v.start) when it was
    booked under the same length, and stays right for viewings booked before a change.
    """
    buffer = policy.buffer // _SECOND
    return _merge(
        (_floor(busy.start), _ceil(busy.end) + buffer)
        for busy in (*manager.viewings, *manager.blocked)
    )


# --- local time ---------------------------------------------------------------------------


def _wall(seconds: int, zone: ZoneInfo) -> datetime:
    return _instant(seconds).astimezone(zone).replace(tzinfo=None)


def _local_instant(day: date, minute: int, zone: ZoneInfo) -> tuple[int, bool]:
    """The first instant whose wall clock in `zone` reads `day` + `minute` or later.

    Returns (seconds, exists). An ambiguous wall time (clocks set back) is its first
    occurrence; a skipped one (clocks set forward) is the moment the clocks jumped.
    """
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    early = _floor(naive.replace(tzinfo=zone))  # fold=0: the offset before a transition
    if _wall(early, zone) == naive:
        return early, True
    # In a gap fold=0 lands after the jump and fold=1 before it; the jump lies in between.
    low, high = _floor(naive.replace(tzinfo=zone, fold=1)), early
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(middle, zone) >= naive:
            high = middle
        else:
            low = middle
    return high, False


_LocalCache = dict[tuple[ZoneInfo, date, int], tuple[int, bool]]


def _interval_starts(
    day: date, interval: TimeRange, zone: ZoneInfo, policy: SlotPolicy, cache: _LocalCache
) -> Sequence[int]:
    """Candidate starts in seconds: wall-clock interval start + k * step, whole viewing inside."""
    length = policy.length // _SECOND
    step = policy.step // _SECOND
    bounds: list[tuple[int, bool]] = []
    for minute in (interval.start_minute, interval.end_minute):
        key = (zone, day, minute)
        if key not in cache:  # managers share zones and hours: convert each once per search
            cache[key] = _local_instant(day, minute, zone)
        bounds.append(cache[key])
    (start, start_exists), (end, end_exists) = bounds
    wall_span = (interval.end_minute - interval.start_minute) * 60
    if start_exists and end_exists and end - start == wall_span:
        # No clock change inside: wall-clock steps are real steps.
        return range(start, end - length + 1, step)
    starts: list[int] = []
    step_minutes = policy.step // timedelta(minutes=1)
    for minute in range(interval.start_minute, interval.end_minute, step_minutes):
        moment, exists = _local_instant(day, minute, zone)
        if exists and start <= moment and moment + length <= end:  # skip wall times never shown
            starts.append(moment)
    return starts


# --- search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    earliest: int  # now + notice
    before: int  # the start of the first site-local date past the horizon


def _window(site: SiteAvailability, policy: SlotPolicy, now: datetime) -> _Window:
    _require_aware(now, "now")
    site_today = now.astimezone(site.zone).date()
    horizon_end = datetime.combine(
        site_today + timedelta(days=policy.horizon_days), time(), tzinfo=site.zone
    )
    return _Window(earliest=_floor(now + policy.notice), before=_floor(horizon_end))


def _free_starts(
    manager: ManagerAvailability,
    window: _Window,
    site_full: _Blocks,
    policy: SlotPolicy,
    cache: _LocalCache,
) -> list[int]:
    if window.earliest >= window.before:
        return []
    zone = manager.zone
    busy = _manager_busy(manager, policy)
    claim = (policy.length + policy.buffer) // _SECOND
    length = policy.length // _SECOND
    per_day: Counter[date] = Counter()
    if manager.daily_cap is not None:
        per_day.update(viewing.start.astimezone(zone).date() for viewing in manager.viewings)
    # The hot loop: thousands of candidates per search, so bisect inline on local lists.
    busy_starts, busy_ends, busy_count = busy.starts, busy.ends, len(busy.starts)
    full_starts, full_ends, full_count = site_full.starts, site_full.ends, len(site_full.starts)
    earliest, before = window.earliest, window.before
    day = _wall(earliest, zone).date()
    last_day = _wall(before - 1, zone).date()
    found: list[int] = []
    while day <= last_day:
        intervals = manager.schedule.intervals_on(day)
        if intervals and (manager.daily_cap is None or per_day[day] < manager.daily_cap):
            for interval in intervals:
                for start in _interval_starts(day, interval, zone, policy, cache):
                    if start < earliest or start >= before or start % _CELL_SECONDS:
                        continue  # outside the window, or a zone with an odd offset
                    # The first block ending after `start` is the only one that can meet
                    # [start, start + claim): blocks are sorted and disjoint.
                    index = bisect_right(busy_ends, start)
                    if index < busy_count and busy_starts[index] < start + claim:
                        continue
                    index = bisect_right(full_ends, start)
                    if index < full_count and full_starts[index] < start + length:
                        continue
                    found.append(start)
        day += timedelta(days=1)
    # Sorted and unique even if a zone's rules ever made wall-clock steps non-monotonic.
    return sorted(set(found))


def free_slots(
    manager: ManagerAvailability, site: SiteAvailability, policy: SlotPolicy, now: datetime
) -> list[datetime]:
    """The UTC starts at which `manager` can hold a viewing at `site`, sorted."""
    if manager.site_id != site.site_id:
        raise ValueError(f"manager {manager.manager_id} works at site {manager.site_id}")
    starts = _free_starts(manager, _window(site, policy, now), _site_full(site), policy, {})
    return [_instant(start) for start in starts]


def search(
    managers: Sequence[ManagerAvailability],
    sites: Mapping[int, SiteAvailability],
    policy: SlotPolicy,
    now: datetime,
) -> list[Slot]:
    """Free slots of all managers, one per (site, start), sorted by start then site."""
    prepared: dict[int, tuple[_Window, _Blocks]] = {}
    cache: _LocalCache = {}
    free: dict[tuple[int, int], list[int]] = {}
    for manager in managers:
        site = sites.get(manager.site_id)
        if site is None:
            raise ValueError(f"manager {manager.manager_id}: no site {manager.site_id}")
        if manager.site_id not in prepared:
            prepared[manager.site_id] = (_window(site, policy, now), _site_full(site))
        window, site_full = prepared[manager.site_id]
        for start in _free_starts(manager, window, site_full, policy, cache):
            free.setdefault((start, manager.site_id), []).append(manager.manager_id)
    slots: list[Slot] = []
    for (start, site_id), manager_ids in sorted(free.items()):
        moment = _instant(start)
        slots.append(Slot(moment, moment + policy.length, site_id, tuple(manager_ids)))
    return slots


def slots_by_day(slots: Sequence[Slot], zone: ZoneInfo) -> dict[date, list[Slot]]:
    """Slots grouped by their local date in `zone`, keeping their order."""
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(zone).date(), []).append(slot)
    return days

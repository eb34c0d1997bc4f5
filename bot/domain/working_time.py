"""Time limits that count desk hours only: "take within 15 minutes" given at 18:55 on a
Friday is due at 09:10 on Monday."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.hours import WeeklySchedule

_SEARCH_DAYS = 400  # a schedule with days off may skip weeks; never loop forever


def _open_spans(
    schedule: WeeklySchedule, zone: ZoneInfo, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Working spans (aware, in `zone`) from `since` on, clipped to start no earlier."""
    day: date = since.astimezone(zone).date()
    for _ in range(_SEARCH_DAYS):
        for interval in schedule.intervals_on(day):
            # Wall-clock arithmetic in the zone (09:00 stays 09:00 across a DST change),
            # then UTC, so lengths and sums below are real elapsed time.
            midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
            start = (midnight + timedelta(minutes=interval.start_minute)).astimezone(UTC)
            end = (midnight + timedelta(minutes=interval.end_minute)).astimezone(UTC)
            if end <= since:
                continue
            yield max(start, since), end
        day += timedelta(days=1)


def add_working(
    start: datetime, minutes: float, schedule: WeeklySchedule, zone: ZoneInfo
) -> datetime:
    """The moment `minutes` of desk time after `start` (a start out of hours waits for
    the next opening)."""
    left = timedelta(minutes=minutes)
    for span_start, span_end in _open_spans(schedule, zone, start):
        if span_start + left <= span_end:
            return span_start + left
        left -= span_end - span_start
    raise ValueError("the desk schedule has no working time ahead")


def working_between(
    since: datetime, until: datetime, schedule: WeeklySchedule, zone: ZoneInfo
) -> timedelta:
    """Desk time from `since` to `until`; negative when `until` is earlier."""
    if until < since:
        return -working_between(until, since, schedule, zone)
    total = timedelta()
    for span_start, span_end in _open_spans(schedule, zone, since):
        if span_start >= until:
            break
        total += min(span_end, until) - span_start
    return total


def is_open(moment: datetime, schedule: WeeklySchedule, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return any(
        interval.start_minute <= minute < interval.end_minute
        for interval in schedule.intervals_on(local.date())
    )

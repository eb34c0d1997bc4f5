"""When viewing reminders are due, and whether a late one is still worth sending.

Every reminder has a due moment and, except the outcome question, a moment after which it is
useless ("your viewing is in 2 hours" after the viewing). Prospect reminders respect quiet
hours in the prospect's zone, manager reminders in the manager's zone; a reminder due in
quiet hours moves to their end when that is still in time, else to the minute before they
start, else it is not planned. A moved reminder can arrive earlier than its name says, so
the message should state the viewing's date and time rather than "in 2 hours".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.hours import WeeklySchedule


class ReminderKind(StrEnum):
    PROSPECT_DAY_BEFORE = "prospect_24h"
    PROSPECT_TWO_HOURS = "prospect_2h"
    MANAGER_HOUR = "manager_1h"
    OUTCOME = "outcome"  # ask the manager whether the viewing happened
    AGENDA = "agenda"  # the manager's morning list of the day's viewings


@dataclass(frozen=True)
class QuietHours:
    """[start, end) in local time; may wrap midnight (21:00–09:00); start == end: none."""

    start: time
    end: time

    @property
    def active(self) -> bool:
        return self.start != self.end

    def contains(self, local: time) -> bool:
        moment = local.replace(tzinfo=None)
        if not self.active:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


NO_QUIET_HOURS = QuietHours(time(0), time(0))

_OFF_WORDS = frozenset(["off", "none", "no", "нет", "выкл", "выключить", "-"])
_QUIET_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*[-–—]\s*(\d{1,2})(?:[:.](\d{2}))?")


def parse_quiet_hours(text: str) -> QuietHours:
    """ "21:00-09:00", "21-9", "22.30–08.00"; "" or "off" means no quiet hours."""
    value = text.strip().lower()
    if not value or value in _OFF_WORDS:
        return NO_QUIET_HOURS
    match = _QUIET_RE.fullmatch(value)
    if match is None:
        raise ValueError(f"quiet hours look like 21:00-09:00, got {text!r}")
    start = _clock(int(match[1]), int(match[2] or 0), text, end=False)
    end = _clock(int(match[3]), int(match[4] or 0), text, end=True)
    if start == end:
        raise ValueError(f"quiet hours start and end at the same time in {text!r}; use 'off'")
    return QuietHours(start, end)


def _clock(hour: int, minute: int, text: str, *, end: bool) -> time:
    if end and hour == 24 and minute == 0:
        return time(0)
    if hour > 23 or minute > 59:
        raise ValueError(f"no such time of day in {text!r}")
    return time(hour, minute)


@dataclass(frozen=True)
class PlannedReminder:
    kind: ReminderKind
    due_at: datetime  # UTC
    not_after: datetime | None  # past this moment the reminder is useless and dropped


def _utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall time as UTC; an ambiguous one is its first occurrence."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def outside_quiet(
    due: datetime,
    zone: ZoneInfo,
    quiet: QuietHours,
    earliest: datetime,
    latest: datetime | None,
) -> datetime | None:
    """When to send a reminder due at `due`: a moment in (earliest, latest] outside quiet hours.

    `due` itself if it is not in quiet hours; else the end of those quiet hours if not past
    `latest`; else the minute before they started if after `earliest`; else None (drop it).
    """
    local = due.astimezone(zone)
    if not quiet.contains(local.time()):
        fits = earliest < due and (latest is None or due <= latest)
        return due.astimezone(UTC) if fits else None
    day = local.date()
    start_day = end_day = day
    if quiet.start > quiet.end:  # wraps midnight
        if local.time() >= quiet.start:
            end_day = day + timedelta(days=1)
        else:
            start_day = day - timedelta(days=1)
    quiet_end = _utc(end_day, quiet.end, zone)
    if earliest < quiet_end and (latest is None or quiet_end <= latest):
        return quiet_end
    just_before = _utc(start_day, quiet.start, zone) - timedelta(minutes=1)
    if earliest < just_before and (latest is None or just_before <= latest):
        return just_before
    return None


# (kind, due before the start, useless later than this before the start, whose zone)
_BEFORE_START = (
    (ReminderKind.PROSPECT_DAY_BEFORE, timedelta(hours=24), timedelta(hours=3), "prospect"),
    (ReminderKind.PROSPECT_TWO_HOURS, timedelta(hours=2), timedelta(minutes=30), "prospect"),
    (ReminderKind.MANAGER_HOUR, timedelta(hours=1), timedelta(minutes=10), "manager"),
)
OUTCOME_AFTER_END = timedelta(minutes=15)


def plan_viewing_reminders(
    start: datetime,
    end: datetime,
    booked_at: datetime,
    prospect_zone: ZoneInfo,
    manager_zone: ZoneInfo,
    quiet: QuietHours,
) -> list[PlannedReminder]:
    """The reminders for a viewing booked at `booked_at`, sorted by due time."""
    for name, value in (("start", start), ("end", end), ("booked_at", booked_at)):
        if value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if end <= start:
        raise ValueError("a viewing ends after it starts")
    planned: list[PlannedReminder] = []
    for kind, before, useless_before, whose in _BEFORE_START:
        due = start - before
        if due <= booked_at:
            continue  # booked too late for this one
        not_after = start - useless_before
        zone = prospect_zone if whose == "prospect" else manager_zone
        moved = outside_quiet(due, zone, quiet, booked_at, not_after)
        if moved is not None:
            planned.append(PlannedReminder(kind, moved, not_after.astimezone(UTC)))
    planned.append(
        PlannedReminder(ReminderKind.OUTCOME, (end + OUTCOME_AFTER_END).astimezone(UTC), None)
    )
    return sorted(planned, key=lambda reminder: reminder.due_at)


AGENDA_LOOKAHEAD_DAYS = 14


def next_agenda_at(
    schedule: WeeklySchedule,
    zone: ZoneInfo,
    after: datetime,
    lead: timedelta = timedelta(minutes=30),
) -> datetime | None:
    """`lead` before the manager's first working interval of the next working day, > `after`.

    Looks at today and the next 14 local dates; None when all are off (a long holiday):
    ask again after the next schedule change, or a day later.
    """
    today = after.astimezone(zone).date()
    for offset in range(AGENDA_LOOKAHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        intervals = schedule.intervals_on(day)
        if intervals:
            moment = _utc(day, intervals[0].start, zone) - lead
            if moment > after:
                return moment
    return None


class Delivery(StrEnum):
    SEND = "send"
    DROP = "drop"
    WAIT = "wait"


def delivery(due_at: datetime, not_after: datetime | None, now: datetime) -> Delivery:
    """What to do with a reminder now; a bot that was down drops those gone stale."""
    if now < due_at:
        return Delivery.WAIT
    if not_after is not None and now > not_after:
        return Delivery.DROP
    return Delivery.SEND

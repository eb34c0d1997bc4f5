"""When a payment's reminders and overdue rungs are due (pure; the job asks these).

- Reminders go `days` days before the due date at `at` local time (moved out of quiet
  hours). A job that ran late (downtime, payments not open yet) sends only the latest
  reminder already due, never a burst of stale ones, and none once the due day is over:
  from then on the payment is overdue.
- Overdue: rung 1 (the receivables specialists, and the client once) at `at` on the day
  after the due date; rung 2 (the head of sales) at `at`, `escalate_days` days after the
  due date (never before rung 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders import QuietHours, outside_quiet

LAST_RUNG = 2


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def reminder_at(
    due_on: date, days_before: int, at: time, zone: ZoneInfo, quiet: QuietHours
) -> datetime:
    """The moment of the reminder `days_before` days ahead (UTC), out of quiet hours."""
    wanted = _local(due_on - timedelta(days=days_before), at, zone)
    moved = outside_quiet(wanted, zone, quiet, wanted - timedelta(seconds=1), None)
    return moved or wanted


def due_reminder(
    due_on: date,
    now: datetime,
    days: Iterable[int],
    at: time,
    zone: ZoneInfo,
    quiet: QuietHours,
) -> int | None:
    """`days_before` of the reminder to send now (the latest one due), or None: nothing due,
    quiet hours now, or the due day is over."""
    local = now.astimezone(zone)
    if local.date() > due_on or quiet.contains(local.time()):
        return None
    passed = [
        (moment, days_before)
        for days_before in set(days)
        if (moment := reminder_at(due_on, days_before, at, zone, quiet)) <= now
    ]
    return max(passed)[1] if passed else None


def rung_at(due_on: date, rung: int, at: time, zone: ZoneInfo, escalate_days: int) -> datetime:
    days_after = 1 if rung <= 1 else max(1, escalate_days)
    return _local(due_on + timedelta(days=days_after), at, zone)


def overdue_rung(due_on: date, now: datetime, at: time, zone: ZoneInfo, escalate_days: int) -> int:
    """The highest overdue rung reached by `now`: 0 (not overdue yet), 1 or 2."""
    reached = 0
    for rung in range(1, LAST_RUNG + 1):
        if rung_at(due_on, rung, at, zone, escalate_days) <= now:
            reached = rung
    return reached


def client_moment(now: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """When a message to the client may go: now, or the end of the quiet hours now on."""
    return outside_quiet(now, zone, quiet, now - timedelta(seconds=1), None) or now

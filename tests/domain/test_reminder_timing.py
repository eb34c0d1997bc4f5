"""When viewing reminders are due, how quiet hours move them, and late delivery decisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.hours import WeeklySchedule
from bot.domain.reminders import (
    NO_QUIET_HOURS,
    Delivery,
    PlannedReminder,
    QuietHours,
    ReminderKind,
    delivery,
    next_agenda_at,
    outside_quiet,
    parse_quiet_hours,
    plan_viewing_reminders,
)

MSK = ZoneInfo("Europe/Moscow")
YEKT = ZoneInfo("Asia/Yekaterinburg")
NEW_YORK = ZoneInfo("America/New_York")
NIGHT = QuietHours(time(21), time(9))
MONDAY = date(2026, 6, 1)


def msk(day: int, wall: str, zone: ZoneInfo = MSK) -> datetime:
    """2026-06-<day> at a local wall time, as UTC."""
    hour, minute = (int(part) for part in wall.split(":"))
    return datetime(2026, 6, day, hour, minute, tzinfo=zone).astimezone(UTC)


def plan(
    start: datetime,
    booked_at: datetime,
    *,
    quiet: QuietHours = NIGHT,
    prospect: ZoneInfo = MSK,
    manager: ZoneInfo = MSK,
) -> list[tuple[ReminderKind, str, str | None]]:
    """The plan as (kind, due, not_after) in Moscow wall time "DD HH:MM"."""
    reminders = plan_viewing_reminders(
        start, start + timedelta(hours=1), booked_at, prospect, manager, quiet
    )
    for reminder in reminders:
        assert reminder.due_at.tzinfo is UTC
    return [
        (
            reminder.kind,
            f"{reminder.due_at.astimezone(MSK):%d %H:%M}",
            None
            if reminder.not_after is None
            else f"{reminder.not_after.astimezone(MSK):%d %H:%M}",
        )
        for reminder in reminders
    ]


DAY = ReminderKind.PROSPECT_DAY_BEFORE
TWO = ReminderKind.PROSPECT_TWO_HOURS
HOUR = ReminderKind.MANAGER_HOUR
OUTCOME = ReminderKind.OUTCOME


# --- planning -----------------------------------------------------------------------------


def test_booked_days_ahead_gets_all_four() -> None:
    assert plan(msk(3, "15:00"), msk(1, "10:00")) == [
        (DAY, "02 15:00", "03 12:00"),
        (TWO, "03 13:00", "03 14:30"),
        (HOUR, "03 14:00", "03 14:50"),
        (OUTCOME, "03 16:15", None),
    ]


def test_plan_is_in_utc_and_exact() -> None:
    reminders = plan_viewing_reminders(
        msk(3, "15:00"), msk(3, "16:00"), msk(1, "10:00"), MSK, MSK, NO_QUIET_HOURS
    )
    assert reminders[0] == PlannedReminder(
        ReminderKind.PROSPECT_DAY_BEFORE,
        datetime(2026, 6, 2, 12, tzinfo=UTC),
        datetime(2026, 6, 3, 9, tzinfo=UTC),
    )
    assert reminders[-1] == PlannedReminder(
        ReminderKind.OUTCOME, datetime(2026, 6, 3, 13, 15, tzinfo=UTC), None
    )


@pytest.mark.parametrize(
    ("booked", "kinds"),
    [
        ("02 15:01", [TWO, HOUR, OUTCOME]),  # under 24 h ahead
        ("02 15:00", [TWO, HOUR, OUTCOME]),  # due exactly at booking: not planned
        ("03 12:59", [TWO, HOUR, OUTCOME]),
        ("03 13:00", [HOUR, OUTCOME]),
        ("03 13:30", [HOUR, OUTCOME]),  # 90 minutes ahead
        ("03 14:00", [OUTCOME]),
        ("03 14:45", [OUTCOME]),
    ],
)
def test_reminders_due_before_the_booking_are_not_planned(
    booked: str, kinds: list[ReminderKind]
) -> None:
    day, wall = booked.split()
    planned = plan(msk(3, "15:00"), msk(int(day), wall))
    assert [kind for kind, _, _ in planned] == kinds


@pytest.mark.parametrize(
    ("start", "booked", "expected"),
    [
        # 2 h before 10:00 is 08:00, quiet until 09:00, still in time (before 09:30).
        (
            ("03", "10:00"),
            ("01", "10:00"),
            [
                (DAY, "02 10:00", "03 07:00"),
                (TWO, "03 09:00", "03 09:30"),
                (HOUR, "03 09:00", "03 09:50"),
                (OUTCOME, "03 11:15", None),
            ],
        ),
        # 2 h before 09:00 would wait until 09:00, past 08:30: sent the evening before.
        (
            ("03", "09:00"),
            ("01", "10:00"),
            [
                (DAY, "02 09:00", "03 06:00"),
                (TWO, "02 20:59", "03 08:30"),
                (HOUR, "02 20:59", "03 08:50"),
                (OUTCOME, "03 10:15", None),
            ],
        ),
        # Booked at 21:30 the evening before: too late for the evening, too early next
        # morning; only the outcome question stays.
        (("03", "09:00"), ("02", "21:30"), [(OUTCOME, "03 10:15", None)]),
        # Booked at 20:30: the evening reminders fit in before quiet hours.
        (
            ("03", "09:00"),
            ("02", "20:30"),
            [
                (TWO, "02 20:59", "03 08:30"),
                (HOUR, "02 20:59", "03 08:50"),
                (OUTCOME, "03 10:15", None),
            ],
        ),
        # A late viewing: the day-before reminder falls in quiet hours and waits until 09:00;
        # the outcome question is not held back by quiet hours.
        (
            ("03", "22:00"),
            ("01", "10:00"),
            [
                (DAY, "03 09:00", "03 19:00"),
                (TWO, "03 20:00", "03 21:30"),
                (HOUR, "03 20:59", "03 21:50"),
                (OUTCOME, "03 23:15", None),
            ],
        ),
    ],
)
def test_quiet_hours_move_or_drop_reminders(
    start: tuple[str, str],
    booked: tuple[str, str],
    expected: list[tuple[ReminderKind, str, str | None]],
) -> None:
    assert plan(msk(int(start[0]), start[1]), msk(int(booked[0]), booked[1])) == expected


def test_quiet_hours_apply_in_each_persons_zone() -> None:
    # 08:30 in Moscow is 10:30 in Yekaterinburg. The prospect's 2 h reminder (08:30 there)
    # waits until 09:00 there; the manager's (07:30 in Moscow) cannot wait until 09:00.
    planned = plan(msk(3, "08:30"), msk(1, "10:00"), prospect=YEKT, manager=MSK)
    assert planned == [
        (DAY, "02 08:30", "03 05:30"),
        (HOUR, "02 20:59", "03 08:20"),
        (TWO, "03 07:00", "03 08:00"),
        (OUTCOME, "03 09:45", None),
    ]


def test_without_quiet_hours_nothing_moves() -> None:
    assert plan(msk(3, "09:00"), msk(1, "10:00"), quiet=NO_QUIET_HOURS) == [
        (DAY, "02 09:00", "03 06:00"),
        (TWO, "03 07:00", "03 08:30"),
        (HOUR, "03 08:00", "03 08:50"),
        (OUTCOME, "03 10:15", None),
    ]


def test_plan_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="ends after"):
        plan_viewing_reminders(msk(3, "10:00"), msk(3, "10:00"), msk(1, "10:00"), MSK, MSK, NIGHT)
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_viewing_reminders(
            datetime(2026, 6, 3, 10), msk(3, "11:00"), msk(1, "10:00"), MSK, MSK, NIGHT
        )


# --- outside_quiet ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "due", "earliest", "latest", "expected"),
    [
        (NIGHT, "03 12:00", "01 10:00", "03 13:00", "03 12:00"),
        (NIGHT, "03 21:00", "01 10:00", None, "04 09:00"),  # wraps to the next morning
        (NIGHT, "03 23:59", "01 10:00", None, "04 09:00"),
        (NIGHT, "03 02:00", "01 10:00", None, "03 09:00"),  # after midnight: same morning
        (NIGHT, "03 08:59", "01 10:00", None, "03 09:00"),
        (NIGHT, "03 09:00", "01 10:00", None, "03 09:00"),  # the end is not quiet
        (NIGHT, "03 02:00", "01 10:00", "03 08:00", "02 20:59"),
        (NIGHT, "03 23:00", "01 10:00", "04 08:00", "03 20:59"),
        (NIGHT, "03 23:00", "03 20:59", "04 08:00", None),  # not after `earliest`
        (NIGHT, "03 23:00", "03 20:58", "04 08:00", "03 20:59"),
        (NIGHT, "03 12:00", "03 12:00", None, None),  # due must be after `earliest`
        (NIGHT, "03 12:00", "01 10:00", "03 11:00", None),  # and not after `latest`
        (QuietHours(time(13), time(14)), "03 13:30", "01 10:00", None, "03 14:00"),
        (QuietHours(time(13), time(14)), "03 13:30", "01 10:00", "03 13:45", "03 12:59"),
        (QuietHours(time(13), time(14)), "03 14:00", "01 10:00", None, "03 14:00"),
        (NO_QUIET_HOURS, "03 03:00", "01 10:00", None, "03 03:00"),
    ],
)
def test_outside_quiet(
    quiet: QuietHours, due: str, earliest: str, latest: str | None, expected: str | None
) -> None:
    def moment(text: str) -> datetime:
        day, wall = text.split()
        return msk(int(day), wall)

    result = outside_quiet(
        moment(due), MSK, quiet, moment(earliest), None if latest is None else moment(latest)
    )
    assert (None if result is None else f"{result.astimezone(MSK):%d %H:%M}") == expected


# --- quiet hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "local", "inside"),
    [
        (NIGHT, time(21), True),
        (NIGHT, time(23, 59), True),
        (NIGHT, time(0), True),
        (NIGHT, time(8, 59), True),
        (NIGHT, time(9), False),
        (NIGHT, time(20, 59), False),
        (NIGHT, time(12), False),
        (QuietHours(time(13), time(14)), time(13, 30), True),
        (QuietHours(time(13), time(14)), time(14), False),
        (QuietHours(time(13), time(14)), time(12, 59), False),
        (QuietHours(time(22), time(0)), time(23), True),
        (QuietHours(time(22), time(0)), time(0), False),
        (NO_QUIET_HOURS, time(3), False),
        (NIGHT, time(22, tzinfo=UTC), True),  # only the wall clock counts
    ],
)
def test_quiet_hours_contain(quiet: QuietHours, local: time, inside: bool) -> None:
    assert quiet.contains(local) is inside


@pytest.mark.parametrize(
    ("text", "quiet"),
    [
        ("21:00-09:00", NIGHT),
        ("21-9", NIGHT),
        (" 21:00 – 09:00 ", NIGHT),
        ("21.00—09.00", NIGHT),
        ("13-14", QuietHours(time(13), time(14))),
        ("22:30-24:00", QuietHours(time(22, 30), time(0))),
        ("0-7", QuietHours(time(0), time(7))),
        ("", NO_QUIET_HOURS),
        ("off", NO_QUIET_HOURS),
        ("OFF", NO_QUIET_HOURS),
        ("нет", NO_QUIET_HOURS),
    ],
)
def test_parse_quiet_hours(text: str, quiet: QuietHours) -> None:
    assert parse_quiet_hours(text) == quiet


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("21", "look like 21:00-09:00"),
        ("from nine", "look like 21:00-09:00"),
        ("21:00-09:00-10:00", "look like 21:00-09:00"),
        ("25-9", "no such time"),
        ("21:60-09", "no such time"),
        ("24:00-09", "no such time"),
        ("9-9", "same time"),
        ("0-24", "same time"),
    ],
)
def test_parse_quiet_hours_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_quiet_hours(text)


# --- agenda -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("01 06:00", "01 09:30"),  # Monday morning
        ("01 09:29", "01 09:30"),
        ("01 09:30", "02 09:30"),  # strictly after
        ("01 23:00", "02 09:30"),
        ("05 12:00", "08 09:30"),  # Friday -> Monday
        ("06 12:00", "08 09:30"),  # Saturday
    ],
)
def test_next_agenda(after: str, expected: str) -> None:
    day, wall = after.split()
    moment = next_agenda_at(WeeklySchedule.DEFAULT, MSK, msk(int(day), wall))
    assert moment is not None
    assert f"{moment.astimezone(MSK):%d %H:%M}" == expected


def test_next_agenda_lead_and_days_off() -> None:
    schedule = replace(WeeklySchedule.DEFAULT, days_off=frozenset({date(2026, 6, 2)}))
    moment = next_agenda_at(schedule, MSK, msk(1, "12:00"), lead=timedelta(hours=1))
    assert moment == msk(3, "09:00")
    assert next_agenda_at(schedule, MSK, msk(1, "12:00"), lead=timedelta(0)) == msk(3, "10:00")


def test_next_agenda_looks_two_weeks_ahead() -> None:
    # Off from Monday 1 June through Sunday 14 June: Monday 15 June is the 15th date.
    holiday = frozenset(MONDAY + timedelta(days=offset) for offset in range(14))
    schedule = replace(WeeklySchedule.DEFAULT, days_off=holiday)
    assert next_agenda_at(schedule, MSK, msk(1, "06:00")) == msk(15, "09:30")
    longer = replace(schedule, days_off=holiday | {date(2026, 6, 15)})
    assert next_agenda_at(longer, MSK, msk(1, "06:00")) is None


def test_next_agenda_across_a_clock_change() -> None:
    daily = WeeklySchedule(days=((WeeklySchedule.DEFAULT.days[0][0],),) * 7)  # 10:00-13:00
    saturday = datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)
    assert next_agenda_at(daily, NEW_YORK, saturday) == datetime(2026, 3, 8, 13, 30, tzinfo=UTC)
    friday = datetime(2026, 3, 6, 12, tzinfo=NEW_YORK)
    assert next_agenda_at(daily, NEW_YORK, friday) == datetime(2026, 3, 7, 14, 30, tzinfo=UTC)


# --- delivery -----------------------------------------------------------------------------

DUE = datetime(2026, 6, 3, 10, tzinfo=UTC)
NOT_AFTER = DUE + timedelta(minutes=90)


@pytest.mark.parametrize(
    ("now", "not_after", "expected"),
    [
        (DUE - timedelta(seconds=1), NOT_AFTER, Delivery.WAIT),
        (DUE, NOT_AFTER, Delivery.SEND),
        (DUE + timedelta(minutes=30), NOT_AFTER, Delivery.SEND),
        (NOT_AFTER, NOT_AFTER, Delivery.SEND),
        (NOT_AFTER + timedelta(seconds=1), NOT_AFTER, Delivery.DROP),
        # The bot was down for five hours: "your viewing is in 2 hours" would be a lie.
        (DUE + timedelta(hours=5), NOT_AFTER, Delivery.DROP),
        (DUE + timedelta(days=3), None, Delivery.SEND),  # the outcome question never expires
        (DUE - timedelta(days=3), None, Delivery.WAIT),
    ],
)
def test_delivery(now: datetime, not_after: datetime | None, expected: Delivery) -> None:
    assert delivery(DUE, not_after, now) is expected


def test_a_planned_reminder_after_downtime() -> None:
    two_hours = plan_viewing_reminders(
        msk(3, "15:00"), msk(3, "16:00"), msk(1, "10:00"), MSK, MSK, NIGHT
    )[1]
    assert two_hours.kind is ReminderKind.PROSPECT_TWO_HOURS
    assert two_hours.not_after is not None
    assert delivery(two_hours.due_at, two_hours.not_after, msk(3, "14:00")) is Delivery.SEND
    assert delivery(two_hours.due_at, two_hours.not_after, msk(3, "15:05")) is Delivery.DROP

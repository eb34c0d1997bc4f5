"""Free viewing slots: hours, breaks, buffers, notice, horizon, caps, site capacity, DST."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.hours import WeeklySchedule, parse_schedule
from bot.domain.slots import (
    CELL,
    Busy,
    ManagerAvailability,
    SiteAvailability,
    Slot,
    SlotPolicy,
    cells,
    free_slots,
    manager_claim,
    search,
    site_claim,
    slots_by_day,
)

MSK = ZoneInfo("Europe/Moscow")
YEKT = ZoneInfo("Asia/Yekaterinburg")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 6, 1)
TUESDAY = date(2026, 6, 2)
POLICY = SlotPolicy()
MORNING = ["10:00", "10:30", "11:00", "11:30", "12:00"]
AFTERNOON = ["14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00", "17:30", "18:00"]
FULL_DAY = MORNING + AFTERNOON


def at(day: date, wall: str, zone: ZoneInfo = MSK) -> datetime:
    """A local wall time as UTC."""
    hour, minute = (int(part) for part in wall.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


NOW = at(MONDAY, "07:00")  # the earliest slot is 09:00, before the working day


def viewing(day: date, wall: str, minutes: int = 60, zone: ZoneInfo = MSK) -> Busy:
    start = at(day, wall, zone)
    return Busy(start, start + timedelta(minutes=minutes))


def manager(
    manager_id: int = 1,
    *,
    zone: ZoneInfo = MSK,
    schedule: WeeklySchedule | str = WeeklySchedule.DEFAULT,
    daily_cap: int | None = None,
    site_id: int = 1,
    viewings: Sequence[Busy] = (),
    blocked: Sequence[Busy] = (),
) -> ManagerAvailability:
    if isinstance(schedule, str):
        schedule = parse_schedule(schedule, today=MONDAY - timedelta(days=365))
    return ManagerAvailability(manager_id, zone, schedule, daily_cap, site_id, viewings, blocked)


def site(
    site_id: int = 1, *, zone: ZoneInfo = MSK, capacity: int = 1, viewings: Sequence[Busy] = ()
) -> SiteAvailability:
    return SiteAvailability(site_id, zone, capacity, viewings)


def walls(starts: Sequence[datetime], day: date | None = None, zone: ZoneInfo = MSK) -> list[str]:
    """Local "HH:MM" of the starts (on `day` only, if given)."""
    local = [start.astimezone(zone) for start in starts]
    return [f"{item:%H:%M}" for item in local if day is None or item.date() == day]


def utc(starts: Sequence[datetime]) -> list[str]:
    return [f"{start.astimezone(UTC):%d %H:%M}" for start in starts]


# --- working hours ------------------------------------------------------------------------


def test_working_hours_and_the_lunch_break() -> None:
    starts = free_slots(manager(), site(), POLICY, NOW)
    assert walls(starts, MONDAY) == FULL_DAY
    assert walls(starts, TUESDAY) == FULL_DAY
    assert walls(starts, date(2026, 6, 6)) == []  # Saturday
    assert walls(starts, date(2026, 6, 7)) == []  # Sunday
    # 1..14 June: ten working days of 14 slots.
    assert len(starts) == 140
    assert starts == sorted(starts)
    assert all(start.tzinfo is UTC for start in starts)
    assert starts[0] == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


def test_a_date_off_has_no_slots() -> None:
    schedule = replace(WeeklySchedule.DEFAULT, days_off=frozenset({date(2026, 6, 3)}))
    starts = free_slots(manager(schedule=schedule), site(), POLICY, NOW)
    assert walls(starts, date(2026, 6, 3)) == []
    assert walls(starts, date(2026, 6, 4)) == FULL_DAY
    assert len(starts) == 126


def test_several_intervals_and_an_evening_to_midnight() -> None:
    starts = free_slots(manager(schedule="mon 9:00-10:30 12-13 22-24"), site(), POLICY, NOW)
    assert walls(starts, MONDAY) == ["09:00", "09:30", "12:00", "22:00", "22:30", "23:00"]


@pytest.mark.parametrize(
    ("schedule", "policy", "expected"),
    [
        ("mon 10:15-13", POLICY, ["10:15", "10:45", "11:15", "11:45"]),
        ("mon 10:15-13", replace(POLICY, step=timedelta(minutes=45)), ["10:15", "11:00", "11:45"]),
        (
            "mon 10-12",
            replace(POLICY, step=timedelta(minutes=20), length=timedelta(minutes=45)),
            ["10:00", "10:20", "10:40", "11:00"],
        ),
        # The grid restarts at each interval's start, not at the hour.
        ("mon 10-12:10 12:25-14", POLICY, ["10:00", "10:30", "11:00", "12:25", "12:55"]),
    ],
)
def test_starts_step_from_the_interval_start(
    schedule: str, policy: SlotPolicy, expected: list[str]
) -> None:
    starts = free_slots(manager(schedule=schedule), site(), policy, NOW + timedelta(minutes=7))
    assert walls(starts, MONDAY) == expected
    assert all(
        (start - datetime(2026, 1, 1, tzinfo=UTC)) % CELL == timedelta(0) for start in starts
    )


def test_a_zone_whose_offset_is_not_whole_cells_gets_no_misaligned_slots() -> None:
    # Liberia kept -0:44:30 until 1972: every local 10:00 is 10:44:30 UTC.
    monrovia = ZoneInfo("Africa/Monrovia")
    now = datetime(1971, 6, 1, 6, tzinfo=UTC)
    starts = free_slots(manager(zone=monrovia), site(zone=monrovia), POLICY, now)
    assert starts == []


# --- existing viewings, calendar events ---------------------------------------------------


@pytest.mark.parametrize(
    ("buffer", "afternoon"),
    [
        # Nothing ends after 14:45 (15 minutes before) or starts before 16:15 (after).
        (15, ["16:30", "17:00", "17:30", "18:00"]),
        (0, ["14:00", "16:00", "16:30", "17:00", "17:30", "18:00"]),
        (30, ["16:30", "17:00", "17:30", "18:00"]),
        (60, ["17:00", "17:30", "18:00"]),
    ],
)
def test_the_buffer_applies_on_both_sides(buffer: int, afternoon: list[str]) -> None:
    existing = viewing(MONDAY, "15:00")
    policy = replace(POLICY, buffer=timedelta(minutes=buffer))
    starts = free_slots(manager(viewings=[existing]), site(viewings=[existing]), policy, NOW)
    assert walls(starts, MONDAY) == MORNING + afternoon
    assert walls(starts, TUESDAY) == FULL_DAY


def test_a_longer_existing_viewing_claims_its_real_length() -> None:
    existing = viewing(MONDAY, "15:00", minutes=90)  # booked before the policy changed
    starts = free_slots(manager(viewings=[existing]), site(viewings=[existing]), POLICY, NOW)
    assert walls(starts, MONDAY) == [*MORNING, "17:00", "17:30", "18:00"]


@pytest.mark.parametrize(
    ("event", "afternoon"),
    [
        # A meeting 15:07-15:40 keeps 15:55 free of viewings: 14:00 would end at 15:00 and
        # need its buffer until 15:15.
        (("15:07", "15:40"), ["16:00", "16:30", "17:00", "17:30", "18:00"]),
        (("15:07", "15:50"), ["16:30", "17:00", "17:30", "18:00"]),
        (("13:20", "13:40"), AFTERNOON),  # in the lunch break, clear of both buffers
        (("09:00", "19:00"), []),
    ],
)
def test_calendar_events_block_time(event: tuple[str, str], afternoon: list[str]) -> None:
    blocked = Busy(at(MONDAY, event[0]), at(MONDAY, event[1]))
    starts = free_slots(manager(blocked=[blocked]), site(), POLICY, NOW)
    expected = MORNING + afternoon if event[0] != "09:00" else []
    assert walls(starts, MONDAY) == expected


def test_a_calendar_event_at_the_start_of_the_day_widens_by_the_buffer() -> None:
    blocked = Busy(at(MONDAY, "09:00"), at(MONDAY, "10:00"))
    starts = free_slots(manager(blocked=[blocked]), site(), POLICY, NOW)
    assert walls(starts, MONDAY)[:2] == ["10:30", "11:00"]


# --- notice and horizon -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "first"),
    [
        ("07:00", "2026-06-01 10:00"),
        ("09:30", "2026-06-01 11:30"),
        ("09:31", "2026-06-01 12:00"),
        ("10:00", "2026-06-01 12:00"),
        ("10:01", "2026-06-01 14:00"),
        ("16:00", "2026-06-01 18:00"),
        ("16:01", "2026-06-02 10:00"),
    ],
)
def test_minimum_notice(now: str, first: str) -> None:
    starts = free_slots(manager(), site(), POLICY, at(MONDAY, now))
    assert f"{starts[0].astimezone(MSK):%Y-%m-%d %H:%M}" == first


def test_zero_notice_is_allowed() -> None:
    policy = replace(POLICY, notice=timedelta(0))
    starts = free_slots(manager(), site(), policy, at(MONDAY, "10:00"))
    assert walls(starts[:2]) == ["10:00", "10:30"]


@pytest.mark.parametrize(
    ("days", "count", "last"), [(1, 14, "06-01"), (2, 28, "06-02"), (7, 70, "06-05")]
)
def test_horizon_counts_site_dates_from_today(days: int, count: int, last: str) -> None:
    starts = free_slots(manager(), site(), replace(POLICY, horizon_days=days), NOW)
    assert len(starts) == count
    assert f"{starts[-1].astimezone(MSK):%m-%d %H:%M}" == f"{last} 18:00"


def test_horizon_edge_is_midnight_in_the_site_zone() -> None:
    # Moscow evenings 20-24 are 22-02 in Yekaterinburg: a start at 00:00 there is tomorrow.
    evening = manager(schedule="daily 20-24", zone=MSK)
    yekaterinburg = site(zone=YEKT)
    now = at(MONDAY, "12:00")
    one_day = free_slots(evening, yekaterinburg, replace(POLICY, horizon_days=1), now)
    assert walls(one_day) == ["20:00", "20:30", "21:00", "21:30"]
    assert walls(one_day, zone=YEKT) == ["22:00", "22:30", "23:00", "23:30"]
    two_days = free_slots(evening, yekaterinburg, replace(POLICY, horizon_days=2), now)
    assert walls(two_days, MONDAY) == [
        "20:00",
        "20:30",
        "21:00",
        "21:30",
        "22:00",
        "22:30",
        "23:00",
    ]
    assert walls(two_days, TUESDAY) == ["20:00", "20:30", "21:00", "21:30"]


def test_notice_beyond_the_horizon_leaves_nothing() -> None:
    policy = replace(POLICY, notice=timedelta(days=3), horizon_days=2)
    assert free_slots(manager(), site(), policy, NOW) == []


# --- daily cap ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cap", "monday"),
    [
        (2, []),
        (3, ["11:30", "12:00", "16:30", "17:00", "17:30", "18:00"]),
        (None, ["11:30", "12:00", "16:30", "17:00", "17:30", "18:00"]),
    ],
)
def test_daily_cap(cap: int | None, monday: list[str]) -> None:
    booked = [viewing(MONDAY, "10:00"), viewing(MONDAY, "15:00")]
    starts = free_slots(manager(daily_cap=cap, viewings=booked), site(capacity=3), POLICY, NOW)
    assert walls(starts, MONDAY) == monday
    assert walls(starts, TUESDAY) == FULL_DAY


def test_daily_cap_counts_the_managers_local_day() -> None:
    # 23:00 UTC on Monday is 02:00 on Tuesday in Moscow.
    night = Busy(datetime(2026, 6, 1, 23, tzinfo=UTC), datetime(2026, 6, 2, 0, tzinfo=UTC))
    starts = free_slots(manager(daily_cap=1, viewings=[night]), site(), POLICY, NOW)
    assert walls(starts, MONDAY) == FULL_DAY
    assert walls(starts, TUESDAY) == []


# --- site capacity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "others", "afternoon"),
    [
        # Manager 1 shows the site 15:00-16:00; manager 2 must not overlap it.
        (1, [("15:00", 1)], ["14:00", "16:00", "16:30", "17:00", "17:30", "18:00"]),
        (2, [("15:00", 1)], AFTERNOON),
        # Two under way 15:30-16:00: a third cannot start at 15:00 or 15:30.
        (
            2,
            [("15:00", 1), ("15:30", 3)],
            ["14:00", "14:30", "16:00", "16:30", "17:00", "17:30", "18:00"],
        ),
        (3, [("15:00", 1), ("15:30", 3)], AFTERNOON),
        # Back to back is not overlapping.
        (1, [("14:00", 1), ("15:00", 3)], ["16:00", "16:30", "17:00", "17:30", "18:00"]),
    ],
)
def test_site_capacity_across_managers(
    capacity: int, others: list[tuple[str, int]], afternoon: list[str]
) -> None:
    at_site = [viewing(MONDAY, wall) for wall, _ in others]
    starts = free_slots(manager(2), site(capacity=capacity, viewings=at_site), POLICY, NOW)
    assert walls(starts, MONDAY) == MORNING + afternoon


def test_search_groups_managers_per_start_in_input_order() -> None:
    busy_one = viewing(MONDAY, "15:00")
    managers = [manager(7, viewings=[busy_one]), manager(3)]
    sites = {1: site(capacity=2, viewings=[busy_one])}
    monday = slots_by_day(search(managers, sites, replace(POLICY, horizon_days=1), NOW), MSK)
    assert [(walls([slot.start])[0], slot.manager_ids) for slot in monday[MONDAY]] == [
        *((wall, (7, 3)) for wall in MORNING),
        ("14:00", (3,)),  # 7 needs the buffer before 15:00
        ("14:30", (3,)),
        ("15:00", (3,)),
        ("15:30", (3,)),
        ("16:00", (3,)),  # 7 needs the buffer after 16:00
        *((wall, (7, 3)) for wall in ["16:30", "17:00", "17:30", "18:00"]),
    ]
    first = monday[MONDAY][0]
    assert first == Slot(at(MONDAY, "10:00"), at(MONDAY, "11:00"), 1, (7, 3))


def test_search_sorts_by_start_then_site_and_matches_free_slots() -> None:
    managers = [
        manager(1, site_id=2),
        manager(2, site_id=1, schedule="mon-fri 11-19 break 13-14"),
        manager(3, site_id=2, zone=YEKT, schedule="mon-fri 12-20"),
    ]
    sites = {1: site(1), 2: site(2, capacity=2)}
    slots = search(managers, sites, POLICY, NOW)
    keys = [(slot.start, slot.site_id) for slot in slots]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert [(walls([s.start])[0], s.site_id, s.manager_ids) for s in slots[:5]] == [
        ("10:00", 2, (1, 3)),  # 12:00 in Yekaterinburg
        ("10:30", 2, (1, 3)),
        ("11:00", 1, (2,)),
        ("11:00", 2, (1, 3)),
        ("11:30", 1, (2,)),
    ]
    for person in managers:
        own = [slot.start for slot in slots if person.manager_id in slot.manager_ids]
        assert own == free_slots(person, sites[person.site_id], POLICY, NOW)


def test_search_needs_every_managers_site() -> None:
    with pytest.raises(ValueError, match="no site 2"):
        search([manager(site_id=2)], {1: site()}, POLICY, NOW)
    with pytest.raises(ValueError, match="works at site 2"):
        free_slots(manager(site_id=2), site(1), POLICY, NOW)


# --- zones and clock changes --------------------------------------------------------------


def test_moscow_manager_for_a_yekaterinburg_site_by_site_day() -> None:
    slots = search([manager()], {1: site(zone=YEKT)}, POLICY, NOW)
    days = slots_by_day(slots, YEKT)
    assert list(days)[:2] == [MONDAY, TUESDAY]
    assert walls([slot.start for slot in days[MONDAY]], zone=YEKT) == [
        *("12:00", "12:30", "13:00", "13:30", "14:00"),
        *("16:00", "16:30", "17:00", "17:30", "18:00", "18:30", "19:00", "19:30", "20:00"),
    ]


def test_slots_by_day_splits_at_the_sites_midnight() -> None:
    evening = manager(schedule="mon 21-24", zone=MSK)
    slots = search([evening], {1: site(zone=YEKT)}, replace(POLICY, horizon_days=2), NOW)
    days = slots_by_day(slots, YEKT)
    assert {day: walls([s.start for s in items], zone=YEKT) for day, items in days.items()} == {
        MONDAY: ["23:00", "23:30"],
        TUESDAY: ["00:00", "00:30", "01:00"],
    }
    assert slots_by_day(slots, MSK) == {MONDAY: slots}


SPRING_NY = date(2026, 3, 8)  # clocks jump from 02:00 to 03:00
FALL_BERLIN = date(2026, 10, 25)  # clocks fall back from 03:00 to 02:00


@pytest.mark.parametrize(
    ("zone", "day", "schedule", "expected"),
    [
        # Saturday 10:00 EST is 15:00 UTC, Sunday 10:00 EDT is 14:00 UTC.
        (
            NEW_YORK,
            SPRING_NY,
            "sat-sun 10-12",
            ["07 15:00", "07 15:30", "07 16:00", "08 14:00", "08 14:30", "08 15:00"],
        ),
        # 01:00-05:00 on the night of the jump is three real hours; 02:00-02:59 never shows.
        (
            NEW_YORK,
            SPRING_NY,
            "sun 1-5",
            ["08 06:00", "08 06:30", "08 07:00", "08 07:30", "08 08:00"],
        ),
        # An interval ending in the gap ends when the clocks jump (03:00 EDT, 07:00 UTC).
        (NEW_YORK, SPRING_NY, "sun 1-2:30", ["08 06:00"]),
        (NEW_YORK, SPRING_NY, "sun 2:30-5", ["08 07:00", "08 07:30", "08 08:00"]),
        # 01:00-04:00 on the night clocks fall back is four real hours; the repeated hour is
        # used once, at its first occurrence (CEST).
        (
            BERLIN,
            FALL_BERLIN,
            "sun 1-4",
            ["24 23:00", "24 23:30", "25 00:00", "25 00:30", "25 02:00"],
        ),
        (
            BERLIN,
            FALL_BERLIN,
            "sat-sun 10-12",
            ["24 08:00", "24 08:30", "24 09:00", "25 09:00", "25 09:30", "25 10:00"],
        ),
        (BERLIN, date(2026, 3, 29), "sun 1-4", ["29 00:00", "29 00:30", "29 01:00"]),
    ],
)
def test_clock_changes(zone: ZoneInfo, day: date, schedule: str, expected: list[str]) -> None:
    now = datetime.combine(day - timedelta(days=2), time(12), tzinfo=zone)
    starts = free_slots(
        manager(zone=zone, schedule=schedule), site(zone=zone), replace(POLICY, horizon_days=3), now
    )
    assert utc(starts) == expected
    assert len(set(starts)) == len(starts)
    assert starts == sorted(starts)


# --- claims and cells ---------------------------------------------------------------------


def test_claims() -> None:
    start = datetime(2026, 6, 1, 7, tzinfo=UTC)
    assert manager_claim(start, POLICY) == Busy(start, datetime(2026, 6, 1, 8, 15, tzinfo=UTC))
    assert site_claim(start, POLICY) == Busy(start, datetime(2026, 6, 1, 8, 0, tzinfo=UTC))


def test_cells() -> None:
    start = datetime(2026, 6, 1, 7, tzinfo=UTC)
    assert cells(Busy(start, start + timedelta(minutes=20))) == [
        start + timedelta(minutes=minutes) for minutes in (0, 5, 10, 15)
    ]
    assert len(cells(manager_claim(start, POLICY))) == 15
    assert cells(Busy(start, start)) == []
    # Aligned in UTC even when given in another zone.
    assert cells(Busy(start.astimezone(MSK), (start + CELL).astimezone(MSK))) == [start]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 6, 1, 7, 1, tzinfo=UTC), datetime(2026, 6, 1, 8, tzinfo=UTC)),
        (datetime(2026, 6, 1, 7, tzinfo=UTC), datetime(2026, 6, 1, 8, 0, 30, tzinfo=UTC)),
        (datetime(2026, 6, 1, 7, 0, 0, 1, tzinfo=UTC), datetime(2026, 6, 1, 8, tzinfo=UTC)),
    ],
)
def test_cells_need_aligned_bounds(start: datetime, end: datetime) -> None:
    with pytest.raises(ValueError, match="not aligned"):
        cells(Busy(start, end))


@pytest.mark.parametrize(
    "changes",
    [
        {"length": timedelta(0)},
        {"length": timedelta(minutes=62)},
        {"step": timedelta(0)},
        {"step": timedelta(minutes=7)},
        {"buffer": timedelta(minutes=-5)},
        {"buffer": timedelta(minutes=3)},
        {"notice": timedelta(seconds=30)},
        {"horizon_days": 0},
    ],
)
def test_policy_refuses_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        replace(POLICY, **changes)


def test_policy_defaults() -> None:
    assert SlotPolicy() == SlotPolicy(
        length=timedelta(minutes=60),
        buffer=timedelta(minutes=15),
        step=timedelta(minutes=30),
        notice=timedelta(hours=2),
        horizon_days=14,
    )
    assert replace(POLICY, buffer=timedelta(0)).buffer == timedelta(0)


def test_busy_must_be_aware_and_ordered() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Busy(datetime(2026, 6, 1, 7), datetime(2026, 6, 1, 8, tzinfo=UTC))
    with pytest.raises(ValueError, match="ends before"):
        Busy(datetime(2026, 6, 1, 8, tzinfo=UTC), datetime(2026, 6, 1, 7, tzinfo=UTC))
    with pytest.raises(ValueError, match="capacity"):
        site(capacity=0)


# --- speed --------------------------------------------------------------------------------


def test_fifty_managers_with_two_thousand_viewings_leave_only_the_evenings() -> None:
    """A full calendar across many managers (speed: scripts/bench_viewings.py)."""
    sites = {site_id: site(site_id, capacity=3) for site_id in range(1, 5)}
    at_site: dict[int, list[Busy]] = {site_id: [] for site_id in sites}
    managers = []
    for number in range(50):
        site_id = number % 4 + 1
        own = [
            viewing(MONDAY + timedelta(days=day), wall)
            for day in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)
            for wall in ("10:00", "11:30", "14:00", "15:30")
        ]
        at_site[site_id] += own
        managers.append(manager(number, site_id=site_id, viewings=own))
    sites = {key: replace(value, viewings=at_site[key]) for key, value in sites.items()}
    assert sum(len(person.viewings) for person in managers) == 2000
    slots = search(managers, sites, POLICY, NOW)
    # Only 17:00, 17:30 and 18:00 are left each working day.
    assert {walls([slot.start])[0] for slot in slots} == {"17:00", "17:30", "18:00"}


def test_a_calendar_event_in_the_lunch_break_can_still_touch_both_buffers() -> None:
    # 13:10-13:50 widens to 14:05: a viewing ending 13:00 needs quiet until 13:15.
    blocked = Busy(at(MONDAY, "13:10"), at(MONDAY, "13:50"))
    starts = free_slots(manager(blocked=[blocked]), site(), POLICY, NOW)
    assert walls(starts, MONDAY) == MORNING[:-1] + AFTERNOON[1:]

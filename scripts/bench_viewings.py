"""Speed of the viewing slot search on a busy sales desk.

    .venv/bin/python scripts/bench_viewings.py [--managers 50] [--days 14] [--viewings 2000]
                                               [--repeats 20]

Builds managers in mixed zones working for a handful of sites (capacities 1-3), with breaks,
some Saturdays, daily caps and calendar events, then books the existing viewings one by one
on slots `free_slots` offers, so every one of them is valid. They are spread over twice the
search horizon (a real calendar has bookings beyond it too), further still if that is full;
the report says how many landed inside. The horizon spans the Europe/Berlin spring-forward.
The baseline is the same search with no viewings at all, timed in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The project root, so that `bot` imports when run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.hours import WeeklySchedule, parse_schedule
from bot.domain.slots import (
    Busy,
    ManagerAvailability,
    SiteAvailability,
    SlotPolicy,
    free_slots,
    manager_claim,
    search,
    site_claim,
)

NOW = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)  # a Friday; Berlin moves its clocks on 29 March
SEED = 20260320
# (zone, capacity): sites prospects visit.
SITES = (
    ("Europe/Moscow", 3),
    ("Europe/Moscow", 1),
    ("Asia/Yekaterinburg", 2),
    ("Asia/Novosibirsk", 2),
    ("Europe/Berlin", 3),
)
# A manager usually lives where the site is, but not always.
OTHER_ZONES = ("Europe/Samara", "Europe/Moscow", "Asia/Yekaterinburg", "Europe/Berlin")
SCHEDULES = (
    "mon-fri 10-19 break 13-14",
    "mon-fri 9:00-18:00 lunch 12:30-13:30",
    "tue-sat 11-20 break 14-15 break 17:00-17:30",
    "mon-fri 10-19 перерыв 13-14\nсб 11-16",
)


@dataclass
class _Desk:
    """Mutable while viewings are being placed; frozen availability is built from it."""

    managers: list[ManagerAvailability]
    sites: dict[int, SiteAvailability]
    manager_viewings: dict[int, list[Busy]] = field(default_factory=dict)
    site_viewings: dict[int, list[Busy]] = field(default_factory=dict)

    def manager(self, base: ManagerAvailability) -> ManagerAvailability:
        return replace(base, viewings=tuple(self.manager_viewings.get(base.manager_id, ())))

    def site(self, site_id: int) -> SiteAvailability:
        return replace(self.sites[site_id], viewings=tuple(self.site_viewings.get(site_id, ())))

    def book(self, manager: ManagerAvailability, start: datetime, length: timedelta) -> None:
        viewing = Busy(start, start + length)
        self.manager_viewings.setdefault(manager.manager_id, []).append(viewing)
        self.site_viewings.setdefault(manager.site_id, []).append(viewing)


def _calendar_events(rng: random.Random, zone: ZoneInfo, days: int) -> tuple[Busy, ...]:
    """A few meetings at odd minutes, as people put them in their own calendars."""
    events: list[Busy] = []
    today = NOW.astimezone(zone).date()
    for offset in range(0, days, 3):
        local = datetime.combine(today + timedelta(days=offset), datetime.min.time(), zone)
        start = local + timedelta(hours=rng.randint(9, 17), minutes=rng.randint(0, 59))
        events.append(Busy(start.astimezone(UTC), start.astimezone(UTC) + timedelta(minutes=50)))
    return tuple(events)


def build_desk(managers: int, days: int, rng: random.Random) -> _Desk:
    sites = {
        index: SiteAvailability(index, ZoneInfo(zone), capacity, ())
        for index, (zone, capacity) in enumerate(SITES, start=1)
    }
    today: date = NOW.date()
    schedules: list[WeeklySchedule] = [parse_schedule(text, today=today) for text in SCHEDULES]
    people: list[ManagerAvailability] = []
    for number in range(managers):
        site = sites[number % len(sites) + 1]
        zone = ZoneInfo(OTHER_ZONES[number % len(OTHER_ZONES)]) if number % 4 == 3 else site.zone
        people.append(
            ManagerAvailability(
                manager_id=1000 + number,
                zone=zone,
                schedule=schedules[number % len(schedules)],
                daily_cap=6 if number % 3 == 0 else None,
                site_id=site.site_id,
                viewings=(),
                blocked=_calendar_events(rng, zone, days),
            )
        )
    return _Desk(managers=people, sites=sites)


def place_viewings(
    desk: _Desk, target: int, policy: SlotPolicy, rng: random.Random
) -> tuple[int, int]:
    """Books `target` viewings on free slots; returns (placed, days the placement spanned).

    They are spread over twice the horizon, so the horizon is busy but not fully booked.
    """
    placing = replace(policy, horizon_days=2 * policy.horizon_days)
    placed = 0
    while placed < target:
        progress = False
        order = list(desk.managers)
        rng.shuffle(order)
        for base in order:
            if placed >= target:
                break
            starts = free_slots(desk.manager(base), desk.site(base.site_id), placing, NOW)
            if starts:
                desk.book(base, rng.choice(starts), policy.length)
                placed += 1
                progress = True
        if not progress:  # the horizon is full: book further ahead, as a real desk does
            placing = replace(placing, horizon_days=placing.horizon_days + policy.horizon_days)
    return placed, placing.horizon_days


def _timings(
    managers: Sequence[ManagerAvailability],
    sites: dict[int, SiteAvailability],
    policy: SlotPolicy,
    repeats: int,
) -> tuple[list[float], int]:
    found = len(search(managers, sites, policy, NOW))  # warm-up, and the figure to report
    runs: list[float] = []
    for _ in range(repeats):
        began = time.perf_counter()
        search(managers, sites, policy, NOW)
        runs.append((time.perf_counter() - began) * 1000)
    return runs, found


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]  # nearest rank


def bench_slot_search(
    managers: int = 50, days: int = 14, viewings: int = 2000, repeats: int = 20
) -> dict[str, float]:
    """Times search() over `repeats` runs with and without the existing viewings."""
    rng = random.Random(SEED)
    policy = SlotPolicy(horizon_days=days)
    desk = build_desk(managers, days, rng)
    placed, placement_days = place_viewings(desk, viewings, policy, rng)
    busy_managers = [desk.manager(base) for base in desk.managers]
    busy_sites = {site_id: desk.site(site_id) for site_id in desk.sites}
    horizon_end = NOW + timedelta(days=days)
    inside = sum(
        1 for listing in desk.site_viewings.values() for item in listing if item.start < horizon_end
    )
    runs, slots = _timings(busy_managers, busy_sites, policy, repeats)
    baseline_runs, baseline_slots = _timings(desk.managers, desk.sites, policy, repeats)
    median, baseline = statistics.median(runs), statistics.median(baseline_runs)
    return {
        "managers": float(managers),
        "days": float(days),
        "viewings": float(placed),
        "viewings_in_horizon": float(inside),
        "placement_days": float(placement_days),
        "slots": float(slots),
        "median_ms": median,
        "p95_ms": _p95(runs),
        "baseline_slots": float(baseline_slots),
        "baseline_median_ms": baseline,
        "baseline_p95_ms": _p95(baseline_runs),
        "ratio": median / baseline if baseline else float("nan"),
    }


def format_slot_report(figures: dict[str, float]) -> str:
    return "\n".join(
        [
            f"slot search: {figures['managers']:.0f} managers, {figures['days']:.0f} days, "
            f"{figures['viewings']:.0f} viewings ({figures['viewings_in_horizon']:.0f} in the "
            f"horizon, the rest within {figures['placement_days']:.0f} days)",
            f"  with viewings: median {figures['median_ms']:.2f} ms, "
            f"p95 {figures['p95_ms']:.2f} ms, {figures['slots']:.0f} slots",
            f"  baseline     : median {figures['baseline_median_ms']:.2f} ms, "
            f"p95 {figures['baseline_p95_ms']:.2f} ms, {figures['baseline_slots']:.0f} slots",
            f"  ratio (median with / without viewings): {figures['ratio']:.2f}",
        ]
    )


# --- booking throughput ----------------------------------------------------------------------

BOOKING_NOW = datetime(2026, 11, 23, 6, tzinfo=UTC)  # Monday 09:00 Moscow


@dataclass
class BookingFigures:
    prospects: int
    booked: int
    refusals: int  # SlotTaken answers the database gave (each one retried with fresh slots)
    wall_s: float
    latencies_ms: list[float]
    baseline_wall_s: float  # the same number of bare appointment inserts, no cells


async def _seed(db: Any, managers: int, prospects: int, capacity: int) -> list[Any]:
    from bot.storage import managers as managers_repo
    from bot.storage import sites

    async with db.transaction() as tx:
        await sites.upsert(
            tx,
            code="office",
            name="Office",
            address="1 Main St",
            location=None,
            timezone="Europe/Moscow",
            capacity=capacity,
        )
        site = await sites.by_code(tx, "office")
        assert site is not None
        team = [
            await managers_repo.create(
                tx,
                telegram_user_id=7000 + number,
                display_name=f"Manager {number}",
                language="en",
                timezone="Europe/Moscow",
                schedule=WeeklySchedule.DEFAULT,
                site_id=site.id,
                covers=("*",),
                daily_cap=None,
                weight=1,
                feed_token=f"token-{number}",
                at=BOOKING_NOW,
            )
            for number in range(managers)
        ]
        stamp = BOOKING_NOW.isoformat()
        await tx.executemany(
            "INSERT INTO leads (telegram_user_id, chat_id, status, language, source,"
            " checklist_id, checklist_version, consent_version, consent_at, created_at,"
            " updated_at) VALUES (?, ?, 'target', 'en', 'direct', 'c', 1, '1', ?, ?, ?)",
            [(1000 + n, 1000 + n, stamp, stamp, stamp) for n in range(prospects)],
        )
    return team


async def _book_one(
    db: Any, lead_id: int, manager: Any, capacity: int, policy: SlotPolicy, rng: random.Random
) -> tuple[float, int]:
    """Reads the manager's free slots, books one of the first few; retries when refused."""
    from bot.storage import appointments
    from bot.storage.appointments import Claim, SlotTaken

    began = time.perf_counter()
    refusals = 0
    zone = ZoneInfo("Europe/Moscow")
    while True:
        horizon = BOOKING_NOW + timedelta(days=policy.horizon_days + 1)
        async with db.read() as conn:
            holding = await appointments.holding_between(conn, BOOKING_NOW, horizon)
        availability = ManagerAvailability(
            manager_id=manager.id,
            zone=zone,
            schedule=manager.schedule,
            daily_cap=None,
            site_id=manager.site_id,
            viewings=[Busy(a.start, a.end) for a in holding if a.manager_id == manager.id],
        )
        site = SiteAvailability(
            site_id=manager.site_id,
            zone=zone,
            capacity=capacity,
            viewings=[Busy(a.start, a.end) for a in holding],
        )
        starts = free_slots(availability, site, policy, BOOKING_NOW)
        if not starts:
            raise RuntimeError("the benchmark ran out of slots; use fewer prospects")
        # Each prospect likes a different time; collisions still happen and are retried.
        start = rng.choice(starts)
        claim = Claim(
            start=start,
            end=start + policy.length,
            manager_day=start.astimezone(zone).date(),
            manager_cells=manager_claim(start, policy),
            site_cells=site_claim(start, policy),
        )
        try:
            async with db.transaction() as tx:
                await appointments.book(
                    tx,
                    lead_id=lead_id,
                    manager_id=manager.id,
                    site_id=manager.site_id,
                    claim=claim,
                    at=BOOKING_NOW,
                )
        except SlotTaken:
            refusals += 1
            continue
        return (time.perf_counter() - began) * 1000, refusals


async def _bench_booking_async(
    prospects: int, managers: int, capacity: int, workdir: Path
) -> BookingFigures:
    from bot.storage.migrations import apply_migrations
    from bot.storage.sqlite import SQLiteDatabase

    policy = SlotPolicy()
    rng = random.Random(7)
    db = SQLiteDatabase(workdir / "booking.sqlite3")
    await db.connect()
    try:
        await apply_migrations(db)
        team = await _seed(db, managers, prospects, capacity)
        began = time.perf_counter()
        results = await asyncio.gather(
            *(
                _book_one(db, lead, team[lead % managers], capacity, policy, rng)
                for lead in range(1, prospects + 1)
            )
        )
        wall = time.perf_counter() - began
        async with (
            db.read() as conn,
            conn.execute("SELECT COUNT(*) FROM appointments WHERE status = 'booked'") as cursor,
        ):
            row = await cursor.fetchone()
        booked = int(row[0]) if row else 0
        # Baseline: the same rows written with plain inserts, no cells, no constraint checks.
        await db.connection.execute("CREATE TABLE bare AS SELECT * FROM appointments WHERE 0")
        rows = [(f"uid-{n}", n) for n in range(prospects)]
        began = time.perf_counter()
        for uid, lead in rows:
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO bare (uid, lead_id, manager_id, site_id, starts_at, ends_at,"
                    " manager_day, status, created_at, updated_at)"
                    " VALUES (?, ?, 1, 1, 'x', 'y', 'd', 'booked', 'c', 'u')",
                    (uid, lead),
                )
        baseline = time.perf_counter() - began
    finally:
        await db.close()
    return BookingFigures(
        prospects=prospects,
        booked=booked,
        refusals=sum(refusals for _, refusals in results),
        wall_s=wall,
        latencies_ms=[latency for latency, _ in results],
        baseline_wall_s=baseline,
    )


def bench_booking(prospects: int = 500, managers: int = 20, capacity: int = 10) -> BookingFigures:
    """Concurrent prospects each read free slots and book one in a real SQLite file."""
    with tempfile.TemporaryDirectory() as workdir:
        return asyncio.run(_bench_booking_async(prospects, managers, capacity, Path(workdir)))


def format_booking_report(figures: BookingFigures) -> str:
    per_second = figures.booked / figures.wall_s if figures.wall_s else 0.0
    bare = figures.prospects / figures.baseline_wall_s if figures.baseline_wall_s else 0.0
    lines = [
        f"Booking: {figures.prospects} concurrent prospects, one SQLite file "
        "(slot search + atomic booking, no Telegram)",
        f"  booked {figures.booked}, refused by the database and retried: {figures.refusals}",
        f"  bookings/s: {per_second:.0f}   (baseline, bare inserts/s: {bare:.0f}, "
        f"ratio {per_second / bare if bare else 0:.2f})",
        f"  latency per prospect ms: median {statistics.median(figures.latencies_ms):.1f}, "
        f"p95 {_p95(figures.latencies_ms):.1f}",
    ]
    if figures.booked != figures.prospects:
        lines.append("  FAILED: not every prospect got exactly one booking")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--managers", type=int, default=50, help="managers (default 50)")
    parser.add_argument("--days", type=int, default=14, help="search horizon in days (default 14)")
    parser.add_argument(
        "--viewings", type=int, default=2000, help="existing viewings (default 2000)"
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed runs (default 20)")
    parser.add_argument(
        "--prospects", type=int, default=500, help="concurrent bookings (default 500)"
    )
    args = parser.parse_args(argv)
    print(
        format_slot_report(bench_slot_search(args.managers, args.days, args.viewings, args.repeats))
    )
    booking = bench_booking(args.prospects)
    print(format_booking_report(booking))
    return 0 if booking.booked == booking.prospects else 1


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark script still runs end to end (a few users); how fast is not checked here."""

from __future__ import annotations

import gc
import math
import re
import sys
from pathlib import Path

# scripts/ is not a package (mypy knows the script as the top-level module `bench`), so it
# is imported the way the script itself runs: from its own directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import bench
import pytest
from bench import CHECKLIST_STEPS, BotFigures, format_report, run_benchmark

from tests.pg_server import PgServer

USERS = 3


def _positive(figures: BotFigures) -> list[str]:
    """Names of figures that are not positive finite numbers."""
    values = {
        "wall_s": figures.wall_s,
        "updates_per_s": figures.updates_per_s,
        "peak_rss_mib": figures.peak_rss_mib,
        "requests": figures.requests,
        **{f"first_answer_ms.{k}": v for k, v in vars(figures.first_answer_ms).items()},
        **{f"reaction_ms.{k}": v for k, v in vars(figures.reaction_ms).items()},
    }
    return [name for name, value in values.items() if not (math.isfinite(value) and value > 0)]


async def test_benchmark_completes_with_every_prospect_qualified() -> None:
    collector = gc.get_threshold(), gc.get_freeze_count()
    result = await run_benchmark(users=USERS, timeout=30)
    # leadsieve's tuning of the collector does not outlive its run (the next echo bot's).
    assert (gc.get_threshold(), gc.get_freeze_count()) == collector

    assert result.failures == [], format_report(result)
    for figures in (result.echo, result.leadsieve):
        assert figures.users == USERS
        assert figures.updates == USERS * len(CHECKLIST_STEPS)
        assert figures.violations == []
        assert _positive(figures) == [], figures.name
    report = format_report(result)
    assert "OK: every leadsieve user is a target lead" in report
    assert result.leadsieve.commits is not None and result.leadsieve.commits > 0


async def test_benchmark_runs_on_postgres(pg_server: PgServer) -> None:
    url = pg_server.create_database(migrated=False)  # the bot migrates it, as in the script
    try:
        result = await run_benchmark(users=USERS, timeout=30, database_url=url)
    finally:
        pg_server.drop_database(url)

    assert result.failures == [], format_report(result)
    assert result.store == "postgres"
    assert result.leadsieve.updates == USERS * len(CHECKLIST_STEPS)
    assert "keeps its data in postgres" in format_report(result)


def test_the_report_is_the_median_round_of_several(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--users", str(USERS), "--rounds", "3", "--timeout", "30"]) == 0
    out = capsys.readouterr().out
    rounds = re.findall(r"^  \d: updates/s ([\d.]+)×", out, re.MULTILINE)
    assert len(rounds) == 3, out
    [reported] = re.findall(r"^updates/s .* ([\d.]+)×$", out, re.MULTILINE)
    assert reported == sorted(rounds, key=float)[1]


def test_viewing_benchmark_runs_and_books_every_prospect() -> None:
    from bench_viewings import bench_booking, bench_slot_search, format_booking_report

    search = bench_slot_search(managers=5, days=3, viewings=20, repeats=1)
    assert search["slots"] > 0
    booking = bench_booking(prospects=20, managers=4)
    assert booking.booked == 20, format_booking_report(booking)
    assert len(booking.latencies_ms) == 20


async def test_burst_benchmark_runs_tiny_under_flood_control() -> None:
    from bench_burst import format_report as burst_report
    from bench_burst import run_burst

    # Windows a hundredth of Telegram's: a few prospects, done in seconds.
    result = await run_burst(prospects=4, spread=0.2, duration=60, scale=0.01)

    report = burst_report(result)
    assert result.failures == [], report
    lead = result.leadsieve
    assert lead.finished == 4 and lead.stuck == 0, report
    assert lead.cards_posted == 4 and lead.cards_twice == 0 and lead.cards_pending == 0
    assert lead.early == 0 and lead.violations == []
    assert math.isfinite(lead.first_answer_start_ms.p99) and lead.first_answer_start_ms.p99 > 0
    assert sum(lead.group_per_minute) > 0
    assert result.echo.steps_done > 0
    assert "cards posted twice" in report


async def test_reminder_benchmark_sends_every_due_reminder_under_flood_control() -> None:
    from bench_reminders import format_report as reminders_report
    from bench_reminders import run_benchmark as run_reminders

    # Ten reminders: within Telegram's 30 a second, so no real waiting.
    result = await run_reminders(10, modes=(1, 2), limit=60)

    report = reminders_report(result)
    one, two = result.modes
    assert [f for f in result.failures if f.startswith("1 replica:")] == [], report
    assert one.lost == 0 and one.twice == 0 and one.messages == 10, report
    assert one.states.get("sent") == 10 and one.rate > 0 and one.cpu_s > 0
    # Two replicas share the database: nothing may be lost (twice is what leases prevent).
    assert two.lost == 0 and two.messages >= 10 and two.states.get("sent") == 10, report
    assert "reminders sent twice" in report and "30 msg/s" in report


def test_memory_benchmark_measures_both_bots_with_leads_mid_checklist() -> None:
    from bench_memory import format_report as memory_report
    from bench_memory import run_benchmark as run_memory

    result = run_memory(prospects=4, wave=2)

    report = memory_report(result)
    assert result.failures == [], report
    for memory in (result.echo, result.leadsieve):
        assert [p.prospects for p in memory.points] == [0, 2, 4], memory.name
        assert all(p.rss_kib > 0 and p.traced_kib > 0 for p in memory.points), memory.name
        assert len(memory.top) == 10 and len(memory.top_after_gc) == 10, memory.name
    assert result.leadsieve.updates == 4 * 5
    assert "bytes per active lead" in report

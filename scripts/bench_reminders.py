"""Due viewing reminders through the real reminder job under Telegram's limits: one replica, two.

    .venv/bin/python scripts/bench_reminders.py [--reminders 10000] [--replicas 1|2]
                                                [--limit SECONDS] [--database-url URL] [--quick]

A temporary SQLite file (or the database at --database-url, once the bot has DATABASE_URL)
gets a sales desk whose reminders are due all at once: managers in a sites file (100 to an
office, the offices' limit), each with 4 viewings booked through the storage layer as
Booking does (appointment, cells, lead status, the reminders `plan_viewing_reminders`
plans): one today at 15:00 Moscow time, booked this morning, and three tomorrow morning,
booked yesterday. At 14:05 on that Monday the prospect's 2-hour and the manager's 1-hour
reminders of today's viewing and the prospects' day-before reminders of tomorrow's are due
and still useful: 5 reminders a manager, every one to a different private chat (4 of 5 to
prospects), so Telegram's per-chat limit never binds and the bot-wide ~30 messages a second
does. The clock then runs in real time from 14:05 (today's reminders stay useful until
14:30: runs far beyond 20,000 reminders would see them dropped).

The real application (build_application, the Notifier's default pacing) sends them to the
fakegram stand-in on 127.0.0.1 with Telegram's flood control on (1 message a second per
private chat, 30 a second overall: 429 with retry_after beyond). Each replica calls
`ReminderDesk.run_due` under the job's lease, back to back, as the scheduler does (of two
replicas, the one holding the lease sends), and once a call sends nothing
polls every second until no reminder is pending. `--replicas 2` builds two Applications on
the same database in this process, both running the job at once, as two replicas would.
By default both modes run, one after the other, each on its own fresh database.

Figures: wall time (first call → nothing pending), the send rate (messages the stand-in
accepted a second, until the last) against Telegram's 30/s, which is the baseline together
with the one-replica run; 429s received; reminders lost (due, but their chat never got a
message) and sent twice (a chat got more than one), counted from the stand-in's messages
and checked against the states in the database; CPU time of the process (bots and
stand-in together). The script never judges speed: it fails (exit code 1) only when a
reminder was lost or sent twice, a request came before its retry_after, the bot broke the
Bot API spec or logged an error. Exit code 2: --database-url without the setting.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The project root, so that `bot` and `tests.fakegram` import when run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import contextlib
import logging
import math
import resource
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench_burst import LogCount
from bench_reminders_seed import NOW, PER_MANAGER, seed, write_sites

from bot.app import Application
from bot.collector import settle as settle_collector
from bot.composition import build_application
from bot.config import Settings
from bot.jobs import job_lease
from bot.services.reminders import RETRY_AFTER
from bot.storage.codec import dump_time
from tests.fakegram import FakeTelegram
from tests.fakegram.flood import FloodLimits

TOKEN = "123456789:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY"
TELEGRAM_RATE = 30.0  # messages a second, Telegram's bot-wide limit and the baseline
POLL_SECONDS = 1.0  # a replica that found nothing to send looks again after this
QUICK = 500


class ConfigMissing(Exception):
    """--database-url asked for, but this bot has no DATABASE_URL setting yet."""


class RunClock:
    """NOW until the run starts, then NOW plus the real time elapsed (retries come due)."""

    def __init__(self) -> None:
        self._started: float | None = None

    def start(self) -> None:
        self._started = time.monotonic()

    def now(self) -> datetime:
        elapsed = 0.0 if self._started is None else time.monotonic() - self._started
        return NOW.astimezone(UTC) + timedelta(seconds=elapsed)


@dataclass(frozen=True)
class ModeFigures:
    replicas: int
    reminders: int
    managers: int
    wall_s: float  # first run_due → nothing pending
    last_delivery_s: float  # first run_due → the stand-in accepted the last message
    messages: int  # sendMessage the stand-in accepted
    rejected_429: int
    early: int  # requests before their retry_after
    lost: int  # due reminders whose chat got no message
    twice: int  # chats that got more than one
    extra_messages: int  # messages beyond one a chat
    other_chats: int  # messages to chats no reminder was due for
    states: dict[str, int]  # reminders of this run's viewings by state, afterwards
    cpu_s: float
    calls: int  # run_due calls, all replicas
    timed_out: bool
    violations: list[str]
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.messages / self.last_delivery_s if self.last_delivery_s > 0 else math.nan


@dataclass
class BenchResult:
    modes: list[ModeFigures]
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


# ---------------------------------------------------------------------------------- set-up


def make_settings(
    server: FakeTelegram, workdir: Path, sites_path: Path, url: str | None
) -> Settings:
    """The one place the database is chosen: a file in `workdir`, or DATABASE_URL."""
    where: dict[str, object] = {"database_path": workdir / "leadsieve.sqlite3"}
    if url is not None:
        if "database_url" not in Settings.model_fields:
            raise ConfigMissing(
                "this bot has no DATABASE_URL setting yet (bot/config.py): "
                "--database-url cannot be used"
            )
        where = {"database_url": url}
    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_base=server.base_url,
        sites_path=sites_path,
        default_language="ru",
        company_name="Acme Homes",
        **where,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------------- the run


async def _pending(app: Application, span: tuple[int, int]) -> int:
    """This run's reminders still to send: due, or put off a minute for a retry."""
    horizon = app.clock.now() + RETRY_AFTER + timedelta(minutes=1)
    async with (
        app.db.read() as conn,
        conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE state = 'pending' AND kind <> 'agenda'"
            " AND appointment_id >= ? AND appointment_id <= ? AND due_at <= ?",
            (span[0], span[1], dump_time(horizon)),
        ) as cursor,
    ):
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _states(app: Application, span: tuple[int, int]) -> dict[str, int]:
    async with (
        app.db.read() as conn,
        conn.execute(
            "SELECT state, COUNT(*) FROM reminders WHERE appointment_id >= ?"
            " AND appointment_id <= ? GROUP BY state ORDER BY state",
            span,
        ) as cursor,
    ):
        return {str(row[0]): int(row[1]) for row in await cursor.fetchall()}


async def _replica(app: Application, span: tuple[int, int], deadline: float) -> tuple[int, bool]:
    """The reminder job as the scheduler runs it (under its lease, so of two replicas one
    sends at a time), until nothing is pending; (calls, timed out)."""
    loop = asyncio.get_running_loop()
    calls = 0
    sent = 0

    async def job() -> None:
        nonlocal sent
        sent = await app.reminders.run_due()

    while loop.time() < deadline:
        calls += 1
        sent = 0
        if await app.leases.run(job_lease("reminders") or "reminders", job) and sent:
            continue
        if not await _pending(app, span):
            return calls, False
        await asyncio.sleep(POLL_SECONDS)
    return calls, True


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_mode(replicas: int, count: int, limit: float, url: str | None) -> ModeFigures:
    mode = replicas  # 1 or 2: its own ids, so both can share a database
    capture = LogCount()
    async with FakeTelegram(TOKEN) as server:
        with tempfile.TemporaryDirectory(prefix="leadsieve-reminders-") as tmp:
            workdir = Path(tmp)
            sites_path = workdir / "sites.yaml"
            write_sites(sites_path, mode, math.ceil(count / PER_MANAGER))
            settings = make_settings(server, workdir, sites_path, url)
            clock = RunClock()
            apps: list[Application] = []
            try:
                for _ in range(replicas):  # the same database, as replicas share it
                    apps.append(await build_application(settings, clock=clock))
                settle_collector()  # as `python -m bot run` does before taking updates
                seeded = await seed(apps[0], mode, count)
                flood = server.enable_flood_control(FloodLimits())
                logging.getLogger().addHandler(capture)
                mark = server.mark()
                loop = asyncio.get_running_loop()
                cpu_before = _cpu_s()
                clock.start()
                started = loop.time()
                outcomes = await asyncio.gather(
                    *(_replica(app, seeded.appointments, started + limit) for app in apps)
                )
                wall = loop.time() - started
                cpu = _cpu_s() - cpu_before
                logging.getLogger().removeHandler(capture)
                states = await _states(apps[0], seeded.appointments)
            finally:
                logging.getLogger().removeHandler(capture)
                for app in apps:
                    await app.close()
        requests = server.requests[mark:]
        accepted = [r for r in requests if r.ok and r.method == "sendMessage"]
        per_chat = Counter(r.chat_id for r in accepted)
        received = {chat for chat in per_chat if isinstance(chat, int)}
        return ModeFigures(
            replicas=replicas,
            reminders=count,
            managers=seeded.managers,
            wall_s=wall,
            last_delivery_s=max((r.time for r in accepted), default=started) - started,
            messages=len(accepted),
            rejected_429=sum(1 for r in requests if r.error_code == 429),
            early=len(flood.violations),
            lost=len(seeded.chats - received),
            twice=sum(1 for chat, n in per_chat.items() if n > 1 and chat in seeded.chats),
            extra_messages=sum(n - 1 for chat, n in per_chat.items() if chat in seeded.chats),
            other_chats=sum(n for chat, n in per_chat.items() if chat not in seeded.chats),
            states=states,
            cpu_s=cpu,
            calls=sum(calls for calls, _ in outcomes),
            timed_out=any(timed_out for _, timed_out in outcomes),
            violations=[v for v in server.violations if not v.startswith("flood:")],
            errors=capture.errors,
        )


def _failures(figures: ModeFigures) -> list[str]:
    name = f"{figures.replicas} replica{'s' if figures.replicas > 1 else ''}"
    problems = [f"{name}: error logged: {error}" for error in figures.errors[:10]]
    if figures.lost:
        problems.append(f"{name}: {figures.lost} reminder(s) lost (due, never sent)")
    if figures.twice:
        problems.append(f"{name}: {figures.twice} reminder(s) sent more than once")
    if figures.early:
        problems.append(f"{name}: {figures.early} request(s) before their retry_after")
    if figures.timed_out:
        problems.append(f"{name}: reminders still pending when the time limit ran out")
    problems += [f"{name}: Bot API violation: {v}" for v in figures.violations[:10]]
    return problems


async def run_benchmark(
    count: int = 10_000,
    modes: tuple[int, ...] = (1, 2),
    limit: float | None = None,
    url: str | None = None,
) -> BenchResult:
    """Each mode in turn on a fresh database; `limit` is seconds per mode, at most."""
    if count < PER_MANAGER or any(mode not in (1, 2) for mode in modes):
        raise ValueError(f"at least {PER_MANAGER} reminders; replicas 1 or 2")
    # Three times Telegram's pace, and two minutes for retries after a 429.
    budget = limit if limit is not None else 3 * count / TELEGRAM_RATE + 120
    result = BenchResult([])
    for replicas in modes:
        figures = await run_mode(replicas, count, budget, url)
        result.modes.append(figures)
        result.failures += _failures(figures)
    return result


# ---------------------------------------------------------------------------------- report


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base > 0 and math.isfinite(value / base) else "n/a"


def format_report(result: BenchResult) -> str:
    modes = result.modes
    base = modes[0]
    ideal = base.reminders / TELEGRAM_RATE
    header = [
        "",
        "30 msg/s",
        *(f"{m.replicas} replica{'s' if m.replicas > 1 else ''}" for m in modes),
    ]
    rows: list[list[str]] = [
        header,
        ["due reminders (distinct chats)", f"{base.reminders}", *(f"{m.reminders}" for m in modes)],
        ["  of them to managers", "", *(f"{m.managers}" for m in modes)],
        ["wall time, s", f"{ideal:.1f}", *(f"{m.wall_s:.1f}" for m in modes)],
        ["last message accepted at, s", "", *(f"{m.last_delivery_s:.1f}" for m in modes)],
        ["messages accepted", "", *(f"{m.messages}" for m in modes)],
        ["send rate, messages/s", f"{TELEGRAM_RATE:.1f}", *(f"{m.rate:.1f}" for m in modes)],
        ["  against 30/s", "1.00×", *(_ratio(m.rate, TELEGRAM_RATE) for m in modes)],
        ["  against one replica", "", *(_ratio(m.rate, base.rate) for m in modes)],
        ["429s received", "", *(f"{m.rejected_429}" for m in modes)],
        ["requests before their retry_after", "", *(f"{m.early}" for m in modes)],
        ["reminders lost", "", *(f"{m.lost}" for m in modes)],
        ["reminders sent twice (chats)", "", *(f"{m.twice}" for m in modes)],
        ["  messages beyond one a chat", "", *(f"{m.extra_messages}" for m in modes)],
        ["messages to other chats", "", *(f"{m.other_chats}" for m in modes)],
        ["run_due calls (all replicas)", "", *(f"{m.calls}" for m in modes)],
        ["CPU time, s", "", *(f"{m.cpu_s:.1f}" for m in modes)],
        ["CPU per reminder, ms", "", *(f"{1000 * m.cpu_s / m.reminders:.2f}" for m in modes)],
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    table = [
        "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row))
        for row in rows
    ]
    lines = [
        f"reminder benchmark: {base.reminders} reminders due at once, each to its own private "
        "chat; the real reminder job with the Notifier's default pacing against the fakegram "
        "stand-in on 127.0.0.1 with Telegram's flood control (1/s a chat, 30/s overall).",
        "Baseline: Telegram's 30 messages/s (the wall time it allows) and the one-replica run. "
        "CPU time is the whole process: bots and stand-in.",
        "",
        *table,
        "",
        "reminders of the runs' viewings by state afterwards (the rest are not due yet):",
        *(f"  {m.replicas} replica(s): {m.states}" for m in modes),
    ]
    if result.failures:
        lines += ["", f"FAILED: {len(result.failures)} problem(s):"]
        lines += [f"  {failure}" for failure in result.failures[:30]]
    else:
        lines += [
            "",
            "OK: every due reminder sent exactly once; no request before its retry_after.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--reminders", type=int, default=10_000, help="due reminders")
    parser.add_argument("--replicas", type=int, choices=(1, 2), help="one mode only")
    parser.add_argument("--limit", type=float, help="seconds per mode, at most")
    parser.add_argument("--database-url", help="DATABASE_URL of an empty database to use")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} reminders")
    args = parser.parse_args(argv)
    # Warnings (every 429) are part of the figures; printing them would be noise.
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(logging.NullHandler())
    count = QUICK if args.quick else args.reminders
    modes = (args.replicas,) if args.replicas else (1, 2)
    began = time.monotonic()
    try:
        result = asyncio.run(run_benchmark(count, modes, args.limit, args.database_url))
    except ConfigMissing as error:
        sys.stderr.write(f"bench_reminders: {error}\n")
        return 2
    print(format_report(result))
    print(f"(whole run {time.monotonic() - began:.1f} s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

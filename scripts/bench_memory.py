"""Memory with many active leads: leadsieve's resident set next to a bare aiogram echo bot's.

    .venv/bin/python scripts/bench_memory.py [--prospects 10000] [--wave 100] [--quick]

N prospects each send /start, agree to the processing of their data and give the first 3
answers of the bundled checklist (purpose, rooms, a typed budget), so N leads are left
mid-checklist, waiting at question 4: their conversation state, aiogram's per-user
isolation and whatever the bot caches for them stay as they would. Updates are fed straight
to the dispatcher (no polling), `--wave` prospects at a time; no flood control, no send
pacing. The bot's requests go over real HTTP to the fakegram stand-in on 127.0.0.1 in the
same process; once a wave is through, the stand-in forgets those chats, so what grows is
the bot's.

Each bot runs in a fresh child process of its own (a process's resident set does not give
memory back), with tracemalloc tracing from before the bot is built. Figures: VmRSS (from
/proc/self/status, less tracemalloc's own bookkeeping) and tracemalloc's current and peak
(Python objects only: not SQLite's page cache, not the C heap) before any prospect and
after 10 %, 50 % and 100 % of them (1,000, 5,000, 10,000 by default), bytes per active
lead, tracemalloc's top allocation sites by size after the last prospect, each with its
growth since the baseline (to see what grows), and the same after gc.collect(). The echo
bot (bench.py's: one reply per update, aiogram's memory FSM, no storage) driven through the
same updates is the baseline. The script never judges size: it fails (exit code 1) only
when a prospect's answers were not all stored, the bot broke the Bot API spec or logged an
error. tracemalloc slows the bots about threefold: 10,000 leads take half an hour or more.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The project root, so that `bot` and `tests.fakegram` import when run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import Update
from bench import (
    CHECKLIST_STEPS,
    MANAGER_ID,
    STAFF_CHAT,
    TOKEN,
    Action,
    _api_session,
    _echo_act,
    _leadsieve_act,
    build_echo_dispatcher,
    leadsieve_settings,
)

from bot.collector import settle as settle_collector
from bot.composition import build_application
from bot.storage import leads
from tests.fakegram import FakeTelegram

FIRST_USER_ID = 500_000_001
STEPS = CHECKLIST_STEPS[:5]  # /start, consent, then 3 answers: the lead waits at question 4
ANSWERS = 3
QUICK = 500
TOP = 10
PROJECT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Point:
    prospects: int
    rss_kib: int  # VmRSS less tracemalloc's own bookkeeping (what the process would hold)
    traced_kib: int  # tracemalloc's current
    peak_kib: int  # tracemalloc's peak so far


@dataclass
class BotMemory:
    name: str
    points: list[Point]  # the first is before any prospect (the baseline)
    after_gc: Point
    top: list[str]  # allocation sites, largest first, after the last prospect
    top_after_gc: list[str]
    wall_s: float
    updates: int
    problems: list[str] = field(default_factory=list)

    def per_lead(self, kind: str) -> float:
        """Bytes per active lead from the baseline to the last point ('rss' or 'traced')."""
        first, last = self.points[0], self.points[-1]
        grown = getattr(last, f"{kind}_kib") - getattr(first, f"{kind}_kib")
        return 1024 * grown / last.prospects if last.prospects else float("nan")


@dataclass
class BenchResult:
    prospects: int
    echo: BotMemory
    leadsieve: BotMemory

    @property
    def failures(self) -> list[str]:
        return [f"{b.name}: {p}" for b in (self.echo, self.leadsieve) for p in b.problems]


# ---------------------------------------------------------------------------------- measuring


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def _point(prospects: int) -> Point:
    current, peak = tracemalloc.get_traced_memory()
    own = tracemalloc.get_tracemalloc_memory() // 1024  # its traces, in the RSS too
    return Point(prospects, _rss_kib() - own, current // 1024, peak // 1024)


def _where(filename: str) -> str:
    """A short name: the project's files from the root, libraries from their package."""
    path = Path(filename)
    with contextlib.suppress(ValueError):
        return str(path.relative_to(PROJECT))
    parts = path.parts
    for marker in ("site-packages", "lib-dynload"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1 :])
    return "/".join(parts[-2:])


Sites = dict[tuple[str, int], int]  # (file, line) -> bytes allocated there and still held


def _sites() -> Sites:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    return {
        (stat.traceback[0].filename, stat.traceback[0].lineno): stat.size
        for stat in snapshot.statistics("lineno")
    }


def _top_sites(baseline: Sites) -> list[str]:
    """The largest sites now, with how much each grew since the baseline."""
    now = _sites()
    largest = sorted(now.items(), key=lambda item: item[1], reverse=True)[:TOP]
    return [
        f"{size / 1024:9.0f} KiB  {(size - baseline.get(site, 0)) / 1024:+9.0f} KiB  "
        f"{_where(site[0])}:{site[1]}"
        for site, size in largest
    ]


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(f"{record.name}: {record.getMessage()}")


def _forget(server: FakeTelegram, user_ids: Iterable[int]) -> None:
    """Drops what the stand-in keeps about finished chats, so its memory does not grow.

    Nothing is in flight between waves: the request log and callback queries go whole.
    """
    for user_id in user_ids:
        server._chats.pop(user_id, None)
        server._users.pop(user_id, None)
    server.requests.clear()
    server.callback_answers.clear()
    server.reactions.clear()
    server._callback_queries.clear()


async def _one(user: Any, act: Action, problems: list[str]) -> None:
    for step in STEPS:
        try:
            await act(user, step)
        except AssertionError as error:  # the button to press never came
            problems.append(f"user {user.user_id}, {step.value!r}: {error}")
            return


async def _drive(
    server: FakeTelegram, bot: Bot, dispatcher: Dispatcher, act: Action, prospects: int, wave: int
) -> tuple[list[Point], Sites, float, list[str]]:
    async def feed(update: dict[str, Any]) -> None:
        await dispatcher.feed_update(bot, Update.model_validate(update, context={"bot": bot}))

    marks = sorted({max(1, prospects // 10), max(1, prospects // 2), prospects})
    # Before the first point: the snapshot's memory, freed but not given back, is then in
    # every point alike. Kept small (sizes by site, not the snapshot): it stays traced.
    baseline = _sites()
    points = [_point(0)]
    problems: list[str] = []
    began = time.monotonic()
    for first in range(0, prospects, wave):
        ids = [FIRST_USER_ID + n for n in range(first, min(first + wave, prospects))]
        users = [
            server.user(
                uid,
                first_name="Anna",
                language_code="en",
                phone_number=f"7916{uid % 10**7:07d}",
                deliver=feed,
            )
            for uid in ids
        ]
        await asyncio.gather(*(_one(user, act, problems) for user in users))
        del users
        _forget(server, ids)
        done = first + len(ids)
        if any(first < mark <= done for mark in marks):
            points.append(_point(done))
    return points, baseline, time.monotonic() - began, problems


async def _stored_answers(app: Any, prospects: int) -> list[str]:
    """Every prospect must be a lead with its answers stored."""
    problems: list[str] = []
    async with app.db.read() as conn:
        for n in range(prospects):
            lead = await leads.get_by_user(conn, FIRST_USER_ID + n)
            stored = 0 if lead is None else sum(v is not None for v in lead.answers.values())
            if stored != ANSWERS:
                problems.append(f"user {FIRST_USER_ID + n}: {stored} answers stored")
    return problems


async def measure(name: str, prospects: int, wave: int) -> BotMemory:
    """Runs one bot in this process; tracemalloc must already be tracing."""
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    async with FakeTelegram(TOKEN) as server:
        server.add_group(STAFF_CHAT, "Sales", is_forum=True, members={MANAGER_ID: "administrator"})
        if name == "echo":
            bot = Bot(
                TOKEN,
                session=_api_session(server),
                default=DefaultBotProperties(parse_mode=ParseMode.HTML),
            )
            try:
                points, baseline, wall, problems = await _drive(
                    server, bot, build_echo_dispatcher(), _echo_act, prospects, wave
                )
                result = _finish(name, points, baseline, wall, prospects)
            finally:
                await bot.session.close()
        else:
            with tempfile.TemporaryDirectory(prefix="leadsieve-memory-") as tmp:
                settings = leadsieve_settings(server, Path(tmp))
                app = await build_application(settings, send_rate_per_second=0)
                settle_collector()  # as `python -m bot run` does before taking updates
                try:
                    points, baseline, wall, problems = await _drive(
                        server, app.bot, app.dispatcher, _leadsieve_act, prospects, wave
                    )
                    result = _finish(name, points, baseline, wall, prospects)
                    problems += await _stored_answers(app, prospects)
                finally:
                    await app.close()
        problems += [f"Bot API violation: {v}" for v in server.violations[:10]]
    logging.getLogger().removeHandler(errors)
    result.problems = problems[:20] + [f"error logged: {e}" for e in errors.errors[:10]]
    return result


def _finish(
    name: str, points: list[Point], baseline: Sites, wall: float, prospects: int
) -> BotMemory:
    top = _top_sites(baseline)
    gc.collect()
    return BotMemory(
        name=name,
        points=points,
        after_gc=_point(prospects),
        top=top,
        top_after_gc=_top_sites(baseline),
        wall_s=wall,
        updates=prospects * len(STEPS),
    )


def _child(name: str, prospects: int, wave: int) -> int:
    """The child process: one bot, figures as JSON on stdout."""
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(logging.NullHandler())
    tracemalloc.start()
    memory = asyncio.run(measure(name, prospects, wave))
    print(json.dumps(asdict(memory)))
    return 0


def _load(raw: dict[str, Any]) -> BotMemory:
    raw["points"] = [Point(**p) for p in raw["points"]]
    raw["after_gc"] = Point(**raw["after_gc"])
    return BotMemory(**raw)


def run_in_child(name: str, prospects: int, wave: int) -> BotMemory:
    argv = [sys.executable, __file__, "--bot", name, "--prospects", str(prospects)]
    done = subprocess.run(  # our own script, with our own interpreter
        [*argv, "--wave", str(wave)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {name} run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return _load(json.loads(done.stdout.strip().splitlines()[-1]))


def run_benchmark(prospects: int = 10_000, wave: int = 100) -> BenchResult:
    """The echo bot first (the baseline), then leadsieve, each in a fresh process."""
    if prospects < 1 or wave < 1:
        raise ValueError("prospects and wave must be at least 1")
    echo = run_in_child("echo", prospects, wave)
    lead = run_in_child("leadsieve", prospects, wave)
    return BenchResult(prospects, echo, lead)


# ---------------------------------------------------------------------------------- report


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def format_report(result: BenchResult) -> str:
    echo, lead = result.echo, result.leadsieve
    rows: list[tuple[str, ...]] = [
        ("active leads", "echo RSS", "echo traced", "leadsieve RSS", "leadsieve traced", "peak")
    ]
    for e, ls in zip(echo.points, lead.points, strict=True):
        label = f"{ls.prospects}" + (" (baseline)" if ls.prospects == 0 else "")
        rows.append(
            (
                label,
                _mib(e.rss_kib),
                _mib(e.traced_kib),
                _mib(ls.rss_kib),
                _mib(ls.traced_kib),
                _mib(ls.peak_kib),
            )
        )
    rows.append(
        (
            "after gc.collect()",
            _mib(echo.after_gc.rss_kib),
            _mib(echo.after_gc.traced_kib),
            _mib(lead.after_gc.rss_kib),
            _mib(lead.after_gc.traced_kib),
            _mib(lead.after_gc.peak_kib),
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = [
        "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row))
        for row in rows
    ]

    def per_lead(kind: str) -> str:
        mine, base = lead.per_lead(kind), echo.per_lead(kind)
        return f"leadsieve {mine:.0f}, echo {base:.0f}, leadsieve beyond echo {mine - base:.0f}"

    lines = [
        f"memory benchmark: {result.prospects} prospects each through /start, consent and "
        f"{ANSWERS} answers (left at question {ANSWERS + 1}), fed to the dispatcher, each bot "
        "in a fresh process with tracemalloc on; the stand-in forgets finished chats.",
        "MiB; RSS = VmRSS of the process (bot, stand-in, SQLite; both processes import the "
        "same modules) less tracemalloc's own traces, traced = tracemalloc's current "
        "(Python objects), peak = leadsieve's tracemalloc peak so far. The RSS after "
        "gc.collect() also holds what the snapshot of the sites taken just before left.",
        "",
        *table,
        "",
        f"bytes per active lead, RSS:    {per_lead('rss')}",
        f"bytes per active lead, traced: {per_lead('traced')}",
        f"updates: {lead.updates} in {lead.wall_s:.1f} s (leadsieve), "
        f"{echo.updates} in {echo.wall_s:.1f} s (echo), tracemalloc slowing both",
    ]
    for title, sites in (
        (f"leadsieve: top {TOP} allocation sites after {result.prospects} leads", lead.top),
        ("  … after gc.collect()", lead.top_after_gc),
        (f"echo: top {TOP} allocation sites after {result.prospects} prospects", echo.top),
    ):
        lines += ["", f"{title} (held, grown since the baseline, where):"]
        lines += [f"  {site}" for site in sites]
    if result.failures:
        lines += ["", f"FAILED: {len(result.failures)} problem(s):"]
        lines += [f"  {failure}" for failure in result.failures[:30]]
    else:
        lines += ["", f"OK: every leadsieve prospect has its {ANSWERS} answers stored; no errors."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--prospects", type=int, default=10_000, help="active leads at the end")
    parser.add_argument("--wave", type=int, default=100, help="prospects driven at once")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} prospects")
    parser.add_argument("--bot", choices=("echo", "leadsieve"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    prospects = QUICK if args.quick else args.prospects
    if args.bot:
        return _child(args.bot, prospects, args.wave)
    began = time.monotonic()
    result = run_benchmark(prospects, args.wave)
    print(format_report(result))
    print(f"(whole run {time.monotonic() - began:.1f} s)")
    return 0 if not result.failures else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

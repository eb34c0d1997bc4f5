"""A burst of prospects under Telegram's flood control: leadsieve next to a bare echo bot.

    .venv/bin/python scripts/bench_burst.py [--prospects 1000] [--spread 60] [--duration 300]
                                            [--scale 1.0]

N prospects start within `spread` seconds (evenly) and go through the bundled checklist; the
fakegram stand-in enforces Telegram's limits (1 message a second per private chat, 20 a
minute per group, 30 a second overall: 429 with retry_after beyond them) and records every
request sent to a chat before its retry_after. Updates are fed straight to each bot's
dispatcher (no polling), so a step's time is the bot's own: handling, queueing, waiting out
limits. The pending-cards job runs on its timer as in production.

Telegram's limits make such a burst take far longer than a minute (a group takes 20 cards a
minute), so the run stops after `duration` seconds and reports where it got: the figures are
about how the bot behaves while overloaded, not how fast it finishes. `--scale 0.1` shrinks
every window (the bot's and the stand-in's) tenfold, e.g. for a quick look; retry_after
stays whole seconds, as in Telegram.

Figures: p99 of the first answer (to /start, and to any step), staff-group requests per
minute, 429s received, requests before their retry_after, cards posted twice. The echo bot
(one reply per update, sent straight through aiogram) is the baseline under the same flood
control. The script fails (exit code 1) when leadsieve posted a card twice, sent a request
before its retry_after, broke the Bot API spec or logged an error.
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
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import Update
from bench import (
    CHECKLIST_STEPS,
    FIRST_ANSWER_METHODS,
    MANAGER_ID,
    STAFF_CHAT,
    TOKEN,
    Action,
    Percentiles,
    Step,
    _api_session,
    _echo_act,
    _leadsieve_act,
    build_echo_dispatcher,
    leadsieve_settings,
)

from bot.collector import settle as settle_collector
from bot.composition import build_application
from bot.domain.send_policy import TELEGRAM_LIMITS
from bot.jobs import STAFF_CARD_RETRY_SECONDS
from bot.storage import leads
from tests.fakegram import FakeTelegram, Request, TelegramUser
from tests.fakegram.flood import FloodLimits

FIRST_USER_ID = 300_000_001
_CARD = re.compile(r"лид #(\d+)\n")


@dataclass(frozen=True)
class BurstFigures:
    name: str
    prospects: int
    finished: int  # went through every step before the time ran out
    stuck: int  # could not go on (an answer never came, so its button is missing)
    steps_done: int
    lost_answers: int  # steps whose handling failed (the echo bot does not retry a 429)
    wall_s: float
    first_answer_start_ms: Percentiles  # to /start: the prospect's first contact
    first_answer_ms: Percentiles  # to any step
    group_per_minute: list[int]  # staff-group requests, by minute of the run
    requests: int
    rejected_429: int
    group_429: int
    early: int  # requests to a chat before the retry_after it was given
    cards_posted: int
    cards_twice: int  # leads whose card was posted more than once
    cards_pending: int  # leads with a verdict whose card was not posted by the end
    violations: list[str]  # Bot API spec violations other than flood ones

    @property
    def group_max_per_minute(self) -> int:
        return max(self.group_per_minute, default=0)


@dataclass
class BurstResult:
    prospects: int
    spread_s: float
    duration_s: float
    scale: float
    echo: BurstFigures
    leadsieve: BurstFigures
    failures: list[str] = field(default_factory=list)
    warnings: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


class LogCount(logging.Handler):
    """Counts warnings (429s are logged as such) and keeps errors."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.warnings = 0
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.errors.append(f"{record.name}: {record.getMessage()}")
        else:
            self.warnings += 1


@dataclass
class _Progress:
    first_start: list[float] = field(default_factory=list)
    first_any: list[float] = field(default_factory=list)
    steps: int = 0
    lost: int = 0
    finished: int = 0
    stuck: int = 0


def _first_answer(server: FakeTelegram, chat_id: int, mark: int) -> Request | None:
    return next(
        (
            r
            for r in server.chat(chat_id).requests
            if r.seq >= mark and r.ok and r.method in FIRST_ANSWER_METHODS
        ),
        None,
    )


async def _prospect(
    user: TelegramUser, offset: float, act: Action, progress: _Progress, steps: tuple[Step, ...]
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(offset)
    for index, step in enumerate(steps):
        mark = user.server.mark()
        began = loop.time()
        try:
            await act(user, step)
        except AssertionError:  # the answer with the button to press never came
            progress.stuck += 1
            return
        except Exception:  # the echo bot's handler fails on a 429: count it, go on
            progress.lost += 1
        progress.steps += 1
        first = _first_answer(user.server, user.chat_id, mark)
        if first is not None:
            progress.first_any.append(first.time - began)
            if index == 0:
                progress.first_start.append(first.time - began)
    progress.finished += 1


def _flood_limits(scale: float) -> FloodLimits:
    return FloodLimits().scaled(scale)


async def _drive(
    name: str,
    server: FakeTelegram,
    bot: Bot,
    dispatcher: Dispatcher,
    act: Action,
    *,
    prospects: int,
    spread: float,
    duration: float,
    scale: float,
    background: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> tuple[BurstFigures, _Progress]:
    flood = server.enable_flood_control(_flood_limits(scale))

    async def feed(update: dict[str, Any]) -> None:
        await dispatcher.feed_update(bot, Update.model_validate(update, context={"bot": bot}))

    users = [
        server.user(
            FIRST_USER_ID + n,
            first_name="Anna",
            language_code="en",
            phone_number=f"7916{(FIRST_USER_ID + n) % 10**7:07d}",
            deliver=feed,
        )
        for n in range(prospects)
    ]
    progress = _Progress()
    loop = asyncio.get_running_loop()
    mark = server.mark()
    started = loop.time()
    tasks = [
        asyncio.create_task(_prospect(user, spread * n / prospects, act, progress, CHECKLIST_STEPS))
        for n, user in enumerate(users)
    ]
    job = asyncio.create_task(background()) if background is not None else None
    _, pending = await asyncio.wait(tasks, timeout=duration)
    wall = loop.time() - started
    for task in [*pending, *([job] if job is not None else [])]:
        task.cancel()
    await asyncio.gather(*tasks, *([job] if job is not None else []), return_exceptions=True)

    requests = server.requests[mark:]
    minute = 60.0 * scale
    group = [r for r in requests if r.chat_id == STAFF_CHAT and r.method != "getChat"]
    per_minute = Counter(int((r.time - started) // minute) for r in group)
    cards = Counter(
        int(found.group(1))
        for r in group
        if r.ok and r.method == "sendMessage"
        if (found := _CARD.search(str(r.params.get("text", "")))) is not None
    )
    figures = BurstFigures(
        name=name,
        prospects=prospects,
        finished=progress.finished,
        stuck=progress.stuck,
        steps_done=progress.steps,
        lost_answers=progress.lost,
        wall_s=wall,
        first_answer_start_ms=Percentiles.of(progress.first_start),
        first_answer_ms=Percentiles.of(progress.first_any),
        group_per_minute=[per_minute.get(m, 0) for m in range(max(per_minute, default=-1) + 1)],
        requests=len(requests),
        rejected_429=sum(1 for r in requests if r.error_code == 429),
        group_429=sum(1 for r in group if r.error_code == 429),
        early=len(flood.violations),
        cards_posted=sum(cards.values()),
        cards_twice=sum(1 for n in cards.values() if n > 1),
        cards_pending=0,
        violations=[v for v in server.violations if not v.startswith("flood:")],
    )
    return figures, progress


async def run_echo(prospects: int, spread: float, duration: float, scale: float) -> BurstFigures:
    async with FakeTelegram(TOKEN) as server:
        bot = Bot(
            TOKEN,
            session=_api_session(server),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML),
        )
        try:
            figures, _ = await _drive(
                "echo",
                server,
                bot,
                build_echo_dispatcher(),
                _echo_act,
                prospects=prospects,
                spread=spread,
                duration=duration,
                scale=scale,
            )
        finally:
            await bot.session.close()
    return figures


async def run_leadsieve(
    prospects: int, spread: float, duration: float, scale: float
) -> BurstFigures:
    async with FakeTelegram(TOKEN) as server:
        server.add_group(STAFF_CHAT, "Sales", is_forum=True, members={MANAGER_ID: "administrator"})
        with tempfile.TemporaryDirectory(prefix="leadsieve-burst-") as tmp:
            settings = leadsieve_settings(server, Path(tmp))
            # Telegram's limits (scaled like the stand-in's), as in production.
            app = await build_application(settings, send_limits=TELEGRAM_LIMITS.scaled(scale))
            settle_collector()  # as `python -m bot run` does before taking updates

            async def pending_cards() -> None:
                while True:
                    await asyncio.sleep(STAFF_CARD_RETRY_SECONDS * scale)
                    await app.staff.publish_pending()

            try:
                figures, _ = await _drive(
                    "leadsieve",
                    server,
                    app.bot,
                    app.dispatcher,
                    _leadsieve_act,
                    prospects=prospects,
                    spread=spread,
                    duration=duration,
                    scale=scale,
                    background=pending_cards,
                )
                async with app.db.read() as conn:
                    pending = len(await leads.unposted(conn))
            finally:
                await app.close()
    return BurstFigures(**{**vars(figures), "cards_pending": pending})


async def run_burst(
    prospects: int = 1000,
    spread: float = 60.0,
    duration: float = 300.0,
    scale: float = 1.0,
) -> BurstResult:
    """The echo bot first (the baseline), then leadsieve, each for at most `duration` s."""
    if prospects < 1 or spread < 0 or duration <= 0 or scale <= 0:
        raise ValueError("prospects ≥ 1, spread ≥ 0, duration > 0, scale > 0")
    echo_log, lead_log = LogCount(), LogCount()
    root = logging.getLogger()
    root.addHandler(echo_log)
    try:
        echo = await run_echo(prospects, spread, duration, scale)
    finally:
        root.removeHandler(echo_log)
    root.addHandler(lead_log)
    try:
        lead = await run_leadsieve(prospects, spread, duration, scale)
    finally:
        root.removeHandler(lead_log)
    failures = [f"leadsieve: error logged: {e}" for e in lead_log.errors]
    if lead.cards_twice:
        failures.append(f"leadsieve: {lead.cards_twice} card(s) posted more than once")
    if lead.early:
        failures.append(f"leadsieve: {lead.early} request(s) before their retry_after")
    failures += [f"leadsieve: Bot API violation: {v}" for v in lead.violations]
    return BurstResult(
        prospects, spread, duration, scale, echo, lead, failures, warnings=lead_log.warnings
    )


def _ms(value: float) -> str:
    return f"{value:.0f}" if math.isfinite(value) else "–"


def _pair(echo: BurstFigures, lead: BurstFigures, figure: str, q: str) -> tuple[str, str]:
    def one(figures: BurstFigures) -> str:
        value: float = getattr(getattr(figures, figure), q)
        return _ms(value)

    return one(echo), one(lead)


def format_report(result: BurstResult) -> str:
    echo, lead = result.echo, result.leadsieve
    minute = "minute" if result.scale == 1 else f"{60 * result.scale:g} s (a scaled minute)"
    rows: list[tuple[str, str, str]] = [
        ("", "echo", "leadsieve"),
        ("prospects", f"{echo.prospects}", f"{lead.prospects}"),
        ("finished the checklist", f"{echo.finished}", f"{lead.finished}"),
        ("stuck (an answer never came)", f"{echo.stuck}", f"{lead.stuck}"),
        ("steps done", f"{echo.steps_done}", f"{lead.steps_done}"),
        ("steps whose answer failed", f"{echo.lost_answers}", f"{lead.lost_answers}"),
        ("wall time, s", f"{echo.wall_s:.1f}", f"{lead.wall_s:.1f}"),
        ("first answer to /start p50, ms", *_pair(echo, lead, "first_answer_start_ms", "p50")),
        ("first answer to /start p99, ms", *_pair(echo, lead, "first_answer_start_ms", "p99")),
        ("first answer, any step p50, ms", *_pair(echo, lead, "first_answer_ms", "p50")),
        ("first answer, any step p99, ms", *_pair(echo, lead, "first_answer_ms", "p99")),
        ("requests by the bot", f"{echo.requests}", f"{lead.requests}"),
        ("429s received", f"{echo.rejected_429}", f"{lead.rejected_429}"),
        ("  of them in the staff group", f"{echo.group_429}", f"{lead.group_429}"),
        ("requests before their retry_after", f"{echo.early}", f"{lead.early}"),
        (f"staff-group requests per {minute}, max", "–", f"{lead.group_max_per_minute}"),
        ("cards posted", "–", f"{lead.cards_posted}"),
        ("cards posted twice", "–", f"{lead.cards_twice}"),
        ("cards not posted (or stale) at the end", "–", f"{lead.cards_pending}"),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    table = [
        f"{row[0].ljust(widths[0])}  {row[1].rjust(widths[1])}  {row[2].rjust(widths[2])}"
        for row in rows
    ]
    lines = [
        f"burst benchmark: {result.prospects} prospects starting within {result.spread_s:g} s, "
        f"at most {result.duration_s:g} s per bot, limits scaled by {result.scale:g} "
        "(1 = Telegram's: 1/s per private chat, 20/min per group, 30/s overall).",
        "Updates are fed to each bot's dispatcher directly; the fakegram stand-in on 127.0.0.1 "
        "answers 429 beyond the limits. first answer = the user's update → the stand-in "
        "answering the bot's first reply-like request in that chat.",
        "",
        *table,
        "",
        f"staff-group requests per {minute}: "
        + (", ".join(str(n) for n in lead.group_per_minute) or "none"),
        f"leadsieve warnings logged (429s among them): {result.warnings}",
    ]
    if result.failures:
        lines += ["", f"FAILED: {len(result.failures)} problem(s):"]
        lines += [f"  {failure}" for failure in result.failures[:20]]
    else:
        lines += ["", "OK: no card posted twice, nothing sent before its retry_after."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--prospects", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the starts span")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds per bot, at most")
    parser.add_argument("--scale", type=float, default=1.0, help="factor for every window")
    args = parser.parse_args(argv)
    # Warnings (every 429) are counted by the run; printing them would be noise.
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(logging.NullHandler())
    began = time.monotonic()
    result = asyncio.run(run_burst(args.prospects, args.spread, args.duration, args.scale))
    print(format_report(result))
    print(f"(whole run {time.monotonic() - began:.1f} s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

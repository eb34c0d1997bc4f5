"""Throughput and latency of leadsieve next to a bare aiogram echo bot, over real long polling.

    .venv/bin/python scripts/bench.py [--users 200] [--timeout 120] [--rounds 3]

Both bots poll the fakegram Bot API stand-in on 127.0.0.1 in this process and event loop, so
every figure includes aiogram's HTTP round trips and the stand-in's own work (spec checks of
each request): compare the two bots with each other, not with production.  N simulated users
act concurrently; each user's actions are sequential (the next one waits until the bot has
finished handling the previous update).  The two bots run one after the other, `--rounds`
times; the report is the median round's, with every round's ratios under it.  The script never
judges speed: it fails (exit code 1)
only when a user did not get through, a prospect did not end up a target lead, the bot broke
the Bot API spec or logged an error.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The project root, so that `bot` and `tests.fakegram` import when run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import bisect
import contextlib
import dataclasses
import gc
import logging
import math
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)

from bot.collector import settle as settle_collector
from bot.composition import build_application
from bot.config import Settings
from bot.domain.leads import LeadStatus
from bot.domain.scoring import Verdict
from bot.storage import leads
from bot.storage.db import Database
from tests.fakegram import FakeTelegram, Request, TelegramUser
from tests.pg_server import PgServer, find_binaries

TOKEN = "123456789:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY"
STAFF_CHAT = -1001234567890
MANAGER_ID = 5001
FIRST_USER_ID = 200_000_001
NEXT_LABEL = "Next"
# Requests that end the spinner or change the chat: the user sees the bot has reacted.
FIRST_ANSWER_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery"}
)
STOP_GRACE = 5.0  # seconds to let handlers still running finish before closing the bot


class Kind(StrEnum):
    TEXT = "text"
    CLICK = "click"
    CONTACT = "contact"


@dataclass(frozen=True)
class Step:
    kind: Kind
    value: str  # the text typed, or the label of the inline / reply keyboard button


# The bundled checklist as a serious buyer answers it in English (cf. tests/handlers/flows.py):
# a deep-link source, consent, buttons, a typed budget, multi-choice toggle + Done, a typed
# name, a shared contact and the optional call-time question, ending in a target verdict.
CHECKLIST_STEPS: tuple[Step, ...] = (
    Step(Kind.TEXT, "/start bench_spring"),
    Step(Kind.CLICK, "✅ I agree"),
    Step(Kind.CLICK, "To live in"),
    Step(Kind.CLICK, "2 rooms"),
    Step(Kind.TEXT, "8,5 млн"),
    Step(Kind.CLICK, "Mortgage"),
    Step(Kind.CLICK, "Done ➡️"),
    Step(Kind.CLICK, "Yes, it is approved"),
    Step(Kind.CLICK, "This month"),
    Step(Kind.CLICK, "Park Vista — by the Central Park"),
    Step(Kind.TEXT, "Anna"),
    Step(Kind.CONTACT, "📱 Share my phone number"),
    Step(Kind.CLICK, "Evening (17–21)"),
)

Action = Callable[[TelegramUser, Step], Awaitable[None]]


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, samples: list[float]) -> Percentiles:
        """Nearest-rank percentiles, in milliseconds (samples are seconds)."""
        if not samples:
            return cls(math.nan, math.nan, math.nan)
        ordered = sorted(samples)

        def rank(q: float) -> float:
            return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000

        return cls(rank(0.50), rank(0.95), rank(0.99))


@dataclass(frozen=True)
class BotFigures:
    name: str
    users: int
    updates: int  # updates the bot finished handling
    wall_s: float  # first update pushed → last user's last reaction finished
    cpu_s: float  # process CPU time during the run (bot, stand-in and SQLite thread together)
    first_answer_ms: Percentiles
    reaction_ms: Percentiles
    step_first_answer_p50_ms: list[float]  # one per step of CHECKLIST_STEPS
    step_reaction_p50_ms: list[float]
    peak_rss_mib: float  # the process's peak so far (getrusage), so it only grows run to run
    requests: int
    requests_by_method: dict[str, int]
    violations: list[str]
    commits: int | None = None  # units of work that wrote (None: the bot has no database)

    @property
    def api_calls(self) -> int:
        """Requests that act on a chat: not the polling itself, nor getMe."""
        polling = {"getUpdates", "getMe"}
        return sum(n for m, n in self.requests_by_method.items() if m not in polling)

    @property
    def updates_per_s(self) -> float:
        return self.updates / self.wall_s if self.wall_s > 0 else math.nan


@dataclass
class BenchResult:
    store: str  # where leadsieve kept its data: sqlite or postgres
    users: int
    updates_per_user: int
    echo: BotFigures
    leadsieve: BotFigures
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # logged warnings: worth a look, not fatal

    @property
    def ok(self) -> bool:
        return not self.failures


# ---------------------------------------------------------------------------------- plumbing


class Reactions(BaseMiddleware):
    """Tells each simulated user when the bot has finished handling its update.

    Registered last among the dispatcher's outer update middlewares, so it wraps exactly the
    routing and handlers of one update; a user's next action waits for it, which makes one
    user's actions sequential without guessing how many messages each reaction sends.
    """

    def __init__(self) -> None:
        self._waiting: dict[int, asyncio.Future[float]] = {}
        self.handled = 0
        self.in_flight = 0
        self.idle = asyncio.Event()  # set while no update is being handled
        self.idle.set()

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        """A future resolved (with loop time) when the next update from chat_id is handled."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        self.in_flight += 1
        self.idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.in_flight -= 1
            self.handled += 1
            if not self.in_flight:
                self.idle.set()
            future = self._waiting.pop(chat.id, None) if chat is not None else None
            if future is not None and not future.done():
                future.set_result(asyncio.get_running_loop().time())


class LogCapture(logging.Handler):
    """Warnings and errors logged while a bot runs (errors fail the benchmark)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class _Samples:
    """Seconds per (step index, user): first answer and reaction done."""

    first_answer: list[list[float]]
    reaction: list[list[float]]

    @classmethod
    def for_steps(cls, steps: int) -> _Samples:
        return cls([[] for _ in range(steps)], [[] for _ in range(steps)])

    @staticmethod
    def pooled(per_step: list[list[float]]) -> list[float]:
        return [sample for step in per_step for sample in step]


def _first_answer(server: FakeTelegram, chat_id: int, mark: int) -> Request | None:
    """The bot's first successful reply-like request to chat_id at or after mark."""
    requests = server.chat(chat_id).requests
    start = bisect.bisect_left(requests, mark, key=lambda r: r.seq)
    return next(
        (r for r in requests[start:] if r.ok and r.method in FIRST_ANSWER_METHODS),
        None,
    )


async def _drive(
    user: TelegramUser,
    steps: tuple[Step, ...],
    act: Action,
    reactions: Reactions,
    deadline: float,
    samples: _Samples,
) -> str | None:
    """Takes one user through the steps; returns what went wrong, or None."""
    loop = asyncio.get_running_loop()
    server = user.server
    for index, step in enumerate(steps):
        where = f"user {user.user_id}, step {index + 1} ({step.kind} {step.value!r})"
        finished = reactions.expect(user.chat_id)
        mark = server.mark()
        try:
            await act(user, step)
            # The stand-in queues the update without yielding to the loop, so the bot cannot
            # have seen it yet: this is the moment it became available to getUpdates.
            pushed = loop.time()
            async with asyncio.timeout_at(deadline):
                done_at = await finished
        except TimeoutError:
            return f"{where}: the bot had not finished reacting when the time ran out"
        except AssertionError as error:  # the button or keyboard the user needs is missing
            return f"{where}: {error}"
        first = _first_answer(server, user.chat_id, mark)
        if first is None:
            return f"{where}: the bot handled the update without answering in the chat"
        samples.first_answer[index].append(first.time - pushed)
        samples.reaction[index].append(done_at - pushed)
    return None


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _wait_idle(reactions: Reactions, grace: float) -> None:
    """Gives handlers still running (after a timeout) a moment, so closing does not cut them."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(grace):
            await reactions.idle.wait()


async def _run_bot(
    name: str,
    server: FakeTelegram,
    bot: Bot,
    dispatcher: Dispatcher,
    act: Action,
    users: int,
    time_limit: float,
) -> tuple[BotFigures, list[str], list[int]]:
    """Polls with `dispatcher` and drives `users` concurrent users.

    Returns the figures, what went wrong, and the ids of the users who got through.
    """
    reactions = Reactions()
    dispatcher.update.outer_middleware(reactions)
    people = [
        server.user(
            FIRST_USER_ID + n,
            first_name="Anna",
            language_code="en",
            phone_number=f"7916{(FIRST_USER_ID + n) % 10**7:07d}",
        )
        for n in range(users)
    ]
    # getMe now, so that polling goes straight to getUpdates and the clock starts on a
    # running bot (aiogram caches the answer).
    await bot.me()
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    samples = _Samples.for_steps(len(CHECKLIST_STEPS))
    loop = asyncio.get_running_loop()
    cpu_before = _cpu_s()
    started = loop.time()
    try:
        outcomes = await asyncio.gather(
            *(
                _drive(person, CHECKLIST_STEPS, act, reactions, started + time_limit, samples)
                for person in people
            ),
            return_exceptions=True,  # one user's surprise must not orphan the others
        )
        wall = loop.time() - started
        cpu = _cpu_s() - cpu_before
    finally:
        await dispatcher.stop_polling()
        await polling
        await _wait_idle(reactions, STOP_GRACE)
    failures: list[str] = []
    finished: list[int] = []
    for person, outcome in zip(people, outcomes, strict=True):
        if outcome is None:
            finished.append(person.user_id)
        elif isinstance(outcome, BaseException):
            failures.append(f"{name}: user {person.user_id}: {outcome!r}")
        else:
            failures.append(f"{name}: {outcome}")
    if reactions.in_flight:
        failures.append(f"{name}: {reactions.in_flight} update(s) still being handled at stop")
    figures = BotFigures(
        name=name,
        users=users,
        updates=reactions.handled,
        wall_s=wall,
        cpu_s=cpu,
        first_answer_ms=Percentiles.of(_Samples.pooled(samples.first_answer)),
        reaction_ms=Percentiles.of(_Samples.pooled(samples.reaction)),
        step_first_answer_p50_ms=[Percentiles.of(step).p50 for step in samples.first_answer],
        step_reaction_p50_ms=[Percentiles.of(step).p50 for step in samples.reaction],
        peak_rss_mib=_peak_rss_mib(),
        requests=len(server.requests),
        requests_by_method=dict(Counter(r.method for r in server.requests).most_common()),
        violations=list(server.violations),
    )
    failures.extend(f"{name}: Bot API violation: {v}" for v in server.violations)
    return figures, failures, finished


def _api_session(server: FakeTelegram) -> AiohttpSession:
    return AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))


# ---------------------------------------------------------------------------------- echo bot

_NEXT = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text=NEXT_LABEL, callback_data="next")]]
)


def build_echo_dispatcher() -> Dispatcher:
    """The floor: one reply per action, no storage, no FSM work beyond aiogram's defaults."""
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        # A shared contact has no text; answering its number keeps one reply per action.
        said = message.text or (message.contact.phone_number if message.contact else "?")
        await message.answer(html.quote(said), reply_markup=_NEXT)

    @dispatcher.callback_query()
    async def next_(query: CallbackQuery, bot: Bot) -> None:
        await query.answer()
        await bot.send_message(
            query.from_user.id, html.quote(query.data or "?"), reply_markup=_NEXT
        )

    return dispatcher


async def _echo_act(user: TelegramUser, step: Step) -> None:
    # The same kinds of update as the checklist, in the same order; only the buttons differ.
    if step.kind is Kind.TEXT:
        await user.send(step.value)
    elif step.kind is Kind.CLICK:
        await user.click(NEXT_LABEL)
    else:
        await user.share_contact()


async def run_echo(users: int, time_limit: float) -> tuple[BotFigures, list[str]]:
    server = FakeTelegram(TOKEN)
    await server.start()
    try:
        bot = Bot(
            TOKEN,
            session=_api_session(server),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML),  # as leadsieve sends
        )
        try:
            figures, failures, _ = await _run_bot(
                "echo", server, bot, build_echo_dispatcher(), _echo_act, users, time_limit
            )
            return figures, failures
        finally:
            await bot.session.close()
    finally:
        await server.stop()


# ---------------------------------------------------------------------------------- leadsieve


async def _leadsieve_act(user: TelegramUser, step: Step) -> None:
    if step.kind is Kind.TEXT:
        await user.send(step.value)
    elif step.kind is Kind.CLICK:
        await user.click(step.value)
    else:
        await user.press(step.value)  # the reply keyboard's request_contact button


def leadsieve_settings(
    server: FakeTelegram, workdir: Path, database_url: str | None = None
) -> Settings:
    """leadsieve as every benchmark runs it: the stand-in, a staff group, data in `workdir`
    (or the PostgreSQL database at `database_url`)."""
    return Settings(
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_base=server.base_url,
        database_path=workdir / "leadsieve.sqlite3",
        database_url=database_url,
        staff_chat_id=STAFF_CHAT,
        default_language="ru",
        company_name="Acme Homes",
    )


async def run_leadsieve(
    users: int, time_limit: float, database_url: str | None = None
) -> tuple[BotFigures, list[str]]:
    server = FakeTelegram(TOKEN)
    await server.start()
    server.add_group(STAFF_CHAT, "Sales", is_forum=True, members={MANAGER_ID: "administrator"})
    try:
        with tempfile.TemporaryDirectory(prefix="leadsieve-bench-") as tmp:
            settings = leadsieve_settings(server, Path(tmp), database_url)
            # No send limit: Telegram's ~30 messages/s would otherwise be the whole figure.
            app = await build_application(settings, send_rate_per_second=0)
            untuned = gc.get_threshold()
            settle_collector()  # as `python -m bot run` does before taking updates
            try:
                commits_before = app.db.commits
                figures, failures, finished = await _run_bot(
                    "leadsieve",
                    server,
                    app.bot,
                    app.dispatcher,
                    _leadsieve_act,
                    users,
                    time_limit,
                )
                figures = dataclasses.replace(figures, commits=app.db.commits - commits_before)
                failures.extend(await _check_verdicts(app.db, finished))
            finally:
                await app.close()
                # The next round's echo bot runs with the collector as Python sets it.
                gc.unfreeze()
                gc.set_threshold(*untuned)
    finally:
        await server.stop()
    return figures, failures


async def _check_verdicts(db: Database, user_ids: list[int]) -> list[str]:
    """Every prospect who got through must be a target lead in the database.

    Users who got stuck are already reported; their half-finished leads would only repeat it.
    """
    problems: list[str] = []
    async with db.transaction() as tx:
        for user_id in user_ids:
            lead = await leads.get_by_user(tx, user_id)
            if lead is None:
                problems.append(f"leadsieve: user {user_id} has no lead in the database")
            elif lead.status is not LeadStatus.TARGET or lead.verdict is not Verdict.TARGET:
                problems.append(
                    f"leadsieve: user {user_id} ended as status {lead.status}, "
                    f"verdict {lead.verdict}, not target"
                )
    return problems


# ---------------------------------------------------------------------------------- the run


async def run_benchmark(
    users: int = 200,
    # A budget per bot, not a cancellation: a run out of time still reports who got stuck.
    timeout: float = 120.0,  # noqa: ASYNC109
    database_url: str | None = None,
) -> BenchResult:
    """Echo bot first (the baseline), then leadsieve (on SQLite, or on the PostgreSQL
    database at `database_url`); `timeout` is seconds per bot."""
    if users < 1:
        raise ValueError("users must be at least 1")
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        echo, echo_failures = await run_echo(users, timeout)
        errors_before = len(capture.records)
        lead, lead_failures = await run_leadsieve(users, timeout, database_url)
    finally:
        root.removeHandler(capture)
    failures = [*echo_failures, *lead_failures]
    warnings: list[str] = []
    for index, record in enumerate(capture.records):
        bot_name = "echo" if index < errors_before else "leadsieve"
        line = f"{bot_name}: {record.levelname} {record.name}: {record.getMessage()}"
        (failures if record.levelno >= logging.ERROR else warnings).append(line)
    return BenchResult(
        store="sqlite" if database_url is None else "postgres",
        users=users,
        updates_per_user=len(CHECKLIST_STEPS),
        echo=echo,
        leadsieve=lead,
        failures=failures,
        warnings=warnings,
    )


def _ms(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else "–"  # no sample: nobody got that far


def _ratio(lead: float, echo: float) -> str:
    return f"{lead / echo:.2f}×" if echo > 0 and math.isfinite(lead / echo) else "n/a"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """First column left-aligned, the others right-aligned; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


MAX_SHOWN = 10  # failures or warnings listed per bot; the rest are counted


def _listed(title: str, items: list[str]) -> list[str]:
    lines = [title]
    for name in ("echo", "leadsieve"):
        mine = [item for item in items if item.startswith(f"{name}: ")]
        if not mine:
            continue
        lines.append(f"  {name}: {len(mine)}")
        lines += [f"    {item.removeprefix(f'{name}: ')}" for item in mine[:MAX_SHOWN]]
        if len(mine) > MAX_SHOWN:
            lines.append(f"    … and {len(mine) - MAX_SHOWN} more")
    return lines


def _per_update(count: int | None, updates: int) -> str:
    return "-" if count is None or not updates else f"{count / updates:.2f}"


def format_report(result: BenchResult) -> str:
    echo, lead = result.echo, result.leadsieve
    rows: list[tuple[str, ...]] = [
        ("", "echo", "leadsieve", "leadsieve/echo"),
        ("users", f"{echo.users}", f"{lead.users}", ""),
        ("updates handled", f"{echo.updates}", f"{lead.updates}", ""),
        ("wall time, s", f"{echo.wall_s:.2f}", f"{lead.wall_s:.2f}", ""),
        ("CPU time, s", f"{echo.cpu_s:.2f}", f"{lead.cpu_s:.2f}", ""),
        (
            "updates/s",
            f"{echo.updates_per_s:.1f}",
            f"{lead.updates_per_s:.1f}",
            _ratio(lead.updates_per_s, echo.updates_per_s),
        ),
    ]
    for label, of_echo, of_lead in (
        ("first answer", echo.first_answer_ms, lead.first_answer_ms),
        ("reaction done", echo.reaction_ms, lead.reaction_ms),
    ):
        for q, e, ls in (
            ("p50", of_echo.p50, of_lead.p50),
            ("p95", of_echo.p95, of_lead.p95),
            ("p99", of_echo.p99, of_lead.p99),
        ):
            rows.append((f"{label} {q}, ms", _ms(e), _ms(ls), _ratio(ls, e)))
    rows += [
        ("peak RSS so far, MiB", f"{echo.peak_rss_mib:.0f}", f"{lead.peak_rss_mib:.0f}", ""),
        ("requests by the bot", f"{echo.requests}", f"{lead.requests}", ""),
        (
            "Bot API calls per update",
            _per_update(echo.api_calls, echo.updates),
            _per_update(lead.api_calls, lead.updates),
            "",
        ),
        (
            "commits per update",
            "-",
            f"{lead.commits / lead.updates:.2f}"
            if lead.commits is not None and lead.updates
            else "-",
            "",
        ),
    ]
    steps: list[tuple[str, ...]] = [
        ("p50 by step, ms", "echo first", "leadsieve first", "echo done", "leadsieve done")
    ]
    for index, step in enumerate(CHECKLIST_STEPS):
        steps.append(
            (
                f"{index + 1:2d} {step.kind} {step.value}",
                _ms(echo.step_first_answer_p50_ms[index]),
                _ms(lead.step_first_answer_p50_ms[index]),
                _ms(echo.step_reaction_p50_ms[index]),
                _ms(lead.step_reaction_p50_ms[index]),
            )
        )
    lines = [
        f"leadsieve benchmark: {result.users} concurrent users × {result.updates_per_user} "
        "updates (the bundled checklist to a target verdict), real long polling against the "
        "fakegram stand-in on 127.0.0.1, all in one process and event loop.",
        f"leadsieve keeps its data in {result.store} and runs with send_rate_per_second=0: "
        "Telegram's global limit (~30 messages/s) would otherwise cap it and be the whole "
        "figure.",
        "first answer = update queued for getUpdates → the stand-in answering the bot's first "
        "sendMessage / editMessageText / editMessageReplyMarkup / answerCallbackQuery in that "
        "chat; reaction done = update queued → the bot finished handling it (the user's next "
        "action waits for that).",
        "Users act without pauses, so latency ≈ users / throughput (Little's law): at many "
        "users it mostly measures queueing behind other users' updates.",
        "",
        *_table(rows),
        "",
        *_table(steps),
        "",
        "requests by method:",
    ]
    for figures in (echo, lead):
        methods = ", ".join(f"{m} {n}" for m, n in figures.requests_by_method.items())
        lines.append(f"  {figures.name}: {methods}")
    if result.warnings:
        lines += ["", *_listed("warnings logged:", result.warnings)]
    if result.failures:
        lines += ["", *_listed(f"FAILED: {len(result.failures)} problem(s):", result.failures)]
    else:
        lines += [
            "",
            "OK: every leadsieve user is a target lead; no Bot API violations; no errors logged.",
        ]
    return "\n".join(lines)


def _median_round(results: list[BenchResult]) -> BenchResult:
    """The round whose throughput ratio is the median (the middle one of an odd count)."""
    return sorted(results, key=lambda r: r.leadsieve.updates_per_s / r.echo.updates_per_s)[
        len(results) // 2
    ]


def format_rounds(results: list[BenchResult]) -> str:
    """One line a round, for how far the rounds spread."""
    lines = ["rounds (each: the echo bot, then leadsieve):"]
    for number, result in enumerate(results, 1):
        echo, lead = result.echo, result.leadsieve
        lines.append(
            f"  {number}: updates/s {_ratio(lead.updates_per_s, echo.updates_per_s)}, "
            f"p99 first answer {_ratio(lead.first_answer_ms.p99, echo.first_answer_ms.p99)}, "
            f"CPU {echo.cpu_s:.2f} s / {lead.cpu_s:.2f} s" + ("" if result.ok else " (FAILED)")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=200, help="concurrent users (default 200)")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds allowed per bot (default 120)"
    )
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="where leadsieve keeps its data: a SQLite file, or a PostgreSQL server this "
        "script starts from the machine's binaries, as the tests do (default sqlite)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="echo-then-leadsieve pairs; the report is the median pair's, since a shared "
        "machine's speed drifts from one minute to the next (default 3)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    began = time.monotonic()
    results: list[BenchResult] = []
    with contextlib.ExitStack() as stack:
        server = None if args.store == "sqlite" else stack.enter_context(_postgres_server())
        for _ in range(args.rounds):
            # A fresh, empty database each round: the same users start again from nothing.
            url = None if server is None else server.create_database(migrated=False)
            results.append(asyncio.run(run_benchmark(args.users, args.timeout, url)))
    print(format_report(_median_round(results)))
    if len(results) > 1:
        print(format_rounds(results))
    print(f"(whole run {time.monotonic() - began:.1f} s)")
    return 0 if all(result.ok for result in results) else 1


@contextlib.contextmanager
def _postgres_server() -> Iterator[PgServer]:
    """A PostgreSQL server started for the run; each round gets an empty database on it."""
    server = PgServer(find_binaries())
    server.start()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())

"""How the sales-desk outbox drains a backlog through an endpoint that keeps going down.

    .venv/bin/python scripts/bench_outbox.py [--events 10000] [--leads 1000] [--window 10]
                                             [--limit 900] [--quick]

The real application (build_application) runs on a temporary SQLite file with the fakegram
Bot API stand-in on 127.0.0.1 and no staff group; its sales desk uses the real `generic`
client and delivers over real HTTP to a Standard Webhooks receiver on 127.0.0.1
(tests/sales_desk/generic_receiver.py, in this process), which verifies every signature.
The leads and their events are written straight into the storage layer, as the use cases
do: each lead gets one `lead.qualified` (verdict target) and then `lead.status_changed`
events, round-robin over the leads, up to --events events for the CRM in all.  The event
pipe queues them, then the outbox worker (`SalesDesk.worker`, real clock) drains the queue
while the database backlog is polled until nothing is pending.

Two runs of the same events, each on a fresh database and receiver: the baseline, with the
receiver always up, then the outage run, in which a background task stops the receiver for
--window seconds, starts it again on the same port for --window seconds, and so on (down
first).  Besides the figures it shows when the outbox probed the endpoint and how long it
left it alone while the receiver was up again.

The script never judges speed: it fails (exit code 1) only when an event was lost or
delivered twice, a lead's events arrived out of order, an event was dead-lettered, the bot
logged an error or broke the Bot API spec, or the outbox was not drained within --limit
seconds (such a run is reported as far as it got).  --quick is a smoke run: 500 events,
50 leads, 2 s windows, a limit of 300 s.  Whatever the size, an outage run lasts at least
as long as the pauses the outbox gives the endpoint after failed passes (see
bot/domain/delivery.py): the report shows each one as seen from outside.

This script measures; bench_outbox_report.py (next to it) analyses what it saw and reports.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The project root, so that `bot` and `tests` import when run as a script (bench_outbox_report
# imports from sys.path[0], the script's own directory).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import resource
import tempfile
import time
from collections import Counter

from aiohttp import web
from bench_outbox_report import (
    Arrival,
    BenchResult,
    Expected,
    Failure,
    Outage,
    Phases,
    RunFigures,
    _check,
    _explain_duplicates,
    _order_violations,
    _probes,
    _windows,
    format_report,
)

from bot.app import WORKER_GRACE_SECONDS, Application
from bot.clock import SystemClock
from bot.composition import build_application
from bot.config import Settings
from bot.domain.answers import Answer
from bot.domain.events import EventType
from bot.domain.leads import LeadId, LeadStatus
from bot.domain.scoring import Verdict, assess
from bot.integrations.sales_desk.base import Outcome
from bot.storage import events, leads, sales_desk
from tests.fakegram import FakeTelegram
from tests.sales_desk.generic_receiver import GenericReceiver

TOKEN = "123456789:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY"
# A 33-byte key in standard base64, as an operator puts it in SALES_DESK_SECRET.
SECRET = "whsec_bGVhZHNpZXZlLWJlbmNoLW91dGJveC1zZWNyZXQtMzJi"
FIRST_USER_ID = 300_000_001
POLL_SECONDS = 0.2  # how often the database backlog is read while the outbox drains
SEED_CHUNK = 500  # events written per transaction while seeding
# The answers of a serious buyer (cf. tests/handlers/flows.py), in checklist order.
ANSWERS: tuple[tuple[str, Answer], ...] = (
    ("purpose", "live"),
    ("rooms", "room_2"),
    ("budget", 8_500_000),
    ("payment", ("mortgage",)),
    ("mortgage_approval", "approved"),
    ("timeline", "this_month"),
    ("project", "park_vista"),
    ("name", "Anna"),
    ("phone", "+79161234567"),
    ("call_time", "evening"),
)
SALES_DESK_LOGGER = "bot.services.sales_desk"
# The smoke run.
QUICK_EVENTS, QUICK_LEADS, QUICK_WINDOW, QUICK_LIMIT = 500, 50, 2.0, 300.0


# ---------------------------------------------------------------------------------- plumbing


class TimedReceiver(GenericReceiver):
    """The generic receiver, noting when each request came and how it was answered."""

    def __init__(self, secret: str) -> None:
        super().__init__(secret)
        self.arrivals: list[Arrival] = []

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        duplicates = self.duplicates
        response = await super()._handle(request)
        self.arrivals.append(
            Arrival(
                at,
                request.headers.get("webhook-id", ""),
                response.status,
                self.duplicates > duplicates,
            )
        )
        return response


class LogCapture(logging.Handler):
    """Warnings and errors logged during a run, stamped with time.monotonic()."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[tuple[float, logging.LogRecord]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((time.monotonic(), record))


def _failure(at: float, record: logging.LogRecord) -> Failure | None:
    """The outbox's "sales desk %s %s: %s %s" line for an attempt that was not delivered."""
    args = record.args
    if record.name != SALES_DESK_LOGGER or not isinstance(args, tuple) or len(args) != 4:
        return None
    webhook_id, _type, outcome, error = args
    if outcome == Outcome.DELIVERED:
        return None
    return Failure(at, str(webhook_id), str(outcome), str(error))


def _warning_kind(record: logging.LogRecord) -> str:
    failure = _failure(0.0, record)
    if failure is not None:
        return f"{record.name}: delivery {failure.outcome}: {failure.error}"
    return f"{record.name}: {record.getMessage()}"


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------- seeding


async def seed(app: Application, total: int, lead_count: int) -> Expected:
    """Qualified leads and their later events, written as the use cases write them."""
    expected = Expected()
    now = app.clock.now
    checklist = app.checklist
    answers = dict(ANSWERS)
    assessment = assess(checklist, answers)
    if assessment.verdict is not Verdict.TARGET:
        raise RuntimeError(f"the bench answers are assessed {assessment.verdict}, not target")
    facts: dict[str, object] = {
        "verdict": assessment.verdict.value,
        "score": assessment.score,
        "max_score": assessment.max_score,
        "rules": [r.rule_id for r in assessment.reasons if r.kind == "rule"],
    }
    reason = f"score {assessment.score}/{assessment.max_score}"
    chunk = max(1, SEED_CHUNK // (4 + len(ANSWERS)))  # leads per transaction
    lead_ids: list[LeadId] = []
    for first in range(0, lead_count, chunk):
        async with app.db.transaction() as tx:
            for n in range(first, min(first + chunk, lead_count)):
                user_id = FIRST_USER_ID + n
                at = now()
                lead_id = await leads.create(
                    tx,
                    telegram_user_id=user_id,
                    chat_id=user_id,
                    username=f"bench_{n}",
                    language="ru",
                    source="bench",
                    checklist_id=checklist.id,
                    checklist_version=checklist.version,
                    consent_version=app.settings.consent_version,
                    at=at,
                )
                lead = await leads.get(tx, lead_id)
                assert lead is not None
                await leads.set_status(
                    tx,
                    lead,
                    LeadStatus.QUALIFYING,
                    at=at,
                    actor="prospect",
                    reason="checklist started",
                )
                for position, (question_id, value) in enumerate(ANSWERS):
                    await leads.save_answer(tx, lead_id, question_id, position, value, at)
                await leads.save_assessment(
                    tx,
                    lead_id,
                    score=assessment.score,
                    max_score=assessment.max_score,
                    verdict=assessment.verdict,
                    reasons=assessment.reasons,
                    follow_up_at=None,
                    name="Anna",
                    phone=f"+7916{user_id % 10**7:07d}",
                    checklist_id=checklist.id,
                    checklist_version=checklist.version,
                    at=at,
                )
                await leads.set_status(
                    tx,
                    dataclasses.replace(lead, status=LeadStatus.QUALIFYING),
                    LeadStatus.TARGET,
                    at=at,
                    actor="checklist",
                    reason=reason,
                    event=EventType.QUALIFIED,
                    data=facts,
                )
                expected.add(lead_id, await events.head(tx))
                lead_ids.append(lead_id)
    # The rest round-robin, so that every lead has events waiting behind one another.
    base, extra = divmod(total - lead_count, lead_count)
    wanted = {lead_id: base + (n < extra) for n, lead_id in enumerate(lead_ids)}
    further = [
        (round_, lead_id)
        for round_ in range(1, base + 2)
        for lead_id in lead_ids
        if wanted[lead_id] >= round_
    ]
    for first in range(0, len(further), SEED_CHUNK):
        async with app.db.transaction() as tx:
            for round_, lead_id in further[first : first + SEED_CHUNK]:
                # Viewing booked, moved back, booked again…: target ↔ booked are allowed moves.
                odd = round_ % 2 == 1
                change = {
                    "from": LeadStatus.TARGET if odd else LeadStatus.BOOKED,
                    "to": LeadStatus.BOOKED if odd else LeadStatus.TARGET,
                    "reason": f"bench round {round_}",
                }
                event_id = await events.append(
                    tx, lead_id, EventType.STATUS_CHANGED, at=now(), actor="bench", data=change
                )
                expected.add(lead_id, event_id)
    return expected


# ---------------------------------------------------------------------------------- the outage


async def flap(
    receiver: GenericReceiver, started: float, outage: Outage, stop: asyncio.Event, phases: Phases
) -> None:
    """Turns the receiver over at started + window, started + 2·window, …, on a fixed schedule.

    At `started` the receiver is already down.  Stopping waits for a change under way, so
    the receiver is never left half stopped.
    """
    window = outage.window
    up = False
    k = 1
    while True:
        delay = started + k * window - time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, delay))
        if stop.is_set():
            return
        if up:
            phases.changes.append((time.monotonic(), False))  # refusing from the first moment
            await receiver.go_down()
        else:
            await receiver.come_up()
            phases.changes.append((time.monotonic(), True))  # listening from now on
        up = not up
        k += 1


# ---------------------------------------------------------------------------------- a run


async def _backlog(app: Application) -> tuple[int, int]:
    async with app.db.read() as conn:
        backlog = await sales_desk.backlog(conn, dead_shown=0)
    return backlog.pending, backlog.dead


async def run_once(
    name: str,
    total: int,
    lead_count: int,
    outage: Outage | None,
    limit: float,
    capture: LogCapture,
) -> tuple[RunFigures, list[str]]:
    """Seeds, queues and drains once; `outage` None: the receiver stays up."""
    server = FakeTelegram(TOKEN)
    await server.start()
    receiver = TimedReceiver(SECRET)
    await receiver.start()
    try:
        with tempfile.TemporaryDirectory(prefix="leadsieve-bench-outbox-") as tmp:
            settings = Settings(
                _env_file=None,
                bot_token=TOKEN,
                telegram_api_base=server.base_url,
                database_path=Path(tmp) / "leadsieve.sqlite3",
                company_name="Acme Homes",
                sales_desk_url=receiver.url,
                sales_desk_secret=SECRET,
                sales_desk_format="generic",
            )
            app = await build_application(settings, clock=SystemClock(), send_rate_per_second=0)
            try:
                figures = await _measure(
                    name, app, receiver, total, lead_count, outage, limit, capture
                )
                figures.telegram_requests = len(server.requests)
            finally:
                await app.close()
    finally:
        await receiver.stop()
        await server.stop()
    return figures, [f"{name}: Bot API violation: {v}" for v in server.violations]


async def _measure(
    name: str,
    app: Application,
    receiver: TimedReceiver,
    total: int,
    lead_count: int,
    outage: Outage | None,
    limit: float,
    capture: LogCapture,
) -> RunFigures:
    expected = await seed(app, total, lead_count)
    began = time.monotonic()
    await app.pipe.drain()
    queue_s = time.monotonic() - began
    queued, _ = await _backlog(app)

    phases = Phases()
    stop = asyncio.Event()
    if outage is not None:
        await receiver.go_down()
    cpu_before = _cpu_s()
    started = time.monotonic()
    logged_before = len(capture.records)
    flapper: asyncio.Task[None] | None = None
    if outage is not None:
        phases.changes.append((started, False))
        flapper = asyncio.create_task(flap(receiver, started, outage, stop, phases), name="flap")
    worker = asyncio.create_task(app.sales_desk.worker.run(), name="sales_desk")
    timed_out = False
    pending, dead = queued, 0
    while pending:
        await asyncio.sleep(POLL_SECONDS)
        pending, dead = await _backlog(app)
        if pending and time.monotonic() - started > limit:
            timed_out = True
            break
    ended = time.monotonic()
    cpu = _cpu_s() - cpu_before
    # As Application.close does: idle unless cut short; then deliveries in flight finish.
    app.sales_desk.worker.stop()
    _, late = await asyncio.wait([worker], timeout=WORKER_GRACE_SECONDS)
    for task in late:
        task.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    stop.set()
    if flapper is not None:
        await flapper
    pending, dead = await _backlog(app)

    logged = capture.records[logged_before:]
    failed = [f for at, record in logged if (f := _failure(at, record)) is not None]
    answered_200 = Counter(a.webhook_id for a in receiver.arrivals if a.status == 200)
    received = {r.webhook_id for r in receiver.deliveries}
    wanted = expected.webhook_ids
    figures = RunFigures(
        name=name,
        expected=expected.count,
        queued=queued,
        queue_s=queue_s,
        drain_s=ended - started,
        timed_out=timed_out,
        pending_left=pending,
        dead=dead,
        delivered=len(received),
        lost=len(wanted - received),
        unexpected=len(received - wanted),
        duplicates=receiver.duplicates,
        ids_seen_twice=sum(n > 1 for n in answered_200.values()),
        order_violations=_order_violations(receiver.by_lead()),
        requests=receiver.attempts,
        non_200=sum(a.status != 200 for a in receiver.arrivals),
        failed_attempts=len(failed),
        cpu_s=cpu,
        peak_rss_mib=_peak_rss_mib(),
        telegram_requests=0,
    )
    if outage is not None:
        figures.windows = _windows(phases, receiver.arrivals, started, ended)
    # A failure is logged just after its request: close enough to tell the pauses apart.
    requests = sorted([a.at for a in receiver.arrivals] + [f.at for f in failed])
    figures.probes = _probes(failed, requests, started)
    figures.notes = _explain_duplicates(receiver.arrivals, failed, phases, started)
    return figures


async def run_benchmark(total: int, lead_count: int, outage: Outage, limit: float) -> BenchResult:
    """The baseline (receiver always up) first, then the same events through the outage."""
    if lead_count < 1 or total < lead_count:
        raise ValueError("need at least one lead, and at least as many events as leads")
    if outage.window <= 0 or limit <= 0:
        raise ValueError("the window and the limit must be positive")
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        baseline, base_failures = await run_once(
            "always up", total, lead_count, None, limit, capture
        )
        flapping, outage_failures = await run_once(
            "down/up", total, lead_count, outage, limit, capture
        )
    finally:
        root.removeHandler(capture)
    failures = [*base_failures, *_check(baseline), *outage_failures, *_check(flapping)]
    warnings: Counter[str] = Counter()
    for _, record in capture.records:
        if record.levelno >= logging.ERROR:
            failures.append(f"logged: {record.levelname} {record.name}: {record.getMessage()}")
        else:
            warnings[_warning_kind(record)] += 1
    return BenchResult(
        total, lead_count, outage, POLL_SECONDS, baseline, flapping, failures, warnings
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--events", type=int, default=10_000, help="events for the CRM (%(default)d)"
    )
    parser.add_argument("--leads", type=int, default=1000, help="leads (default %(default)d)")
    parser.add_argument(
        "--window", type=float, default=10.0, help="seconds down, then up, … (default %(default)g)"
    )
    parser.add_argument(
        "--limit", type=float, default=900.0, help="seconds allowed per drain (default %(default)g)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_EVENTS} events, {QUICK_LEADS} leads, {QUICK_WINDOW:g} s windows, "
        f"limit {QUICK_LIMIT:g} s",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.leads = QUICK_EVENTS, QUICK_LEADS
        args.window, args.limit = QUICK_WINDOW, QUICK_LIMIT
    # Errors on stderr as they happen; warnings (one per failed attempt) only summed up.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.ERROR)
    began = time.monotonic()
    outage = Outage(args.window)
    result = asyncio.run(run_benchmark(args.events, args.leads, outage, args.limit))
    print(format_report(result))
    print(f"(whole run {time.monotonic() - began:.1f} s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

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
"""

from __future__ import annotations

import sys
from pathlib import Path

# The project root, so that `bot` and `tests` import when run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import bisect
import contextlib
import dataclasses
import itertools
import logging
import math
import resource
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from aiohttp import web

from bot.app import WORKER_GRACE_SECONDS, Application, build_application
from bot.clock import SystemClock
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


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Arrival:
    """One request that reached the receiver."""

    at: float  # time.monotonic()
    webhook_id: str
    status: int
    duplicate: bool  # a repeat of an accepted webhook-id (answered 200, not delivered again)


@dataclass(frozen=True)
class Failure:
    """A delivery attempt the outbox saw fail (from its log): refused, unavailable, …"""

    at: float  # time.monotonic()
    webhook_id: str
    outcome: str
    error: str


@dataclass(frozen=True)
class Window:
    """One up-window of the receiver during the outage run (seconds from the start)."""

    start: float
    end: float
    requests: int
    accepted: int
    first_request: float | None  # seconds after the receiver came up; None: no request


@dataclass(frozen=True)
class Probe:
    """Failed attempts close together: one delivery pass that ran into the outage."""

    at: float  # seconds from the start
    attempts: int
    errors: dict[str, int]
    # Seconds from the pass's last failure to the outbox's next request (answered or not);
    # None: it made none before the end.  The pause it gave the endpoint, seen from outside.
    next_request_s: float | None


@dataclass
class RunFigures:
    name: str
    expected: int  # events for the CRM that were written
    queued: int  # deliveries pending after the event pipe ran
    queue_s: float  # app.pipe.drain(): the consumers turning the log into deliveries
    drain_s: float  # worker started → nothing pending (or the time limit)
    timed_out: bool
    pending_left: int
    dead: int
    delivered: int  # unique webhook-ids the receiver accepted
    lost: int  # expected webhook-ids the receiver never accepted
    unexpected: int  # accepted webhook-ids that were not expected
    duplicates: int  # receiver.duplicates
    ids_seen_twice: int  # webhook-ids the receiver answered 200 more than once
    order_violations: int  # a lead's event accepted after a later one of the same lead
    requests: int  # receiver.attempts
    non_200: int  # requests the receiver answered with something else than 200
    failed_attempts: int  # attempts the outbox recorded as not delivered (its log)
    cpu_s: float
    peak_rss_mib: float
    telegram_requests: int
    windows: list[Window] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what explains each duplicate

    @property
    def per_s(self) -> float:
        return self.delivered / self.drain_s if self.drain_s > 0 else math.nan


@dataclass
class BenchResult:
    events: int
    leads: int
    outage: Outage
    baseline: RunFigures
    flapping: RunFigures
    failures: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)  # logged warnings, by kind

    @property
    def ok(self) -> bool:
        return not self.failures


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


@dataclass
class Expected:
    """The events the CRM should hear of, per lead in log order."""

    by_lead: dict[int, list[int]] = field(default_factory=dict)

    def add(self, lead_id: int, event_id: int) -> None:
        self.by_lead.setdefault(lead_id, []).append(event_id)

    @property
    def webhook_ids(self) -> set[str]:
        return {f"evt_{event_id}" for ids in self.by_lead.values() for event_id in ids}

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.by_lead.values())


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


@dataclass(frozen=True)
class Outage:
    window: float  # seconds down, then as many up, and so on (down first)


@dataclass
class Phases:
    """When the receiver went down and came up (time.monotonic(), up?)."""

    changes: list[tuple[float, bool]] = field(default_factory=list)


async def flap(
    receiver: GenericReceiver,
    started: float,
    outage: Outage,
    stop: asyncio.Event,
    phases: Phases,
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


def _windows(phases: Phases, arrivals: list[Arrival], started: float, ended: float) -> list[Window]:
    """The up-windows that began before the outbox was drained."""
    changes = [*phases.changes, (math.inf, False)]
    windows: list[Window] = []
    for (at, up), (next_at, _) in itertools.pairwise(changes):
        if not up or at >= ended:
            continue
        inside = [a for a in arrivals if at <= a.at < next_at]
        windows.append(
            Window(
                start=at - started,
                end=min(next_at, ended) - started,
                requests=len(inside),
                accepted=sum(a.status == 200 and not a.duplicate for a in inside),
                first_request=inside[0].at - at if inside else None,
            )
        )
    return windows


def _probes(failures: list[Failure], requests: list[float], started: float) -> list[Probe]:
    """Failed attempts less than a second apart belong to one pass.

    `requests`: when the outbox sent something (sorted): requests the receiver got and
    attempts that failed; the first after a pass shows how long the endpoint was left alone.
    """
    groups: list[list[Failure]] = []
    for failure in failures:
        if groups and failure.at - groups[-1][-1].at <= 1.0:
            groups[-1].append(failure)
        else:
            groups.append([failure])
    probes: list[Probe] = []
    for group in groups:
        last = group[-1].at
        later = bisect.bisect_right(requests, last)
        probes.append(
            Probe(
                at=group[0].at - started,
                attempts=len(group),
                errors=dict(Counter(f"{f.outcome}: {f.error}" for f in group)),
                next_request_s=requests[later] - last if later < len(requests) else None,
            )
        )
    return probes


def _explain_duplicates(
    receiver: TimedReceiver, failures: list[Failure], phases: Phases, started: float
) -> list[str]:
    """For each repeat: when the first copy was accepted, and what the outbox saw of it."""
    accepted_at: dict[str, float] = {}
    notes: list[str] = []
    downs = [at for at, up in phases.changes if not up]
    failed: defaultdict[str, list[Failure]] = defaultdict(list)
    for failure in failures:
        failed[failure.webhook_id].append(failure)
    for arrival in receiver.arrivals:
        if arrival.status == 200 and not arrival.duplicate:
            accepted_at.setdefault(arrival.webhook_id, arrival.at)
        if not arrival.duplicate:
            continue
        first = accepted_at.get(arrival.webhook_id)
        if first is None:
            notes.append(f"{arrival.webhook_id}: a repeat without an accepted first copy?")
            continue
        seen = [f for f in failed[arrival.webhook_id] if f.at >= first]
        cut = [at for at in downs if first <= at <= (seen[0].at if seen else arrival.at)]
        said = "the outbox recorded no failure for it"
        if seen:
            said = (
                f"the outbox recorded {seen[0].outcome} ({seen[0].error}) "
                f"at +{seen[0].at - started:.3f} s"
            )
        why = (
            f"; the receiver went down at +{cut[0] - started:.3f} s, before its answer "
            "reached the bot"
            if cut
            else ""
        )
        notes.append(
            f"{arrival.webhook_id}: accepted at +{first - started:.3f} s (answered 200) but "
            f"{said}{why}; sent again at +{arrival.at - started:.3f} s (counted as a duplicate)"
        )
    return notes


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
    failures: list[str] = []
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
    failures.extend(f"{name}: Bot API violation: {v}" for v in server.violations)
    return figures, failures


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
    if outage is not None:
        phases.changes.append((started, False))
    flapper = (
        asyncio.create_task(flap(receiver, started, outage, stop, phases), name="flap")
        if outage is not None
        else None
    )
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
    received_ids = [r.webhook_id for r in receiver.deliveries]
    wanted = expected.webhook_ids
    order_violations = 0
    for ids in receiver.by_lead().values():
        numbers = [int(webhook_id.removeprefix("evt_")) for webhook_id in ids]
        order_violations += sum(a > b for a, b in itertools.pairwise(numbers))
    figures = RunFigures(
        name=name,
        expected=expected.count,
        queued=queued,
        queue_s=queue_s,
        drain_s=ended - started,
        timed_out=timed_out,
        pending_left=pending,
        dead=dead,
        delivered=len(set(received_ids)),
        lost=len(wanted - set(received_ids)),
        unexpected=len(set(received_ids) - wanted),
        duplicates=receiver.duplicates,
        ids_seen_twice=sum(n > 1 for n in answered_200.values()),
        order_violations=order_violations,
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
    figures.notes = _explain_duplicates(receiver, failed, phases, started)
    return figures


def _check(figures: RunFigures) -> list[str]:
    name = figures.name
    problems: list[str] = []
    if figures.queued != figures.expected:
        problems.append(f"{name}: {figures.queued} deliveries queued, {figures.expected} expected")
    if figures.timed_out:
        problems.append(
            f"{name}: not drained within the time limit ({figures.pending_left} still pending "
            f"after {figures.drain_s:.0f} s)"
        )
    if figures.lost:
        still = f" ({figures.pending_left} of them still pending)" if figures.pending_left else ""
        problems.append(f"{name}: {figures.lost} event(s) never reached the receiver{still}")
    if figures.unexpected:
        problems.append(f"{name}: {figures.unexpected} event(s) delivered that were not expected")
    if figures.duplicates or figures.ids_seen_twice:
        problems.append(
            f"{name}: {figures.duplicates} duplicate request(s), "
            f"{figures.ids_seen_twice} webhook-id(s) answered 200 more than once"
        )
    if figures.order_violations:
        problems.append(f"{name}: {figures.order_violations} per-lead order violation(s)")
    if figures.dead:
        problems.append(f"{name}: {figures.dead} delivery(ies) dead-lettered")
    return problems


async def run_benchmark(
    total: int,
    lead_count: int,
    outage: Outage,
    limit: float,
) -> BenchResult:
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
    return BenchResult(total, lead_count, outage, baseline, flapping, failures, warnings)


# ---------------------------------------------------------------------------------- the report


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 and math.isfinite(a / b) else "n/a"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """First column left-aligned, the others right-aligned; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


MAX_SHOWN = 10


def _window_lines(figures: RunFigures) -> list[str]:
    """The up-windows: how soon the outbox noticed; runs of idle windows on one line."""
    windows = figures.windows
    if not windows:
        return []
    used = [w for w in windows if w.first_request is not None]
    waits = [w.first_request for w in used if w.first_request is not None]
    up_s = sum(w.end - w.start for w in windows)
    idle_s = sum(
        w.end - w.start if w.first_request is None else min(w.first_request, w.end - w.start)
        for w in windows
    )
    lines = [
        "",
        f"{figures.name}: {len(windows)} up-window(s) began while the outbox was draining; "
        f"it sent something in {len(used)} of them.",
        f"  receiver up but nothing sent (the endpoint paused): {idle_s:.1f} s of {up_s:.1f} s up",
    ]
    if waits:
        lines.append(
            "  first request after the receiver came up, s: "
            f"min {min(waits):.1f}, median {statistics.median(waits):.1f}, max {max(waits):.1f}"
        )
    lines.append("  up-windows (s from the start):")
    idle: list[Window] = []

    def flush() -> None:
        if idle:
            lines.append(
                f"    +{idle[0].start:7.1f} … +{idle[-1].end:7.1f}: "
                f"{len(idle)} up-window(s), no request"
            )
            idle.clear()

    for w in windows:
        if w.first_request is None:
            idle.append(w)
            continue
        flush()
        lines.append(
            f"    +{w.start:7.1f} … +{w.end:7.1f}: first request after {w.first_request:.1f} s, "
            f"{w.accepted} accepted of {w.requests} request(s)"
        )
    flush()
    return lines


def _probe_lines(figures: RunFigures) -> list[str]:
    if not figures.probes:
        return []
    lines = [
        "",
        f"{figures.name}: passes that ran into failed attempts (s from the start), and how "
        "long the outbox then left the endpoint alone (until its next request):",
    ]
    previous: float | None = None
    for probe in figures.probes:
        gap = "" if previous is None else f", {probe.at - previous:.1f} s after the last"
        errors = ", ".join(f"{n} × {kind}" for kind, n in probe.errors.items())
        wait = (
            "no request after it"
            if probe.next_request_s is None
            else f"next request {probe.next_request_s:.1f} s later"
        )
        lines.append(f"  +{probe.at:7.1f}{gap}: {probe.attempts} failed ({errors}); {wait}")
        previous = probe.at
    return lines


def format_report(result: BenchResult) -> str:
    base, out = result.baseline, result.flapping
    window = result.outage.window
    drained = "drain time, s" + (" (cut short)" if base.timed_out or out.timed_out else "")
    rows: list[tuple[str, ...]] = [
        ("", base.name, out.name, "ratio"),
        ("events for the CRM", f"{base.expected}", f"{out.expected}", ""),
        ("queued by the event pipe", f"{base.queued}", f"{out.queued}", ""),
        ("queueing (pipe.drain), s", f"{base.queue_s:.2f}", f"{out.queue_s:.2f}", ""),
        (
            drained,
            f"{base.drain_s:.2f}",
            f"{out.drain_s:.2f}",
            ("≥" if out.timed_out else "") + _ratio(out.drain_s, base.drain_s),
        ),
        ("events delivered", f"{base.delivered}", f"{out.delivered}", ""),
        ("lost (expected − delivered)", f"{base.lost}", f"{out.lost}", ""),
        ("still pending at the end", f"{base.pending_left}", f"{out.pending_left}", ""),
        ("dead letters", f"{base.dead}", f"{out.dead}", ""),
        ("duplicates (receiver)", f"{base.duplicates}", f"{out.duplicates}", ""),
        ("webhook-ids answered 200 twice", f"{base.ids_seen_twice}", f"{out.ids_seen_twice}", ""),
        ("per-lead order violations", f"{base.order_violations}", f"{out.order_violations}", ""),
        ("requests made (receiver.attempts)", f"{base.requests}", f"{out.requests}", ""),
        ("answered other than 200", f"{base.non_200}", f"{out.non_200}", ""),
        ("failed attempts (outbox log)", f"{base.failed_attempts}", f"{out.failed_attempts}", ""),
        ("deliveries/s", f"{base.per_s:.1f}", f"{out.per_s:.1f}", _ratio(out.per_s, base.per_s)),
        ("CPU time while draining, s", f"{base.cpu_s:.2f}", f"{out.cpu_s:.2f}", ""),
        ("peak RSS so far, MiB", f"{base.peak_rss_mib:.0f}", f"{out.peak_rss_mib:.0f}", ""),
        ("Bot API requests", f"{base.telegram_requests}", f"{out.telegram_requests}", ""),
    ]
    lines = [
        f"sales-desk outbox benchmark: {result.events} events for the CRM over {result.leads} "
        "leads (one lead.qualified each, then lead.status_changed round-robin), real generic "
        "client over real HTTP to a Standard Webhooks receiver on 127.0.0.1, real clock.",
        f"always up: the receiver never goes down. down/up: down {window:g} s, up "
        f"{window:g} s, and so on (down first). Each run on a fresh database; the "
        "drain time runs from starting the outbox worker to the database backlog having "
        f"nothing pending (read every {POLL_SECONDS:g} s).",
        "",
        *_table(rows),
    ]
    lines += _window_lines(out)
    for figures in (base, out):
        lines += _probe_lines(figures)
    for figures in (base, out):
        if figures.notes:
            lines += ["", f"{figures.name}: duplicates explained:"]
            lines += [f"  {note}" for note in figures.notes[:MAX_SHOWN]]
            if len(figures.notes) > MAX_SHOWN:
                lines.append(f"  … and {len(figures.notes) - MAX_SHOWN} more")
    if result.warnings:
        lines += ["", "warnings logged (both runs), by kind:"]
        lines += [f"  {n} × {kind}" for kind, n in result.warnings.most_common(MAX_SHOWN)]
    if result.failures:
        lines += ["", f"FAILED: {len(result.failures)} problem(s):"]
        lines += [f"  {failure}" for failure in result.failures[:MAX_SHOWN]]
        if len(result.failures) > MAX_SHOWN:
            lines.append(f"  … and {len(result.failures) - MAX_SHOWN} more")
    else:
        lines += [
            "",
            "OK: every event delivered once, in order per lead; no dead letters; "
            "no errors logged; no Bot API violations.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=10_000, help="events for the CRM (10000)")
    parser.add_argument("--leads", type=int, default=1000, help="leads (default 1000)")
    parser.add_argument(
        "--window", type=float, default=10.0, help="seconds down, then up, … (default 10)"
    )
    parser.add_argument(
        "--limit", type=float, default=900.0, help="seconds allowed per drain (default 900)"
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

"""The analysis and the report of scripts/bench_outbox.py: pure functions, no I/O.

bench_outbox.py measures (seeds the events, drains them through a receiver it takes down
and brings up, notes what arrived when and what the outbox logged); this module turns
those notes into figures (the receiver's up-windows, the outbox's failing passes, what
explains each duplicate), checks them for lost, repeated or out-of-order events, and
formats the report.  Times come in as time.monotonic() and go out as seconds from the
start of the drain.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

MAX_SHOWN = 10  # notes, warnings and problems listed in the report, at most

# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Outage:
    window: float  # seconds down, then as many up, and so on (down first)


@dataclass
class Phases:
    """When the receiver went down and came up (time.monotonic(), up?)."""

    changes: list[tuple[float, bool]] = field(default_factory=list)


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
    poll_s: float  # how often the database backlog was read while the outbox drained
    baseline: RunFigures
    flapping: RunFigures
    failures: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)  # logged warnings, by kind

    @property
    def ok(self) -> bool:
        return not self.failures


# ---------------------------------------------------------------------------------- analysis


def _order_violations(by_lead: dict[int, list[str]]) -> int:
    """How many events were accepted after a later event of the same lead.

    `by_lead`: each lead's accepted webhook-ids (evt_<event id>) in arrival order.
    """
    violations = 0
    for ids in by_lead.values():
        numbers = [int(webhook_id.removeprefix("evt_")) for webhook_id in ids]
        violations += sum(a > b for a, b in itertools.pairwise(numbers))
    return violations


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
    arrivals: list[Arrival], failures: list[Failure], phases: Phases, started: float
) -> list[str]:
    """For each repeat: when the first copy was accepted, and what the outbox saw of it."""
    accepted_at: dict[str, float] = {}
    notes: list[str] = []
    downs = [at for at, up in phases.changes if not up]
    failed: defaultdict[str, list[Failure]] = defaultdict(list)
    for failure in failures:
        failed[failure.webhook_id].append(failure)
    for arrival in arrivals:
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


def _capped(items: list[str]) -> list[str]:
    """The first MAX_SHOWN items, indented, and how many more there are."""
    lines = [f"  {item}" for item in items[:MAX_SHOWN]]
    if len(items) > MAX_SHOWN:
        lines.append(f"  … and {len(items) - MAX_SHOWN} more")
    return lines


def _window_lines(figures: RunFigures) -> list[str]:
    """The up-windows: how soon the outbox noticed; runs of idle windows on one line."""
    windows = figures.windows
    if not windows:
        return []
    waits = [w.first_request for w in windows if w.first_request is not None]
    up_s = sum(w.end - w.start for w in windows)
    idle_s = sum(
        w.end - w.start if w.first_request is None else min(w.first_request, w.end - w.start)
        for w in windows
    )
    lines = [
        "",
        f"{figures.name}: {len(windows)} up-window(s) began while the outbox was draining; "
        f"it sent something in {len(waits)} of them.",
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
        f"{base.name}: the receiver never goes down. {out.name}: down {window:g} s, up "
        f"{window:g} s, and so on (down first). Each run on a fresh database; the "
        "drain time runs from starting the outbox worker to the database backlog having "
        f"nothing pending (read every {result.poll_s:g} s).",
        "",
        *_table(rows),
    ]
    lines += _window_lines(out)
    for figures in (base, out):
        lines += _probe_lines(figures)
    for figures in (base, out):
        if figures.notes:
            lines += ["", f"{figures.name}: duplicates explained:", *_capped(figures.notes)]
    if result.warnings:
        lines += ["", "warnings logged (both runs), by kind:"]
        lines += [f"  {n} × {kind}" for kind, n in result.warnings.most_common(MAX_SHOWN)]
    if result.failures:
        lines += ["", f"FAILED: {len(result.failures)} problem(s):", *_capped(result.failures)]
    else:
        lines += [
            "",
            "OK: every event delivered once, in order per lead; no dead letters; "
            "no errors logged; no Bot API violations.",
        ]
    return "\n".join(lines)

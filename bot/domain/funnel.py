"""The funnel, read from the event log: stages, conversions, breakdowns, timings.

Leads count by when they arrived (`lead.created` in the period, a cohort): a lead that
arrived on Monday and booked on Friday counts in Monday's "booked". Events hold no
personal data and outlive /forget, so an erased lead still counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from statistics import median
from typing import TypeVar

from bot.domain.events import Event, EventType


class Stage(StrEnum):
    NEW = "new"
    QUALIFIED = "qualified"
    TARGET = "target"
    BOOKED = "booked"
    ATTENDED = "attended"


STAGES = tuple(Stage)
# The event types the funnel reads; everything else in the log is ignored.
FUNNEL_EVENTS = (
    EventType.CREATED,
    EventType.QUALIFIED,
    EventType.DESK_VERDICT_OVERRIDDEN,
    EventType.MANAGER_ASSIGNED,
    EventType.VIEWING_BOOKED,
    EventType.VIEWING_ATTENDED,
    EventType.DESK_OWNER_SET,
    EventType.DESK_CALL_LOGGED,
    EventType.DESK_STAFF_REPLIED,
    EventType.DESK_SLA_BREACHED,
    EventType.ERASED,
)
UNKNOWN = "unknown"

K = TypeVar("K")

Measure = Callable[[datetime, datetime], timedelta]


def wall_clock(since: datetime, until: datetime) -> timedelta:
    return until - since


@dataclass
class LeadPath:
    """What the log says about one lead: the facts the funnel counts."""

    lead_id: int
    created_at: datetime
    source: str = UNKNOWN
    qualified_at: datetime | None = None
    verdict: str | None = None
    booked: bool = False
    attended: bool = False
    sales_manager_id: int | None = None
    owner: str | None = None
    taken_at: datetime | None = None
    first_contact_at: datetime | None = None
    breaches: list[str] = field(default_factory=list)
    erased: bool = False

    @property
    def stages(self) -> tuple[Stage, ...]:
        reached = [Stage.NEW]
        if self.qualified_at is not None:
            reached.append(Stage.QUALIFIED)
        if self.verdict == "target":
            reached.append(Stage.TARGET)
        # A booking implies the earlier stages even if a verdict was later overridden.
        if self.booked:
            reached.append(Stage.BOOKED)
        if self.attended:
            reached.append(Stage.ATTENDED)
        return tuple(reached)


@dataclass(frozen=True)
class Row:
    """Leads per stage for one slice (a source, a lead-manager, a sales manager)."""

    counts: Mapping[Stage, int]

    def __getitem__(self, stage: Stage) -> int:
        return self.counts.get(stage, 0)


@dataclass(frozen=True)
class Funnel:
    total: Row
    by_source: Mapping[str, Row]
    by_verdict: Mapping[str, int]
    by_owner: Mapping[str, Row]
    by_sales_manager: Mapping[int, Row]
    median_take: timedelta | None
    median_first_contact: timedelta | None
    breaches: Mapping[str, int]
    erased: int

    def conversions(self) -> list[tuple[Stage, Stage, float | None]]:
        """Each stage over the one before it; None when the earlier stage is empty."""
        result: list[tuple[Stage, Stage, float | None]] = []
        for before, after in pairwise(STAGES):
            base = self.total[before]
            result.append((before, after, None if base == 0 else self.total[after] / base))
        return result


def lead_paths(events: Iterable[Event]) -> list[LeadPath]:
    """One path per lead that has a `lead.created`; events in id order."""
    paths: dict[int, LeadPath] = {}
    for event in sorted(events, key=lambda e: e.id):
        if event.type is EventType.CREATED:
            paths.setdefault(
                event.lead_id,
                LeadPath(event.lead_id, event.at, str(event.data.get("source") or UNKNOWN)),
            )
            continue
        path = paths.get(event.lead_id)
        if path is not None:
            _apply(path, event)
    return list(paths.values())


def _apply(path: LeadPath, event: Event) -> None:
    data = event.data
    match event.type:
        case EventType.QUALIFIED:
            # Nurture leads come back and qualify again: the latest verdict counts.
            path.qualified_at = path.qualified_at or event.at
            path.verdict = str(data.get("verdict") or UNKNOWN)
        case EventType.DESK_VERDICT_OVERRIDDEN:
            path.verdict = str(data.get("verdict_to") or path.verdict)
        case EventType.MANAGER_ASSIGNED | EventType.VIEWING_BOOKED:
            manager = data.get("manager_id")
            if isinstance(manager, int):
                path.sales_manager_id = manager
            path.booked = path.booked or event.type is EventType.VIEWING_BOOKED
        case EventType.VIEWING_ATTENDED:
            path.attended = True
            path.booked = True
        case EventType.DESK_OWNER_SET:
            owner = data.get("owner_name") or data.get("owner")
            path.owner = None if owner is None else str(owner)
            path.taken_at = path.taken_at or event.at
        case EventType.DESK_CALL_LOGGED:
            if data.get("outcome") == "reached":
                path.first_contact_at = path.first_contact_at or event.at
        case EventType.DESK_STAFF_REPLIED:
            path.first_contact_at = path.first_contact_at or event.at
        case EventType.DESK_SLA_BREACHED:
            path.breaches.append(str(data.get("kind") or UNKNOWN))
        case EventType.ERASED:
            path.erased = True


def _row(paths: Iterable[LeadPath]) -> Row:
    counts: Counter[Stage] = Counter()
    for path in paths:
        counts.update(path.stages)
    return Row(dict(counts))


def _group(paths: list[LeadPath], key: Callable[[LeadPath], K | None]) -> dict[K, Row]:
    groups: defaultdict[K, list[LeadPath]] = defaultdict(list)
    for path in paths:
        value = key(path)
        if value is not None:
            groups[value].append(path)
    # Biggest first: the slices people look for.
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), str(item[0])))
    return {value: _row(members) for value, members in ordered}


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=median(value.total_seconds() for value in values))


def funnel(
    events: Iterable[Event],
    start: datetime,
    end: datetime,
    measure: Measure = wall_clock,
) -> Funnel:
    """The cohort of leads created in [start, end), followed through everything after."""
    paths = [p for p in lead_paths(events) if start <= p.created_at < end]
    verdicts = Counter(p.verdict for p in paths if p.verdict is not None)
    breaches = Counter(kind for p in paths for kind in p.breaches)
    takes = [
        measure(p.qualified_at, p.taken_at)
        for p in paths
        if p.qualified_at is not None and p.taken_at is not None
    ]
    contacts = [
        measure(p.qualified_at, p.first_contact_at)
        for p in paths
        if p.qualified_at is not None and p.first_contact_at is not None
    ]
    return Funnel(
        total=_row(paths),
        by_source=_group(paths, lambda p: p.source),
        by_verdict=dict(verdicts.most_common()),
        by_owner=_group(paths, lambda p: p.owner),
        by_sales_manager=_group(paths, lambda p: p.sales_manager_id),
        median_take=_median([max(t, timedelta()) for t in takes]),
        median_first_contact=_median([max(t, timedelta()) for t in contacts]),
        breaches=dict(breaches.most_common()),
        erased=sum(1 for p in paths if p.erased),
    )

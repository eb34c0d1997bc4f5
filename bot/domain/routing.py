"""Which sales manager gets a target lead.

A manager is eligible when active and covering every routing question the lead answered.
Among eligible managers with at least one free slot, the rule picks one deterministically:
weighted round robin (fewest leads per unit of weight) or least loaded (fewest upcoming
viewings). A returning client goes back to their previous manager when that manager is still
active and has a free slot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from fractions import Fraction

ANY_OPTION = "*"


class RoutingRule(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


@dataclass(frozen=True)
class Candidate:
    manager_id: int
    covers: frozenset[str]  # option ids of routing questions this manager takes; "*" = all
    weight: int  # round-robin weight
    active: bool
    assigned: int  # leads assigned so far
    last_assigned_at: datetime | None
    upcoming: int  # viewings booked from now on
    has_free_slot: bool  # at least one free slot within the horizon

    def __post_init__(self) -> None:
        if self.weight < 1:
            raise ValueError(f"manager {self.manager_id}: weight must be at least 1")
        if self.assigned < 0 or self.upcoming < 0:
            raise ValueError(f"manager {self.manager_id}: counts cannot be negative")


class RouteReasonCode(StrEnum):
    """The card explains the choice with a locale sentence (route.<code>) from `params`."""

    RETURNING = "returning"  # no params
    ROUND_ROBIN = "round_robin"  # weight, assigned, eligible
    LEAST_LOADED = "least_loaded"  # upcoming, eligible
    NO_ELIGIBLE = "no_eligible"  # no params
    NO_FREE_SLOTS = "no_free_slots"  # eligible


@dataclass(frozen=True)
class RouteDecision:
    manager_id: int | None
    code: RouteReasonCode
    params: Mapping[str, str | int] = field(default_factory=dict)


def eligible(
    wanted: Mapping[str, frozenset[str]], candidates: Sequence[Candidate]
) -> list[Candidate]:
    """Active managers covering, for each question, "*" or one of the options the lead chose.

    `wanted` maps a routing question id to the chosen option ids, with "anyone" answers
    already removed; a question with an empty set does not restrict anybody.
    """
    return [
        candidate
        for candidate in candidates
        if candidate.active
        and (
            ANY_OPTION in candidate.covers
            or all(not options or candidate.covers & options for options in wanted.values())
        )
    ]


# Sorts before any real assignment time: never-assigned managers wait longest.
_NEVER = datetime.min.replace(tzinfo=UTC)


def _round_robin_key(candidate: Candidate) -> tuple[Fraction, datetime, int]:
    # Fewest leads per unit of weight: over time weight 2 gets twice the leads of weight 1.
    return (
        Fraction(candidate.assigned, candidate.weight),
        candidate.last_assigned_at or _NEVER,
        candidate.manager_id,
    )


def _least_loaded_key(candidate: Candidate) -> tuple[int, datetime, int]:
    return (candidate.upcoming, candidate.last_assigned_at or _NEVER, candidate.manager_id)


def route(
    wanted: Mapping[str, frozenset[str]],
    candidates: Sequence[Candidate],
    rule: RoutingRule,
    previous_manager_id: int | None,
) -> RouteDecision:
    """The manager for a new target lead, and why; manager_id None when nobody can take it."""
    if previous_manager_id is not None:
        for candidate in candidates:
            # Coverage does not matter here: the client already knows this manager.
            if (
                candidate.manager_id == previous_manager_id
                and candidate.active
                and candidate.has_free_slot
            ):
                return RouteDecision(candidate.manager_id, RouteReasonCode.RETURNING, {})
    pool = eligible(wanted, candidates)
    if not pool:
        return RouteDecision(None, RouteReasonCode.NO_ELIGIBLE, {})
    free = [candidate for candidate in pool if candidate.has_free_slot]
    if not free:
        return RouteDecision(None, RouteReasonCode.NO_FREE_SLOTS, {"eligible": len(pool)})
    if rule is RoutingRule.ROUND_ROBIN:
        chosen = min(free, key=_round_robin_key)
        return RouteDecision(
            chosen.manager_id,
            RouteReasonCode.ROUND_ROBIN,
            {"weight": chosen.weight, "assigned": chosen.assigned, "eligible": len(free)},
        )
    chosen = min(free, key=_least_loaded_key)
    return RouteDecision(
        chosen.manager_id,
        RouteReasonCode.LEAST_LOADED,
        {"upcoming": chosen.upcoming, "eligible": len(free)},
    )

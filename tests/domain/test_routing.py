"""Which manager gets a target lead: coverage, round robin, least loaded, returning clients."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.routing import (
    Candidate,
    RouteDecision,
    RouteReasonCode,
    RoutingRule,
    eligible,
    route,
)

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


def candidate(
    manager_id: int,
    *,
    covers: frozenset[str] = frozenset({"*"}),
    weight: int = 1,
    active: bool = True,
    assigned: int = 0,
    last: datetime | None = None,
    upcoming: int = 0,
    free: bool = True,
) -> Candidate:
    return Candidate(manager_id, covers, weight, active, assigned, last, upcoming, free)


NORTH = frozenset({"district:north"})
SOUTH = frozenset({"district:south"})
TEAM = [
    candidate(1, covers=NORTH | {"lang:en"}),
    candidate(2, covers=SOUTH),
    candidate(3),  # takes everything
    candidate(4, covers=NORTH, active=False),
]


@pytest.mark.parametrize(
    ("wanted", "ids"),
    [
        ({}, [1, 2, 3]),
        ({"district": frozenset({"district:north"})}, [1, 3]),
        ({"district": frozenset({"district:south"})}, [2, 3]),
        ({"district": frozenset({"district:north", "district:south"})}, [1, 2, 3]),
        ({"district": frozenset()}, [1, 2, 3]),  # nothing chosen restricts nobody
        ({"district": frozenset({"district:north"}), "lang": frozenset({"lang:en"})}, [1, 3]),
        ({"district": frozenset({"district:south"}), "lang": frozenset({"lang:en"})}, [3]),
        ({"district": frozenset({"district:east"})}, [3]),
    ],
)
def test_eligible(wanted: Mapping[str, frozenset[str]], ids: list[int]) -> None:
    assert [person.manager_id for person in eligible(wanted, TEAM)] == ids


@pytest.mark.parametrize(
    ("candidates", "chosen", "params"),
    [
        # Fewest leads per unit of weight.
        (
            [candidate(1, assigned=4), candidate(2, assigned=2), candidate(3, assigned=3)],
            2,
            {"weight": 1, "assigned": 2, "eligible": 3},
        ),
        (
            [candidate(1, assigned=3), candidate(2, assigned=5, weight=2)],
            2,
            {"weight": 2, "assigned": 5, "eligible": 2},
        ),
        # Ties: never assigned first, then the longest waiting, then the lowest id.
        (
            [candidate(1, assigned=1, last=T0), candidate(2, assigned=1)],
            2,
            {"weight": 1, "assigned": 1, "eligible": 2},
        ),
        (
            [
                candidate(1, assigned=2, last=T0 + timedelta(hours=1)),
                candidate(2, assigned=2, last=T0),
            ],
            2,
            {"weight": 1, "assigned": 2, "eligible": 2},
        ),
        (
            [candidate(5), candidate(3)],
            3,
            {"weight": 1, "assigned": 0, "eligible": 2},
        ),
        # Without a free slot a manager is skipped, and not counted.
        (
            [candidate(1, free=False), candidate(2, assigned=9)],
            2,
            {"weight": 1, "assigned": 9, "eligible": 1},
        ),
    ],
)
def test_round_robin_picks(
    candidates: list[Candidate], chosen: int, params: dict[str, int]
) -> None:
    assert route({}, candidates, RoutingRule.ROUND_ROBIN, None) == RouteDecision(
        chosen, RouteReasonCode.ROUND_ROBIN, params
    )


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({1: 2, 2: 1, 3: 1}, {1: 150, 2: 75, 3: 75}),
        ({1: 1, 2: 3}, {1: 75, 2: 225}),
        ({1: 1, 2: 1, 3: 1}, {1: 100, 2: 100, 3: 100}),
    ],
)
def test_weighted_round_robin_is_fair_over_300_leads(
    weights: dict[int, int], expected: dict[int, int]
) -> None:
    team = {manager_id: candidate(manager_id, weight=w) for manager_id, w in weights.items()}
    picks: list[int] = []
    for number in range(300):
        decision = route({}, list(team.values()), RoutingRule.ROUND_ROBIN, None)
        assert decision.manager_id is not None
        picks.append(decision.manager_id)
        picked = team[decision.manager_id]
        team[decision.manager_id] = replace(
            picked, assigned=picked.assigned + 1, last_assigned_at=T0 + timedelta(minutes=number)
        )
        # Never more than one lead away from the exact weighted share.
        total_weight = sum(weights.values())
        for manager_id, weight in weights.items():
            share = (number + 1) * weight / total_weight
            assert abs(team[manager_id].assigned - share) < 1 + 1e-9
    assert Counter(picks) == expected
    if weights == {1: 2, 2: 1, 3: 1}:
        # Equal shares go to whoever waited longest; manager 1 catches up every 4 leads.
        assert picks[:8] == [1, 2, 3, 1, 2, 3, 1, 1]


@pytest.mark.parametrize(
    ("candidates", "chosen", "params"),
    [
        (
            [candidate(1, upcoming=5), candidate(2, upcoming=2), candidate(3, upcoming=3)],
            2,
            {"upcoming": 2, "eligible": 3},
        ),
        (
            [candidate(1, upcoming=2, last=T0), candidate(2, upcoming=2, last=T0 - timedelta(1))],
            2,
            {"upcoming": 2, "eligible": 2},
        ),
        ([candidate(4, upcoming=1), candidate(3, upcoming=1)], 3, {"upcoming": 1, "eligible": 2}),
        (
            [candidate(1, upcoming=0, free=False), candidate(2, upcoming=7)],
            2,
            {"upcoming": 7, "eligible": 1},
        ),
        # Load, not history: many past leads do not matter.
        ([candidate(1, assigned=50), candidate(2, upcoming=1)], 1, {"upcoming": 0, "eligible": 2}),
    ],
)
def test_least_loaded_picks(
    candidates: list[Candidate], chosen: int, params: dict[str, int]
) -> None:
    assert route({}, candidates, RoutingRule.LEAST_LOADED, None) == RouteDecision(
        chosen, RouteReasonCode.LEAST_LOADED, params
    )


@pytest.mark.parametrize("rule", list(RoutingRule))
def test_returning_client_goes_back_to_their_manager(rule: RoutingRule) -> None:
    wanted = {"district": frozenset({"district:north"})}
    # Manager 2 covers only the south, has more leads and more viewings: still theirs.
    team = [candidate(1, covers=NORTH), candidate(2, covers=SOUTH, assigned=9, upcoming=9)]
    assert route(wanted, team, rule, previous_manager_id=2) == RouteDecision(
        2, RouteReasonCode.RETURNING, {}
    )


@pytest.mark.parametrize(
    "previous",
    [
        candidate(2, active=False),
        candidate(2, free=False),
    ],
)
def test_returning_client_is_routed_normally_when_their_manager_cannot(
    previous: Candidate,
) -> None:
    team = [candidate(1, assigned=3), previous]
    decision = route({}, team, RoutingRule.ROUND_ROBIN, previous_manager_id=2)
    assert decision == RouteDecision(
        1, RouteReasonCode.ROUND_ROBIN, {"weight": 1, "assigned": 3, "eligible": 1}
    )


def test_returning_client_whose_manager_left() -> None:
    decision = route({}, [candidate(1)], RoutingRule.LEAST_LOADED, previous_manager_id=99)
    assert decision.manager_id == 1
    assert decision.code is RouteReasonCode.LEAST_LOADED


def test_inactive_managers_are_never_chosen() -> None:
    team = [candidate(1, active=False), candidate(2, assigned=100, upcoming=100)]
    for rule in RoutingRule:
        assert route({}, team, rule, None).manager_id == 2


def test_nobody_eligible() -> None:
    wanted = {"district": frozenset({"district:east"})}
    team = [candidate(1, covers=NORTH), candidate(2, covers=SOUTH), candidate(3, active=False)]
    assert route(wanted, team, RoutingRule.ROUND_ROBIN, None) == RouteDecision(
        None, RouteReasonCode.NO_ELIGIBLE, {}
    )
    assert route({}, [], RoutingRule.LEAST_LOADED, None).code is RouteReasonCode.NO_ELIGIBLE


def test_eligible_but_no_free_slots() -> None:
    team = [candidate(1, free=False), candidate(2, free=False), candidate(3, active=False)]
    assert route({}, team, RoutingRule.LEAST_LOADED, previous_manager_id=1) == RouteDecision(
        None, RouteReasonCode.NO_FREE_SLOTS, {"eligible": 2}
    )


@pytest.mark.parametrize(
    "changes", [{"weight": 0}, {"weight": -1}, {"assigned": -1}, {"upcoming": -1}]
)
def test_candidate_refuses_bad_numbers(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"weight|negative"):
        replace(candidate(1), **changes)


def test_codes_are_lowercase_strings() -> None:
    assert [code.value for code in RouteReasonCode] == [
        "returning",
        "round_robin",
        "least_loaded",
        "no_eligible",
        "no_free_slots",
    ]
    assert RoutingRule("least_loaded") is RoutingRule.LEAST_LOADED

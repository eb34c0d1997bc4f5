"""The lead's life: allowed transitions and deep-link sources."""

from __future__ import annotations

import pytest

from bot.domain.leads import (
    REQUALIFIABLE,
    VERDICT_STATUS,
    InvalidTransition,
    LeadStatus,
    check_transition,
    parse_source,
)
from bot.domain.scoring import Verdict


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (LeadStatus.NEW, LeadStatus.QUALIFYING),
        (LeadStatus.QUALIFYING, LeadStatus.TARGET),
        (LeadStatus.QUALIFYING, LeadStatus.NURTURE),
        (LeadStatus.QUALIFYING, LeadStatus.REJECTED),
        (LeadStatus.NURTURE, LeadStatus.QUALIFYING),
        (LeadStatus.TARGET, LeadStatus.BOOKED),
        (LeadStatus.BOOKED, LeadStatus.NO_SHOW),
        (LeadStatus.ATTENDED, LeadStatus.DEAL),
        (LeadStatus.DEAL, LeadStatus.CLOSED),
    ],
)
def test_the_funnel_moves_forward(current: LeadStatus, wanted: LeadStatus) -> None:
    check_transition(current, wanted)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (LeadStatus.NEW, LeadStatus.TARGET),  # no verdict without the checklist
        (LeadStatus.REJECTED, LeadStatus.BOOKED),  # a viewing needs a target lead
        (LeadStatus.BOOKED, LeadStatus.CLOSED),  # its viewing is cancelled first
        (LeadStatus.BOOKED, LeadStatus.QUALIFYING),
        (LeadStatus.CLOSED, LeadStatus.QUALIFYING),
        (LeadStatus.NURTURE, LeadStatus.BOOKED),
    ],
)
def test_skipping_steps_is_refused(current: LeadStatus, wanted: LeadStatus) -> None:
    with pytest.raises(InvalidTransition, match=f"from {current} to {wanted}"):
        check_transition(current, wanted)


def test_every_verdict_has_a_status_that_can_be_requalified() -> None:
    assert set(VERDICT_STATUS) == set(Verdict)
    for status in VERDICT_STATUS.values():
        assert status in REQUALIFIABLE
        check_transition(LeadStatus.QUALIFYING, status)
        check_transition(status, LeadStatus.QUALIFYING)


@pytest.mark.parametrize(
    ("payload", "source"),
    [
        (None, "direct"),
        ("", "direct"),
        ("vk_spring-2026", "vk_spring-2026"),
        ("A" * 64, "A" * 64),
        ("A" * 65, "unknown"),
        ("promo code", "unknown"),
        ("утм", "unknown"),
        ("a/b", "unknown"),
    ],
)
def test_deep_link_payload(payload: str | None, source: str) -> None:
    assert parse_source(payload) == source

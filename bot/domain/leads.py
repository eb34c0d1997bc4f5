"""The lead and the rules of its life: statuses, allowed transitions, sources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

from bot.domain.answers import Answer
from bot.domain.scoring import Reason, Verdict

LeadId = NewType("LeadId", int)

DIRECT_SOURCE = "direct"
UNKNOWN_SOURCE = "unknown"
_SOURCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class LeadStatus(StrEnum):
    NEW = "new"
    QUALIFYING = "qualifying"
    TARGET = "target"
    NURTURE = "nurture"
    REJECTED = "rejected"
    BOOKED = "booked"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    DEAL = "deal"
    CLOSED = "closed"


VERDICT_STATUS: dict[Verdict, LeadStatus] = {
    Verdict.TARGET: LeadStatus.TARGET,
    Verdict.NURTURE: LeadStatus.NURTURE,
    Verdict.REJECT: LeadStatus.REJECTED,
}

_ALLOWED: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.NEW: frozenset({LeadStatus.QUALIFYING}),
    # Going back or /restart keeps a lead in qualifying.
    LeadStatus.QUALIFYING: frozenset(
        {LeadStatus.QUALIFYING, LeadStatus.TARGET, LeadStatus.NURTURE, LeadStatus.REJECTED}
    ),
    # Between the three verdict statuses: a lead-manager overrides the checklist's verdict.
    # → closed: the desk closes a lead with a reason (bought elsewhere, spam, ...).
    LeadStatus.TARGET: frozenset(
        {
            LeadStatus.QUALIFYING,
            LeadStatus.BOOKED,
            LeadStatus.NURTURE,
            LeadStatus.REJECTED,
            LeadStatus.CLOSED,
        }
    ),
    LeadStatus.NURTURE: frozenset(
        {LeadStatus.QUALIFYING, LeadStatus.TARGET, LeadStatus.REJECTED, LeadStatus.CLOSED}
    ),
    LeadStatus.REJECTED: frozenset(
        {LeadStatus.QUALIFYING, LeadStatus.TARGET, LeadStatus.NURTURE, LeadStatus.CLOSED}
    ),
    # Booked → target: the manager reports the viewing moved, the prospect picks a new time.
    # A booked lead is not closed from the desk: its viewing is cancelled first.
    LeadStatus.BOOKED: frozenset(
        {
            LeadStatus.ATTENDED,
            LeadStatus.NO_SHOW,
            LeadStatus.CANCELLED,
            LeadStatus.BOOKED,
            LeadStatus.TARGET,
        }
    ),
    LeadStatus.ATTENDED: frozenset({LeadStatus.DEAL, LeadStatus.CLOSED}),
    LeadStatus.NO_SHOW: frozenset({LeadStatus.BOOKED, LeadStatus.QUALIFYING, LeadStatus.CLOSED}),
    LeadStatus.CANCELLED: frozenset({LeadStatus.BOOKED, LeadStatus.QUALIFYING, LeadStatus.CLOSED}),
    LeadStatus.DEAL: frozenset({LeadStatus.CLOSED}),
    LeadStatus.CLOSED: frozenset(),
}

# Statuses from which the prospect may go through the checklist again.
REQUALIFIABLE = frozenset(
    {LeadStatus.QUALIFYING, LeadStatus.TARGET, LeadStatus.NURTURE, LeadStatus.REJECTED}
)


class InvalidTransition(Exception):
    def __init__(self, current: LeadStatus, wanted: LeadStatus) -> None:
        super().__init__(f"a lead cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted


def allowed_from(current: LeadStatus) -> list[LeadStatus]:
    """Where a lead in `current` may go, in the order statuses are declared."""
    return [status for status in LeadStatus if status in _ALLOWED[current]]


def check_transition(current: LeadStatus, wanted: LeadStatus) -> None:
    if wanted not in _ALLOWED[current]:
        raise InvalidTransition(current, wanted)


def parse_source(payload: str | None) -> str:
    """The deep-link payload of /start, or a marker; never turns a prospect away."""
    if payload is None or payload == "":
        return DIRECT_SOURCE
    return payload if _SOURCE_RE.match(payload) else UNKNOWN_SOURCE


@dataclass(frozen=True)
class Lead:
    id: LeadId
    telegram_user_id: int
    chat_id: int
    username: str | None
    status: LeadStatus
    language: str
    source: str
    checklist_id: str
    checklist_version: int
    consent_version: str
    consent_at: datetime
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    phone: str | None = None
    score: int | None = None
    max_score: int | None = None
    verdict: Verdict | None = None
    reasons: tuple[Reason, ...] = ()
    follow_up_at: datetime | None = None
    unreachable_at: datetime | None = None
    staff_chat_id: int | None = None
    staff_thread_id: int | None = None
    staff_message_id: int | None = None
    staff_posted_at: datetime | None = None
    qualified_at: datetime | None = None
    manager_id: int | None = None
    route_code: str | None = None
    route_params: dict[str, str | int] = field(default_factory=dict)
    routed_at: datetime | None = None
    callback_note: str | None = None
    callback_requested_at: datetime | None = None
    card_stale_at: datetime | None = None
    answers: dict[str, Answer | None] = field(default_factory=dict)


@dataclass(frozen=True)
class LeadEvent:
    lead_id: LeadId
    at: datetime
    actor: str
    from_status: LeadStatus | None
    to_status: LeadStatus
    reason: str

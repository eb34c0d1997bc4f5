"""The rules of working a lead from its card: what the card offers in each state, what the
lead-manager should do next, how a call or a close is named, and when a next call may be set.

Pure: no Telegram, no database. The card, the use cases and the tests read the same rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.hours import WeeklySchedule
from bot.domain.leads import VERDICT_STATUS, InvalidTransition, LeadStatus, check_transition
from bot.domain.scoring import Verdict


class Move(StrEnum):
    """What a lead-manager may do from the card (values match the card's DeskAction)."""

    TAKE = "take"
    ASSIGN = "assign"
    OVERRIDE = "override"
    CALL = "call"
    NEXT_CALL = "next"
    CLOSE = "close"
    BOOK = "book"


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"


class CloseReason(StrEnum):
    BOUGHT_ELSEWHERE = "bought_elsewhere"
    UNREACHABLE = "unreachable"
    DUPLICATE = "duplicate"
    SPAM = "spam"
    NOT_INTERESTED = "not_interested"
    OTHER = "other"


CLOSE_REASONS: tuple[CloseReason, ...] = tuple(CloseReason)


class NextAction(StrEnum):
    """What the card says should happen next (locale: desk.next.<value>)."""

    TAKE = "take"
    CALL = "call"
    NEXT_STEP = "next_step"  # a call was logged: set a next call or close
    CALL_AT = "call_at"  # a next call is set
    VIEWING = "viewing"  # a viewing is booked: the sales manager has it
    NONE = "none"  # closed, or past the desk's part


class Refusal(StrEnum):
    """Why a press changes nothing (locale: desk.refused.<value>)."""

    CLOSED = "closed"
    NEXT_STEP_REQUIRED = "next_step_required"
    NOT_NOW = "not_now"
    TAKEN = "taken"


# Where the desk's work ends: the viewing and what follows belong to the sales manager.
BOOKABLE = frozenset({LeadStatus.TARGET, LeadStatus.NO_SHOW, LeadStatus.CANCELLED})
_CLOSABLE = frozenset(
    {
        LeadStatus.TARGET,
        LeadStatus.NURTURE,
        LeadStatus.REJECTED,
        LeadStatus.NO_SHOW,
        LeadStatus.CANCELLED,
        LeadStatus.ATTENDED,
    }
)
_WORKABLE = _CLOSABLE | {LeadStatus.BOOKED}


@dataclass(frozen=True)
class DeskLead:
    """The desk's row for a lead (`desk_leads`); an unworked lead has the defaults."""

    lead_id: int
    owner_id: int | None = None
    owner_name: str | None = None
    taken_at: datetime | None = None
    first_contact_at: datetime | None = None
    last_call_outcome: CallOutcome | None = None
    last_call_at: datetime | None = None
    next_call_at: datetime | None = None
    next_step_required: bool = False
    closed_reason: CloseReason | None = None
    closed_at: datetime | None = None
    override_verdict: Verdict | None = None
    override_reason: str | None = None
    override_by: int | None = None
    relay_open: bool = False
    last_client_message_at: datetime | None = None
    last_client_text: str | None = None
    last_staff_reply_at: datetime | None = None
    pending_input: str | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class AwaitedReason:
    """A staff member was asked why they override the verdict; their next message in the
    lead's topic is the reason. Kept in `desk_leads.pending_input`, so it survives a
    restart."""

    by: int
    verdict: Verdict

    def to_text(self) -> str:
        return json.dumps({"kind": _REASON_KIND, "by": self.by, "verdict": self.verdict.value})


_REASON_KIND = "override_reason"


def awaited_reason(pending_input: str | None) -> AwaitedReason | None:
    """What `pending_input` awaits, if it is an override reason (anything else: None)."""
    if pending_input is None:
        return None
    try:
        raw = json.loads(pending_input)
        if raw.get("kind") != _REASON_KIND:
            return None
        return AwaitedReason(by=int(raw["by"]), verdict=Verdict(raw["verdict"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def is_closed(status: LeadStatus, desk: DeskLead) -> bool:
    return desk.closed or status is LeadStatus.CLOSED


def offered(status: LeadStatus, desk: DeskLead) -> tuple[Move, ...]:
    """The card's buttons for a lead in `status` with this desk state, in display order."""
    if is_closed(status, desk) or status not in _WORKABLE:
        return ()
    if desk.next_step_required:
        # After a logged call the lead must not be left hanging.
        return (Move.NEXT_CALL, Move.CLOSE)
    moves: list[Move] = []
    if desk.owner_id is None:
        moves.append(Move.TAKE)
    moves.append(Move.ASSIGN)
    if desk.owner_id is not None:
        moves += [Move.CALL, Move.NEXT_CALL]
    if status in _CLOSABLE:
        moves.append(Move.CLOSE)
    moves.append(Move.OVERRIDE)
    if status in BOOKABLE:
        moves.append(Move.BOOK)
    return tuple(moves)


def refusal(status: LeadStatus, desk: DeskLead, move: Move) -> Refusal | None:
    """None if `move` may be made now; otherwise why not (an old button, a race)."""
    if move in offered(status, desk):
        return None
    if is_closed(status, desk):
        return Refusal.CLOSED
    if desk.next_step_required:
        return Refusal.NEXT_STEP_REQUIRED
    if move is Move.TAKE and desk.owner_id is not None:
        return Refusal.TAKEN
    return Refusal.NOT_NOW


def next_action(status: LeadStatus, desk: DeskLead) -> NextAction:
    if is_closed(status, desk) or status not in _WORKABLE:
        return NextAction.NONE
    if status is LeadStatus.BOOKED:
        return NextAction.VIEWING
    if desk.next_step_required:
        return NextAction.NEXT_STEP
    if desk.owner_id is None:
        return NextAction.TAKE
    if desk.next_call_at is not None:
        return NextAction.CALL_AT
    return NextAction.CALL


def effective_verdict(checklist_verdict: Verdict | None, desk: DeskLead) -> Verdict | None:
    return desk.override_verdict or checklist_verdict


def override_choices(checklist_verdict: Verdict | None, desk: DeskLead) -> tuple[Verdict, ...]:
    """The verdicts a lead-manager may put over the current one."""
    current = effective_verdict(checklist_verdict, desk)
    return tuple(verdict for verdict in Verdict if verdict is not current)


def status_after_override(status: LeadStatus, verdict: Verdict) -> LeadStatus | None:
    """The status the lead moves to with the new verdict; None where it stays (a booked or
    visited lead keeps its place in the funnel: only the verdict changes)."""
    wanted = VERDICT_STATUS[verdict]
    if wanted is status:
        return None
    try:
        check_transition(status, wanted)
    except InvalidTransition:
        return None
    return wanted


NEXT_CALL_DAYS = 7
NEXT_CALL_STEP = timedelta(minutes=30)


def next_call_times(
    day: date, now: datetime, schedule: WeeklySchedule, zone: ZoneInfo
) -> list[datetime]:
    """Half-hour marks within desk hours on `day` (in the team's zone), later than `now`."""
    times: list[datetime] = []
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    for interval in schedule.intervals_on(day):
        moment = midnight + timedelta(minutes=interval.start_minute)
        end = midnight + timedelta(minutes=interval.end_minute)
        while moment < end:
            if moment > now:
                times.append(moment)
            moment += NEXT_CALL_STEP
    return times


def next_call_days(now: datetime, schedule: WeeklySchedule, zone: ZoneInfo) -> list[date]:
    """The coming days (today included) that still have a desk-hours time to call."""
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=offset) for offset in range(NEXT_CALL_DAYS)]
    return [day for day in days if next_call_times(day, now, schedule, zone)]


def valid_next_call(at: datetime, now: datetime, schedule: WeeklySchedule, zone: ZoneInfo) -> bool:
    """A time from an old picker may have passed; only offered, future times are taken."""
    day = at.astimezone(zone).date()
    return at in next_call_times(day, now, schedule, zone)

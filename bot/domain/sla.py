"""Time limits on the desk's work: which event opens or meets which deadline, when a
deadline is breached, and when the breach climbs to the next rung of the ladder.

Pure rules, no I/O. Deadlines count desk hours only (bot/domain/working_time.py): a lead
that arrives at 18:55 on a Friday with 15 minutes to take it is due at 09:10 on Monday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.events import Event, EventType
from bot.domain.hours import WeeklySchedule
from bot.domain.leads import LeadStatus
from bot.domain.working_time import add_working

# The ladder: 1 = the owner nudged in the lead's topic, 2 = the head of sales told.
LAST_RUNG = 2


class DeadlineKind(StrEnum):
    TAKE = "take"  # a qualified lead is waiting for somebody to take it
    FIRST_CONTACT = "first_contact"  # the owner has not reached the client yet
    REPLY = "reply"  # a client's message is waiting for an answer
    NEXT_CALL = "next_call"  # the call the owner planned is overdue


# Kinds after which the client is told when to expect an answer (once per lead).
CLIENT_WAITS = frozenset({DeadlineKind.FIRST_CONTACT, DeadlineKind.REPLY})

# Statuses in which the desk has nothing more to do with the lead: the lead went to a
# sales manager (a booked viewing and what follows) or out of the funnel.
DESK_DONE = frozenset(
    {
        LeadStatus.REJECTED,
        LeadStatus.BOOKED,
        LeadStatus.ATTENDED,
        LeadStatus.NO_SHOW,
        LeadStatus.CANCELLED,
        LeadStatus.DEAL,
        LeadStatus.CLOSED,
    }
)
_TAKEN_VERDICTS = frozenset({"target", "nurture"})
_CLOSING = frozenset({EventType.DESK_CLOSED, EventType.ERASED})


@dataclass(frozen=True)
class SlaLimits:
    """Minutes of desk time for each limit (SLA_TAKE_MINUTES and the like)."""

    take: int = 15
    first_contact: int = 60
    reply: int = 30

    def minutes(self, kind: DeadlineKind) -> int:
        """The limit, and also the gap between two rungs of a breach of that kind. An overdue
        next call has no limit of its own: it climbs after the first-contact limit."""
        return {
            DeadlineKind.TAKE: self.take,
            DeadlineKind.FIRST_CONTACT: self.first_contact,
            DeadlineKind.REPLY: self.reply,
            DeadlineKind.NEXT_CALL: self.first_contact,
        }[kind]


@dataclass(frozen=True)
class Open:
    """Open a deadline of `kind`, unless one is open already. `due` None: the kind's limit
    after the event. `unless_met`: not if a deadline of this kind was ever met (a first
    contact made, a lead already taken)."""

    kind: DeadlineKind
    due: datetime | None = None
    unless_met: bool = False


@dataclass(frozen=True)
class Meet:
    kind: DeadlineKind


@dataclass(frozen=True)
class Reschedule:
    """Open a deadline due at `due`, replacing the open one of the kind (the next call moved)."""

    kind: DeadlineKind
    due: datetime


@dataclass(frozen=True)
class CloseAll:
    """The desk's work on the lead is over: every open deadline is cancelled."""


Change = Open | Meet | Reschedule | CloseAll


def changes_for(event: Event) -> tuple[Change, ...]:
    """What `event` does to the lead's deadlines, in order."""
    data = event.data
    if event.type in _CLOSING or _ends_desk_work(event):
        return (CloseAll(),)
    if event.type is EventType.QUALIFIED:
        if data.get("verdict") in _TAKEN_VERDICTS:
            return (Open(DeadlineKind.TAKE, unless_met=True),)
        return ()
    if event.type is EventType.DESK_OWNER_SET:
        return (Meet(DeadlineKind.TAKE), Open(DeadlineKind.FIRST_CONTACT, unless_met=True))
    if event.type is EventType.DESK_CALL_LOGGED:
        if data.get("outcome") == "reached":
            return (Meet(DeadlineKind.FIRST_CONTACT), Meet(DeadlineKind.NEXT_CALL))
        return (Meet(DeadlineKind.NEXT_CALL),)
    if event.type is EventType.DESK_STAFF_REPLIED:
        return (Meet(DeadlineKind.FIRST_CONTACT), Meet(DeadlineKind.REPLY))
    if event.type is EventType.DESK_CLIENT_MESSAGE:
        return (Open(DeadlineKind.REPLY),)
    if event.type is EventType.DESK_NEXT_CALL_SET:
        at = _time(data.get("at"))
        return () if at is None else (Reschedule(DeadlineKind.NEXT_CALL, at),)
    return ()


def _ends_desk_work(event: Event) -> bool:
    """A status change (of any event type that records one) into a status the desk is done
    with."""
    to = event.data.get("to")
    return isinstance(to, str) and to in DESK_DONE


def _time(value: object) -> datetime | None:
    """An aware time from event data ("2026-11-30T10:00:00Z"); None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def due_after(
    start: datetime, kind: DeadlineKind, limits: SlaLimits, schedule: WeeklySchedule, zone: ZoneInfo
) -> datetime:
    """When a deadline of `kind` opened at `start` is due: its limit in desk time."""
    return add_working(start, limits.minutes(kind), schedule, zone)


def first_rung_at(due: datetime, schedule: WeeklySchedule, zone: ZoneInfo) -> datetime:
    """When a breach is told: at the due time, or at the next opening when the deadline
    falls due out of hours (a next call planned for the evening; a limit ending at closing)."""
    return add_working(due, 0, schedule, zone)


def next_rung_at(
    breached: datetime,
    kind: DeadlineKind,
    limits: SlaLimits,
    schedule: WeeklySchedule,
    zone: ZoneInfo,
) -> datetime:
    """Rung 2 comes after the same time again, in desk time."""
    return add_working(breached, limits.minutes(kind), schedule, zone)


def answer_by(
    now: datetime, kind: DeadlineKind, limits: SlaLimits, schedule: WeeklySchedule, zone: ZoneInfo
) -> datetime:
    """What the client is promised: an answer within the kind's limit of desk time (from
    the next opening when the desk is closed now)."""
    return add_working(now, limits.minutes(kind), schedule, zone)


def overdue_by(now: datetime, due: datetime) -> timedelta:
    return max(timedelta(), now - due)

"""What happened to a lead: the event types every consumer (card, CRM, timers) reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.domain.viewings import Appointment, Site


class EventType(StrEnum):
    """Versioned with the catalogue in README; add types, never rename them."""

    CREATED = "lead.created"
    CONSENT_GIVEN = "lead.consent_given"
    QUALIFIED = "lead.qualified"
    STATUS_CHANGED = "lead.status_changed"
    MANAGER_ASSIGNED = "lead.manager_assigned"
    CALLBACK_REQUESTED = "lead.callback_requested"
    MESSAGE_QUEUED = "lead.message_queued"
    ERASED = "lead.erased"
    CRM_LINKED = "lead.crm_linked"  # the sales desk told us its id for the lead
    VIEWING_BOOKED = "viewing.booked"
    VIEWING_MOVED = "viewing.moved"
    VIEWING_CANCELLED = "viewing.cancelled"
    VIEWING_CONFIRMED = "viewing.confirmed"
    VIEWING_ATTENDED = "viewing.attended"
    VIEWING_NO_SHOW = "viewing.no_show"
    # The lead-managers' desk. Actor "staff:<telegram id>" for a person, "system" for timers.
    DESK_OWNER_SET = "desk.owner_set"  # owner, previous, how: take / assign / reassign
    DESK_VERDICT_OVERRIDDEN = "desk.verdict_overridden"  # from, to (reason text: see below)
    DESK_CALL_LOGGED = "desk.call_logged"  # outcome: reached / no_answer / wrong_number
    DESK_NEXT_CALL_SET = "desk.next_call_set"  # at
    DESK_CLOSED = "desk.closed"  # reason: a code from CLOSE_REASONS
    DESK_HUMAN_REQUESTED = "desk.human_requested"  # via: button / command / checklist
    DESK_CLIENT_MESSAGE = "desk.client_message"  # kind: text / photo / ...; never the text
    DESK_STAFF_REPLIED = "desk.staff_replied"  # kind
    DESK_NOTE_ADDED = "desk.note_added"
    DESK_SLA_BREACHED = "desk.sla_breached"  # kind: take / first_contact / reply / next_call
    DESK_SLA_ESCALATED = "desk.sla_escalated"  # kind, rung: 2 = the head of sales told
    DESK_KB_ANSWERED = "desk.kb_answered"  # entry: the knowledge-base answer's id
    # Deal support after the viewing (the deal file's stage and document ids).
    DEAL_STARTED = "deal.started"  # stage, timeline
    DEAL_STAGE_CHANGED = "deal.stage_changed"  # from, to (note: see below)
    DEAL_STAGE_OVERDUE = "deal.stage_overdue"  # stage, rung: 1 = owner told, 2 = head of sales
    DEAL_DOCUMENT_RECEIVED = "deal.document_received"  # document_id, stage, document
    DEAL_DOCUMENT_ACCEPTED = "deal.document_accepted"  # document_id, stage, document
    DEAL_DOCUMENT_REJECTED = "deal.document_rejected"  # document_id, stage, document, reason
    PAYMENT_SCHEDULED = "payment.scheduled"  # payments: [{payment_id, due_on, amount, ...}]
    PAYMENT_REMINDED = "payment.reminded"  # payment_id, due_on, days_before
    PAYMENT_CLAIMED = "payment.claimed"  # payment_id: the client pressed "I've paid"
    PAYMENT_CONFIRMED = "payment.confirmed"  # payment_id
    PAYMENT_NOT_RECEIVED = "payment.not_received"  # payment_id
    PAYMENT_OVERDUE = "payment.overdue"  # payment_id, due_on, rung: 1 receivables, 2 head
    # Privacy and nurture.
    CONSENT_WITHDRAWN = "lead.consent_withdrawn"  # purpose, version
    DATA_EXPORTED = "lead.data_exported"  # /mydata: what the person was given
    NURTURE_FOLLOWED_UP = "nurture.followed_up"  # questions: the ids asked again
    NURTURE_STOPPED = "nurture.stopped"  # via: command / button / consent / setting


# Keys of event data that may hold free text a person typed. They are blanked when the
# lead is erased; every other key holds facts only.
FREE_TEXT_KEYS = ("reason_text", "note")


@dataclass(frozen=True)
class Event:
    id: int
    lead_id: int
    type: EventType
    at: datetime
    actor: str
    # Facts of the change: "from"/"to" statuses, "reason", ids and times; no personal data.
    data: Mapping[str, Any]

    @property
    def webhook_id(self) -> str:
        """Stable across retries and restarts, the receiver's idempotency key."""
        return f"evt_{self.id}"


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with a "Z", as every time in the event catalogue is written."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def viewing_facts(appointment: Appointment, site: Site) -> dict[str, Any]:
    """What a viewing event records: which viewing, when and where (no personal data)."""
    return {
        "viewing_id": appointment.id,
        "starts_at": utc_text(appointment.start),
        "ends_at": utc_text(appointment.end),
        "site": site.code,
        "manager_id": appointment.manager_id,
    }

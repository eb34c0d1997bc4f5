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

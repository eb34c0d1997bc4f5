"""Privacy rules as pure functions: retention, destruction records, what an export shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.events import FREE_TEXT_KEYS, Event, utc_text
from bot.domain.leads import LeadStatus

# Roskomnadzor order No. 179: the destruction act and the log export are kept 3 years.
RECORD_YEARS = 3
SYSTEM = "leadsieve"
# Kept out of the destruction record's log: what people typed, and names of anyone.
_UNSAFE_KEYS = frozenset({*FREE_TEXT_KEYS, "comment", "owner_name"})


class Reason(StrEnum):
    """Why a lead's data were destroyed."""

    REQUEST = "request"  # the person asked (/forget, or an administrator on their request)
    WITHDRAWAL = "withdrawal"  # the processing consent was withdrawn (/privacy)
    RETENTION = "retention"  # kept as long as the purpose allowed


def keep_until(destroyed_at: datetime) -> datetime:
    """The same day three years on (28 February for a 29 February)."""
    try:
        return destroyed_at.replace(year=destroyed_at.year + RECORD_YEARS)
    except ValueError:
        return destroyed_at.replace(year=destroyed_at.year + RECORD_YEARS, day=28)


def retention_due(
    status: str,
    last_activity: datetime,
    now: datetime,
    *,
    rejected_days: int,
    nurture_days: int,
) -> bool:
    """Rejected leads silent for `rejected_days`, nurture ones for `nurture_days`."""
    if status == LeadStatus.REJECTED:
        return now - last_activity >= timedelta(days=rejected_days)
    if status == LeadStatus.NURTURE:
        return now - last_activity >= timedelta(days=nurture_days)
    return False


def _anonymous_actor(actor: str) -> str:
    return "staff" if actor.startswith("staff:") else actor


def log_export(events: Iterable[Event]) -> list[dict[str, Any]]:
    """The lead's event log for the destruction record, with nothing personal in it."""
    return [
        {
            "type": event.type.value,
            "at": utc_text(event.at),
            "actor": event.actor,
            "data": {k: v for k, v in event.data.items() if k not in _UNSAFE_KEYS},
        }
        for event in events
    ]


def person_events(events: Iterable[Event]) -> list[dict[str, Any]]:
    """The lead's events as the person sees them in /mydata: staff are "staff", no ids."""
    return [
        {
            "type": event.type.value,
            "at": utc_text(event.at),
            "by": _anonymous_actor(event.actor),
            "data": _without_staff(event.data),
        }
        for event in events
    ]


def _without_staff(data: Mapping[str, Any]) -> dict[str, Any]:
    # Other people's data stay out of the export (152-FZ art. 14 p. 2): staff ids and names.
    hidden = {"owner", "previous", "owner_name", "manager_id", "staff_chat_id", "staff_thread_id"}
    return {key: value for key, value in data.items() if key not in hidden}

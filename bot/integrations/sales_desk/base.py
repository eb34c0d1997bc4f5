"""What every sales-desk client takes and returns.

A client makes one delivery attempt and says how it went; the outbox (bot/services/
sales_desk.py) owns retries, ordering, back-off and dead letters. Clients never raise
for the CRM's answers or for network failures: everything comes back as a result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Protocol


class Outcome(StrEnum):
    DELIVERED = "delivered"  # the CRM took it (2xx and, where the API says so, no error body)
    # The CRM as a whole is unavailable: network error, timeout, 5xx, 408, 429 or a
    # rate-limit answer. The outbox pauses the endpoint (honouring `retry_after`) and
    # does not count the attempt against this event.
    UNAVAILABLE = "unavailable"
    # The CRM refused this event (a 4xx other than the above, a validation error): this
    # event is retried on the Standard Webhooks schedule, then dead-lettered.
    REFUSED = "refused"
    DISABLED = "disabled"  # 410 Gone: the endpoint asks not to be called again


@dataclass(frozen=True)
class OutboundEvent:
    """One event as the outbox hands it to a client.

    `data` is the JSON-ready payload (see README, "Event catalogue"): the lead's
    snapshot (`lead_id`, `verdict`, `reasons`, `answers`, `phone`, `name`, `telegram`,
    `source`, `language`, `manager`, `viewing`, `crm_id`, ...) plus `change` (what this
    event changed). For `lead.erased` it is only `{"lead_id": …, "crm_id": …, "change": …}`.
    """

    webhook_id: str  # stable across retries: "evt_<event id>" (no dots)
    type: str  # e.g. "lead.qualified", "viewing.booked"
    occurred_at: datetime  # when the change happened (aware, UTC)
    lead_id: int
    data: Mapping[str, Any]
    crm_id: str | None  # the lead's id in the CRM, once a client learnt it
    # Text for CRM users, already in the staff language: a one-line summary of the
    # change ("Viewing booked: 24.11 11:00 …") and the answers as "label: value" lines.
    summary: str = ""
    details: str = ""


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    status: int | None = None  # the HTTP status of the last request, if one was answered
    error: str = ""  # short, safe to log and to show staff (no secrets, no personal data)
    retry_after: float | None = None  # seconds, from Retry-After or the CRM's body
    crm_id: str | None = None  # the CRM's id for the lead, when this attempt learnt it
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SalesDeskTarget:
    url: str  # generic: the endpoint; bitrix24: the inbound webhook base; amocrm: account URL
    secret: str  # generic: "whsec_…"; bitrix24: unused (the code is in the URL); amocrm: token
    # Verdict ("target", "nurture", "reject") → the CRM's status for a new lead
    # (bitrix24 STATUS_ID such as "NEW"; amocrm a numeric status_id as a string).
    status_map: Mapping[str, str] = field(default_factory=dict)


class SalesDeskClient(Protocol):
    """One attempt per call. Signatures use the wall clock (`time.time()`), not the bot's
    injectable clock: the receiver checks them against its own real time."""

    async def deliver(self, event: OutboundEvent) -> Result: ...

    async def aclose(self) -> None: ...


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date, RFC 9110);
    None when absent or unusable. `now` is the wall clock (unix seconds)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]+", value):  # delay-seconds is 1*DIGIT, ASCII only
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # "-0000": UTC with an unknown local zone
    return max(0.0, when.timestamp() - now)

"""The API's request and response bodies, as pydantic models.

They are both the validators and the only source of the OpenAPI schemas (openapi.py), so
the published document cannot drift from what the code accepts. Requests are strict
(JSON types only, no coercion of numbers into dates) and closed (unknown fields are
refused), so a typo in a CRM's integration fails loudly instead of being ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

MAX_BODY_BYTES = 64 * 1024
MAX_LEAD_ID = 2**63 - 1  # SQLite's INTEGER
MAX_SCHEDULE_AHEAD = timedelta(days=365)
# The validation context key holding the clock's "now" (aware), for send_at's upper bound.
NOW = "now"
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"  # 1..255 visible ASCII characters

LeadIdParam = Annotated[int, Field(ge=1, le=MAX_LEAD_ID, description="The lead's id.")]
IdempotencyKey = Annotated[
    str,
    StringConstraints(pattern=IDEMPOTENCY_KEY_PATTERN),
    Field(description="Repeat a POST safely: the first answer is replayed for 24 hours."),
]

_REQUEST = ConfigDict(strict=True, extra="forbid", frozen=True)


class StatusChange(BaseModel):
    """Move a lead to another status (its state machine decides what is allowed)."""

    model_config = _REQUEST

    status: str = Field(
        min_length=1,
        max_length=32,
        description="One of: new, qualifying, target, nurture, rejected, booked, attended, "
        "no_show, cancelled, deal, closed.",
    )
    comment: str = Field(default="", max_length=1000, description="Shown in the lead's history.")


class NewMessage(BaseModel):
    """A message to the prospect in Telegram, now or at `send_at` (moved out of quiet hours)."""

    model_config = _REQUEST

    text: str = Field(min_length=1, max_length=4096, description="Plain text, not only spaces.")
    send_at: AwareDatetime | None = Field(
        default=None,
        description="ISO 8601 with a time zone, at most 365 days ahead; omitted or past: now.",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be only whitespace")
        return value

    @field_validator("send_at")
    @classmethod
    def _not_too_far(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        context = info.context if isinstance(info.context, dict) else {}
        now = context.get(NOW)
        if value is not None and isinstance(now, datetime) and value > now + MAX_SCHEDULE_AHEAD:
            raise ValueError(f"must not be more than {MAX_SCHEDULE_AHEAD.days} days ahead")
        return value


class LeadSnapshot(RootModel[dict[str, Any]]):
    """The lead as the use case describes it (the same fields as the outbound events)."""


class StatusChanged(BaseModel):
    lead_id: int
    status: str = Field(description="The lead's status after the move.")
    lead: dict[str, Any] | None = Field(description="The lead snapshot after the move.")


class MessageQueued(BaseModel):
    message_id: int
    send_at: datetime | None = Field(description="When it goes out (UTC), after quiet hours.")


class FieldError(BaseModel):
    field: str = Field(description='A dotted path into the body, or "body" for the whole.')
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; `errors` only on 422."""

    type: str = Field(description='"about:blank" or a stable URI to branch on.')
    title: str
    status: int
    detail: str = Field(description="What went wrong with this request, for a person.")
    errors: list[FieldError] | None = None

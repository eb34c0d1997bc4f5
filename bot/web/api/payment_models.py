"""The bodies of the payment schedule endpoints (GET/PUT /leads/{id}/payments)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.domain.payments import MAX_LABEL, MAX_PAYMENTS, parse_amount_text

_REQUEST = ConfigDict(strict=True, extra="forbid", frozen=True)
Amount = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,16}(\.[0-9]{1,2})?$"),
    Field(description='In the currency\'s units as a string, e.g. "1200000.00" (no floats).'),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class PaymentIn(BaseModel):
    model_config = _REQUEST

    due_on: date = Field(description="The client's local date, YYYY-MM-DD; not in the past.")
    amount: Amount
    currency: Currency = "RUB"
    label: str | None = Field(default=None, max_length=MAX_LABEL)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: str) -> str:
        if not parse_amount_text(value):
            raise ValueError("must be more than zero")
        return value


class ScheduleIn(BaseModel):
    """The whole unpaid schedule: it replaces the unpaid payments; paid ones stay. An empty
    list clears the unpaid payments."""

    model_config = _REQUEST

    payments: list[PaymentIn] = Field(max_length=MAX_PAYMENTS)


class PaymentOut(BaseModel):
    payment_id: int
    due_on: date
    amount: str = Field(description='e.g. "1200000.00"')
    currency: str
    label: str | None
    status: str = Field(description="due, claimed (the client says paid) or paid.")


class ScheduleOut(BaseModel):
    lead_id: int
    payments: list[PaymentOut]

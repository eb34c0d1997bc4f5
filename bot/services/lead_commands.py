"""What the sales desk (and staff) can ask of a lead: the results the use cases return.

Plain data in, plain data out, so the inbound HTTP API, handlers and jobs share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class StatusOutcome(StrEnum):
    MOVED = "moved"
    NOT_FOUND = "not_found"
    UNKNOWN_STATUS = "unknown_status"  # not a status leadsieve knows
    NOT_ALLOWED = "not_allowed"  # the lead's state machine does not allow this move


@dataclass(frozen=True)
class StatusResult:
    outcome: StatusOutcome
    current: str | None = None  # the lead's status after the call (None when not found)
    allowed: tuple[str, ...] = ()  # where the lead may go from `current`
    lead: Mapping[str, Any] | None = None  # the lead snapshot after a move


class MessageOutcome(StrEnum):
    QUEUED = "queued"  # stored; sent now or at `send_at` (moved out of quiet hours)
    NOT_FOUND = "not_found"
    ERASED = "erased"  # the lead asked to be forgotten: nothing can be sent


@dataclass(frozen=True)
class MessageResult:
    outcome: MessageOutcome
    message_id: int | None = None  # the stored message's id
    send_at: datetime | None = None  # when it goes out (UTC), after quiet hours
    details: Mapping[str, Any] = field(default_factory=dict)


class LeadCommands(Protocol):
    async def lead_snapshot(self, lead_id: int) -> Mapping[str, Any] | None: ...

    async def change_status(
        self, lead_id: int, status: str, comment: str, *, actor: str
    ) -> StatusResult: ...

    async def send_message(
        self, lead_id: int, text: str, send_at: datetime | None, *, actor: str
    ) -> MessageResult: ...

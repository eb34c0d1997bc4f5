"""What payments and documents need to know about a lead's deal, without the deal file.

`bot/services/deal.py` answers these from the deal timeline file and the `deals` row;
payments and document intake depend only on this protocol.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.documents import DocumentRequest
from bot.storage.db import Connection


class DealPort(Protocol):
    async def active_stage(self, tx: Connection, lead_id: int) -> str | None:
        """The current stage of the lead's open deal, or None without an open deal."""

    async def documents_wanted(self, tx: Connection, lead_id: int) -> list[DocumentRequest]:
        """The current stage's documents whose conditions hold for this deal, in file order."""

    async def payments_open(self, tx: Connection, lead_id: int) -> bool:
        """Whether the deal file's rules allow asking this client for payments now
        (e.g. no escrow payment request before the contract is registered)."""

    def people(self, role: str) -> tuple[int, ...]:
        """Telegram ids of the people holding a role (`receivables`, `deal_support`, ...)."""

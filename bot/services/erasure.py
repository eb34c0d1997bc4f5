"""Erasure: one path for /forget, a withdrawn processing consent, an administrator acting on
the person's request, and retention.

In one transaction: the anonymous funnel row, the destruction record (Roskomnadzor order
No. 179), the lead and everything that cascades from it, the consent rows, cached API answers
and CRM errors that could quote the person, and `lead.erased` (the staff desk deletes the
lead's topic, the CRM is told). After it: the conversation state and stored files.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.clock import Clock
from bot.domain import privacy as rules
from bot.domain.leads import Lead, LeadId
from bot.services.booking import Booking
from bot.storage import consents, leads
from bot.storage import events as event_log
from bot.storage import privacy as store
from bot.storage.db import Connection, Database

logger = logging.getLogger(__name__)

# Document intake's `remove_lead_files(documents_dir, lead_id)`, bound to the directory.
RemoveFiles = Callable[[int], None]


class Conversations(Protocol):
    """Where conversation state lives (the database, or Redis with REDIS_URL)."""

    async def forget_person(self, chat_id: int, user_id: int) -> None: ...


@dataclass(frozen=True)
class Request:
    """Who asked for the erasure, who carried it out, and why."""

    requested_by: str  # "prospect", "staff:<id>" (on the person's request) or "system"
    reason: rules.Reason
    destroyed_by: str = "system"


class Erasure:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        booking: Booking,
        *,
        fsm: Conversations | None = None,
        remove_files: RemoveFiles | None = None,
        on_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._booking = booking
        self._fsm = fsm
        self.remove_files = remove_files
        self._on_change = on_change

    async def erase_lead(self, lead_id: LeadId, request: Request) -> bool:
        """Erases the lead; False if it was gone already (two presses, a retry)."""
        async with self._db.read() as conn:
            lead = await leads.get(conn, lead_id)
        if lead is None:
            return False
        # Their manager's calendar must drop the viewing before the data go; the funnel row
        # keeps the status the lead had before that cancellation.
        await self._booking.cancel_for_erasure(lead.id)
        async with self._db.transaction() as tx:
            if await leads.get(tx, lead.id) is None:
                return False
            await self._destroy(tx, lead, request)
        await self._after(lead.telegram_user_id, lead.chat_id, lead.id)
        logger.info("lead %s erased (%s)", lead.id, request.reason.value)
        return True

    async def erase_person(self, user_id: int, request: Request) -> bool:
        """/forget: the person's lead if any, else the consents they gave without one."""
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, user_id)
        if lead is not None:
            return await self.erase_lead(lead.id, request)
        async with self._db.transaction() as tx:
            await store.delete_consents(tx, user_id, 0)
        await self._after(user_id, user_id, None)
        return False

    async def _destroy(self, tx: Connection, lead: Lead, request: Request) -> None:
        now = self._clock.now()
        found = await store.categories(tx, lead.id)
        held = ["lead", "telegram_account", *(["phone"] if lead.phone else [])]
        held += ["name"] if lead.name else []
        held += ["consents"] if await consents.for_person(tx, lead.telegram_user_id) else []
        await store.record_anonymous(tx, lead, reason=request.reason.value, at=now)
        log = rules.log_export(await event_log.for_lead(tx, lead.id))
        await store.record_destruction(
            tx,
            lead_id=lead.id,
            at=now,
            requested_by=request.requested_by,
            destroyed_by=request.destroyed_by,
            reason=request.reason.value,
            categories=[*held, *found],
            system=rules.SYSTEM,
            event_log=log,
            keep_until=rules.keep_until(now),
        )
        await store.delete_consents(tx, lead.telegram_user_id, lead.id)
        await store.scrub_deliveries(tx, lead.id)
        needles = [value for value in (lead.phone, lead.name) if value and len(value) >= 3]
        await store.forget_answer_cache(tx, needles)
        actor = request.destroyed_by if request.destroyed_by != "system" else request.requested_by
        await leads.erase(tx, lead, at=now, actor=actor)

    async def _after(self, user_id: int, chat_id: int, lead_id: int | None) -> None:
        if self._fsm is not None:
            await self._fsm.forget_person(chat_id, user_id)
        if lead_id is not None and self.remove_files is not None:
            self.remove_files(lead_id)
        if lead_id is not None and self._on_change is not None:
            await self._on_change()

"""The consent documents a prospect accepts before the checklist, one message each.

Processing is always asked; the transfer to the CRM too when a sales desk is configured.
Nothing is stored until every required document is accepted: the ledger rows are written
with the lead, in its transaction (`open_lead`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.checklist import Checklist
from bot.domain.consent import Purpose
from bot.domain.leads import Lead, LeadStatus
from bot.i18n import Translator
from bot.services.qualification import move
from bot.storage import consents, leads
from bot.storage.db import Connection
from bot.views import Screen
from bot.views.consent import Operator, consent_document, processing_screen, transfer_screen

# Which consent documents were accepted in this chat, with the message each was shown in.
Given = Mapping[Purpose, int | None]


@dataclass(frozen=True)
class Newcomer:
    """The person who has just accepted every required document."""

    user_id: int
    chat_id: int
    username: str | None


class ConsentSteps:
    def __init__(self, operator: Operator, *, crm_transfer: bool) -> None:
        self._operator = operator
        self._crm_transfer = crm_transfer

    @property
    def operator(self) -> Operator:
        return self._operator

    def first(self, t: Translator) -> Screen:
        return processing_screen(t, self._operator)

    def next_document(self, t: Translator, given: Given) -> Screen | None:
        """The next required document not yet accepted; None once all are."""
        if self._crm_transfer and Purpose.CRM_TRANSFER not in given:
            return transfer_screen(t, self._operator, given.get(Purpose.PROCESSING) or 0)
        return None

    def document(self, t: Translator, purpose: Purpose) -> str:
        return consent_document(t, purpose, self._operator)

    async def open_lead(
        self,
        tx: Connection,
        person: Newcomer,
        *,
        source: str,
        checklist: Checklist,
        t: Translator,
        given: Given,
        at: datetime,
    ) -> Lead:
        """Every required document accepted: the lead, its consents in the ledger, and the
        checklist started, in the caller's transaction."""
        lead_id = await leads.create(
            tx,
            telegram_user_id=person.user_id,
            chat_id=person.chat_id,
            username=person.username,
            language=t.language,
            source=source,
            checklist_id=checklist.id,
            checklist_version=checklist.version,
            consent_version=self._operator.version,
            at=at,
        )
        await self._record(tx, user_id=person.user_id, lead_id=lead_id, t=t, given=given, at=at)
        created = await leads.get(tx, lead_id)
        assert created is not None
        await move(tx, created, LeadStatus.QUALIFYING, at, "prospect", "checklist started")
        lead = await leads.get(tx, lead_id)
        assert lead is not None
        return lead

    async def _record(
        self,
        tx: Connection,
        *,
        user_id: int,
        lead_id: int,
        t: Translator,
        given: Given,
        at: datetime,
    ) -> None:
        """The ledger rows of the documents accepted, tied to the new lead.

        `lead.consent_given` for processing is the lead's creation event already, so that
        row is linked without another event; each further document gets its own event.
        """
        for purpose, message_id in given.items():
            await consents.give(
                tx,
                user_id=user_id,
                lead_id=None if purpose is Purpose.PROCESSING else lead_id,
                purpose=purpose,
                version=self._operator.version,
                text=self.document(t, purpose),
                language=t.language,
                message_id=message_id or None,
                at=at,
            )
        await consents.link_lead(tx, user_id, lead_id)

"""The person's privacy rights in the chat (/privacy, /mydata, /forget), the administrator's
erasure from a lead's card, and retention. Handlers and jobs call these with plain data."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.domain import privacy as rules
from bot.domain.checklist import Checklist
from bot.domain.consent import Purpose
from bot.domain.events import EventType
from bot.domain.leads import LeadId, LeadStatus
from bot.i18n import Translations, Translator
from bot.services import data_export
from bot.services.booking import Booking
from bot.services.erasure import Conversations, Erasure, RemoveFiles, Request
from bot.services.event_pipe import EventPipe
from bot.services.replies import Document, Keyboard, Memory, Replace, Send, Toast, Turn
from bot.services.standing import Prospect
from bot.storage import consents, leads
from bot.storage import events as event_log
from bot.storage import privacy as store
from bot.storage.db import Database
from bot.views import Screen
from bot.views.privacy import confirm_forget_screen, overview_screen, purpose_name

logger = logging.getLogger(__name__)

# Document intake's hook: stop it for the lead (its documents consent went).
DocumentsWithdrawn = Callable[[int], Awaitable[object]]


@dataclass(frozen=True)
class PrivacyConfig:
    zone: ZoneInfo
    operator: str  # COMPANY_NAME and OPERATOR_DETAILS, as the export names the operator
    admin_ids: frozenset[int]
    rejected_days: int
    nurture_days: int


class PrivacyDesk:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        translations: Translations,
        checklist: Checklist,
        erasure: Erasure,
        config: PrivacyConfig,
        *,
        documents_withdrawn: DocumentsWithdrawn | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._translations = translations
        self._checklist = checklist
        self.erasure = erasure
        self._config = config
        self.documents_withdrawn = documents_withdrawn

    # --- the person ---------------------------------------------------------------------

    async def overview(self, prospect: Prospect, memory: Memory) -> Turn:
        t = await self._t(prospect, memory)
        screen = await self._overview(prospect.user_id, t)
        return Turn(memory, (Send(prospect.chat_id, screen),))

    async def withdraw(self, prospect: Prospect, purpose_value: str, memory: Memory) -> Turn:
        """A Withdraw button; processing asks first, since it erases everything."""
        t = await self._t(prospect, memory)
        try:
            purpose = Purpose(purpose_value)
        except ValueError:
            return Turn(memory, (Toast(t("privacy.kept")),))  # junk or an unknown purpose
        if purpose is Purpose.PROCESSING:
            return Turn(memory, (Toast(), Send(prospect.chat_id, confirm_forget_screen(t))))
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get_by_user(tx, prospect.user_id)
            lead_id = None if lead is None else lead.id
            withdrawn = await consents.withdraw(
                tx,
                user_id=prospect.user_id,
                lead_id=lead_id,
                purpose=purpose,
                by="prospect",
                at=now,
            )
            if withdrawn is not None and lead_id is not None and purpose is Purpose.CRM_TRANSFER:
                # Queued pushes carry the lead's data: they stay here (the erasure still goes).
                await store.drop_pending_deliveries(tx, lead_id, EventType.ERASED.value)
        if withdrawn is None:
            toast = t("privacy.not_live")
        else:
            toast = t("privacy.withdrawn_done", purpose=purpose_name(t, purpose))
            logger.info("consent %s withdrawn (lead %s)", purpose.value, lead_id)
            if purpose is Purpose.DOCUMENTS and lead_id is not None and self.documents_withdrawn:
                await self.documents_withdrawn(lead_id)
        screen = await self._overview(prospect.user_id, t)
        return Turn(memory, (Toast(toast), Replace(screen)))

    async def keep(self, prospect: Prospect, memory: Memory) -> Turn:
        t = await self._t(prospect, memory)
        return Turn(
            memory, (Toast(), Keyboard(None), Send(prospect.chat_id, Screen(t("privacy.kept"))))
        )

    async def forget(self, prospect: Prospect, memory: Memory, *, pressed: bool) -> Turn:
        """/forget, or the confirmed withdrawal of the processing consent: erases at once."""
        t = await self._t(prospect, memory)
        reason = rules.Reason.WITHDRAWAL if pressed else rules.Reason.REQUEST
        await self.erasure.erase_person(prospect.user_id, Request("prospect", reason))
        replies = (Toast(), Keyboard(None)) if pressed else ()
        return Turn(Memory(), (*replies, Send(prospect.chat_id, Screen(t("forget.done")))))

    async def export(self, prospect: Prospect, memory: Memory) -> Turn:
        """/mydata: the file at once; `lead.data_exported` when there is a lead."""
        t = await self._t(prospect, memory)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            document = await data_export.collect(
                tx, prospect.user_id, self._checklist, operator=self._config.operator, at=now
            )
            lead = await leads.get_by_user(tx, prospect.user_id)
            if lead is not None:
                data = {"format": "json"}
                await event_log.append(
                    tx, lead.id, EventType.DATA_EXPORTED, at=now, actor="prospect", data=data
                )
        if document is None:
            return Turn(memory, (Send(prospect.chat_id, Screen(t("mydata.nothing"))),))
        caption = t("mydata.caption", when=now.strftime("%d.%m.%Y %H:%M"))
        file = Document(prospect.chat_id, "my-data.json", data_export.encode(document), caption)
        return Turn(memory, (file,))

    # --- staff and jobs -----------------------------------------------------------------

    def may_erase(self, user_id: int) -> bool:
        return user_id in self._config.admin_ids

    async def admin_erase(self, lead_id: int, staff_id: int) -> bool:
        """An administrator erases a lead on the person's request; False if already gone."""
        request = Request("prospect", rules.Reason.REQUEST, destroyed_by=f"staff:{staff_id}")
        return await self.erasure.erase_lead(LeadId(lead_id), request)

    async def run_retention(self) -> int:
        """Purges rejected and nurture leads silent past their terms, and destruction
        records past 3 years; returns how many leads were erased."""
        now = self._clock.now()
        statuses = (LeadStatus.REJECTED.value, LeadStatus.NURTURE.value)
        async with self._db.read() as conn:
            candidates = await store.retention_rows(conn, statuses)
        erased = 0
        for lead_id, status, last_activity in candidates:
            due = rules.retention_due(
                status,
                last_activity,
                now,
                rejected_days=self._config.rejected_days,
                nurture_days=self._config.nurture_days,
            )
            if due and await self.erasure.erase_lead(
                lead_id, Request("system", rules.Reason.RETENTION)
            ):
                erased += 1
        async with self._db.transaction() as tx:
            purged = await store.purge_records(tx, now)
        if erased or purged:
            logger.info("retention: %s leads erased, %s destruction records purged", erased, purged)
        return erased

    # --- helpers ------------------------------------------------------------------------

    async def _overview(self, user_id: int, t: Translator) -> Screen:
        async with self._db.read() as conn:
            given = await consents.for_person(conn, user_id)
        return overview_screen(t, given, self._config.zone)

    async def _t(self, prospect: Prospect, memory: Memory) -> Translator:
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, prospect.user_id)
        if lead is not None:
            return self._translations.get(lead.language)
        if memory.language is not None:
            return self._translations.get(memory.language)
        return self._translations.get(self._translations.pick_language(prospect.language_code))


def build_privacy(
    settings: Settings,
    db: Database,
    clock: Clock,
    translations: Translations,
    checklist: Checklist,
    booking: Booking,
    fsm: Conversations,
    pipe: EventPipe,
    *,
    remove_files: RemoveFiles | None = None,
    documents_withdrawn: DocumentsWithdrawn | None = None,
) -> PrivacyDesk:
    """The wiring: `remove_files` and `documents_withdrawn` are document intake's hooks."""
    erasure = Erasure(db, clock, booking, fsm=fsm, remove_files=remove_files, on_change=pipe.drain)
    operator = settings.company_name
    if settings.operator_details:
        operator = f"{operator}, {settings.operator_details}"
    config = PrivacyConfig(
        zone=settings.zone,
        operator=operator,
        admin_ids=frozenset(settings.admin_ids),
        rejected_days=settings.retention_rejected_days,
        nurture_days=settings.retention_nurture_days,
    )
    return PrivacyDesk(
        db,
        clock,
        translations,
        checklist,
        erasure,
        config,
        documents_withdrawn=documents_withdrawn,
    )

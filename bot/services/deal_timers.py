"""The deal's side effects that must not be lost, carried out from the database:

- the pinned deal summary in the lead's topic: every move marks it due in the move's
  transaction; `sync_summaries` posts and pins it once, edits it after, and posts it again
  if someone deleted it. Run as an event consumer (at once) and by a job (retries).
- an overdue stage: past `stage_due_at` the stage's owners are told (in the lead's topic,
  mentioning them, and in private), after the stage's time again the head of sales (the
  staff group if none). Each rung moves with a compare-and-set, writing its event and its
  notices in one transaction; notices are claimed by one sender and sent once. A move
  ends the ladder: notices of a stage the deal has left are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from aiogram.methods import PinChatMessage

from bot.clock import Clock
from bot.domain import deal as rules
from bot.domain.deal import Deal, DealFile
from bot.domain.events import Event, EventType, utc_text
from bot.domain.leads import Lead, LeadId
from bot.i18n import Translator
from bot.services.notifier import Delivery, Notifier, ThreadNotFound
from bot.storage import deals, desk, events, leads
from bot.storage.db import Connection, Database
from bot.storage.deals import DealNotice
from bot.views.deal import overdue_text, summary_text

logger = logging.getLogger(__name__)

BATCH = 50
CLAIM_FOR = timedelta(minutes=5)  # a sender that died lets go of its notice after this
MAX_ATTEMPTS = 10
RETRY_AFTER = timedelta(minutes=1)
_UNREACHABLE = frozenset({"blocked", "refused", None})
_DOCUMENT_EVENTS = frozenset(
    {
        EventType.DEAL_DOCUMENT_RECEIVED,
        EventType.DEAL_DOCUMENT_ACCEPTED,
        EventType.DEAL_DOCUMENT_REJECTED,
    }
)


class StaffChat(Protocol):
    @property
    def chat_id(self) -> int | None: ...


@dataclass(frozen=True)
class DealTimersConfig:
    zone: ZoneInfo
    head_of_sales_ids: tuple[int, ...] = ()


class DealTimers:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        deal_file: DealFile,
        staff_t: Translator,
        staff_chat: StaffChat,
        clock: Clock,
        config: DealTimersConfig,
        *,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._file = deal_file
        self._t = staff_t
        self._staff_chat = staff_chat
        self._clock = clock
        self._config = config
        self._on_change = on_change  # the card and the CRM hear of an overdue stage
        # The consumer, the job and a use case may all sync at once: one at a time, so a
        # summary is never posted twice.
        self._summaries = asyncio.Lock()

    async def handle_events(self, batch: Sequence[Event]) -> None:
        """The summary consumer: a batch with a deal change brings the summaries up to date;
        a document received, accepted or rejected is ticked on its lead's summary."""
        documents = {e.lead_id for e in batch if e.type in _DOCUMENT_EVENTS}
        if documents:
            async with self._db.transaction() as tx:
                for lead_id in documents:
                    await deals.summary_again(tx, lead_id, self._clock.now())
        if any(event.type.startswith("deal.") for event in batch):
            await self.sync_summaries()

    async def run_due(self) -> None:
        """The job: overdue rungs, the notices they owe, and summaries left to retry."""
        if await self.climb_due():
            await self._on_change()
        await self.send_due()
        await self.sync_summaries()

    # --- the pinned summary ---------------------------------------------------------------

    async def sync_summaries(self) -> int:
        """Posts or edits every summary that is due; returns how many now show their deal."""
        async with self._summaries:
            return await self._sync_summaries()

    async def _sync_summaries(self) -> int:
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await deals.summaries_due(conn, now, BATCH)
        shown = 0
        for deal in due:
            done = await self._sync_summary(deal)
            async with self._db.transaction() as tx:
                if done:
                    await deals.summary_shown(tx, deal)
                else:
                    await deals.summary_retry(tx, deal, now + RETRY_AFTER)
            shown += int(done)
        return shown

    async def _sync_summary(self, deal: Deal) -> bool:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(deal.lead_id))
            states = await deals.document_states(conn, deal.lead_id, deal.stage)
            names = {person.telegram_id: person.name for person in await desk.roster(conn)}
        chat_id = self._staff_chat.chat_id
        if lead is None:
            return True  # erased: nothing to show
        if chat_id is None or lead.staff_chat_id != chat_id or lead.staff_thread_id is None:
            return False  # no topic yet: the card job makes one
        text = summary_text(self._file, deal, states, names, self._t, self._config.zone)
        if deal.summary_message_id is not None and deal.summary_chat_id == chat_id:
            sent = await self._notifier.edit_text(chat_id, deal.summary_message_id, text)
            if sent.delivery in (Delivery.DONE, Delivery.HARMLESS):
                return True
            if sent.delivery is Delivery.FAILED:
                return False
            if "message to edit not found" not in sent.description:
                logger.warning("lead %s: deal summary edit refused", deal.lead_id)
                return True
            logger.info("lead %s: deal summary was deleted, posting it again", deal.lead_id)
        return await self._post_summary(deal, lead, chat_id, text)

    async def _post_summary(self, deal: Deal, lead: Lead, chat_id: int, text: str) -> bool:
        try:
            message = await self._notifier.send(chat_id, text, thread_id=lead.staff_thread_id)
        except ThreadNotFound:
            return False  # the topic is gone: the card job makes a new one, then we post
        if message is None:
            return False
        async with self._db.transaction() as tx:
            await deals.set_summary(tx, deal.lead_id, chat_id, message.message_id)
        pin = PinChatMessage(
            chat_id=chat_id, message_id=message.message_id, disable_notification=True
        )
        await self._notifier.call(pin, chat_id)
        return True

    # --- the overdue ladder ---------------------------------------------------------------

    async def climb_due(self) -> int:
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await deals.rung_due(conn, now, BATCH)
        moved = 0
        for deal in due:
            async with self._db.transaction() as tx:
                moved += await self._climb(tx, deal, now)
        return moved

    async def _climb(self, tx: Connection, deal: Deal, now: datetime) -> bool:
        if deal.stage_due_at is None:
            return False
        rung = deal.overdue_rung + 1
        following = rules.second_rung_at(deal.stage_since, deal.stage_due_at) if rung == 1 else None
        if not await deals.climb(tx, deal, rung, following):
            return False  # moved on, or another run climbed first
        if rung == 1:
            await deals.add_notice(tx, deal, rung, "topic", 0, now)
            for person in self._owners(deal):
                await deals.add_notice(tx, deal, rung, "person", person, now)
        else:
            for head in self._config.head_of_sales_ids:
                await deals.add_notice(tx, deal, rung, "head", head, now)
            if not self._config.head_of_sales_ids:
                await deals.add_notice(tx, deal, rung, "group", 0, now)
        data = {"stage": deal.stage, "rung": rung, "due_at": utc_text(deal.stage_due_at)}
        await events.append(
            tx, deal.lead_id, EventType.DEAL_STAGE_OVERDUE, at=now, actor="system", data=data
        )
        logger.info("lead %s: deal stage %s overdue, rung %s", deal.lead_id, deal.stage, rung)
        return True

    def _owners(self, deal: Deal) -> tuple[int, ...]:
        stage = self._file.stage(deal.stage)
        return () if stage is None else self._file.people(stage.owner)

    # --- sending what the rungs owe -------------------------------------------------------

    async def send_due(self) -> int:
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await deals.notices_due(conn, now, BATCH)
        sent = 0
        for notice in due:
            async with self._db.transaction() as tx:
                if not await deals.claim_notice(tx, notice.id, now, now + CLAIM_FOR):
                    continue  # another run has it
            sent += await self._send(notice)
        return sent

    async def _send(self, notice: DealNotice) -> int:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(notice.lead_id))
            deal = await deals.get(conn, notice.lead_id)
            names = {person.telegram_id: person.name for person in await desk.roster(conn)}
        now = self._clock.now()
        outcome: str | None
        if lead is None or deal is None:
            outcome = "gone"
        elif deal.closed or deal.stage_since != notice.stage_since:
            outcome = "moved"  # the stage is over: no news
        else:
            outcome = await self._deliver(notice, lead, deal, names)
        async with self._db.transaction() as tx:
            if outcome is None and notice.attempts + 1 < MAX_ATTEMPTS:
                await deals.notice_retry(tx, notice.id, now + RETRY_AFTER)
            else:
                await deals.notice_done(tx, notice.id, now, outcome or "gave_up")
                if notice.audience == "head" and outcome in _UNREACHABLE and deal is not None:
                    # A head of sales who never started the bot: the staff group hears it.
                    await deals.add_notice(tx, deal, notice.rung, "group", 0, now)
        return int(outcome == "sent")

    async def _deliver(
        self, notice: DealNotice, lead: Lead, deal: Deal, names: dict[int, str]
    ) -> str | None:
        assert deal.stage_due_at is not None  # only a stage with a limit climbs
        text = overdue_text(
            self._file,
            deal.stage,
            lead.id,
            deal.stage_due_at,
            self._owners(deal),
            names,
            self._t,
            self._config.zone,
            head=notice.audience in ("head", "group"),
        )
        if notice.audience in ("person", "head"):
            return await self._notifier.send_notice(notice.target, text)
        chat_id = self._staff_chat.chat_id
        if chat_id is None:
            return None  # no staff group bound yet: later
        thread_id = None
        if notice.audience == "topic" and lead.staff_chat_id == chat_id:
            thread_id = lead.staff_thread_id
        try:
            return await self._notifier.send_notice(chat_id, text, thread_id=thread_id)
        except ThreadNotFound:
            return await self._notifier.send_notice(chat_id, text)

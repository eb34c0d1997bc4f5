"""The staff group: binding it, and a card (in its own forum topic) for every lead."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from aiogram.methods import DeleteForumTopic, GetChat, GetChatMember
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import Clock
from bot.domain.checklist import Checklist
from bot.domain.deal import DealFile
from bot.domain.events import Event, EventType
from bot.domain.hours import WeeklySchedule
from bot.domain.leads import Lead, LeadId
from bot.i18n import Translator
from bot.services.leases import still_held
from bot.services.notifier import Delivery, Notifier, ThreadNotFound
from bot.storage import (
    appointments,
    bot_settings,
    deals,
    desk,
    leads,
    managers,
    payments,
    sales_desk,
    sites,
)
from bot.storage import documents as document_store
from bot.storage.db import Database
from bot.storage.notices import Topic, announce
from bot.views import deal as deal_view
from bot.views.desk_card import CardClock, desk_lines, desk_markup
from bot.views.staff import Booking, card_markup, lead_card, topic_title

logger = logging.getLogger(__name__)

_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})
_MEMBERSHIP_TTL = 60.0  # seconds a membership answer is trusted, to spare getChatMember calls
_CARD_CONCURRENCY = 8  # cards of different leads updated at once


class BindResult(StrEnum):
    BOUND = "bound"
    WRONG_CODE = "wrong_code"
    ALREADY_BOUND = "already_bound"
    NOT_ADMIN = "not_admin"


@dataclass(frozen=True)
class StaffDeskConfig:
    configured_chat_id: int | None
    zone: ZoneInfo
    admin_ids: frozenset[int] = frozenset()
    # Desk hours, for "12 min left" on the card (working time only).
    desk_schedule: WeeklySchedule = WeeklySchedule.DEFAULT
    # The deal timeline: the card's deal line and buttons (None: no deal support).
    deal: DealFile | None = None


class StaffDesk:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        checklist: Checklist,
        t: Translator,
        clock: Clock,
        config: StaffDeskConfig,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._checklist = checklist
        self._t = t
        self._clock = clock
        self._config = config
        self._chat_id: int | None = config.configured_chat_id
        self._binding_code: str | None = None
        self._forum: dict[int, bool] = {}
        self._members: dict[tuple[int, int], tuple[bool, float]] = {}
        # Leads whose card is being posted (True: it changed meanwhile, edit it afterwards).
        self._publishing: dict[LeadId, bool] = {}

    async def prepare(self) -> str | None:
        """Loads a bound group; if there is none, returns a fresh one-time binding code."""
        if self._chat_id is None:
            async with self._db.transaction() as tx:
                stored = await bot_settings.get_value(tx, bot_settings.STAFF_CHAT_KEY)
            self._chat_id = int(stored) if stored is not None else None
        if self._chat_id is None:
            self._binding_code = secrets.token_hex(4)
        return self._binding_code

    @property
    def chat_id(self) -> int | None:
        return self._chat_id

    @property
    def binding_code(self) -> str | None:
        return self._binding_code

    async def bind(self, chat_id: int, user_id: int | None, code: str) -> BindResult:
        """Makes `chat_id` the staff group, given the code from the start-up log.

        With ADMIN_IDS set, only those people may do it: the code alone could leak.
        """
        if self._chat_id is not None:
            return BindResult.ALREADY_BOUND
        if self._config.admin_ids and user_id not in self._config.admin_ids:
            return BindResult.NOT_ADMIN
        if self._binding_code is None or not secrets.compare_digest(code, self._binding_code):
            return BindResult.WRONG_CODE
        async with self._db.transaction() as tx:
            await bot_settings.set_value(tx, bot_settings.STAFF_CHAT_KEY, str(chat_id))
            await announce(tx, Topic.STAFF_CHAT)
        self._chat_id = chat_id
        self._binding_code = None
        logger.info("staff group bound: %s", chat_id)
        await self.publish_pending()
        return BindResult.BOUND

    async def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group upgraded to a supergroup gets a new id; follow it."""
        if self._chat_id != old_chat_id:
            return
        if self._config.configured_chat_id is None:
            async with self._db.transaction() as tx:
                await bot_settings.set_value(tx, bot_settings.STAFF_CHAT_KEY, str(new_chat_id))
                await announce(tx, Topic.STAFF_CHAT)
        else:
            logger.warning("staff group moved to %s: update STAFF_CHAT_ID", new_chat_id)
        self._chat_id = new_chat_id

    async def reload(self) -> None:
        """Another replica bound or moved the staff group: the stored one is read afresh."""
        if self._config.configured_chat_id is not None:
            return  # STAFF_CHAT_ID says which group it is, on every replica
        async with self._db.read() as conn:
            stored = await bot_settings.get_value(conn, bot_settings.STAFF_CHAT_KEY)
        if stored is not None:
            self._chat_id = int(stored)
            self._binding_code = None

    def may_administer(self, user_id: int | None) -> bool:
        """With ADMIN_IDS set, only those people manage the team; otherwise any member."""
        return not self._config.admin_ids or user_id in self._config.admin_ids

    async def is_member(self, chat_id: int, user_id: int) -> bool:
        """True for members of the staff group, checked against Telegram (briefly cached)."""
        if chat_id != self._chat_id:
            return False
        cached = self._members.get((chat_id, user_id))
        if cached is not None and time.monotonic() - cached[1] < _MEMBERSHIP_TTL:
            return cached[0]
        member = await self._notifier.call(GetChatMember(chat_id=chat_id, user_id=user_id), None)
        allowed = member is not None and member.status in _MEMBER_STATUSES
        self._members[(chat_id, user_id)] = (allowed, time.monotonic())
        return allowed

    async def publish(self, lead_id: LeadId, seen: Lead | None = None) -> None:
        """Posts (or re-posts after re-qualification) the lead's card to the staff group.

        Once: while a post is on its way (waiting its turn, or out a 429), another publish of
        the lead (the pending-cards job, a new event) only asks for an edit once it is there.
        """
        if lead_id in self._publishing:
            self._publishing[lead_id] = True
            logger.debug("card of lead %s is already being posted", lead_id)
            return
        self._publishing[lead_id] = False
        try:
            superseded = await self._publish(lead_id, seen)
        finally:
            changed = self._publishing.pop(lead_id)
        if changed or superseded:
            await self.sync_card(lead_id)

    async def _publish(self, lead_id: LeadId, seen: Lead | None) -> bool:
        """Posts the card; True (nothing posted) when another post landed since `seen` was
        read: with statements that wait on a server, that post may have finished between."""
        chat_id = self._chat_id
        if chat_id is None:
            logger.info("lead %s waits for a staff group to be bound", lead_id)
            return False
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, lead_id)
        if lead is None or lead.verdict is None:
            return False
        if seen is not None and lead.staff_posted_at != seen.staff_posted_at:
            return True
        title = topic_title(lead, self._checklist, self._t)
        card, markup = await self._card(lead)
        thread_id = lead.staff_thread_id if lead.staff_chat_id == chat_id else None
        forum = await self._is_forum(chat_id)
        if not forum:
            thread_id = None
        elif thread_id is None:
            thread_id = await self._new_topic(lead_id, chat_id, title)
        try:
            message = await self._notifier.send(chat_id, card, markup=markup, thread_id=thread_id)
        except ThreadNotFound:
            logger.info("topic of lead %s is gone, making a new one", lead_id)
            thread_id = await self._new_topic(lead_id, chat_id, title)
            message = await self._notifier.send(chat_id, card, markup=markup, thread_id=thread_id)
        else:
            if forum and thread_id is not None and thread_id == lead.staff_thread_id:
                # Re-qualified: the key answers or the verdict in the title may have changed.
                await self._notifier.rename_topic(chat_id, thread_id, title)
        if message is None:
            return False
        async with self._db.transaction() as tx:
            await leads.set_staff_post(
                tx,
                lead_id,
                chat_id=chat_id,
                thread_id=thread_id,
                message_id=message.message_id,
                at=self._clock.now(),
            )
        return False

    async def _new_topic(self, lead_id: LeadId, chat_id: int, title: str) -> int | None:
        """Creates the lead's topic and remembers it at once, so a retry reuses it."""
        thread_id = await self._notifier.create_topic(chat_id, title)
        if thread_id is not None:
            async with self._db.transaction() as tx:
                await leads.set_staff_thread(tx, lead_id, chat_id, thread_id)
        return thread_id

    async def publish_pending(self) -> None:
        """Posts every card not posted yet (no group bound then, Telegram down) and retries
        card edits that failed."""
        async with self._db.transaction() as tx:
            pending = await leads.unposted(tx)
        for lead_id in pending:
            if not still_held():  # another replica took the cards over
                break
            await self.sync_card(lead_id)

    async def handle_events(self, batch: Sequence[Event]) -> None:
        """The card consumer: each lead the batch touched gets its card brought up to date."""
        erased = {event.lead_id: event for event in batch if event.type is EventType.ERASED}
        gate = asyncio.Semaphore(_CARD_CONCURRENCY)

        async def one(lead_id: int) -> None:
            async with gate:
                if lead_id in erased:
                    await self._tell_erased(erased[lead_id])
                else:
                    await self.sync_card(LeadId(lead_id))

        await asyncio.gather(*(one(lead_id) for lead_id in dict.fromkeys(e.lead_id for e in batch)))

    async def _tell_erased(self, event: Event) -> None:
        chat_id = event.data.get("staff_chat_id")
        if chat_id is None or chat_id != self._chat_id:
            return
        text = self._t("staff.erased", id=event.lead_id)
        thread_id = event.data.get("staff_thread_id")
        # The lead's topic goes with its messages (deleteMessage alone works only for 48 h).
        if thread_id is not None and await self._delete_topic(chat_id, thread_id):
            await self.tell(text)
            return
        await self.tell_lead(chat_id, thread_id, text)

    async def _delete_topic(self, chat_id: int, thread_id: int) -> bool:
        """True once the topic is gone; raises when Telegram may take it later, so the
        event is handled again (the consumer's batch is retried)."""
        method = DeleteForumTopic(chat_id=chat_id, message_thread_id=thread_id)
        try:
            sent = await self._notifier.attempt(method, chat_id)
        except ThreadNotFound:
            return True
        if sent.delivery is Delivery.FAILED:
            raise RuntimeError(f"deleteForumTopic failed for topic {thread_id}; will retry")
        return sent.delivery in (Delivery.DONE, Delivery.HARMLESS)

    async def tell(self, text: str) -> None:
        """A notice for the whole staff group (its general topic)."""
        if self._chat_id is not None:
            await self._notifier.send(self._chat_id, text)

    async def tell_lead(self, chat_id: int | None, thread_id: int | None, text: str) -> None:
        """A notice in a lead's topic; in the group itself if the topic is gone or unknown."""
        if self._chat_id is None:
            return
        if chat_id != self._chat_id:
            thread_id = None
        try:
            await self._notifier.send(self._chat_id, text, thread_id=thread_id)
        except ThreadNotFound:
            await self._notifier.send(self._chat_id, text)

    async def card_text(self, lead_id: LeadId) -> str | None:
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, lead_id)
        if lead is None:
            return None
        card, _ = await self._card(lead)
        return card

    async def sync_card(self, lead_id: LeadId) -> None:
        """Edits the lead's card in place; posts a new one if there is none (or the lead was
        qualified again). A failed edit marks the card stale for the retry job."""
        async with self._db.read() as conn:
            lead = await leads.get(conn, lead_id)
        if lead is None or lead.verdict is None:
            return
        chat_id = self._chat_id
        if (
            chat_id is None
            or lead.staff_posted_at is None
            or lead.staff_message_id is None
            or lead.staff_chat_id != chat_id
        ):
            await self.publish(lead_id, lead)
            return
        card, markup = await self._card(lead)
        sent = await self._notifier.edit_text(chat_id, lead.staff_message_id, card, markup=markup)
        if sent.delivery is Delivery.REFUSED and "message to edit not found" in sent.description:
            await self.publish(lead_id, lead)  # somebody deleted the card: post it again
            return
        stale = sent.delivery is Delivery.FAILED  # a refusal would be refused again
        if stale or lead.card_stale_at is not None:
            async with self._db.transaction() as tx:
                await leads.set_card_stale(tx, lead_id, self._clock.now() if stale else None)

    async def _card(self, lead: Lead) -> tuple[str, InlineKeyboardMarkup | None]:
        async with self._db.read() as conn:
            manager = None if lead.manager_id is None else await managers.get(conn, lead.manager_id)
            appointment = await appointments.latest_for_lead(conn, lead.id)
            site = None if appointment is None else await sites.get(conn, appointment.site_id)
            team = [m for m in await managers.listed(conn) if m.active]
            crm_id = await sales_desk.crm_id(conn, lead.id)
            work = await desk.get(conn, lead.id)
            deadlines = await desk.open_deadlines(conn, lead.id)
            schedule = await payments.for_lead(conn, lead.id)
            papers = await document_store.for_lead(conn, lead.id)
            deal = await deals.get(conn, lead.id)
        booking = Booking(manager=manager, appointment=appointment, site=site)
        # Rendered on events only: "12 min left" is as of the last change.
        clock = CardClock(self._clock.now(), self._config.desk_schedule, self._config.zone)
        work_lines = desk_lines(
            lead, work, deadlines, clock, self._t, payments=schedule, documents=papers
        )
        deal_rows: list[list[InlineKeyboardButton]] = []
        if self._config.deal is not None:
            work_lines += deal_view.card_lines(self._config.deal, deal, clock.now, self._t)
            deal_rows = deal_view.card_rows(lead, deal, self._t)
        markup = desk_markup(
            lead, work, self._t, deal_rows, label=self._checklist.wording.appointment
        )
        card = lead_card(
            lead, self._checklist, self._t, self._config.zone, booking, crm_id, work_lines
        )
        return card, card_markup(lead, team, self._t, markup)

    async def _is_forum(self, chat_id: int) -> bool:
        if chat_id not in self._forum:
            chat = await self._notifier.call(GetChat(chat_id=chat_id), chat_id)
            if chat is None:
                return False  # unknown for now: post plainly, ask again next time
            self._forum[chat_id] = bool(chat.is_forum)
        return self._forum[chat_id]

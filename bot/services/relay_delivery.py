"""Carries out the relay outbox: copies, album copies, mirrored edits and notices.

A job is marked done in the transaction that records its copy in the message-id map, so
a copy is made once even across a restart. A failure that may pass (network, 5xx, 429
past the notifier's tries) is retried later; a refusal is final. A prospect who blocked
the bot is marked unreachable and the topic is told once; a deleted topic is re-created
with the card and the copy goes there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from aiogram.methods import (
    CopyMessage,
    CopyMessages,
    EditMessageCaption,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import MessageEntity, ReplyParameters

from bot.clock import Clock
from bot.domain.events import EventType
from bot.domain.leads import Lead, LeadId
from bot.i18n import Translator
from bot.services.notifier import Delivery, Notifier, Sent, ThreadNotFound
from bot.services.staff_desk import StaffDesk
from bot.services.worker import Worker
from bot.storage import events, leads
from bot.storage import relay as store
from bot.storage.db import Database
from bot.storage.relay import Action, Direction, Job

logger = logging.getLogger(__name__)

T = TypeVar("T")

BATCH = 50
MAX_ATTEMPTS = 10
RETRY_AFTER = timedelta(minutes=1)
# Nowhere to copy to yet (no staff group bound): look again later, without giving up.
WAIT_FOR_GROUP = timedelta(minutes=5)
IDLE_SECONDS = 15.0


class RelayDelivery:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        staff: StaffDesk,
        staff_t: Translator,
        clock: Clock,
        *,
        on_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._staff = staff
        self._staff_t = staff_t
        self._clock = clock
        self._on_change = on_change  # lets the event consumers catch up (the card)
        self.worker = Worker("relay", self._pass, IDLE_SECONDS)

    def wake(self) -> None:
        self.worker.wake()

    async def _pass(self) -> float | None:
        await self.deliver_due()
        async with self._db.read() as conn:
            due = await store.next_due(conn)
        return None if due is None else (due - self._clock.now()).total_seconds()

    async def deliver_due(self) -> int:
        """Carries out every job that is due; returns how many jobs are finished."""
        finished = 0
        while self.worker.keep_going:
            async with self._db.read() as conn:
                jobs = await store.due(conn, self._clock.now(), BATCH)
            if not jobs:
                break
            seen: set[int] = set()
            for job in jobs:
                if not self.worker.keep_going:
                    break
                if job.id not in seen:
                    batch = await self._album(job)
                    seen.update(j.id for j in batch)
                    finished += await self._carry_safely(batch)
        if finished and self._on_change is not None:
            await self._on_change()
        return finished

    async def _album(self, job: Job) -> list[Job]:
        if job.action is not Action.COPY or job.media_group_id is None:
            return [job]
        async with self._db.read() as conn:
            items = await store.album(conn, job.lead_id, job.direction, job.media_group_id)
        return items or [job]

    async def _carry_safely(self, jobs: list[Job]) -> int:
        """A job that breaks something unforeseen is retried, then given up, so it cannot
        hold up the others."""
        try:
            return await self._carry(jobs)
        except Exception:
            logger.exception("relay job %s failed", jobs[0].id)
            now = self._clock.now()
            async with self._db.transaction() as tx:
                if jobs[0].attempts + 1 < MAX_ATTEMPTS:
                    await store.retry_at(tx, [j.id for j in jobs], now + RETRY_AFTER)
                else:
                    await store.mark_failed(tx, [j.id for j in jobs])
            return 0

    async def _carry(self, jobs: list[Job]) -> int:
        job = jobs[0]
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(job.lead_id))
        if lead is None:
            return 0  # erased meanwhile: its rows went with it
        if job.direction is Direction.IN:
            return await self._to_topic(lead, jobs)
        return await self._to_prospect(lead, jobs)

    # --- into the topic -------------------------------------------------------------------

    async def _to_topic(self, lead: Lead, jobs: list[Job]) -> int:
        chat_id = self._staff.chat_id
        if chat_id is None:
            await self._postpone(jobs)
            return 0
        if lead.staff_chat_id != chat_id and lead.verdict is not None:
            await self._staff.publish(lead.id)  # the card (and its topic) first
            lead = await self._reload(lead)
            if lead.staff_posted_at is None:
                # No card yet (Telegram failing): not into the general topic, later.
                return await self._settle(lead, jobs, Sent(Delivery.FAILED), staff_chat_id=chat_id)
        try:
            sent = await self._send_in(lead, chat_id, jobs)
        except ThreadNotFound:
            logger.info("topic of lead %s is gone; re-creating it with the card", lead.id)
            await self._staff.publish(lead.id)
            lead = await self._reload(lead)
            try:
                sent = await self._send_in(lead, chat_id, jobs)
            except ThreadNotFound:
                sent = Sent(Delivery.FAILED)
        return await self._settle(lead, jobs, sent, staff_chat_id=chat_id)

    async def _send_in(self, lead: Lead, chat_id: int, jobs: list[Job]) -> Sent[Any]:
        job = jobs[0]
        thread_id = lead.staff_thread_id if lead.staff_chat_id == chat_id else None
        # Without a topic (a group without topics, or a lead still in the checklist) the
        # copy lands among everything else: a line first says whose it is.
        header = None if thread_id is not None else self._staff_t("relay.topic.header", id=lead.id)
        if job.action is Action.NOTICE:
            text = (job.text or "") if header is None else f"{header}\n{job.text or ''}"
            method: TelegramMethod[Any] = SendMessage(
                chat_id=chat_id, message_thread_id=thread_id, text=text
            )
            return await self._notifier.attempt(method, chat_id)
        if job.action is Action.COPY:
            if header is not None:
                await self._notifier.attempt(SendMessage(chat_id=chat_id, text=header), chat_id)
            return await self._copy(jobs, chat_id, thread_id, Direction.IN)
        return await self._edit(job, Direction.IN)

    # --- to the prospect ------------------------------------------------------------------

    async def _to_prospect(self, lead: Lead, jobs: list[Job]) -> int:
        job = jobs[0]
        if job.action is Action.COPY:
            sent = await self._copy(jobs, lead.chat_id, None, Direction.OUT)
        else:
            sent = await self._edit(job, Direction.OUT)
        if sent.delivery is Delivery.BLOCKED and job.action is Action.COPY:
            await self._tell_blocked(lead)
        return await self._settle(lead, jobs, sent, staff_chat_id=job.from_chat_id)

    async def _tell_blocked(self, lead: Lead) -> None:
        """Once per time they are unreachable: the notifier has just marked them so."""
        if lead.unreachable_at is None:
            text = self._staff_t("relay.topic.blocked")
            await self._staff.tell_lead(lead.staff_chat_id, lead.staff_thread_id, text)
        await self._staff.sync_card(lead.id)

    # --- the Bot API calls ----------------------------------------------------------------

    async def _copy(
        self, jobs: list[Job], chat_id: int, thread_id: int | None, direction: Direction
    ) -> Sent[Any]:
        first = jobs[0]
        if len(jobs) > 1:
            albums = CopyMessages(
                chat_id=chat_id,
                message_thread_id=thread_id,
                from_chat_id=first.from_chat_id,
                message_ids=[j.message_id for j in jobs],
            )
            return await self._notifier.attempt(albums, chat_id)
        reply = await self._reply_target(first, direction)
        method = CopyMessage(
            chat_id=chat_id,
            message_thread_id=thread_id,
            from_chat_id=first.from_chat_id,
            message_id=first.message_id,
            reply_parameters=reply,
            # A checklist's photo goes with its question instead of the prospect's caption.
            caption=first.text if first.actor.startswith("checklist:") else None,
        )
        return await self._notifier.attempt(method, chat_id)

    async def _reply_target(self, job: Job, direction: Direction) -> ReplyParameters | None:
        """The reply on the other side: the copy of (or the original behind) the message
        replied to. None if it was never carried."""
        if job.reply_to_message_id is None:
            return None
        async with self._db.read() as conn:
            if direction is Direction.IN:
                paired = await store.staff_side(conn, job.from_chat_id, job.reply_to_message_id)
                target = None if paired is None else paired[1]
            else:
                found = await store.prospect_side(conn, job.from_chat_id, job.reply_to_message_id)
                target = None if found is None else found[2]
        if target is None:
            return None
        return ReplyParameters(message_id=target, allow_sending_without_reply=True)

    async def _edit(self, job: Job, direction: Direction) -> Sent[Any]:
        async with self._db.read() as conn:
            if direction is Direction.IN:
                paired = await store.staff_side(conn, job.from_chat_id, job.message_id)
            else:
                found = await store.prospect_side(conn, job.from_chat_id, job.message_id)
                paired = None if found is None else (found[1], found[2])
        if paired is None:
            # Its copy is still to be made (it goes first: jobs run in order) or never was.
            return Sent(Delivery.FAILED, description="no copy to edit yet")
        chat_id, message_id = paired
        entities = [MessageEntity.model_validate(e) for e in job.entities or []] or None
        # The text is the person's own, with their entities: never parsed as HTML.
        method: TelegramMethod[Any]
        if job.action is Action.EDIT_TEXT:
            method = EditMessageText(
                chat_id=chat_id,
                message_id=message_id,
                text=job.text or "",
                entities=entities,
                parse_mode=None,
            )
        else:
            method = EditMessageCaption(
                chat_id=chat_id,
                message_id=message_id,
                caption=job.text or "",
                caption_entities=entities,
                parse_mode=None,
            )
        return await self._notifier.attempt(method, chat_id)

    # --- bookkeeping ----------------------------------------------------------------------

    async def _settle(
        self, lead: Lead, jobs: list[Job], sent: Sent[Any], *, staff_chat_id: int
    ) -> int:
        now = self._clock.now()
        ids = [j.id for j in jobs]
        job = jobs[0]
        async with self._db.transaction() as tx:
            if sent.delivery in (Delivery.DONE, Delivery.HARMLESS):
                await store.mark_done(tx, ids, now)
                if job.action is Action.COPY and sent.delivery is Delivery.DONE:
                    await self._record(tx, lead, jobs, sent.value, staff_chat_id)
            elif sent.delivery is Delivery.FAILED and job.attempts + 1 < MAX_ATTEMPTS:
                await store.retry_at(tx, ids, now + RETRY_AFTER)
            else:
                await store.mark_failed(tx, ids)
                logger.info(
                    "relay job %s for lead %s not carried: %s %s",
                    job.id,
                    lead.id,
                    sent.delivery.value,
                    sent.description,
                )
        return len(jobs) if sent.delivery in (Delivery.DONE, Delivery.HARMLESS) else 0

    async def _record(
        self, tx: Any, lead: Lead, jobs: list[Job], value: Any, staff_chat_id: int
    ) -> None:
        copies = value if isinstance(value, list) else [value]
        if len(copies) != len(jobs):
            # copyMessages skips messages deleted meanwhile; which ones is not said.
            logger.info("lead %s: %d of %d album items copied", lead.id, len(copies), len(jobs))
            return
        now = self._clock.now()
        for job, copy in zip(jobs, copies, strict=True):
            if job.direction is Direction.IN:
                prospect = (job.from_chat_id, job.message_id)
                staff = (staff_chat_id, copy.message_id)
            else:
                prospect = (lead.chat_id, copy.message_id)
                staff = (job.from_chat_id, job.message_id)
            await store.record(tx, lead.id, job.direction, prospect=prospect, staff=staff, at=now)
        if jobs[0].direction is Direction.OUT:
            await store.staff_replied(tx, lead.id, now)
            for job in jobs:
                await events.append(
                    tx,
                    lead.id,
                    EventType.DESK_STAFF_REPLIED,
                    at=now,
                    actor=job.actor,
                    data={"kind": job.kind},
                )

    async def _postpone(self, jobs: Sequence[Job]) -> None:
        async with self._db.transaction() as tx:
            await store.postpone(tx, [j.id for j in jobs], self._clock.now() + WAIT_FOR_GROUP)

    async def _reload(self, lead: Lead) -> Lead:
        async with self._db.read() as conn:
            fresh = await leads.get(conn, lead.id)
        return fresh or lead

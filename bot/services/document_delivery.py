"""Carries out what the bot owes about documents (`document_outbox`), each at most once:
the review copy into the lead's topic, the download under DOCUMENTS_DIR, a notice to the
client or into the topic, the removal of a review copy. Retried on network trouble."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from aiogram.methods import CopyMessage, SendMessage
from aiogram.types import InlineKeyboardMarkup

from bot.clock import Clock
from bot.domain.documents import FileKind, file_suffix
from bot.domain.leads import Lead, LeadId
from bot.i18n import Translator
from bot.services.notifier import Delivery, Notifier, ThreadNotFound
from bot.services.worker import Worker
from bot.storage import documents as store
from bot.storage import leads
from bot.storage.db import Database
from bot.views.documents import review_caption, review_markup

logger = logging.getLogger(__name__)

IDLE_SECONDS = 30.0
RETRY_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 10


class StaffChat(Protocol):
    @property
    def chat_id(self) -> int | None: ...


class DocumentDelivery:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        staff_chat: StaffChat,
        staff_t: Translator,
        clock: Clock,
        documents_dir: Path | None,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._staff_chat = staff_chat
        self._t = staff_t
        self._clock = clock
        self._dir = documents_dir
        self.worker = Worker("documents", self._pass, IDLE_SECONDS)

    def wake(self) -> None:
        self.worker.wake()

    async def _pass(self) -> None:
        await self.deliver_due()

    async def deliver_due(self) -> int:
        """Carries out every due duty; returns how many were done."""
        done = 0
        while self.worker.keep_going:
            async with self._db.read() as conn:
                due = await store.due(conn, self._clock.now(), 50)
            if not due:
                return done
            for duty in due:
                if not self.worker.keep_going:
                    break
                done += await self._one(duty)
        return done

    async def _one(self, duty: store.Duty) -> int:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(duty.lead_id))
        if lead is None:
            return 0  # erased meanwhile: the duty went with the lead
        try:
            outcome = await self._carry_out(duty, lead)
        except Exception:
            logger.exception("document duty %s (%s) failed", duty.id, duty.kind)
            outcome = Delivery.FAILED
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if outcome is Delivery.FAILED and duty.attempts + 1 < MAX_ATTEMPTS:
                await store.retry_at(tx, duty.id, now + RETRY_AFTER)
                return 0
            gave_up = outcome not in (Delivery.DONE, Delivery.HARMLESS)
            await store.finish(tx, duty.id, now, failed=gave_up)
        if outcome in (Delivery.BLOCKED, Delivery.REFUSED, Delivery.FAILED):
            logger.warning("document duty %s (%s) given up: %s", duty.id, duty.kind, outcome)
        return int(not gave_up)

    async def _carry_out(self, duty: store.Duty, lead: Lead) -> Delivery:
        if duty.kind == "client":
            markup = None
            if duty.markup is not None:
                markup = InlineKeyboardMarkup.model_validate_json(duty.markup)
            method = SendMessage(chat_id=lead.chat_id, text=duty.text or "", reply_markup=markup)
            return (await self._notifier.attempt(method, lead.chat_id)).delivery
        if duty.kind == "staff":
            return await self._tell_topic(lead, duty.text or "")
        if duty.kind == "unpost":
            if duty.chat_id is not None and duty.message_id is not None:
                await self._notifier.delete(duty.chat_id, duty.message_id)
            return Delivery.DONE  # a copy already gone is as good as deleted
        if duty.kind == "review":
            return await self._copy_for_review(duty, lead)
        if duty.kind == "download":
            return await self._download(duty, lead)
        logger.error("unknown document duty %r", duty.kind)
        return Delivery.REFUSED

    async def _tell_topic(self, lead: Lead, text: str) -> Delivery:
        chat_id = self._staff_chat.chat_id
        if chat_id is None:
            return Delivery.FAILED  # no staff group yet: later
        thread_id = lead.staff_thread_id if lead.staff_chat_id == chat_id else None
        try:
            sent = await self._notifier.send_text(chat_id, text, thread_id=thread_id)
        except ThreadNotFound:
            sent = await self._notifier.send_text(chat_id, text)
        return sent.delivery

    async def _copy_for_review(self, duty: store.Duty, lead: Lead) -> Delivery:
        chat_id = self._staff_chat.chat_id
        if chat_id is None or duty.document_id is None:
            return Delivery.FAILED if chat_id is None else Delivery.REFUSED
        async with self._db.read() as conn:
            document = await store.get(conn, duty.document_id)
        if document is None or document.removed:
            return Delivery.DONE
        thread_id = lead.staff_thread_id if lead.staff_chat_id == chat_id else None

        def copy(thread: int | None) -> CopyMessage:
            return CopyMessage(
                chat_id=chat_id,
                from_chat_id=lead.chat_id,
                message_id=document.client_message_id,
                message_thread_id=thread,
                caption=review_caption(lead.id, document.title, document.stage_title, self._t),
                reply_markup=review_markup(document.id, self._t),
            )

        try:
            sent = await self._notifier.attempt(copy(thread_id), chat_id)
        except ThreadNotFound:
            sent = await self._notifier.attempt(copy(None), chat_id)
        if sent.delivery is Delivery.DONE and sent.value is not None:
            async with self._db.transaction() as tx:
                await store.set_posted(tx, document.id, chat_id, sent.value.message_id)
        return sent.delivery

    async def _download(self, duty: store.Duty, lead: Lead) -> Delivery:
        if self._dir is None or duty.document_id is None:
            return Delivery.DONE
        async with self._db.read() as conn:
            document = await store.get(conn, duty.document_id)
        if document is None or document.removed or not document.file_id:
            return Delivery.DONE
        folder = self._dir / str(lead.id)
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        # Named by our ids only: nothing the client chose ends up in a path.
        path = folder / f"{document.id}{file_suffix(_kind(document.mime_type), document.mime_type)}"
        await self._notifier.bot.download(document.file_id, destination=path)
        async with self._db.transaction() as tx:
            current = await store.get(tx, document.id)
            if current is None or current.removed:
                await asyncio.to_thread(path.unlink, missing_ok=True)  # withdrawn meanwhile
            else:
                await store.set_stored(tx, document.id, str(path))
        return Delivery.DONE


def _kind(mime_type: str | None) -> FileKind:
    return FileKind.DOCUMENT if mime_type else FileKind.PHOTO

"""Document intake: the client sends the deal stage's documents in the private chat.

What the stage asks for comes from the `DealPort`. A file taken becomes a `deal_documents`
row with its `deal.document_received` event and the duties to copy it into the lead's topic
(and to download it under DOCUMENTS_DIR) in the same transaction; the delivery job carries
them out (bot/services/document_delivery.py). Staff's review: document_review.py.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.domain.consent import Purpose
from bot.domain.documents import (
    MAX_FILE_BYTES,
    Ask,
    DocumentRequest,
    FileKind,
    IncomingFile,
    missing,
    needs_consent,
    sendable,
    too_big,
    which,
)
from bot.domain.events import EventType
from bot.domain.leads import Lead
from bot.i18n import Translations, Translator
from bot.services.deal_ports import DealPort
from bot.services.document_delivery import DocumentDelivery
from bot.services.document_review import DocumentReview
from bot.storage import consents, events, leads
from bot.storage import documents as store
from bot.storage.db import Connection, Database
from bot.views import Screen
from bot.views.documents import consent_markup, documents_keyboard, which_keyboard

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentsConfig:
    company: str
    operator_details: str
    consent_version: str
    documents_dir: Path | None = None


@dataclass(frozen=True)
class Intake:
    """What became of a client's message: the answer, and a file to relay to people
    instead (not a document the stage wants, or "Something else")."""

    screen: Screen | None = None
    relay: tuple[IncomingFile, ...] = ()
    lead: Lead | None = None  # whose file to relay
    silent: bool = False  # the same update again: it was answered the first time


NOT_MINE = Intake()


def remove_lead_files(documents_dir: Path | None, lead_id: int) -> None:
    """Deletes every stored copy of the lead's documents (erasure)."""
    if documents_dir is not None:
        shutil.rmtree(documents_dir / str(lead_id), ignore_errors=True)


def _unlink(paths: list[str]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)


class Documents:
    def __init__(
        self,
        db: Database,
        translations: Translations,
        staff_t: Translator,
        clock: Clock,
        port: DealPort,
        delivery: DocumentDelivery,
        review: DocumentReview,
        config: DocumentsConfig,
        *,
        on_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._db = db
        self._translations = translations
        self._staff_t = staff_t
        self._clock = clock
        # What the deal asks for (bot/services/deal.py in the app; a table in tests).
        self._port = port
        self.delivery = delivery
        self.review = review
        self._config = config
        self._on_change = on_change

    async def lead_with_documents(self, user_id: int) -> Lead | None:
        """The client's lead if their deal's current stage asks for documents."""
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, user_id)
            if lead is None or await self._port.active_stage(conn, lead.id) is None:
                return None
            wanted = await self._port.documents_wanted(conn, lead.id)
        return lead if wanted else None

    @property
    def port(self) -> DealPort:
        return self._port

    @port.setter
    def port(self, port: DealPort) -> None:
        """What the deal asks for (the review uses the same port)."""
        self._port = port
        self.review.port = port

    async def still_to_send(self, tx: Connection, lead_id: int) -> list[DocumentRequest]:
        """What the client may send now (not yet accepted): for `documents_keyboard` under
        the deal's stage message and /deal."""
        wanted = await self._port.documents_wanted(tx, lead_id)
        return sendable(wanted, await store.for_lead(tx, lead_id))

    def consent_text(self, language: str) -> str:
        """The documents consent exactly as shown (its hash is what the ledger keeps)."""
        t = self._translations.get(language)
        return t(
            "consent.doc.documents",
            company=self._config.company,
            operator=self._config.operator_details or self._config.company,
        )

    # --- the client's side ---------------------------------------------------------------

    async def receive(self, lead: Lead, file: IncomingFile) -> Intake:
        """A message from a client whose deal wants documents."""
        t = self._translations.get(lead.language)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            state = await store.intake(tx, lead.id)
            held = any(h.message_id == file.message_id for h in state.held)
            if held or await store.taken(tx, lead.id, file.message_id):
                return Intake(silent=True)  # the same update again: answered the first time
            if file.kind is FileKind.OTHER:
                # Only after "📎 Send" is it clearly meant as a document; else it is a chat.
                return Intake(Screen(t("documents.wrong_kind"))) if state.chosen else NOT_MINE
            if await self._next_page(tx, lead, state, file, t, now):
                return Intake(silent=True)
            wanted = await self._port.documents_wanted(tx, lead.id)
            found = which(wanted, await store.for_lead(tx, lead.id), state.chosen)
            if found is None:
                return Intake(relay=(file,))
            if too_big(file):
                limit = MAX_FILE_BYTES // (1024 * 1024)
                return Intake(Screen(t("documents.too_big", limit=limit)))
            if isinstance(found, Ask):
                asked = store.Intake(state.chosen, (file,), album=file.media_group_id)
                await store.set_intake(tx, lead.id, asked, now)
                return Intake(Screen(t("documents.which.ask"), which_keyboard(found.choices, t)))
            screen = await self._take_or_ask_consent(tx, lead, found, (file,), t, now)
        await self._changed()
        return Intake(screen, silent=screen is None)

    async def _next_page(
        self,
        tx: Connection,
        lead: Lead,
        state: store.Intake,
        file: IncomingFile,
        t: Translator,
        now: datetime,
    ) -> bool:
        """An album's next page (each comes as its own message): the same document as the
        first, or held with it while the client is asked. True if it was dealt with."""
        if file.media_group_id is None or file.media_group_id != state.album or too_big(file):
            return False
        if state.held:
            await store.set_intake(tx, lead.id, replace(state, held=(*state.held, file)), now)
            return True
        if state.album_document is None:
            return False
        request = await self._sendable(tx, lead, state.album_document)
        if request is None:
            return False
        await self._take(tx, lead, request, (file,), t, now)
        return True

    async def choose(self, user_id: int, document: str) -> Screen | None:
        """ "📎 Send: <document>": the next file is that document."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get_by_user(tx, user_id)
            if lead is None:
                return None
            t = self._translations.get(lead.language)
            request = await self._sendable(tx, lead, document)
            if request is None:
                return Screen(t("documents.not_needed"))
            state = await store.intake(tx, lead.id)
            await store.set_intake(tx, lead.id, replace(state, chosen=document), now)
        return Screen(t("documents.send_now", title=request.title.get(lead.language)))

    async def held_is(self, user_id: int, document: str) -> Intake:
        """The answer to "which document is this?" for the held files ("": something else,
        which goes to people as any message)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get_by_user(tx, user_id)
            if lead is None:
                return NOT_MINE
            t = self._translations.get(lead.language)
            state = await store.intake(tx, lead.id)
            if not state.held:
                return Intake(Screen(t("documents.nothing_held")))
            if not document:
                await store.set_intake(tx, lead.id, store.Intake(state.chosen), now)
                return Intake(relay=state.held, lead=lead)
            request = await self._sendable(tx, lead, document)
            if request is None:
                return Intake(Screen(t("documents.not_needed")))
            screen = await self._take_or_ask_consent(tx, lead, request, state.held, t, now)
        await self._changed()
        return Intake(screen or Screen(t("documents.nothing_held")))

    async def consent_answer(self, user_id: int, agree: bool, message_id: int | None) -> Screen:
        """Agree / Decline under the documents consent; held personal files are taken (or
        let go) accordingly."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get_by_user(tx, user_id)
            if lead is None:
                return Screen(self._translations.get(None)("start.hint"))
            t = self._translations.get(lead.language)
            state = await store.intake(tx, lead.id)
            request = None
            if state.held and state.held_document is not None:
                request = await self._sendable(tx, lead, state.held_document)
            if not agree:
                await store.set_intake(tx, lead.id, store.Intake(), now)
                line = self._staff_t("documents.topic.consent_declined", id=lead.id)
                await store.enqueue(tx, lead.id, "staff", at=now, text=line)
                screen = Screen(t("documents.consent.declined"))
            else:
                await consents.give(
                    tx,
                    user_id=user_id,
                    lead_id=lead.id,
                    purpose=Purpose.DOCUMENTS,
                    version=self._config.consent_version,
                    text=self.consent_text(lead.language),
                    language=lead.language,
                    message_id=message_id,
                    at=now,
                )
                taken = None
                if request is not None:
                    taken = await self._take(tx, lead, request, state.held, t, now)
                screen = taken or Screen(t("documents.consent.thanks"))
        self.delivery.wake()
        await self._changed()
        return screen

    async def _sendable(self, tx: Connection, lead: Lead, document: str) -> DocumentRequest | None:
        wanted = await self._port.documents_wanted(tx, lead.id)
        have = await store.for_lead(tx, lead.id)
        return next((r for r in sendable(wanted, have) if r.document == document), None)

    async def _take_or_ask_consent(
        self,
        tx: Connection,
        lead: Lead,
        request: DocumentRequest,
        files: tuple[IncomingFile, ...],
        t: Translator,
        now: datetime,
    ) -> Screen | None:
        live = await consents.live(tx, lead.telegram_user_id, Purpose.DOCUMENTS) is not None
        if needs_consent(request, live):
            album = files[-1].media_group_id
            held = store.Intake(request.document, files, request.document, album=album)
            await store.set_intake(tx, lead.id, held, now)
            text = t("documents.consent.intro") + "\n\n" + self.consent_text(lead.language)
            return Screen(text, consent_markup(t))
        return await self._take(tx, lead, request, files, t, now)

    async def _take(
        self,
        tx: Connection,
        lead: Lead,
        request: DocumentRequest,
        files: tuple[IncomingFile, ...],
        t: Translator,
        now: datetime,
    ) -> Screen | None:
        """Takes the files (an album's pages: one row each) as the document; None if they
        were all taken before (the same update again)."""
        added = 0
        for file in files:
            document_id = await store.add(
                tx,
                lead.id,
                stage=request.stage,
                stage_title=(
                    request.stage
                    if request.stage_title is None
                    else request.stage_title.get(self._staff_t.language)
                ),
                document=request.document,
                title=request.title.get(self._staff_t.language),
                personal=request.personal,
                file=file,
                at=now,
            )
            if document_id is None:
                continue
            added += 1
            data = {
                "document_id": document_id,
                "stage": request.stage,
                "document": request.document,
            }
            await events.append(
                tx, lead.id, EventType.DEAL_DOCUMENT_RECEIVED, at=now, actor="prospect", data=data
            )
            await store.enqueue(tx, lead.id, "review", at=now, document_id=document_id)
            if self._config.documents_dir is not None:
                await store.enqueue(tx, lead.id, "download", at=now, document_id=document_id)
        # The album's later pages are this document too.
        album = store.Intake(album=files[-1].media_group_id, album_document=request.document)
        await store.set_intake(tx, lead.id, album, now)
        self.delivery.wake()
        if not added:
            return None
        title = request.title.get(lead.language)
        wanted = await self._port.documents_wanted(tx, lead.id)
        still = missing(wanted, await store.for_lead(tx, lead.id))  # this one is in now
        if not still:
            return Screen(t("documents.received_all", title=title))
        return Screen(t("documents.received", title=title), documents_keyboard(still, t))

    # --- withdrawal of the documents consent ----------------------------------------------

    async def consent_withdrawn(self, lead_id: int) -> int:
        """The person withdrew the documents consent: personal documents' file ids and
        stored copies go, their review copies leave the topic, staff are told. Returns how
        many documents were removed."""
        now = self._clock.now()
        paths: list[str] = []
        async with self._db.transaction() as tx:
            removed = 0
            for document in await store.for_lead(tx, lead_id):
                if not document.personal or document.removed:
                    continue
                if document.stored_path is not None:
                    paths.append(document.stored_path)
                if document.staff_chat_id is not None and document.staff_message_id is not None:
                    await store.enqueue(
                        tx,
                        lead_id,
                        "unpost",
                        at=now,
                        chat_id=document.staff_chat_id,
                        message_id=document.staff_message_id,
                    )
                await store.remove(tx, document.id, now)
                removed += 1
            await store.set_intake(tx, lead_id, store.Intake(), now)
            if removed:
                line = self._staff_t("documents.topic.withdrawn", id=lead_id, count=removed)
                await store.enqueue(tx, lead_id, "staff", at=now, text=line)
        await asyncio.to_thread(_unlink, paths)
        if removed:
            logger.info(
                "documents consent withdrawn: %d documents of lead %s removed", removed, lead_id
            )
        self.delivery.wake()
        await self._changed()
        return removed

    async def _changed(self) -> None:
        if self._on_change is not None:
            await self._on_change()

"""Staff review a client's document in the lead's topic: Accept, or Reject ▸ a reason and
(optionally) what to fix. The client's notice is a duty of the delivery job, written with
the review; of two presses at once only the first reviews (a conditional update)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot.clock import Clock
from bot.domain.documents import (
    MAX_FIX_LENGTH,
    AwaitedFix,
    DocumentStatus,
    RejectReason,
    StoredDocument,
    awaited_fix,
)
from bot.domain.events import EventType
from bot.domain.leads import LeadId
from bot.domain.reminders import QuietHours, outside_quiet
from bot.i18n import Translations, Translator
from bot.services.deal_ports import DealPort
from bot.storage import desk, events, leads
from bot.storage import documents as store
from bot.storage.db import Connection, Database
from bot.views.documents import (
    documents_keyboard,
    no_note_markup,
    reasons_markup,
    review_caption,
    review_markup,
)

# Whose deal role lets them review even outside the staff group's member list.
REVIEWER_ROLES = ("deal_support", "lawyer")


class Members(Protocol):
    @property
    def chat_id(self) -> int | None: ...

    async def is_member(self, chat_id: int, user_id: int) -> bool: ...


@dataclass(frozen=True)
class Reviewer:
    user_id: int
    name: str


@dataclass(frozen=True)
class ReviewReply:
    """A toast for the press, new buttons on the pressed message (None: none), the review
    copy's new caption once reviewed (its buttons go), and a line for the lead's topic."""

    toast: str | None = None
    replace_keyboard: bool = False
    keyboard: InlineKeyboardMarkup | None = None
    caption: str | None = None
    review_chat_id: int | None = None
    review_message_id: int | None = None
    topic_text: str | None = None
    topic_markup: InlineKeyboardMarkup | None = None
    topic_chat_id: int | None = None
    topic_thread_id: int | None = None


def _mention(reviewer: Reviewer) -> str:
    return f'<a href="tg://user?id={reviewer.user_id}">{escape(reviewer.name)}</a>'


class DocumentReview:
    def __init__(
        self,
        db: Database,
        translations: Translations,
        staff_t: Translator,
        clock: Clock,
        port: DealPort,
        members: Members,
        admin_ids: frozenset[int],
        *,
        quiet: tuple[ZoneInfo, QuietHours] | None = None,
        wake: Callable[[], None],
        on_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._db = db
        self._translations = translations
        self._t = staff_t
        self._clock = clock
        self.port = port
        self._members = members
        self._admins = admin_ids
        # The client's notices wait out their night (the team's zone and QUIET_HOURS).
        self._quiet = quiet
        self._wake = wake
        self._on_change = on_change

    async def may_review(self, chat_id: int, user_id: int) -> bool:
        """Staff group members, administrators and the deal's role people."""
        if user_id in self._admins:
            return True
        if any(user_id in self.port.people(role) for role in REVIEWER_ROLES):
            return True
        staff_chat = self._members.chat_id
        return (
            staff_chat is not None
            and chat_id == staff_chat
            and await self._members.is_member(chat_id, user_id)
        )

    async def accept(self, document_id: int, reviewer: Reviewer) -> ReviewReply:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            document = await store.get(tx, document_id)
            if document is None or not await store.review(
                tx, document_id, DocumentStatus.ACCEPTED, by=reviewer.user_id, reason=None, at=now
            ):
                # Read again: a review that won the race (another connection) shows here.
                return self._already(await store.get(tx, document_id))
            await self._event(tx, document, EventType.DEAL_DOCUMENT_ACCEPTED, reviewer, {})
            await self._tell_client(tx, document, "documents.client.accepted", now)
            await self._drop_pending(tx, document)
        await self._changed()
        line = self._t("documents.review.accepted_by", who=_mention(reviewer))
        return ReviewReply(
            toast=self._t("documents.review.accepted_toast"),
            replace_keyboard=True,
            **self._reviewed(document, line),
        )

    async def reasons(self, document_id: int) -> ReviewReply:
        async with self._db.read() as conn:
            document = await store.get(conn, document_id)
        if document is None or document.status is not DocumentStatus.RECEIVED or document.removed:
            return self._already(document)
        return ReviewReply(replace_keyboard=True, keyboard=reasons_markup(document_id, self._t))

    async def back(self, document_id: int) -> ReviewReply:
        async with self._db.read() as conn:
            document = await store.get(conn, document_id)
        if document is None or document.status is not DocumentStatus.RECEIVED or document.removed:
            return self._already(document)
        return ReviewReply(replace_keyboard=True, keyboard=review_markup(document_id, self._t))

    async def ask_fix(
        self, document_id: int, reason: RejectReason, reviewer: Reviewer
    ) -> ReviewReply:
        """A reason chosen: the reviewer may type what to fix (or reject without a note)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            document = await store.get(tx, document_id)
            if document is None or document.status is not DocumentStatus.RECEIVED:
                return self._already(document)
            lead = await leads.get(tx, LeadId(document.lead_id))
            if lead is None:
                return self._already(None)
            pending = AwaitedFix(reviewer.user_id, document_id, reason).to_text()
            await desk.set_pending(tx, lead.id, pending, now)
        ask = self._t(
            "documents.review.ask_fix",
            who=_mention(reviewer),
            title=escape(document.title),
            reason=self._t(f"documents.reason.{reason}"),
        )
        return ReviewReply(
            toast=self._t("documents.review.fix_asked"),
            replace_keyboard=True,
            keyboard=review_markup(document_id, self._t),
            topic_text=ask,
            topic_markup=no_note_markup(document_id, reason, self._t),
            topic_chat_id=lead.staff_chat_id,
            topic_thread_id=lead.staff_thread_id,
        )

    async def awaiting(self, chat_id: int, thread_id: int | None, user_id: int) -> int | None:
        """The lead whose topic this is, if `user_id` was asked there what to fix."""
        async with self._db.read() as conn:
            if thread_id is None:
                lead_id = await desk.lead_awaiting(conn, chat_id, user_id)
            else:
                lead_id = await desk.lead_by_thread(conn, chat_id, thread_id)
            if lead_id is None:
                return None
            state = await desk.get(conn, lead_id)
        pending = awaited_fix(state.pending_input)
        return lead_id if pending is not None and pending.by == user_id else None

    async def fix_typed(self, lead_id: int, reviewer: Reviewer, text: str) -> ReviewReply:
        """What to fix, typed in the topic: the document is rejected with it."""
        async with self._db.read() as conn:
            pending = awaited_fix((await desk.get(conn, lead_id)).pending_input)
        if pending is None or pending.by != reviewer.user_id:
            return ReviewReply()
        note = text.strip()[:MAX_FIX_LENGTH] or None
        return await self.reject(pending.document_id, pending.reason, reviewer, note)

    async def reject(
        self, document_id: int, reason: RejectReason, reviewer: Reviewer, note: str | None
    ) -> ReviewReply:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            document = await store.get(tx, document_id)
            if document is not None:
                await self._drop_pending(tx, document)
            if document is None or not await store.review(
                tx,
                document_id,
                DocumentStatus.REJECTED,
                by=reviewer.user_id,
                reason=reason,
                at=now,
            ):
                return self._already(await store.get(tx, document_id))
            facts = {"reason": reason.value, "reason_text": note}
            await self._event(tx, document, EventType.DEAL_DOCUMENT_REJECTED, reviewer, facts)
            await self._tell_client(tx, document, "documents.client.rejected", now, reason, note)
        await self._changed()
        line = self._t(
            "documents.review.rejected_by",
            who=_mention(reviewer),
            reason=self._t(f"documents.reason.{reason}"),
        )
        return ReviewReply(
            toast=self._t("documents.review.rejected_toast"),
            replace_keyboard=True,
            **self._reviewed(document, line),
        )

    def _reviewed(self, document: StoredDocument, line: str) -> dict[str, Any]:
        """The review copy's caption once reviewed: what it is, and how it ended."""
        caption = review_caption(document.lead_id, document.title, document.stage_title, self._t)
        return {
            "caption": f"{caption}\n{line}",
            "review_chat_id": document.staff_chat_id,
            "review_message_id": document.staff_message_id,
        }

    def _already(self, document: StoredDocument | None) -> ReviewReply:
        if document is None:
            return ReviewReply(toast=self._t("documents.review.gone"), replace_keyboard=True)
        if document.removed:
            return ReviewReply(toast=self._t("documents.review.removed"), replace_keyboard=True)
        status = self._t(f"documents.status.{document.status}")
        return ReviewReply(toast=self._t("documents.review.already", status=status))

    async def _event(
        self,
        tx: Connection,
        document: StoredDocument,
        type_: EventType,
        reviewer: Reviewer,
        extra: dict[str, str | None],
    ) -> None:
        data = {"document_id": document.id, "stage": document.stage, "document": document.document}
        await events.append(
            tx,
            document.lead_id,
            type_,
            at=self._clock.now(),
            actor=f"staff:{reviewer.user_id}",
            data={**data, **extra},
        )

    async def _tell_client(
        self,
        tx: Connection,
        document: StoredDocument,
        key: str,
        now: datetime,
        reason: RejectReason | None = None,
        note: str | None = None,
    ) -> None:
        """The client's notice, in their language, for the delivery job to send."""
        lead = await leads.get(tx, LeadId(document.lead_id))
        if lead is None:
            return
        t = self._translations.get(lead.language)
        same = [
            r
            for r in await self.port.documents_wanted(tx, lead.id)
            if r.document == document.document
        ]
        title = escape(same[0].title.get(lead.language) if same else document.title)
        markup = None
        if reason is None:
            text = t(key, title=title)
        else:
            text = t(key, title=title, reason=t(f"documents.client_reason.{reason}"))
            if note:
                text += "\n" + t("documents.client.fix", note=escape(note))
            keyboard = documents_keyboard(same, t)  # "📎 Send: …" again
            markup = None if keyboard is None else keyboard.model_dump_json(exclude_none=True)
        due = now
        if self._quiet is not None:
            zone, quiet = self._quiet
            due = outside_quiet(now, zone, quiet, now - timedelta(seconds=1), None) or now
        await store.enqueue(tx, lead.id, "client", at=now, text=text, markup=markup, due_at=due)
        self._wake()

    async def _drop_pending(self, tx: Connection, document: StoredDocument) -> None:
        state = await desk.get(tx, document.lead_id)
        pending = awaited_fix(state.pending_input)
        if pending is not None and pending.document_id == document.id:
            await desk.set_pending(tx, document.lead_id, None, self._clock.now())

    async def _changed(self) -> None:
        if self._on_change is not None:
            await self._on_change()

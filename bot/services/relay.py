"""The prospect talks to people through the lead's topic, and people answer from it.

What either side writes is accepted here in one transaction: the copy to make is a row of
the relay outbox (with the event and the card's "last message"), and a worker carries it
out (bot/services/relay_delivery.py), so the update is answered at once and a restart or
an outage delays a copy but never loses it. Free text the bot cannot use goes to the
knowledge base first, while the prospect has not asked for a person.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from html import escape
from typing import Any

from aiogram.methods import SetMessageReaction
from aiogram.types import ReactionTypeEmoji

from bot.clock import Clock
from bot.domain.events import EventType
from bot.domain.knowledge_hit import Knowledge, KnowledgeHit
from bot.domain.leads import Lead, LeadId
from bot.domain.relay import (
    NOTE_COMMAND,
    Kind,
    acknowledges,
    asks_knowledge,
    command_of,
    in_checklist,
    preview,
    relay_applies,
)
from bot.i18n import Translations, Translator
from bot.services.notifier import Notifier
from bot.services.relay_delivery import RelayDelivery
from bot.storage import events, leads
from bot.storage import relay as store
from bot.storage.db import Connection, Database
from bot.storage.relay import Action, Direction
from bot.views import Screen
from bot.views.prospect import ask_person_markup, back_to_questions_markup

logger = logging.getLogger(__name__)

# Album items arrive as separate updates; the album is copied once none came for this long.
ALBUM_SETTLE = timedelta(seconds=2)
NOTE_REACTION = "✍"


@dataclass(frozen=True)
class Incoming:
    """A message as the relay needs it, from either side."""

    chat_id: int
    message_id: int
    kind: Kind
    text: str | None  # the text, or a media message's caption
    entities: Sequence[dict[str, Any]] = ()
    media_group_id: str | None = None
    reply_to_message_id: int | None = None


class Via(StrEnum):
    BUTTON = "button"  # under a knowledge-base answer
    COMMAND = "command"  # /human
    CHECKLIST = "checklist"  # under the checklist's outcome


@dataclass(frozen=True)
class StaffResult:
    """What became of a staff member's message in a lead's topic."""

    relayed: bool = False
    note: bool = False


class Relay:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        delivery: RelayDelivery,
        translations: Translations,
        staff_t: Translator,
        clock: Clock,
        *,
        knowledge: Knowledge | None = None,
        on_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self.delivery = delivery
        self._translations = translations
        self._staff_t = staff_t
        self._clock = clock
        # The knowledge base, when there is one (workflow data `knowledge` in the app).
        self.knowledge = knowledge
        self._on_change = on_change

    # --- the prospect's side --------------------------------------------------------------

    async def lead_for(self, user_id: int, kind: Kind) -> Lead | None:
        """The prospect's lead if this message of theirs belongs to the relay."""
        async with self._db.read() as conn:
            found = await store.standing(conn, user_id)
            if found is None or not relay_applies(*found, kind):
                return None  # the checklist's, as most messages are: one look-up
            return await leads.get_by_user(conn, user_id)

    async def from_prospect(self, lead: Lead, message: Incoming) -> Screen | None:
        """Queues the copy into the topic; returns what to answer the prospect, if anything."""
        async with self._db.read() as conn:
            state = await store.state(conn, lead.id)
            after_bot = await store.last_answered_by_bot(conn, lead.id)
            if lead.unreachable_at is not None:
                # They wrote to us, so they have unblocked the bot.
                await leads.mark_reachable(conn, lead.id)
        hit = await self._ask_knowledge(lead, state.relay_open, message)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            queued = await self._queue_copy(tx, lead, Direction.IN, message, "prospect")
            if queued:
                label = self._staff_t(f"relay.kind.{message.kind.value}")
                await store.client_wrote(
                    tx, lead.id, preview(message.kind, message.text, label), now
                )
                if hit is None:
                    await events.append(
                        tx,
                        lead.id,
                        EventType.DESK_CLIENT_MESSAGE,
                        at=now,
                        actor="prospect",
                        data={"kind": message.kind.value},
                    )
                else:
                    await self._kb_answered(tx, lead, message, hit)
        self.delivery.wake()
        if not queued:
            return None  # the same update again: it was answered the first time
        t = self._translations.get(lead.language)
        if hit is not None:
            return Screen(hit.answer, ask_person_markup(t, Via.BUTTON.value))
        album_item = message.media_group_id is not None and message.text is None
        if state.relay_open or not acknowledges(
            state.last_client_message_at, now, after_bot=after_bot, album_item=album_item
        ):
            return None
        return Screen(t("relay.passed_on"), ask_person_markup(t, Via.BUTTON.value))

    async def _ask_knowledge(
        self, lead: Lead, relay_open: bool, message: Incoming
    ) -> KnowledgeHit | None:
        if self.knowledge is None or not asks_knowledge(relay_open, message.kind):
            return None
        try:
            return await self.knowledge.answer(lead.language, message.text or "")
        except Exception:
            # A broken knowledge base must not keep the prospect from people.
            logger.exception("the knowledge base failed; passing the message on to people")
            return None

    async def _kb_answered(
        self, tx: Connection, lead: Lead, message: Incoming, hit: KnowledgeHit
    ) -> None:
        now = self._clock.now()
        await events.append(
            tx,
            lead.id,
            EventType.DESK_KB_ANSWERED,
            at=now,
            actor="system",
            data={"entry": hit.entry_id},
        )
        line = self._staff_t("relay.topic.kb_answered", question=escape(hit.question))
        await self._queue_notice(tx, lead, message.message_id, line)

    async def ask_person(self, user_id: int, via: Via) -> Screen | None:
        """Opens the relay ("Ask a person", /human); None if they have no lead yet."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get_by_user(tx, user_id)
            if lead is None:
                return None
            if await store.open_relay(tx, lead.id, now):
                await events.append(
                    tx,
                    lead.id,
                    EventType.DESK_HUMAN_REQUESTED,
                    at=now,
                    actor="prospect",
                    data={"via": via.value},
                )
                await self._queue_notice(tx, lead, 0, self._staff_t("relay.topic.human_requested"))
        self.delivery.wake()
        t = self._translations.get(lead.language)
        if in_checklist(lead.status):
            # Typed text now goes to people: offer the way back to typing answers.
            return Screen(t("relay.human_requested.checklist"), back_to_questions_markup(t))
        return Screen(t("relay.human_requested"))

    async def back_to_questions(self, user_id: int) -> None:
        """Closes the relay of a lead still in the checklist, so typing answers again."""
        async with self._db.transaction() as tx:
            lead = await leads.get_by_user(tx, user_id)
            if lead is not None and in_checklist(lead.status):
                await store.close_relay(tx, lead.id, self._clock.now())

    async def prospect_edited(self, message: Incoming) -> None:
        """Mirrors an edit of a message that was copied (or is to be) into the topic."""
        await self._queue_edit(Direction.IN, message, "prospect")

    # --- the staff side -------------------------------------------------------------------

    async def staff_target(
        self, chat_id: int, thread_id: int | None, reply_to: int | None, text: str | None
    ) -> int | None:
        """The lead a staff message is for, if the relay takes it: found by its topic, or by
        the relayed message it replies to (a lead still in the checklist has no topic, so
        its messages land in the group). Commands other than /note are not the relay's, nor
        is a reason being typed for a card action."""
        command = command_of(text)
        if command is not None and command[0] != NOTE_COMMAND:
            return None
        async with self._db.read() as conn:
            lead_id = None
            if thread_id is not None:
                lead_id = await store.lead_by_thread(conn, chat_id, thread_id)
            if lead_id is None and reply_to is not None:
                paired = await store.prospect_side(conn, chat_id, reply_to)
                lead_id = None if paired is None else paired[0]
            if lead_id is None:
                return None
            state = await store.state(conn, lead_id)
        return None if command is None and state.pending_input else lead_id

    async def from_staff(self, lead_id: int, user_id: int, message: Incoming) -> StaffResult:
        """A staff member wrote about the lead: a /note is kept in the topic (and shown as
        kept), anything else goes to the prospect."""
        command = command_of(message.text if message.kind is Kind.TEXT else None)
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(lead_id))
        if lead is None:
            return StaffResult()
        now = self._clock.now()
        actor = f"staff:{user_id}"
        if command is not None and command[0] == NOTE_COMMAND:
            async with self._db.transaction() as tx:
                await events.append(
                    tx,
                    lead.id,
                    EventType.DESK_NOTE_ADDED,
                    at=now,
                    actor=actor,
                    data={"note": command[1]},
                )
            reaction = SetMessageReaction(
                chat_id=message.chat_id,
                message_id=message.message_id,
                reaction=[ReactionTypeEmoji(emoji=NOTE_REACTION)],
            )
            await self._notifier.call(reaction, message.chat_id)
            return StaffResult(note=True)
        async with self._db.transaction() as tx:
            await self._queue_copy(tx, lead, Direction.OUT, message, actor)
        self.delivery.wake()
        return StaffResult(relayed=True)

    async def staff_edited(self, user_id: int, message: Incoming) -> None:
        await self._queue_edit(Direction.OUT, message, f"staff:{user_id}")

    # --- helpers --------------------------------------------------------------------------

    async def _queue_copy(
        self, tx: Connection, lead: Lead, direction: Direction, message: Incoming, actor: str
    ) -> bool:
        now = self._clock.now()
        due = now if message.media_group_id is None else now + ALBUM_SETTLE
        queued = await store.add(
            tx,
            lead_id=lead.id,
            direction=direction,
            action=Action.COPY,
            kind=message.kind.value,
            from_chat_id=message.chat_id,
            message_id=message.message_id,
            actor=actor,
            due_at=due,
            at=now,
            media_group_id=message.media_group_id,
            reply_to_message_id=message.reply_to_message_id,
        )
        if queued and message.media_group_id is not None:
            await store.settle_album(tx, lead.id, message.media_group_id, due)
        return queued

    async def _queue_notice(self, tx: Connection, lead: Lead, message_id: int, line: str) -> None:
        now = self._clock.now()
        await store.add(
            tx,
            lead_id=lead.id,
            direction=Direction.IN,
            action=Action.NOTICE,
            kind=Kind.TEXT.value,
            from_chat_id=lead.chat_id,
            message_id=message_id,
            actor="system",
            due_at=now,
            at=now,
            text=line,
        )

    async def _queue_edit(self, direction: Direction, message: Incoming, actor: str) -> None:
        """Queued only for messages the relay carried (or is about to): an edited checklist
        answer or note stays where it is."""
        action = Action.EDIT_TEXT if message.kind is Kind.TEXT else Action.EDIT_CAPTION
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead_id = await store.carried_by(tx, direction, message.chat_id, message.message_id)
            if lead_id is None:
                return
            await store.add(
                tx,
                lead_id=lead_id,
                direction=direction,
                action=action,
                kind=message.kind.value,
                from_chat_id=message.chat_id,
                message_id=message.message_id,
                actor=actor,
                due_at=now,
                at=now,
                text=message.text or "",
                entities=list(message.entities),
            )
        self.delivery.wake()

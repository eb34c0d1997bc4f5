"""A qualified lead with its topic, and a small knowledge base, for the relay's tests."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.events import Event, EventType
from bot.domain.knowledge_hit import KnowledgeHit
from bot.domain.leads import Lead
from bot.storage import events
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import GroupMember, StoredMessage, TelegramUser
from tests.handlers.flows import serious_buyer


@dataclass
class Desk:
    """A prospect who finished the checklist, a lead-manager, and the lead's topic."""

    harness: Harness
    prospect: TelegramUser
    manager: GroupMember
    lead: Lead
    thread: int

    def topic(self) -> list[StoredMessage]:
        """What the bot put into the lead's topic, oldest first."""
        return [
            m
            for m in self.harness.telegram.bot_messages(STAFF_CHAT, self.thread)
            if "forum_topic_created" not in m.content
        ]

    def copies_in_topic(self) -> list[StoredMessage]:
        """The bot's messages in the topic that are not its own cards or notices."""
        return [m for m in self.topic() if m.message_id in self._copied(STAFF_CHAT)]

    def chat(self) -> list[StoredMessage]:
        """The bot's messages in the prospect's chat, oldest first."""
        return self.harness.telegram.bot_messages(self.prospect.chat_id)

    def copies_in_chat(self) -> list[StoredMessage]:
        return [m for m in self.chat() if m.message_id in self._copied(self.prospect.chat_id)]

    def _copied(self, chat_id: int) -> set[int]:
        ids: set[int] = set()
        for method in ("copyMessage", "copyMessages"):
            for request in self.harness.telegram.sent(chat_id, method):
                result = request.result
                for item in result if isinstance(result, list) else [result]:
                    ids.add(item["message_id"])
        return ids

    async def deliver(self) -> int:
        """What the relay's worker does when woken."""
        return await self.harness.app.relay.delivery.deliver_due()

    async def events(self, type_: EventType) -> list[Event]:
        async with self.harness.app.db.read() as conn:
            found = await events.for_lead(conn, self.lead.id)
        return [e for e in found if e.type is type_]


async def open_desk(harness: Harness) -> Desk:
    prospect = harness.prospect(language_code="en")
    await serious_buyer(prospect)
    lead = await harness.lead()
    assert lead is not None and lead.staff_thread_id is not None
    return Desk(harness, prospect, harness.staff_member(), lead, lead.staff_thread_id)


class SmallKnowledge:
    """Two answers, found by a keyword: enough to tell a hit from a miss."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def answer(self, language: str, text: str) -> KnowledgeHit | None:
        self.asked.append((language, text))
        lowered = text.lower()
        if "mortgage" in lowered:
            return KnowledgeHit(
                "file:mortgage", "Is there a mortgage?", "Yes: <b>6%</b> with our banks."
            )
        if "metro" in lowered:
            return KnowledgeHit("file:metro", "How far is the metro?", "Seven minutes on foot.")
        return None

"""Building blocks for the time-limit tests: a qualified lead at a chosen moment, and the
desk events the card's buttons and the relay write (as their use cases would)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.events import EventType
from bot.storage import deadlines, events
from bot.storage.codec import dump_time
from bot.storage.deadlines import Deadline
from tests.conftest import MANAGER_ID, STAFF_CHAT, Harness
from tests.fakegram import TelegramUser
from tests.fakegram.server import StoredMessage
from tests.handlers import flows

MOSCOW = ZoneInfo("Europe/Moscow")
HEAD_ID = 7001
PROSPECT_ID = 1001


def moscow(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment on the desk's clock (TIMEZONE is Europe/Moscow by default), in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


async def qualified_lead(h: Harness, at: datetime, user_id: int = PROSPECT_ID) -> TelegramUser:
    """A prospect who finished the checklist as a target lead at `at`."""
    h.clock.current = at
    prospect = h.prospect(user_id, language_code="en", first_name="Anna")
    await flows.serious_buyer(prospect)
    await h.app.pipe.drain()
    return prospect


async def desk_event(
    h: Harness, type_: EventType, lead_id: int = 1, actor: str = f"staff:{MANAGER_ID}", **data: Any
) -> None:
    async with h.app.db.transaction() as tx:
        await events.append(tx, lead_id, type_, at=h.clock.now(), actor=actor, data=data)
    await h.app.pipe.drain()


async def take(h: Harness, lead_id: int = 1, owner: int = MANAGER_ID) -> None:
    """What the Take button records: the owner on the desk row and `desk.owner_set`."""
    now = dump_time(h.clock.now())
    async with h.app.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO desk_leads (lead_id, owner_id, owner_name, taken_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (lead_id, owner, "Olga <Sales>", now, now),
        )
    await desk_event(h, EventType.DESK_OWNER_SET, lead_id, owner=owner, previous=None, how="take")


async def rows(h: Harness, lead_id: int = 1) -> list[Deadline]:
    async with h.app.db.read() as conn:
        return await deadlines.for_lead(conn, lead_id)


async def event_types(h: Harness, lead_id: int = 1) -> list[str]:
    async with h.app.db.read() as conn:
        return [str(event.type) for event in await events.for_lead(conn, lead_id)]


def sla_messages(h: Harness, chat_id: int = STAFF_CHAT) -> list[StoredMessage]:
    """What the time limits said in a chat (the nudges carry ⏰, escalations 🚨)."""
    return [
        message
        for message in h.telegram.bot_messages(chat_id)
        if message.visible_text.startswith(("⏰", "🚨"))
    ]

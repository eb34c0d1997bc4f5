"""Staff talk to the prospect from the lead's topic; `/note …` stays in the topic."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import BaseFilter
from aiogram.types import Message

from bot.domain.relay import Kind
from bot.filters import StaffMember
from bot.handlers.relay_message import incoming, kind_of
from bot.services.relay import Relay


class InLeadTopic(BaseFilter):
    """A person's message about a lead (in its topic, or a reply to a relayed message) that
    the relay takes: not other commands, not a reason being typed for a card action.
    Adds `lead_id`."""

    async def __call__(self, message: Message, relay: Relay) -> bool | dict[str, Any]:
        if kind_of(message) is Kind.OTHER:
            return False  # service messages (topic edits, pins, joins) are not for the client
        if message.sender_chat is None and (message.from_user is None or message.from_user.is_bot):
            return False
        reply = message.reply_to_message
        lead_id = await relay.staff_target(
            message.chat.id,
            message.message_thread_id if message.is_topic_message else None,
            None if reply is None else reply.message_id,
            message.text if message.text is not None else None,
        )
        return False if lead_id is None else {"lead_id": lead_id}


async def from_staff(message: Message, lead_id: int, relay: Relay) -> None:
    user_id = message.from_user.id if message.from_user is not None else message.chat.id
    await relay.from_staff(lead_id, user_id, incoming(message))


async def edited(message: Message, relay: Relay) -> None:
    user_id = message.from_user.id if message.from_user is not None else message.chat.id
    await relay.staff_edited(user_id, incoming(message))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(from_staff, StaffMember(), InLeadTopic())
    router.edited_message.register(edited, StaffMember())
    return router

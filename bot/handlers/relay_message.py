"""Reads a Telegram message as the relay needs it (both audiences' handlers use this)."""

from __future__ import annotations

from aiogram.types import Message

from bot.domain.relay import Kind
from bot.services.relay import Incoming

_KINDS = {kind.value: kind for kind in Kind}


def kind_of(message: Message) -> Kind:
    content_type = message.content_type  # aiogram's ContentType, a (str, Enum)
    return _KINDS.get(getattr(content_type, "value", content_type), Kind.OTHER)


def incoming(message: Message) -> Incoming:
    entities = message.entities if message.text is not None else message.caption_entities
    reply = message.reply_to_message
    return Incoming(
        chat_id=message.chat.id,
        message_id=message.message_id,
        kind=kind_of(message),
        text=message.text if message.text is not None else message.caption,
        entities=[e.model_dump(exclude_none=True) for e in entities or ()],
        media_group_id=message.media_group_id,
        reply_to_message_id=None if reply is None else reply.message_id,
    )

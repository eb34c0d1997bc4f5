"""Adds `prospect` (who wrote, from which private chat) to private-chat handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from bot.services.standing import Prospect


class ProspectMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or chat is None:
            return None
        data["prospect"] = Prospect(
            user_id=user.id,
            chat_id=chat.id,
            username=user.username,
            language_code=user.language_code,
        )
        return await handler(event, data)

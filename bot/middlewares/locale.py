"""Adds `t`, the translator for the person behind the update (by Telegram's language_code)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.i18n import Translations


class LocaleMiddleware(BaseMiddleware):
    def __init__(self, translations: Translations) -> None:
        self._translations = translations

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        language = self._translations.pick_language(user.language_code if user else None)
        data["t"] = self._translations.get(language)
        return await handler(event, data)

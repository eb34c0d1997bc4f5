"""Remembers when the last update from Telegram arrived, for the inflow watchdog's
self-check. In memory only: the watchdog persists it now and then, so an update costs
no database write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.clock import Clock


class LastUpdate(BaseMiddleware):
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.at: datetime | None = None

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.at = self._clock.now()
        return await handler(event, data)

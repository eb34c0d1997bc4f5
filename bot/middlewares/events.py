"""After an update that changed a lead, lets the event consumers (cards, CRM) catch up.

Runs after the handler, so the prospect's answer goes out before any card edit; an
update that wrote no event costs nothing here. The update waits for the consumers only
briefly: behind a staff group at its rate limit, a prospect must not wait for the cards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.services.event_pipe import EventPipe
from bot.storage import events

DRAIN_WAIT_SECONDS = 2.0


class DrainEvents(BaseMiddleware):
    def __init__(self, pipe: EventPipe) -> None:
        self._pipe = pipe

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        events.reset_appended()
        try:
            return await handler(event, data)
        finally:
            if events.appended_in_this_task():
                await self._pipe.drain_within(DRAIN_WAIT_SECONDS)

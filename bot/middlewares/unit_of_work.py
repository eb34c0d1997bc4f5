"""Holds an update's small writes (its update_id, the chat's memory) so they ride the
update's own transaction, and writes what is left when the update ends
(bot/storage/unit_of_work.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.storage.unit_of_work import GroupCommit, holding


class OneCommit(BaseMiddleware):
    def __init__(self, group: GroupCommit) -> None:
        self._group = group

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        with holding() as writes:
            try:
                return await handler(event, data)
            finally:
                await self._group.write(writes.take())

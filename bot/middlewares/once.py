"""Each update is handled once, by its update_id.

Telegram sends a webhook update again when it did not get a 200 for it (possibly to another
replica), and long polling after a crash can hand out updates already handled. The first
replica to record the update_id in the database handles it; a repeat is dropped (logged at
DEBUG, counted in `repeats`). A handler that fails gives its update_id back, so a
re-delivery gets another chance.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED, CancelHandler, SkipHandler
from aiogram.types import TelegramObject, Update

from bot.clock import Clock
from bot.storage import processed_updates as store
from bot.storage.db import Database

logger = logging.getLogger(__name__)

# Telegram keeps an undelivered update for 24 hours; after two days a repeat cannot come.
KEEP = timedelta(days=2)


class HandleOnce(BaseMiddleware):
    def __init__(self, db: Database, clock: Clock, *, keep: timedelta = KEEP) -> None:
        self._db = db
        self._clock = clock
        self._keep = keep
        self.repeats = 0  # updates dropped as repeats since start

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        update_id = event.update_id
        async with self._db.read() as conn:
            first = await store.claim(conn, update_id, self._clock.now())
        if not first:
            self.repeats += 1
            logger.debug("update %s was handled already: dropped", update_id)
            return UNHANDLED
        try:
            return await handler(event, data)
        except (SkipHandler, CancelHandler):
            raise
        except Exception:
            async with self._db.read() as conn:
                await store.release(conn, update_id)
            raise

    async def prune(self) -> int:
        """Forgets update_ids older than `keep` (a periodic job)."""
        async with self._db.read() as conn:
            pruned = await store.prune(conn, self._clock.now() - self._keep)
        if pruned:
            logger.debug("forgot %d handled update ids", pruned)
        return pruned

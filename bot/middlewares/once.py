"""Each update is handled once, by its update_id.

Telegram sends a webhook update again when it did not get a 200 for it (possibly to another
replica), and long polling after a crash can hand out updates already handled. The first
replica to record the update_id handles it (a lone process records it in the update's own
first commit, see DatabaseClaims); a repeat is dropped (logged at DEBUG, counted
in `repeats`). A handler that fails gives its update_id back, so a re-delivery gets
another chance. The ids are kept in the database, or in Redis when conversations are
there (then an update costs the database no commit of its own).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED, CancelHandler, SkipHandler
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis

from bot.clock import Clock
from bot.storage import processed_updates as store
from bot.storage import unit_of_work
from bot.storage.db import Database

logger = logging.getLogger(__name__)

# Telegram keeps an undelivered update for 24 hours; after two days a repeat cannot come.
KEEP = timedelta(days=2)
# Updates claimed but maybe not committed yet, remembered by a lone process.
IN_FLIGHT_SIZE = 10_000


class Claims(Protocol):
    async def claim(self, update_id: int) -> bool:
        """True if the update is new (and is now recorded); False if it was taken before."""

    async def release(self, update_id: int) -> None: ...

    async def prune(self) -> int:
        """Forgets ids older than the time a repeat can come in; returns how many."""


class DatabaseClaims:
    """The ids in the database. A lone process records the id inside the update's own
    first transaction (so the update and its record are committed or lost together) and
    keeps the ids in flight in memory; replicas sharing the table (`shared`) record it
    at once, the record being what keeps the others off."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        keep: timedelta = KEEP,
        shared: bool = False,
        in_flight_size: int = IN_FLIGHT_SIZE,
    ) -> None:
        self._db = db
        self._clock = clock
        self._keep = keep
        self._shared = shared
        # Claimed here and maybe not committed yet; the oldest are long in the database.
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._recent_size = in_flight_size
        # Ids at or below it may be in the database without being in `_recent` (recorded
        # before this process started, or forgotten from `_recent`): only those are
        # looked up. Telegram's update_ids only grow, and no other process records ids.
        self._floor: int | None = None

    async def claim(self, update_id: int) -> bool:
        writes = None if self._shared else unit_of_work.current()
        if writes is None:
            async with self._db.read() as conn:
                return await store.claim(conn, update_id, self._clock.now())
        if update_id in self._recent:
            return False
        if self._floor is None:
            async with self._db.read() as conn:
                self._floor = await store.highest(conn)
        if update_id <= self._floor:
            async with self._db.read() as conn:
                if await store.taken(conn, update_id):
                    return False
        self._recent[update_id] = None
        if len(self._recent) > self._recent_size:
            forgotten, _ = self._recent.popitem(last=False)
            self._floor = max(self._floor, forgotten)
        writes.hold(("update", update_id), store.record(update_id, self._clock.now()))
        return True

    async def release(self, update_id: int) -> None:
        self._recent.pop(update_id, None)
        writes = unit_of_work.current()
        if writes is not None and writes.drop(("update", update_id)):
            return  # never written
        async with self._db.read() as conn:
            await store.release(conn, update_id)

    async def prune(self) -> int:
        async with self._db.read() as conn:
            return await store.prune(conn, self._clock.now() - self._keep)


class RedisClaims:
    """One key per update, gone by itself after `keep`."""

    def __init__(self, redis: Redis, bot_id: int, *, keep: timedelta = KEEP) -> None:
        self._redis = redis
        self._prefix = f"update:{bot_id}:"
        self._seconds = int(keep.total_seconds())

    async def claim(self, update_id: int) -> bool:
        return bool(
            await self._redis.set(f"{self._prefix}{update_id}", 1, nx=True, ex=self._seconds)
        )

    async def release(self, update_id: int) -> None:
        await self._redis.delete(f"{self._prefix}{update_id}")

    async def prune(self) -> int:
        return 0  # the keys expire on their own


class HandleOnce(BaseMiddleware):
    def __init__(self, claims: Claims) -> None:
        self._claims = claims
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
        if not await self._claims.claim(update_id):
            self.repeats += 1
            logger.debug("update %s was handled already: dropped", update_id)
            return UNHANDLED
        try:
            return await handler(event, data)
        except (SkipHandler, CancelHandler):
            raise
        except Exception:
            await self._claims.release(update_id)
            raise

    async def prune(self) -> int:
        """Forgets update_ids older than `keep` (a periodic job)."""
        pruned = await self._claims.prune()
        if pruned:
            logger.debug("forgot %d handled update ids", pruned)
        return pruned

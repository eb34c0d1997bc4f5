"""Where conversations and send limits live: in this process and its database (one bot on
one machine), or in Redis shared by several replicas (REDIS_URL, REPLICAS)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage

from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.domain.send_policy import SendLimits
from bot.isolation import BoundedEventIsolation
from bot.services.send_queue import SharedSlots
from bot.storage.db import Database
from bot.storage.fsm import DEFAULT_CACHE_SIZE, DatabaseStorage
from bot.storage.fsm_redis import RedisConversations, RedisUnavailable, check, connect, where
from bot.storage.send_slots import RedisSendSlots

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScaleOut:
    # DatabaseStorage or RedisConversations: aiogram's storage that can forget a person.
    conversations: DatabaseStorage | RedisConversations
    isolation: BaseEventIsolation
    slots: SharedSlots | None  # send windows shared with the other replicas
    replicas: int

    @property
    def storage(self) -> BaseStorage:
        return self.conversations

    def limits(self, limits: SendLimits) -> SendLimits:
        """Without shared windows, each of N replicas keeps 1/N of every limit (its windows
        N times as long), so together they still keep Telegram's."""
        if self.slots is not None or self.replicas == 1:
            return limits
        return limits.scaled(self.replicas)


async def build_scale_out(settings: Settings, db: Database, clock: Clock, bot_id: int) -> ScaleOut:
    """Connects to Redis when REDIS_URL is set; ConfigError if it does not answer."""
    several = settings.replicas > 1
    if settings.redis_url is None:
        if several:
            logger.warning(
                "REPLICAS=%d without REDIS_URL: conversations are read from the database "
                "every time, and each replica keeps 1/%d of Telegram's send limits",
                settings.replicas,
                settings.replicas,
            )
        cache = 0 if several else DEFAULT_CACHE_SIZE
        return ScaleOut(
            DatabaseStorage(db, clock, cache_size=cache),
            BoundedEventIsolation(),
            None,
            settings.replicas,
        )
    url = settings.redis_url.get_secret_value()
    redis = connect(url)
    try:
        await check(redis, url)
    except RedisUnavailable as error:
        await redis.aclose()
        raise ConfigError(str(error)) from None
    conversations = RedisConversations(redis, bot_id)
    logger.info("conversations in Redis at %s (%d replica(s))", where(url), settings.replicas)
    if not several:
        return ScaleOut(conversations, BoundedEventIsolation(), None, 1)
    # One person's updates may reach two replicas at once: they take turns through Redis.
    return ScaleOut(
        conversations,
        conversations.create_isolation(),
        RedisSendSlots(redis, bot_id),
        settings.replicas,
    )

"""Conversation state in Redis (REDIS_URL): aiogram's own RedisStorage, which every replica
shares, plus what erasure needs: forgetting a person's conversation by chat and user.

Keys are aiogram's `DefaultKeyBuilder` with the bot id and the destiny in them:
`fsm:<bot_id>:<chat_id>[:<thread_id>]:<user_id>:<destiny>:state|data`.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY_PREFIX = "fsm"
# A Redis that does not answer within this long at start is reported as down.
CONNECT_TIMEOUT_SECONDS = 5.0


class RedisUnavailable(Exception):
    """Redis did not answer at start; the message is one line for the operator."""


def key_builder() -> DefaultKeyBuilder:
    return DefaultKeyBuilder(prefix=KEY_PREFIX, with_bot_id=True, with_destiny=True)


class RedisConversations(RedisStorage):
    """aiogram's RedisStorage for one bot, which can also forget a person."""

    def __init__(self, redis: Redis, bot_id: int) -> None:
        super().__init__(redis, key_builder=key_builder())
        self._bot_id = bot_id

    async def forget_person(self, chat_id: int, user_id: int) -> None:
        """Drops every conversation key of the person in that chat (any destiny)."""
        # The builder itself spells the pattern, so it follows the layout of the keys.
        pattern = self.key_builder.build(
            StorageKey(bot_id=self._bot_id, chat_id=chat_id, user_id=user_id, destiny="*")
        )
        keys = [key async for key in self.redis.scan_iter(match=f"{pattern}:*", count=100)]
        if keys:
            await self.redis.delete(*keys)


def connect(url: str) -> Redis:
    """A client for REDIS_URL (no connection is made yet)."""
    return Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_timeout=CONNECT_TIMEOUT_SECONDS * 2,
        health_check_interval=30,
    )


async def check(redis: Redis, url: str) -> None:
    """Raises RedisUnavailable, naming the server (never the password), if it does not
    answer a PING."""
    try:
        await redis.ping()
    except (RedisError, OSError) as error:
        raise RedisUnavailable(
            f"REDIS_URL: Redis at {where(url)} does not answer ({error})"
        ) from None


def where(url: str) -> str:
    """host:port/db of a Redis URL, without the credentials."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 6379}{parts.path or ''}"

"""Send slots shared by every replica through Redis, so together they keep Telegram's
limits (1 message a second in a private chat, 20 a minute in a group, 30 a second overall).

A slot is taken atomically by a Lua script: for the chat and for the whole bot, a sorted
set holds the moments of the slots granted within the window (a sliding-window log); the
script grants a slot only if both have room, and otherwise says how long to wait and which
window was full. The moments come from the Redis server's clock, so replicas on different
machines agree on them (tests may pass a clock of their own).
"""

from __future__ import annotations

import itertools
import logging
import math
import uuid
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.domain.send_policy import Window
from bot.services.send_queue import Slot

# KEYS: the chat's log, the bot's log. ARGV: now in ms ('' = the server's clock),
# the chat's count and window in ms, the bot's count and window in ms, the grant's name,
# how long an idle log is kept (ms). A count of 0 means "no limit" for that log.
# Returns {wait_ms, 0 | 1 chat | 2 overall}.
_TAKE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function wait(key, count, window)
  if count <= 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  if n < count then return 0 end
  local oldest = redis.call('ZRANGE', key, n - count, n - count, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
local chat_count, chat_window = tonumber(ARGV[2]), tonumber(ARGV[3])
local all_count, all_window = tonumber(ARGV[4]), tonumber(ARGV[5])
local chat_wait = wait(KEYS[1], chat_count, chat_window)
if chat_wait > 0 then return {chat_wait, 1} end
local all_wait = wait(KEYS[2], all_count, all_window)
if all_wait > 0 then return {all_wait, 2} end
if chat_count > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[6])
  redis.call('PEXPIRE', KEYS[1], chat_window + tonumber(ARGV[7]))
end
if all_count > 0 then
  redis.call('ZADD', KEYS[2], now, ARGV[6])
  redis.call('PEXPIRE', KEYS[2], all_window + tonumber(ARGV[7]))
end
return {0, 0}
"""

logger = logging.getLogger(__name__)

Now = Callable[[], float]

# An idle log expires this long after its window: only to free memory (the script itself
# drops what is out of the window), with room for a clock that is not the server's.
_IDLE_MS = 60_000


class RedisSendSlots:
    """The `SharedSlots` of `services/send_queue.py`, kept in Redis for one bot."""

    def __init__(self, redis: Redis, bot_id: int, *, now: Now | None = None) -> None:
        self._redis = redis
        self._take = redis.register_script(_TAKE)
        # One hash tag: both keys of a take live in the same slot of a Redis Cluster.
        self._prefix = f"pace:{{{bot_id}}}"
        self._now = now
        self._names = (f"{uuid.uuid4().hex}:{n}" for n in itertools.count())
        self._down = False

    def chat_key(self, chat_id: int) -> str:
        return f"{self._prefix}:chat:{chat_id}"

    @property
    def overall_key(self) -> str:
        return f"{self._prefix}:all"

    async def take(self, chat_id: int | None, chat: Window | None, overall: Window | None) -> Slot:
        """A slot now (wait 0), or how long until one may be free and which window is full."""
        if (chat_id is None or chat is None) and overall is None:
            return Slot(0.0)
        chat_key = self.chat_key(chat_id) if chat_id is not None else f"{self._prefix}:none"
        now = "" if self._now is None else str(math.floor(self._now() * 1000))
        chat_count, chat_ms = _window_args(chat if chat_id is not None else None)
        all_count, all_ms = _window_args(overall)
        try:
            wait_ms, which = await self._take(
                keys=[chat_key, self.overall_key],
                args=[now, chat_count, chat_ms, all_count, all_ms, next(self._names), _IDLE_MS],
            )
        except (RedisError, OSError) as error:
            # Sends go on with this replica's own limits; a 429 then slows them down.
            if not self._down:
                logger.warning("shared send limits unavailable, pacing locally: %s", error)
            self._down = True
            return Slot(0.0)
        if self._down:
            logger.warning("shared send limits available again")
            self._down = False
        return Slot(int(wait_ms) / 1000, by_chat=int(which) == 1)


def _window_args(window: Window | None) -> tuple[int, int]:
    if window is None or window.count <= 0:
        return 0, 1
    return window.count, max(1, math.ceil(window.seconds * 1000))

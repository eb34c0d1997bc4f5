"""Two replicas sharing one Redis keep Telegram's send limits together: 30 messages a second
overall, 1 a second in a private chat, 20 a minute in a group. Times come from a clock the
test moves, so the counts per window are exact."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.domain.send_policy import TELEGRAM_LIMITS, Priority, SendLimits, Window, counts
from bot.services.send_queue import SendQueue, Slot
from bot.storage.fsm_redis import RedisConversations
from bot.storage.send_slots import RedisSendSlots
from tests.conftest import Harness, free_port
from tests.handlers.flows import consent_up_to_budget

pytestmark = pytest.mark.redis

BOT_ID = 123456789
PRIVATE = 1001
GROUP = -1001234567890


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The largest number of `times` within any half-open span `seconds` long."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_two_replicas_take_no_more_slots_together_than_one_may(redis: Redis) -> None:
    clock = Clock()
    replicas = [RedisSendSlots(redis, BOT_ID, now=clock) for _ in range(2)]
    limits = TELEGRAM_LIMITS
    granted: dict[int, list[float]] = {}
    # Both replicas want far more than the limits allow: 22 chats each, every 50 ms, 3 s long.
    for _ in range(60):
        for index, slots in enumerate(replicas):
            for chat in [PRIVATE, GROUP, *range(2000 + index * 20, 2020 + index * 20)]:
                slot = await slots.take(chat, limits.for_chat(chat), limits.overall)
                if slot.wait == 0:
                    granted.setdefault(chat, []).append(clock.t)
        clock.t = round(clock.t + 0.05, 3)

    every = [t for times in granted.values() for t in times]
    # Together: exactly 30 in each second, never more in any second-long span.
    assert most_in_any_window(every, 1.0) == 30
    assert len(every) == 90
    assert most_in_any_window(granted[PRIVATE], 1.0) == 1
    assert most_in_any_window(granted.get(GROUP, []), 60.0) <= 20


async def test_a_full_window_says_how_long_and_whose(redis: Redis) -> None:
    clock = Clock()
    first, second = (RedisSendSlots(redis, BOT_ID, now=clock) for _ in range(2))
    private = Window(1, 1.0)
    assert await first.take(PRIVATE, private, Window(30, 1.0)) == Slot(0.0)
    clock.t += 0.25
    # The other replica must wait for the rest of the chat's second.
    assert await second.take(PRIVATE, private, Window(30, 1.0)) == Slot(0.75, by_chat=True)
    assert await second.take(PRIVATE + 1, private, Window(1, 1.0)) == Slot(0.75, by_chat=False)
    clock.t += 0.75
    assert await second.take(PRIVATE, private, Window(30, 1.0)) == Slot(0.0)


async def test_two_send_queues_sharing_redis_keep_the_limits_together(redis: Redis) -> None:
    clock = Clock()
    granted: list[tuple[float, int]] = []

    class Recording:
        """What one replica was granted, at the moment the grant was decided."""

        def __init__(self) -> None:
            self._slots = RedisSendSlots(redis, BOT_ID, now=clock)

        async def take(
            self, chat_id: int | None, chat: Window | None, overall: Window | None
        ) -> Slot:
            at = clock.t
            slot = await self._slots.take(chat_id, chat, overall)
            if slot.wait == 0 and chat_id is not None:
                granted.append((at, chat_id))
            return slot

    async def sleep(seconds: float) -> None:
        clock.t += seconds
        await asyncio.sleep(0)

    queues = [
        SendQueue(TELEGRAM_LIMITS, sleep=sleep, monotonic=clock, shared=Recording())
        for _ in range(2)
    ]

    async def send(queue: SendQueue, chat: int) -> None:
        async def job() -> None:
            await queue.pace(chat, Priority.ANSWER)
            queue.sent(chat)

        await queue.run(chat, Priority.ANSWER, job)

    chats = [PRIVATE] * 6 + [GROUP] * 25 + list(range(3000, 3100))
    await asyncio.gather(*(send(queue, chat) for queue in queues for chat in chats))

    assert len(granted) == 2 * len(chats)  # everything was sent in the end
    assert most_in_any_window([t for t, _ in granted], 1.0) <= 30
    assert most_in_any_window([t for t, c in granted if c == PRIVATE], 1.0) == 1
    assert most_in_any_window([t for t, c in granted if c == GROUP], 60.0) == 20


async def test_a_redis_gone_away_leaves_each_replica_its_own_limits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    try:
        slots = RedisSendSlots(client, BOT_ID)
        with caplog.at_level(logging.WARNING, logger="bot.storage.send_slots"):
            assert await slots.take(PRIVATE, Window(1, 1.0), Window(30, 1.0)) == Slot(0.0)
            assert await slots.take(PRIVATE, Window(1, 1.0), Window(30, 1.0)) == Slot(0.0)
        warned = [r for r in caplog.records if "pacing locally" in r.getMessage()]
        assert len(warned) == 1  # once per outage, not once per message
    finally:
        await client.aclose()


async def test_two_replicas_with_redis_share_conversations_and_send_slots(
    make_harness: Callable[..., Any], redis_url: str, redis: Redis
) -> None:
    # Short chat windows (no waiting in the test); an overall one long enough to count in.
    limits = SendLimits(private=Window(1, 0.01), group=Window(20, 0.6), overall=Window(1000, 60))
    one: Harness = await make_harness(redis_url=redis_url, replicas=2, send_limits=limits)
    two: Harness = await make_harness(redis_url=redis_url, replicas=2, send_limits=limits)
    assert isinstance(two.app.dispatcher.storage, RedisConversations)
    user = one.prospect(language_code="en")
    await consent_up_to_budget(user)
    await two.prospect(language_code="en").send("8,5 млн")
    assert "How are you planning to pay?" in (user.last_text() or "")
    await one.app.pipe.drain()
    await two.app.pipe.drain()

    # Every message either replica sent took its slot from the one shared log.
    sent = [r for r in one.telegram.requests if counts(r.method)]
    assert len(sent) > 5
    assert await redis.zcard(f"pace:{{{BOT_ID}}}:all") == len(sent)

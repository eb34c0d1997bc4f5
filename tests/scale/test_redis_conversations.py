"""With REDIS_URL, conversations live in Redis: they survive a restart, and /forget or an
erasure from the staff side removes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.domain.privacy import Reason
from bot.services.erasure import Request
from bot.storage.fsm_redis import RedisConversations
from tests.conftest import Harness
from tests.handlers.flows import consent_up_to_budget

pytestmark = pytest.mark.redis

BOT_ID = 123456789


async def person_keys(url: str, user_id: int) -> list[str]:
    client = Redis.from_url(url, decode_responses=True)
    try:
        return sorted([key async for key in client.scan_iter(match=f"fsm:*:{user_id}:*")])
    finally:
        await client.aclose()


async def fsm_rows(harness: Harness) -> int:
    async with harness.app.db.read() as conn, conn.execute("SELECT COUNT(*) FROM fsm_state") as c:
        row = await c.fetchone()
    assert row is not None
    return int(row[0])


async def test_a_conversation_in_redis_survives_a_restart(
    make_harness: Callable[..., Any], redis_url: str
) -> None:
    first: Harness = await make_harness(redis_url=redis_url)
    assert isinstance(first.app.dispatcher.storage, RedisConversations)
    user = first.prospect(language_code="en")
    await consent_up_to_budget(user)
    assert "budget" in (user.last_text() or "").lower()
    # The state is in Redis, under aiogram's key layout, and not in the database.
    keys = await person_keys(redis_url, 1001)
    assert f"fsm:{BOT_ID}:1001:1001:default:state" in keys
    assert f"fsm:{BOT_ID}:1001:1001:default:data" in keys
    assert await fsm_rows(first) == 0
    await first.app.close()

    second: Harness = await make_harness(redis_url=redis_url)
    user = second.prospect(language_code="en")
    await user.send("8,5 млн")  # the budget, answered to the restarted bot
    assert "What budget do you have in mind?\n\nYour answer: 8" in user.messages()[-2]
    assert "How are you planning to pay" in (user.last_text() or "")


async def test_forget_removes_the_conversation_from_redis(
    make_harness: Callable[..., Any], redis_url: str
) -> None:
    harness: Harness = await make_harness(redis_url=redis_url)
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    other = harness.prospect(1002, language_code="en")
    await consent_up_to_budget(other)
    assert await person_keys(redis_url, 1001) != []

    await user.send("/forget")

    assert "erased your data" in (user.last_text() or "")
    assert await person_keys(redis_url, 1001) == []
    assert await person_keys(redis_url, 1002) != []  # nobody else's conversation goes


async def test_an_erasure_from_the_staff_side_removes_the_conversation_from_redis(
    make_harness: Callable[..., Any], redis_url: str
) -> None:
    harness: Harness = await make_harness(redis_url=redis_url)
    user = harness.prospect(language_code="en")
    await consent_up_to_budget(user)
    other = harness.prospect(1002, language_code="en")
    await consent_up_to_budget(other)
    lead = await harness.lead()
    assert lead is not None

    # Not from the person's chat: nothing there clears the conversation but the erasure.
    assert await harness.app.privacy.erasure.erase_lead(lead.id, Request("system", Reason.REQUEST))

    assert await person_keys(redis_url, 1001) == []
    assert await person_keys(redis_url, 1002) != []
    await user.send("8,5 млн")  # the old conversation is not picked up again
    assert user.last_text() == "To begin, press /start."

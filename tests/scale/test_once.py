"""Each update is handled once: Telegram re-sending a webhook update (perhaps to another
replica) or polling handing one out again after a crash changes nothing the prospect sees."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiogram.types import Update

from bot.composition import build_application
from bot.config import Settings
from bot.middlewares.once import HandleOnce
from bot.storage import processed_updates
from tests.conftest import Harness, free_port
from tests.fakegram import FakeTelegram, TelegramUser
from tests.handlers.flows import serious_buyer

Deliver = Callable[[dict[str, Any]], Awaitable[None]]


def prospect_delivered_by(harness: Harness, user_id: int, deliver: Deliver) -> TelegramUser:
    return harness.telegram.user(
        user_id,
        first_name="Ivan",
        language_code="en",
        deliver=deliver,
        phone_number="79161234567",
    )


async def lead_count(harness: Harness) -> int:
    async with harness.app.db.read() as conn, conn.execute("SELECT COUNT(*) FROM leads") as c:
        row = await c.fetchone()
    assert row is not None
    return int(row[0])


def once(harness: Harness) -> HandleOnce:
    assert harness.app.once is not None
    return harness.app.once


async def test_every_update_delivered_twice_gets_one_answer_and_makes_one_lead(
    harness: Harness,
) -> None:
    updates: list[int] = []

    async def twice(update: dict[str, Any]) -> None:
        updates.append(update["update_id"])
        await harness.feed(update)
        await harness.feed(update)  # Telegram did not hear the 200 and sends it again

    doubled = prospect_delivered_by(harness, 1001, twice)
    await serious_buyer(doubled)
    single = harness.prospect(1002, language_code="en")
    await serious_buyer(single)

    assert await lead_count(harness) == 2
    # Word for word what the prospect whose updates came once saw (names differ by id only).
    assert len(doubled.messages()) == len(single.messages())
    assert [m.split("\n")[0] for m in doubled.messages()] == [
        m.split("\n")[0] for m in single.messages()
    ]
    assert once(harness).repeats == len(updates)


async def walk_with_every_update_twice_at_once(harness: Harness) -> None:
    """A prospect whose every update comes twice at the same instant reads word for word
    what one whose updates came once reads, and there are two leads, not three."""

    doubled_updates: list[int] = []

    async def together(update: dict[str, Any]) -> None:
        doubled_updates.append(update["update_id"])
        await asyncio.gather(harness.feed(update), harness.feed(dict(update)))

    doubled = prospect_delivered_by(harness, 1001, together)
    await serious_buyer(doubled)
    single = harness.prospect(1002, language_code="en")
    await serious_buyer(single)

    assert await lead_count(harness) == 2
    assert [m.split("\n")[0] for m in doubled.messages()] == [
        m.split("\n")[0] for m in single.messages()
    ]
    assert once(harness).repeats == len(doubled_updates)  # each second copy was dropped


async def test_an_update_delivered_twice_at_once_is_handled_once(harness: Harness) -> None:
    await walk_with_every_update_twice_at_once(harness)


async def test_old_update_ids_are_pruned_and_recent_ones_kept(harness: Harness) -> None:
    async with harness.app.db.read() as conn:
        assert await processed_updates.claim(conn, 10, harness.clock.now())
    harness.clock.advance(days=1)
    async with harness.app.db.read() as conn:
        assert await processed_updates.claim(conn, 11, harness.clock.now())
    harness.clock.advance(days=1, hours=1)

    assert await once(harness).prune() == 1

    async with harness.app.db.read() as conn:
        assert await processed_updates.claim(conn, 10, harness.clock.now())  # forgotten
        assert not await processed_updates.claim(conn, 11, harness.clock.now())  # kept


async def test_a_handler_that_fails_gives_its_update_back(harness: Harness) -> None:
    update = Update.model_validate({"update_id": 77})
    calls: list[int] = []

    async def failing(event: Any, data: dict[str, Any]) -> Any:
        calls.append(1)
        raise RuntimeError("the database went away")

    async def working(event: Any, data: dict[str, Any]) -> Any:
        calls.append(2)
        return "done"

    with pytest.raises(RuntimeError):
        await once(harness)(failing, update, {})
    assert await once(harness)(working, update, {}) == "done"
    await once(harness)(working, update, {})  # now it was handled: a repeat is dropped
    assert calls == [1, 2]


def start_update(update_id: int, user_id: int = 1001) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Ivan", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Ivan"},
            "from": user,
            "text": "/start web",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_a_webhook_update_posted_twice_is_answered_once(
    telegram: FakeTelegram, make_settings: Callable[..., Settings]
) -> None:
    port = free_port()
    settings = make_settings(
        webhook_url="https://bot.example.com", webhook_secret="s3cret-token_1", web_port=port
    )
    app = await build_application(settings, send_rate_per_second=0)
    assert app.once is not None
    telegram.register_user(1001, "Ivan", language_code="en")
    telegram.register_user(1002, "Ivan", language_code="en")
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_1"}
    try:
        await app.start_web()
        async with aiohttp.ClientSession() as http:

            async def post(update: dict[str, Any]) -> int:
                async with http.post(url, json=update, headers=headers) as response:
                    return response.status

            assert await post(start_update(1)) == 200
            assert await post(start_update(1)) == 200  # one after the other
            # And two at once, as two replicas would get them.
            both = await asyncio.gather(post(start_update(2, 1002)), post(start_update(2, 1002)))
            assert list(both) == [200, 200]
            # Webhook updates are handled in the background, after the 200. A repeat is
            # counted once its first copy is done (one person's updates take turns).
            async with asyncio.timeout(10):
                while app.once.repeats < 2:  # noqa: ASYNC110 - a counter, not an event
                    await asyncio.sleep(0.01)
        greeted = [
            str(r.chat_id)
            for r in telegram.requests
            if r.method == "sendMessage" and str(r.params.get("text")).startswith("Hello!")
        ]
        assert sorted(greeted) == ["1001", "1002"]
    finally:
        await app.close()


async def test_a_repeat_is_dropped_but_a_new_update_is_not(harness: Harness) -> None:
    """Different update ids are never mistaken for repeats."""
    harness.telegram.register_user(1001, "Ivan", language_code="en")
    harness.telegram.register_user(1002, "Ivan", language_code="en")
    await harness.feed(start_update(5))
    await harness.feed(start_update(6, 1002))
    await harness.feed(start_update(5))
    greeted = [
        str(r.chat_id)
        for r in harness.telegram.requests
        if r.method == "sendMessage" and str(r.params.get("text")).startswith("Hello!")
    ]
    assert sorted(greeted) == ["1001", "1002"]
    assert once(harness).repeats == 1


@pytest.mark.redis
async def test_with_redis_the_ids_are_kept_there_and_cost_the_database_nothing(
    make_harness: Callable[..., Any], redis_url: str
) -> None:
    harness: Harness = await make_harness(redis_url=redis_url)
    await walk_with_every_update_twice_at_once(harness)
    async with (
        harness.app.db.read() as conn,
        conn.execute("SELECT COUNT(*) FROM processed_updates") as cursor,
    ):
        row = await cursor.fetchone()
    assert row is not None and row[0] == 0

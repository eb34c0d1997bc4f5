"""The notifier against a misbehaving Telegram: 429, 5xx, 403, deleted topics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.services.notifier import Notifier, ThreadNotFound
from tests.conftest import TOKEN, Harness
from tests.fakegram import FakeTelegram
from tests.handlers.flows import consent


class Sleeps:
    """Records the pauses the notifier asks for instead of taking them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    instance = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield instance
    await instance.session.close()


async def test_429_waits_retry_after_and_delivers(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.user(42)
    sleeps = Sleeps()
    notifier = Notifier(bot, sleep=sleeps, rate_per_second=0)
    telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 7",
        retry_after=7,
        times=2,
    )
    message = await notifier.send(42, "hello")
    assert message is not None
    assert sleeps.delays == [7.0, 7.0]
    assert [m.visible_text for m in telegram.bot_messages(42)] == ["hello"]


async def test_server_errors_back_off_then_give_up(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.user(42)
    sleeps = Sleeps()
    notifier = Notifier(bot, sleep=sleeps, rate_per_second=0, max_attempts=4)
    telegram.fail_next("sendMessage", error_code=502, description="Bad Gateway", times=2)
    assert await notifier.send(42, "after two failures") is not None
    assert sleeps.delays == [0.5, 1.0]
    telegram.fail_next("sendMessage", error_code=502, description="Bad Gateway", times=10)
    assert await notifier.send(42, "never") is None
    assert [m.visible_text for m in telegram.bot_messages(42)] == ["after two failures"]


async def test_403_reports_the_chat_once_and_does_not_raise(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.user(42)
    telegram.block_user(42)
    blocked: list[int] = []

    async def on_blocked(chat_id: int) -> None:
        blocked.append(chat_id)

    notifier = Notifier(bot, on_blocked=on_blocked, rate_per_second=0)
    assert await notifier.send(42, "hi") is None
    assert blocked == [42]


async def test_deleted_topic_raises_thread_not_found(telegram: FakeTelegram, bot: Bot) -> None:
    telegram.add_group(-100777, "Staff", is_forum=True)
    notifier = Notifier(bot, rate_per_second=0)
    thread = await notifier.create_topic(-100777, "Lead")
    assert thread is not None
    telegram.delete_topic(-100777, thread)
    with pytest.raises(ThreadNotFound):
        await notifier.send(-100777, "card", thread_id=thread)


async def test_conversation_survives_a_429_burst(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    harness.telegram.fail_next(
        "sendMessage", error_code=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    await user.click("To live in")
    assert "How many rooms do you need?" in (user.last_text() or "")

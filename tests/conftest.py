"""Shared fixtures: a Bot API stand-in on 127.0.0.1 and the real application wired to it."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Update

from bot.app import Application
from bot.composition import build_application
from bot.config import Settings
from bot.domain.leads import Lead
from bot.domain.send_policy import SendLimits
from bot.services.deal_ports import DealPort
from bot.storage import leads
from tests.fakegram import FakeTelegram, GroupMember, TelegramUser
from tests.sales_desk.generic_receiver import GenericReceiver

# Fixtures and hooks of both stores: `store`, `pg_url`, `app_store`, the `both_stores` marker.
# Real PostgreSQL and Redis servers for the tests that ask for them.
pytest_plugins = ["tests.stores", "tests.redis_server"]

TOKEN = "123456789:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY"
STAFF_CHAT = -1001234567890
MANAGER_ID = 5001
OUTSIDER_ID = 5002
SALES_DESK_SECRET = "whsec_bGVhZHNpZXZlLXRlc3Qtc2VjcmV0LTMyLWJ5dGVzISE="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class ErrorLog(logging.Handler):
    """Collects errors the bot logged, so a swallowed exception still fails the test."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Harness:
    app: Application
    telegram: FakeTelegram
    clock: FakeClock
    errors: ErrorLog
    expected_errors: list[str] = field(default_factory=list)

    async def feed(self, update: dict[str, Any]) -> None:
        bot = self.app.bot
        await self.app.dispatcher.feed_update(
            bot, Update.model_validate(update, context={"bot": bot})
        )

    def prospect(
        self, user_id: int = 1001, *, language_code: str = "ru", first_name: str = "Ivan", **kw: Any
    ) -> TelegramUser:
        return self.telegram.user(
            user_id,
            first_name=first_name,
            language_code=language_code,
            deliver=self.feed,
            phone_number=kw.pop("phone_number", "79161234567"),
            **kw,
        )

    def staff_member(self, user_id: int = MANAGER_ID, chat_id: int = STAFF_CHAT) -> GroupMember:
        return self.telegram.group_member(chat_id, user_id, deliver=self.feed)

    def card(self, thread_id: int | None, lead_id: int = 1) -> str:
        """The lead's one card in the staff group (edited in place, never posted twice)."""
        [card] = [
            message.visible_text
            for message in self.telegram.bot_messages(STAFF_CHAT, thread_id)
            if f"лид #{lead_id}\n" in message.visible_text
        ]
        return card

    async def lead(self, user_id: int = 1001) -> Lead | None:
        async with self.app.db.transaction() as tx:
            return await leads.get_by_user(tx, user_id)

    async def passes_done(self, seconds: float = 60.0) -> None:
        """Waits for the event passes the updates started (cards, CRM deliveries); a pass
        that never ends fails the test here, saying so, instead of hanging it."""
        try:
            async with asyncio.timeout(seconds):
                await self.app.pipe.idle()
        except TimeoutError:
            pytest.fail(f"event passes still running after {seconds:g} s")


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert server.violations == [], "the bot sent requests that break the Bot API spec"


@pytest.fixture
async def receiver() -> AsyncIterator[GenericReceiver]:
    """A Standard Webhooks receiver on 127.0.0.1 that verifies every signature."""
    async with GenericReceiver(SALES_DESK_SECRET) as started:
        yield started


@pytest.fixture
def make_settings(
    telegram: FakeTelegram, tmp_path: Path, app_store: str, request: pytest.FixtureRequest
) -> Callable[..., Settings]:
    # On PostgreSQL: one fresh database per test, shared by the harnesses it builds.
    database_url = request.getfixturevalue("pg_url") if app_store == "postgres" else None

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": TOKEN,
            "telegram_api_base": telegram.base_url,
            "database_path": tmp_path / "leadsieve.sqlite3",
            "database_url": database_url,
            "staff_chat_id": STAFF_CHAT,
            "company_name": "Acme Homes",
            "privacy_policy_url": "https://example.com/privacy?a=1&b=2",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
async def make_harness(
    telegram: FakeTelegram, make_settings: Callable[..., Settings]
) -> AsyncIterator[Callable[..., Any]]:
    built: list[Harness] = []
    error_log = ErrorLog()
    logging.getLogger("bot").addHandler(error_log)

    async def make(
        *,
        forum: bool = True,
        send_limits: SendLimits | None = None,
        deal: DealPort | None = None,
        **overrides: Any,
    ) -> Harness:
        if not built:
            telegram.add_group(
                STAFF_CHAT, "Sales", is_forum=forum, members={MANAGER_ID: "administrator"}
            )
        clock = FakeClock()
        # No send limits unless a test asks (the stand-in answers at once; limits only slow).
        app = await build_application(
            make_settings(**overrides),
            clock=clock,
            send_rate_per_second=0,
            send_limits=send_limits,
            deal_port=deal,  # a deal port of its own (tests/payments)
        )
        harness = Harness(app, telegram, clock, error_log)
        built.append(harness)
        return harness

    try:
        yield make
    finally:
        logging.getLogger("bot").removeHandler(error_log)
        for harness in built:
            await harness.app.close()
    unexpected = [
        r.getMessage()
        for r in error_log.records
        if not any(expected in r.getMessage() for h in built for expected in h.expected_errors)
    ]
    assert unexpected == [], "the bot logged errors"


@pytest.fixture
async def harness(make_harness: Callable[..., Any]) -> Harness:
    result: Harness = await make_harness()
    return result

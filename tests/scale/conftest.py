"""Replicas in one test: two applications on one database, one Bot API stand-in, one clock.

`store` says which database the tests run on: a `Database` factory for the lease tests and
the settings that point an application at it. Every test runs on SQLite (a shared file;
its statements run in the loop's own thread, so two connections interleave safely) and on
PostgreSQL (the test server's fresh database, as replicas would share it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.composition import build_application
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.migrations import apply_migrations
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite import SQLiteDatabase
from tests.conftest import MANAGER_ID, STAFF_CHAT, ErrorLog, FakeClock, Harness
from tests.fakegram import FakeTelegram
from tests.stores import STORES


@dataclass
class Store:
    name: str
    # Settings that point an application at the store.
    settings: dict[str, Any]
    # A new connected, migrated handle on the same database (closed by the fixture).
    connect: Callable[[], Awaitable[Database]]


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    path = tmp_path / "shared.sqlite3"
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    opened: list[Database] = []

    async def connect() -> Database:
        db: Database = SQLiteDatabase(path) if url is None else PostgresDatabase(url)
        await db.connect()
        opened.append(db)
        await apply_migrations(db)
        return db

    settings: dict[str, Any] = {"database_path": path} if url is None else {"database_url": url}
    try:
        yield Store(request.param, settings, connect)
    finally:
        for db in opened:
            await db.close()


@dataclass
class Replicas:
    """Applications built on one store; `start` builds one more, workers running."""

    telegram: FakeTelegram
    clock: FakeClock
    errors: ErrorLog
    make: Callable[..., Awaitable[Harness]]
    built: list[Harness] = field(default_factory=list)

    async def start(self, **overrides: Any) -> Harness:
        harness = await self.make(**overrides)
        self.built.append(harness)
        return harness


@pytest.fixture
async def replicas(
    telegram: FakeTelegram, make_settings: Callable[..., Settings], store: Store
) -> AsyncIterator[Replicas]:
    telegram.add_group(STAFF_CHAT, "Sales", is_forum=True, members={MANAGER_ID: "administrator"})
    clock = FakeClock()
    errors = ErrorLog()
    logging.getLogger("bot").addHandler(errors)

    async def make(**overrides: Any) -> Harness:
        app = await build_application(
            make_settings(**store.settings, **overrides), clock=clock, send_rate_per_second=0
        )
        await app.start_workers()  # the outbox workers run; the alarm clock is not waited for
        return Harness(app, telegram, clock, errors)

    running = Replicas(telegram, clock, errors, make)
    try:
        yield running
    finally:
        logging.getLogger("bot").removeHandler(errors)
        for harness in running.built:
            await harness.app.close()
    unexpected = [
        record.getMessage()
        for record in errors.records
        if not any(
            expected in record.getMessage() for h in running.built for expected in h.expected_errors
        )
    ]
    assert unexpected == [], "a replica logged errors"


# Any wait here ends well within this on a loaded machine; one that does not fails the test
# with what it waited for, instead of hanging the run.
WAIT_SECONDS = 20.0
T = TypeVar("T")


async def within(what: str, awaitable: Awaitable[T], seconds: float = WAIT_SECONDS) -> T:
    """Awaits, or fails saying what never happened."""
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return await awaitable
    except TimeoutError:
        if not deadline.expired():
            raise  # the awaited code's own timeout
        raise AssertionError(f"{what}: still waiting after {seconds:g} s") from None


async def until(
    condition: Callable[[], Awaitable[bool]], what: str = "the replicas to settle"
) -> None:
    """Waits for what background workers do; fails only if it never happens."""

    async def polled() -> None:
        while not await condition():  # noqa: ASYNC110 -- workers signal nothing; the DB is the truth
            await asyncio.sleep(0.02)

    await within(what, polled())

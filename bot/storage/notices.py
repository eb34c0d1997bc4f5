"""Changes the other replicas must hear of at once: PostgreSQL's LISTEN/NOTIFY.

A replica keeps a few reads in memory: who the managers are (asked on every private
update) and which group is the staff group. A change is announced in the transaction that
makes it (`announce`); PostgreSQL delivers the notice when that transaction commits, and
never when it rolls back. Each replica listens on a connection of its own (`Listener`) and
drops what it kept. When that connection is lost, notices sent meanwhile are lost with it:
once it is back, every topic counts as changed.

On SQLite the bot is one process, and it updates its memory on its own changes: there is
nothing to announce and no one to listen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum

import asyncpg

from bot.storage.db import Connection

logger = logging.getLogger(__name__)

CHANNEL = "leadsieve_changes"
APPLICATION_NAME = "leadsieve-listener"  # how the listening connection shows in pg_stat_activity
RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)  # then every 30 s until it is back

Heard = Callable[[], Awaitable[None] | None]


class Topic(StrEnum):
    MANAGERS = "managers"
    STAFF_CHAT = "staff_chat"


async def announce(conn: Connection, topic: Topic) -> None:
    """Tells the other replicas, when `conn`'s transaction commits, that `topic` changed."""
    if conn.dialect == "postgres":
        await conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, topic.value))


class Listener:
    """Calls what `on` registered when another replica (or this one) announces a topic."""

    def __init__(self, url: str | None) -> None:
        self._url = url  # None: nothing to listen to (SQLite)
        self._heard: dict[str, list[Heard]] = {}
        self._conn: asyncpg.Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False

    def on(self, topic: Topic, heard: Heard) -> None:
        self._heard.setdefault(topic.value, []).append(heard)

    async def start(self) -> None:
        if self._url is not None:
            await self._listen()

    async def close(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _listen(self) -> None:
        assert self._url is not None
        conn = await asyncpg.connect(
            self._url, server_settings={"application_name": APPLICATION_NAME}
        )
        conn.add_termination_listener(self._lost)
        await conn.add_listener(CHANNEL, self._notified)
        self._conn = conn

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self._call(self._heard.get(str(payload), []))

    def _call(self, handlers: list[Heard]) -> None:
        for heard in handlers:
            try:
                outcome = heard()
            except Exception:
                logger.exception("a change notice could not be applied")
                continue
            if outcome is not None:
                task = asyncio.ensure_future(self._await(outcome))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    @staticmethod
    async def _await(outcome: Awaitable[None]) -> None:
        try:
            await outcome
        except Exception:
            logger.exception("a change notice could not be applied")

    def _lost(self, _conn: object) -> None:
        self._conn = None
        if self._closed or self._reconnecting is not None:
            return
        logger.warning("lost the connection that hears other replicas' changes; reconnecting")
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closed:
            await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])
            attempt += 1
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                logger.warning("still cannot hear other replicas' changes: %s", error)
                continue
            self._reconnecting = None
            logger.info("hearing other replicas' changes again")
            # What was announced while the connection was down is lost: all of it changed.
            self._call([heard for handlers in self._heard.values() for heard in handlers])
            return

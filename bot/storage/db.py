"""One SQLite connection shared by the bot, used one unit of work at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

Connection = aiosqlite.Connection


class Database:
    """Owns the connection; `transaction()` serialises units of work on it.

    aiosqlite runs every statement of a connection on one thread, so two
    coroutines interleaving statements would share a transaction; the lock
    keeps each unit of work whole.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (an erased person's data) are zeroed, not left in free pages.
        await conn.execute("PRAGMA secure_delete=ON")
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """For reads and single-statement writes: the lock without BEGIN/COMMIT round trips."""
        async with self._lock:
            yield self.connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back if the block raises."""
        async with self._lock:
            conn = self.connection
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

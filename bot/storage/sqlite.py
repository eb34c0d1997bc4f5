"""The embedded store: one SQLite file, its statements run in the event loop's own thread.

A statement on a local WAL file takes microseconds; sending it to a worker thread and
back (as aiosqlite does) costs more than running it, and each hop lets other updates
queue behind a held lock. So statements run inline: a unit of work that awaits nothing
but the database runs from BEGIN to COMMIT without yielding, and the lock below only
matters for the few that wait on something else in between.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.storage.db import Connection, Database, Dialect, IntegrityError, Row
from bot.storage.unit_of_work import Carried


class _Cursor:
    """Rows already read; the async methods keep the repositories' code store-neutral."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Row | None:
        row: Row | None = self._cursor.fetchone()
        return row

    async def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()


class _Result:
    """The statement has run by the time this exists; awaiting or entering just hands it over."""

    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, _Cursor]:
        return self._cursor
        yield  # makes this a generator, as __await__ must be

    async def __aenter__(self) -> _Cursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        self._cursor._cursor.close()


class SQLiteConnection(Connection):
    dialect: Dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Result:
        try:
            return _Result(_Cursor(self.raw.execute(sql, parameters)))
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from error


class SQLiteDatabase(Database):
    """Owns the file's one connection; `transaction()` serialises units of work on it.

    A unit of work that awaits something besides the database (rare) would let another
    coroutine's statements into its transaction; the lock keeps each unit whole.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: SQLiteConnection | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        raw.row_factory = sqlite3.Row
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA busy_timeout=5000")
        raw.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (an erased person's data) are zeroed, not left in free pages.
        raw.execute("PRAGMA secure_delete=ON")
        self._conn = SQLiteConnection(raw)

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.raw.close()
            self._conn = None

    @property
    def connection(self) -> SQLiteConnection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SQLiteConnection]:
        """The lock without BEGIN/COMMIT: a single statement commits on its own."""
        async with self._lock:
            conn = self.connection
            changes, began = conn.raw.total_changes, time.perf_counter()
            try:
                yield conn
            finally:
                self.commits += conn.raw.total_changes != changes
                self._held(began)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SQLiteConnection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back if the block raises; the running update's
        held writes go in just before the COMMIT (bot/storage/unit_of_work.py)."""
        async with self._lock:
            conn = self.connection
            began = time.perf_counter()
            conn.raw.execute("BEGIN IMMEDIATE")
            carried = Carried()
            try:
                yield conn
                await carried.write(conn)
                conn.raw.execute("COMMIT")
            except BaseException:
                if conn.raw.in_transaction:
                    conn.raw.execute("ROLLBACK")
                carried.rolled_back()
                self._held(began)
                raise
            self.commits += 1
            self._held(began)

    def _held(self, began: float) -> None:
        if self.observe is not None:
            self.observe(time.perf_counter() - began)

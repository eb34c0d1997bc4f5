"""The networked store: PostgreSQL through an asyncpg pool, behind the same interface.

Repositories keep writing SQLite-flavoured SQL; each distinct statement is translated once
(`bot.storage.dialect`) and described once (`_Plan`): the types PostgreSQL infers for its
parameters, and whether it returns rows. asyncpg is strict about parameter types where
SQLite is not (an int where the column is TEXT, a bool where it is INTEGER): values are
coerced here, in one place, to those types. Then asyncpg's statement cache prepares it
once per connection; `Connection.prepare` on each call would instead parse and describe it
again (a round trip) and close it afterwards (another)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.db import Connection, Database, Dialect, IntegrityError, Row
from bot.storage.dialect import translate
from bot.storage.unit_of_work import Carried

_TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "name", "unknown"})
_INT_TYPES = frozenset({"int2", "int4", "int8"})
_FLOAT_TYPES = frozenset({"float4", "float8", "numeric"})
_STATUS_COUNT = re.compile(r"(\d+)$")


def _to_text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value  # PostgreSQL says what is wrong with it
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _to_float(value: Any) -> Any:
    return float(value) if isinstance(value, int) else value


def _coercer(type_name: str) -> Callable[[Any], Any] | None:
    if type_name in _TEXT_TYPES:
        return _to_text
    if type_name in _INT_TYPES:
        return _to_int
    if type_name in _FLOAT_TYPES:
        return _to_float
    return None


def integrity_message(error: asyncpg.PostgresError) -> str:
    """What refused the write, readable like SQLite's: the constraint, table and reason."""
    parts = [
        getattr(error, "message", "") or str(error),
        f"constraint {getattr(error, 'constraint_name', None)}",
        f"table {getattr(error, 'table_name', None)}",
    ]
    detail = getattr(error, "detail", None)
    if detail:
        parts.append(detail)
    return "; ".join(parts)


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached or refused the login; the message names where."""


def where(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"  # without the user and password


class _Cursor:
    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self._rowcount = rowcount

    @property
    def rowcount(self) -> int:
        return self._rowcount

    async def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        row: Row = self._rows[self._next]
        self._next += 1
        return row

    async def fetchall(self) -> list[Row]:
        rows: list[Row] = list(self._rows[self._next :])
        self._next = len(self._rows)
        return rows


class _Result:
    """Runs the statement when awaited or entered: asyncpg has no lazy cursor to hand over."""

    def __init__(self, conn: PgConnection, sql: str, parameters: Sequence[Any]) -> None:
        self._conn = conn
        self._sql = sql
        self._parameters = parameters

    def __await__(self) -> Generator[Any, None, _Cursor]:
        return self._conn.run(self._sql, self._parameters).__await__()

    async def __aenter__(self) -> _Cursor:
        return await self._conn.run(self._sql, self._parameters)

    async def __aexit__(self, *exc: object) -> None:
        return None


@dataclass(frozen=True)
class _Plan:
    """What running one statement needs to know, learnt the first time it runs."""

    sql: str  # in PostgreSQL's dialect
    coercers: tuple[Callable[[Any], Any] | None, ...]  # one per parameter
    returns_rows: bool  # a SELECT, or a write with RETURNING
    writes: bool


_WRITES = ("INSERT", "UPDATE", "DELETE")


class PgConnection(Connection):
    dialect: Dialect = "postgres"

    def __init__(
        self, raw: asyncpg.Connection | PoolConnectionProxy, plans: dict[str, _Plan]
    ) -> None:
        self.raw = raw
        self.wrote = False  # outside a transaction, each write is a commit of its own
        self._plans = plans  # the database's, shared by its connections

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Result:
        return _Result(self, sql, parameters)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            await self.run(sql, row)

    async def run(self, sql: str, parameters: Sequence[Any]) -> _Cursor:
        try:
            plan = self._plans.get(sql) or await self._plan(sql)
            if len(plan.coercers) != len(parameters):
                raise ValueError(
                    f"statement takes {len(plan.coercers)} parameters, {len(parameters)} given"
                )
            values = [
                value if value is None or coerce is None else coerce(value)
                for coerce, value in zip(plan.coercers, parameters, strict=True)
            ]
            self.wrote = self.wrote or plan.writes
            if plan.returns_rows:
                rows = await self.raw.fetch(plan.sql, *values)
                return _Cursor(rows, len(rows))
            status = await self.raw.execute(plan.sql, *values)
            match = _STATUS_COUNT.search(status or "")
            return _Cursor([], int(match.group(1)) if match else -1)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise IntegrityError(integrity_message(error)) from error

    async def _plan(self, sql: str) -> _Plan:
        translated = translate(sql)
        statement = await self.raw.prepare(translated)
        plan = _Plan(
            sql=translated,
            coercers=tuple(_coercer(kind.name) for kind in statement.get_parameters()),
            returns_rows=bool(statement.get_attributes()),
            writes=translated.lstrip().upper().startswith(_WRITES),
        )
        self._plans[sql] = plan
        return plan


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """A connection goes back to the pool as it came: the store never sets session
    settings, listens, opens cursors or takes advisory locks beyond its transaction. So
    the pool's default reset (one more round trip on every release) has nothing to undo;
    asyncpg still rolls back a transaction left open."""


class PostgresDatabase(Database):
    """A pool of connections; each unit of work takes one for its duration."""

    dialect: Dialect = "postgres"

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._plans: dict[str, _Plan] = {}

    async def connect(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                command_timeout=60,
                # Every distinct statement the bot runs stays prepared (asyncpg's default
                # keeps 100, fewer than the bot has).
                statement_cache_size=1024,
                reset=_nothing_to_reset,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise DatabaseUnavailable(
                f"cannot use the database at {where(self.url)}: {error}"
            ) from error

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not connected")
        return self._pool

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PgConnection]:
        """A pooled connection in autocommit: each statement commits on its own."""
        began = time.perf_counter()
        try:
            async with self.pool.acquire() as raw:
                conn = PgConnection(raw, self._plans)
                yield conn
                self.commits += conn.wrote
        finally:
            self._held(began)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """BEGIN … COMMIT on one pooled connection, rolled back if the block raises; the
        running update's held writes go in just before the COMMIT."""
        began = time.perf_counter()
        carried = Carried()
        try:
            async with self.pool.acquire() as raw, raw.transaction():
                conn = PgConnection(raw, self._plans)
                yield conn
                await carried.write(conn)
            self.commits += 1
        except BaseException:
            carried.rolled_back()
            raise
        finally:
            self._held(began)

    def _held(self, began: float) -> None:
        if self.observe is not None:
            self.observe(time.perf_counter() - began)

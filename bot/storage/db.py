"""What every repository sees of the database, whichever store is behind it.

Repositories take a `Connection` and run parameterised SQL with `?` placeholders; the
SQLite store runs it as written, the PostgreSQL store translates the few spellings that
differ. A `Database` hands out connections: `transaction()` for a unit of work,
`read()` for reads and single-statement writes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgres"]


class IntegrityError(Exception):
    """A constraint or trigger refused a write; the message names what refused it."""


class Row(Protocol):
    """A result row, by column name or position."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Row | None: ...

    async def fetchall(self) -> list[Row]: ...


class Result(Protocol):
    """What `execute` returns: await it for the row count, or enter it to read rows."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, *exc: object) -> None: ...


class Connection(Protocol):
    dialect: Dialect

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Result: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


class Database(ABC):
    """A store: connect once, then run units of work; close at shutdown."""

    dialect: Dialect
    # Units of work that wrote something (counted by each store), for the benchmarks.
    commits: int = 0
    # Told the seconds each unit of work held the database (for /metrics), if set.
    observe: Callable[[float], None] | None = None

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Connection]:
        """A connection outside any transaction: reads and single-statement writes."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One unit of work: committed when the block ends, rolled back if it raises."""


async def insert_returning_id(conn: Connection, sql: str, parameters: Sequence[Any]) -> int | None:
    """Runs an `INSERT … RETURNING id`; None when a conflict clause skipped the row."""
    async with conn.execute(sql, parameters) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])

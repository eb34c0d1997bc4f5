"""Job leases: which replica runs a background job, until when. Portable SQL (SQLite and
PostgreSQL): a take is one `INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING`, so two
replicas taking the same free lease at once cannot both get it.

Times are ISO UTC text (bot/storage/codec.py), which compare in time order as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection


def _marks(count: int, row: str = "?") -> str:
    return ", ".join(row for _ in range(count))


def _take_sql(count: int) -> str:
    # Free: expired, or already ours (holders are unique per process).
    return f"""
INSERT INTO job_leases (name, holder, until) VALUES {_marks(count, "(?, ?, ?)")}
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
WHERE job_leases.until <= ? OR job_leases.holder = ?
RETURNING name
"""  # noqa: S608 -- only placeholders are formatted in


def _renew_sql(count: int) -> str:
    return f"""
UPDATE job_leases SET until = ? WHERE holder = ? AND name IN ({_marks(count)}) RETURNING name
"""  # noqa: S608 -- only placeholders are formatted in


def _release_sql(count: int) -> str:
    return f"DELETE FROM job_leases WHERE holder = ? AND name IN ({_marks(count)})"  # noqa: S608


_GET = "SELECT holder, until FROM job_leases WHERE name = ?"
_ALL = "SELECT name, holder FROM job_leases ORDER BY name"


async def take(
    conn: Connection, names: Sequence[str], holder: str, until: datetime, now: datetime
) -> set[str]:
    """Takes the named leases that are free (expired, or ours); returns the ones taken."""
    if not names:
        return set()
    wanted = list(dict.fromkeys(names))  # PostgreSQL refuses to touch one row twice
    expiry = dump_time(until)
    parameters: list[object] = []
    for name in wanted:
        parameters += [name, holder, expiry]
    parameters += [dump_time(now), holder]
    async with conn.execute(_take_sql(len(wanted)), parameters) as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def renew(conn: Connection, names: Sequence[str], holder: str, until: datetime) -> set[str]:
    """Moves the expiry of the named leases we still hold; returns those (the rest are lost)."""
    if not names:
        return set()
    wanted = list(dict.fromkeys(names))
    async with conn.execute(_renew_sql(len(wanted)), [dump_time(until), holder, *wanted]) as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def release(conn: Connection, names: Sequence[str], holder: str) -> None:
    """Lets the named leases go, if still ours (one taken over meanwhile is left alone)."""
    if names:
        wanted = list(dict.fromkeys(names))
        await conn.execute(_release_sql(len(wanted)), [holder, *wanted])


async def holders(conn: Connection) -> list[tuple[str, str]]:
    """Every lease taken and not let go (maybe expired), with its holder."""
    async with conn.execute(_ALL) as cursor:
        return [(row["name"], row["holder"]) for row in await cursor.fetchall()]


async def get(conn: Connection, name: str) -> tuple[str, datetime] | None:
    """Who holds the lease and until when (maybe already expired); None if nobody took it."""
    async with conn.execute(_GET, (name,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    until = load_time(row["until"])
    assert until is not None
    return row["holder"], until

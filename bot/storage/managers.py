"""Sales managers, their invites and the busy time from their own calendars.

Callers own the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime

from bot.domain.hours import WeeklySchedule
from bot.domain.slots import Busy
from bot.domain.viewings import CalDavSettings, Manager, ManagerId, ManagerStatus, SiteId
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection, Row, insert_returning_id

_PG_ROUTING_LOCK = "SELECT pg_advisory_xact_lock(?)"
_PG_ROUTING_KEY = 0x726F7574_696E6721
_COLUMNS = (
    "id, telegram_user_id, display_name, language, timezone, schedule, covers, site_id,"
    " daily_cap, weight, status, feed_token, caldav_url, caldav_username, caldav_password,"
    " caldav_error, assigned, last_assigned_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM managers"  # noqa: S608
_USER_IDS = "SELECT telegram_user_id FROM managers WHERE status <> 'removed'"
_INSERT = """
INSERT INTO managers (telegram_user_id, display_name, language, timezone, schedule, covers,
                      site_id, daily_cap, weight, status, feed_token, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)
RETURNING id
"""
_UPDATABLE = frozenset(
    {
        "display_name",
        "language",
        "timezone",
        "schedule",
        "covers",
        "site_id",
        "daily_cap",
        "weight",
        "status",
        "feed_token",
        "caldav_url",
        "caldav_username",
        "caldav_password",
        "caldav_error",
        "caldav_synced_at",
    }
)
_NOTE_ASSIGNED = """
UPDATE managers SET assigned = assigned + 1, last_assigned_at = ?, updated_at = ? WHERE id = ?
"""
_INSERT_INVITE = """
INSERT INTO manager_invites (code, created_by, created_at, expires_at) VALUES (?, ?, ?, ?)
"""
_USE_INVITE = """
UPDATE manager_invites SET used_at = ?, manager_id = ?
WHERE code = ? AND used_at IS NULL AND expires_at > ?
"""
_DELETE_BLOCKS = "DELETE FROM manager_blocks WHERE manager_id = ?"
_INSERT_BLOCK = "INSERT INTO manager_blocks (manager_id, starts_at, ends_at) VALUES (?, ?, ?)"
_SELECT_BLOCKS = """
SELECT manager_id, starts_at, ends_at FROM manager_blocks
WHERE ends_at > ? AND starts_at < ? ORDER BY starts_at
"""


def _manager(row: Row) -> Manager:
    caldav = (
        CalDavSettings(row["caldav_url"], row["caldav_username"], row["caldav_password"])
        if row["caldav_url"]
        else None
    )
    return Manager(
        id=ManagerId(row["id"]),
        telegram_user_id=row["telegram_user_id"],
        display_name=row["display_name"],
        language=row["language"],
        timezone=row["timezone"],
        schedule=WeeklySchedule.from_json(row["schedule"]),
        covers=frozenset(json.loads(row["covers"])),
        site_id=None if row["site_id"] is None else SiteId(row["site_id"]),
        daily_cap=row["daily_cap"],
        weight=row["weight"],
        status=ManagerStatus(row["status"]),
        feed_token=row["feed_token"],
        caldav=caldav,
        caldav_error=row["caldav_error"],
        assigned=row["assigned"],
        last_assigned_at=load_time(row["last_assigned_at"]),
    )


async def _one(tx: Connection, where: str, params: tuple[object, ...]) -> Manager | None:
    async with tx.execute(f"{_SELECT} WHERE {where}", params) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _manager(row)


async def get(tx: Connection, manager_id: int) -> Manager | None:
    return await _one(tx, "id = ?", (manager_id,))


async def by_user(tx: Connection, telegram_user_id: int) -> Manager | None:
    return await _one(tx, "telegram_user_id = ? AND status <> 'removed'", (telegram_user_id,))


async def user_ids(tx: Connection) -> frozenset[int]:
    """The Telegram ids of everyone not removed."""
    async with tx.execute(_USER_IDS) as cursor:
        return frozenset(row[0] for row in await cursor.fetchall())


async def by_feed_token(tx: Connection, token: str) -> Manager | None:
    return await _one(tx, "feed_token = ? AND status <> 'removed'", (token,))


async def listed(tx: Connection) -> list[Manager]:
    """Everyone not removed, in the order they joined."""
    async with tx.execute(f"{_SELECT} WHERE status <> 'removed' ORDER BY id") as cursor:
        return [_manager(row) for row in await cursor.fetchall()]


async def create(
    tx: Connection,
    *,
    telegram_user_id: int,
    display_name: str,
    language: str,
    timezone: str,
    schedule: WeeklySchedule,
    site_id: int | None,
    covers: Collection[str],
    daily_cap: int | None,
    weight: int,
    feed_token: str,
    at: datetime,
) -> Manager:
    """A new manager, or a removed one coming back (their history stays theirs)."""
    existing = await _one(tx, "telegram_user_id = ?", (telegram_user_id,))
    if existing is not None:
        await update(
            tx,
            existing.id,
            at=at,
            display_name=display_name,
            status=ManagerStatus.ACTIVE.value,
            feed_token=feed_token,
        )
        manager = await get(tx, existing.id)
        assert manager is not None
        return manager
    new_id = await insert_returning_id(
        tx,
        _INSERT,
        (
            telegram_user_id,
            display_name,
            language,
            timezone,
            schedule.to_json(),
            json.dumps(sorted(covers)),
            site_id,
            daily_cap,
            weight,
            feed_token,
            dump_time(at),
            dump_time(at),
        ),
    )
    manager = await get(tx, new_id or 0)
    assert manager is not None
    return manager


async def update(tx: Connection, manager_id: int, *, at: datetime, **fields: object) -> None:
    """Sets the named columns; only known column names get into the statement."""
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not manager fields: {sorted(unknown)}")
    values = [
        json.dumps(sorted(value)) if isinstance(value, tuple | list | frozenset) else value
        for value in fields.values()
    ]
    assignments = ", ".join(f"{name} = ?" for name in fields)
    await tx.execute(
        f"UPDATE managers SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608
        (*values, dump_time(at), manager_id),
    )


async def take_turns(tx: Connection) -> None:
    """Routing decisions take turns until commit: each reads the assignments the one
    before it made. PostgreSQL runs them at once otherwise, and round robin would hand
    two leads to the same manager; SQLite's single writer already runs them in turn."""
    if tx.dialect == "postgres":
        await tx.execute(_PG_ROUTING_LOCK, (_PG_ROUTING_KEY,))


async def note_assigned(tx: Connection, manager_id: int, at: datetime) -> None:
    await tx.execute(_NOTE_ASSIGNED, (dump_time(at), dump_time(at), manager_id))


async def create_invite(
    tx: Connection, code: str, created_by: int, at: datetime, expires_at: datetime
) -> None:
    await tx.execute(_INSERT_INVITE, (code, created_by, dump_time(at), dump_time(expires_at)))


async def use_invite(tx: Connection, code: str, manager_id: int, at: datetime) -> bool:
    """Spends a live invite; False if it is unknown, used or expired."""
    cursor = await tx.execute(_USE_INVITE, (dump_time(at), manager_id, code, dump_time(at)))
    return cursor.rowcount == 1


async def invite_is_live(tx: Connection, code: str, at: datetime) -> bool:
    async with tx.execute(
        "SELECT 1 FROM manager_invites WHERE code = ? AND used_at IS NULL AND expires_at > ?",
        (code, dump_time(at)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def replace_blocks(tx: Connection, manager_id: int, blocks: Sequence[Busy]) -> None:
    await tx.execute(_DELETE_BLOCKS, (manager_id,))
    await tx.executemany(
        _INSERT_BLOCK,
        [(manager_id, dump_time(block.start), dump_time(block.end)) for block in blocks],
    )


async def blocks_between(tx: Connection, start: datetime, end: datetime) -> dict[int, list[Busy]]:
    """Busy time from managers' own calendars overlapping [start, end), per manager."""
    result: dict[int, list[Busy]] = {}
    async with tx.execute(_SELECT_BLOCKS, (dump_time(start), dump_time(end))) as cursor:
        for manager_id, starts_at, ends_at in await cursor.fetchall():
            block_start, block_end = load_time(starts_at), load_time(ends_at)
            assert block_start is not None and block_end is not None
            result.setdefault(manager_id, []).append(Busy(block_start, block_end))
    return result

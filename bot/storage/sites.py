"""Sites where viewings happen. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.viewings import Site, SiteId
from bot.storage.db import Connection, Row

_COLUMNS = "id, code, name, address, latitude, longitude, timezone, capacity, active"
_SELECT_ALL = f"SELECT {_COLUMNS} FROM sites ORDER BY id"  # noqa: S608
_SELECT_BY_ID = f"SELECT {_COLUMNS} FROM sites WHERE id = ?"  # noqa: S608
_SELECT_BY_CODE = f"SELECT {_COLUMNS} FROM sites WHERE code = ?"  # noqa: S608
_UPSERT = """
INSERT INTO sites (code, name, address, latitude, longitude, timezone, capacity, active)
VALUES (?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name, address = excluded.address, latitude = excluded.latitude,
    longitude = excluded.longitude, timezone = excluded.timezone,
    capacity = excluded.capacity, active = 1
"""
_DEACTIVATE = "UPDATE sites SET active = 0 WHERE code = ?"


def _site(row: Row) -> Site:
    return Site(
        id=SiteId(row["id"]),
        code=row["code"],
        name=row["name"],
        address=row["address"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        timezone=row["timezone"],
        capacity=row["capacity"],
        active=bool(row["active"]),
    )


async def all_sites(tx: Connection) -> list[Site]:
    async with tx.execute(_SELECT_ALL) as cursor:
        return [_site(row) for row in await cursor.fetchall()]


async def get(tx: Connection, site_id: int) -> Site | None:
    async with tx.execute(_SELECT_BY_ID, (site_id,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _site(row)


async def by_code(tx: Connection, code: str) -> Site | None:
    async with tx.execute(_SELECT_BY_CODE, (code,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else _site(row)


async def upsert(
    tx: Connection,
    *,
    code: str,
    name: str,
    address: str,
    location: tuple[float, float] | None,
    timezone: str,
    capacity: int,
) -> None:
    latitude, longitude = location if location is not None else (None, None)
    await tx.execute(_UPSERT, (code, name, address, latitude, longitude, timezone, capacity))


async def deactivate_missing(tx: Connection, keep: Collection[str]) -> None:
    """Sites no longer in the file stop taking viewings; booked ones keep their site."""
    for site in await all_sites(tx):
        if site.code not in keep and site.active:
            await tx.execute(_DEACTIVATE, (site.code,))

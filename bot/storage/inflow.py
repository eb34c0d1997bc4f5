"""What the inflow watchdog reads and keeps: leads created per source in a time window
(from `lead.created` events, which survive erasure) and its own state in `bot_settings`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.events import EventType
from bot.domain.leads import UNKNOWN_SOURCE
from bot.storage import bot_settings
from bot.storage.codec import dump_time, load_time
from bot.storage.db import Connection

STATE_KEY = "inflow_watchdog"
LAST_UPDATE_KEY = "last_update_at"

# Events written before sources were recorded (the 0003 migration) count as "unknown".
_BY_SOURCE = """
SELECT COALESCE(json_extract(data, '$.source'), ?) AS source, COUNT(*) AS n
FROM events WHERE type = ? AND at >= ? AND at < ?
GROUP BY 1
"""
_FIRST = "SELECT MIN(at) FROM events WHERE type = ?"


@dataclass(frozen=True)
class Notice:
    """An alert (or its all-clear) not yet delivered to every recipient."""

    text: str
    pending: tuple[int, ...]  # chat ids still to send it to


@dataclass(frozen=True)
class WatchState:
    low: bool = False
    since: datetime | None = None  # when the current state began
    notice: Notice | None = None


async def created_by_source(tx: Connection, start: datetime, end: datetime) -> dict[str, int]:
    params = (UNKNOWN_SOURCE, EventType.CREATED, dump_time(start), dump_time(end))
    async with tx.execute(_BY_SOURCE, params) as cursor:
        return {str(row["source"]): int(row["n"]) for row in await cursor.fetchall()}


async def first_created_at(tx: Connection) -> datetime | None:
    async with tx.execute(_FIRST, (EventType.CREATED,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else load_time(row[0])


async def state(tx: Connection) -> WatchState:
    raw = await bot_settings.get_value(tx, STATE_KEY)
    if raw is None:
        return WatchState()
    data = json.loads(raw)
    notice = data.get("notice")
    return WatchState(
        low=bool(data["low"]),
        since=load_time(data.get("since")),
        notice=None
        if notice is None
        else Notice(text=notice["text"], pending=tuple(int(c) for c in notice["pending"])),
    )


async def save_state(tx: Connection, value: WatchState) -> None:
    notice = value.notice
    data = {
        "low": value.low,
        "since": dump_time(value.since),
        "notice": None
        if notice is None or not notice.pending
        else {"text": notice.text, "pending": list(notice.pending)},
    }
    await bot_settings.set_value(tx, STATE_KEY, json.dumps(data, ensure_ascii=False))


async def last_update_at(tx: Connection) -> datetime | None:
    return load_time(await bot_settings.get_value(tx, LAST_UPDATE_KEY))


async def save_last_update_at(tx: Connection, at: datetime) -> None:
    value = dump_time(at)
    assert value is not None
    await bot_settings.set_value(tx, LAST_UPDATE_KEY, value)

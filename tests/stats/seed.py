"""Events written straight into the log, as the desk and the checklist would write them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain.events import EventType
from bot.storage import events
from bot.storage.db import Database


def utc(text: str) -> datetime:
    """'2026-11-20 10:05' in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def seed(db: Database, *rows: tuple[int, EventType, str, dict[str, Any]]) -> None:
    async with db.transaction() as tx:
        for lead_id, type_, at, data in rows:
            actor = "staff:5001" if type_.startswith("desk.") else "system"
            await events.append(tx, lead_id, type_, at=utc(at), actor=actor, data=data)


E = EventType

# Friday 2026-11-20 and Saturday the 21st (Moscow, UTC+3); desk hours mon-fri 09-19.
COHORT: tuple[tuple[int, EventType, str, dict[str, Any]], ...] = (
    # 101: vk, target, taken in 15 min, reached in 45 min, booked and came.
    (101, E.CREATED, "2026-11-20 10:00", {"to": "new", "source": "vk_spring"}),
    (101, E.QUALIFIED, "2026-11-20 10:05", {"verdict": "target"}),
    (101, E.DESK_OWNER_SET, "2026-11-20 10:20", {"owner": 5001, "owner_name": "Olga"}),
    (101, E.DESK_CALL_LOGGED, "2026-11-20 10:30", {"outcome": "no_answer"}),
    (101, E.DESK_CALL_LOGGED, "2026-11-20 10:50", {"outcome": "reached"}),
    (101, E.MANAGER_ASSIGNED, "2026-11-20 10:51", {"manager_id": 7, "route": "site"}),
    (101, E.VIEWING_BOOKED, "2026-11-20 10:52", {"manager_id": 7, "viewing_id": 1}),
    (101, E.VIEWING_ATTENDED, "2026-11-25 12:00", {"manager_id": 7, "viewing_id": 1}),
    # 102: vk, nurture, nobody took it in time.
    (102, E.CREATED, "2026-11-20 11:00", {"to": "new", "source": "vk_spring"}),
    (102, E.QUALIFIED, "2026-11-20 11:10", {"verdict": "nurture"}),
    (102, E.DESK_SLA_BREACHED, "2026-11-20 11:25", {"kind": "take"}),
    # 103: site, nurture overridden to target, taken in 25 min, answered in 65, booked,
    # then erased at the client's request (only its events remain).
    (103, E.CREATED, "2026-11-20 12:00", {"to": "new", "source": "site"}),
    (103, E.QUALIFIED, "2026-11-20 12:00", {"verdict": "nurture"}),
    (103, E.DESK_OWNER_SET, "2026-11-20 12:25", {"owner": 5001, "owner_name": "Olga"}),
    (
        103,
        E.DESK_VERDICT_OVERRIDDEN,
        "2026-11-20 12:30",
        {"verdict_from": "nurture", "verdict_to": "target"},
    ),
    (103, E.DESK_STAFF_REPLIED, "2026-11-20 13:05", {"kind": "text"}),
    (103, E.VIEWING_BOOKED, "2026-11-21 09:00", {"manager_id": 7, "viewing_id": 2}),
    (103, E.ERASED, "2026-11-21 10:00", {}),
    # 104: the week before; 105: Saturday 21:30 UTC is already Sunday in Moscow.
    (104, E.CREATED, "2026-11-13 10:00", {"to": "new", "source": "site"}),
    (105, E.CREATED, "2026-11-21 21:30", {"to": "new", "source": "direct"}),
)

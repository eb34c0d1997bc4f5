"""Lead-managers working a lead from its card in the staff group."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.domain.desk import DeskLead
from bot.storage import desk
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import GroupMember
from tests.fakegram.server import CallbackAnswer, StoredMessage
from tests.viewings.conftest import write_sites

OLGA = 6001
PAVEL = 6002


@pytest.fixture
async def office(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    """A staff group and a sales office with managers (the viewing tests' sites)."""
    harness: Harness = await make_harness(sites_path=write_sites(tmp_path))
    return harness


def lead_manager(harness: Harness, user_id: int, name: str) -> GroupMember:
    return harness.telegram.group_member(STAFF_CHAT, user_id, first_name=name, deliver=harness.feed)


def card_message(harness: Harness, lead_id: int = 1) -> StoredMessage:
    """The lead's newest card (its topic may also hold notices)."""
    return [
        message
        for message in harness.telegram.bot_messages(STAFF_CHAT)
        if f"лид #{lead_id}\n" in message.visible_text
    ][-1]


def card_buttons(harness: Harness, lead_id: int = 1) -> list[str]:
    return [str(b["text"]) for b in card_message(harness, lead_id).inline_buttons()]


async def desk_row(harness: Harness, lead_id: int = 1) -> DeskLead:
    async with harness.app.db.read() as conn:
        return await desk.get(conn, lead_id)


async def press_data(
    harness: Harness, user_id: int, message: StoredMessage, data: CallbackData
) -> CallbackAnswer | None:
    """A press of a button that is no longer shown (an old client, a stale screen)."""
    query_id = harness.telegram.new_callback_query(message, user_id)
    await harness.feed(
        {
            "update_id": harness.telegram.next_update_id(),
            "callback_query": {
                "id": query_id,
                "from": harness.telegram.user_dict(user_id),
                "message": message.to_dict(),
                "chat_instance": "1",
                "data": data.pack(),
            },
        }
    )
    return harness.telegram.callback_answers.get(query_id)


async def snapshot(harness: Harness) -> tuple[Any, ...]:
    """Everything a press could change: the desk, the lead, the events."""
    async with harness.app.db.read() as conn:
        rows = []
        for sql in (
            "SELECT * FROM desk_leads ORDER BY lead_id",
            "SELECT id, status, manager_id, updated_at FROM leads ORDER BY id",
            "SELECT id, type FROM events ORDER BY id",
            "SELECT * FROM appointments ORDER BY id",
        ):
            cursor = await conn.execute(sql)
            rows.append([tuple(row) for row in await cursor.fetchall()])
    return tuple(json.dumps(part, default=str) for part in rows)


async def events_of(harness: Harness, type_: str) -> list[tuple[str, dict[str, Any]]]:
    async with harness.app.db.read() as conn:
        cursor = await conn.execute(
            "SELECT actor, data FROM events WHERE type = ? ORDER BY id", (type_,)
        )
        return [(row[0], json.loads(row[1])) for row in await cursor.fetchall()]

"""A nurture lead of the bundled checklist, in the office of the viewing tests.

The fake clock starts on Sunday 2026-11-22 at 12:00 Moscow time. "Later / just looking"
is nurture for 90 days: the verdict promises 20 February 2027, and the follow-up is due at
11:00 Moscow time that day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.consent import Purpose
from bot.domain.events import Event, EventType
from bot.storage import consents, events
from bot.storage import nurture as store
from bot.storage.nurture import NurtureState
from tests.conftest import Harness
from tests.fakegram import TelegramUser
from tests.fakegram.server import StoredMessage
from tests.handlers.flows import answer_rest, consent
from tests.viewings.conftest import write_sites

MOSCOW = ZoneInfo("Europe/Moscow")
LATER = "Later / just looking"
YES = "✅ Yes, write to me"
ANSWER_AGAIN = "✏️ Answer again"
STOP = "🛑 Stop"
FIRST_DUE = datetime(2027, 2, 20, 11, 0, tzinfo=MOSCOW)
EVERY = timedelta(days=90)


@pytest.fixture
async def office(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    harness: Harness = await make_harness(sites_path=write_sites(tmp_path))
    return harness


async def nurture_lead(harness: Harness, *, answer: str | None = YES) -> TelegramUser:
    """Through the checklist to nurture; then `answer` to the marketing consent (or none)."""
    user = harness.prospect(language_code="en")
    await consent(user)
    await answer_rest(user, timeline=LATER)
    if answer is not None:
        await user.click(answer)
    return user


async def run_at(harness: Harness, moment: datetime) -> None:
    harness.clock.current = moment.astimezone(UTC)
    await harness.app.nurture.run_due()


def follow_ups(harness: Harness, chat_id: int = 1001) -> list[StoredMessage]:
    return [
        m
        for m in harness.telegram.bot_messages(chat_id)
        if "Has anything changed?" in m.visible_text
    ]


async def lead_events(harness: Harness, *types: EventType) -> list[Event]:
    async with harness.app.db.read() as conn:
        found = await events.for_lead(conn, 1)
    return [e for e in found if e.type in types]


async def state(harness: Harness) -> NurtureState:
    async with harness.app.db.read() as conn:
        found = await store.get(conn, 1)
    assert found is not None
    return found


async def marketing_live(harness: Harness) -> bool:
    async with harness.app.db.read() as conn:
        return await consents.live(conn, 1001, Purpose.MARKETING) is not None

"""A lead with a topic in the staff group, a receivables specialist, and a deal whose
rules the test sets (a stand-in for the deal file: payments open or not yet)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.domain.documents import DocumentRequest
from bot.storage.db import Connection
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import GroupMember, TelegramUser
from tests.handlers.flows import serious_buyer
from tests.viewings.conftest import write_sites

OLGA = 6001  # a lead-manager in the staff group
RITA = 7001  # the receivables specialist (private chat with the bot)
HEAD = 8001  # the head of sales
STRANGER = 9001
SCHEDULE = "/payments\n26.11.2026 1 200 000 first instalment\n26.12.2026 500 000,50"


@dataclass
class StubDeal:
    """The DealPort as the deal file would answer it; `open` is the rule "no payment
    request before the contract is registered"."""

    open: bool = True
    roles: dict[str, tuple[int, ...]] = field(default_factory=lambda: {"receivables": (RITA,)})

    async def active_stage(self, tx: Connection, lead_id: int) -> str | None:
        return "payments" if self.open else "contract"

    async def documents_wanted(self, tx: Connection, lead_id: int) -> list[DocumentRequest]:
        return []

    async def payments_open(self, tx: Connection, lead_id: int) -> bool:
        return self.open

    def people(self, role: str) -> tuple[int, ...]:
        return self.roles.get(role, ())


@pytest.fixture
def deal() -> StubDeal:
    return StubDeal()


@pytest.fixture
def make_office(
    make_harness: Callable[..., Any], tmp_path: Path, deal: StubDeal
) -> Callable[..., Any]:
    async def make(**overrides: Any) -> Harness:
        harness: Harness = await make_harness(
            sites_path=write_sites(tmp_path), deal=deal, **overrides
        )
        return harness

    return make


@pytest.fixture
async def office(make_office: Callable[..., Any]) -> Harness:
    harness: Harness = await make_office(head_of_sales_ids=str(HEAD))
    return harness


def olga(harness: Harness) -> GroupMember:
    return harness.telegram.group_member(STAFF_CHAT, OLGA, first_name="Olga", deliver=harness.feed)


def rita(harness: Harness) -> TelegramUser:
    return harness.telegram.user(RITA, first_name="Rita", deliver=harness.feed)


async def client_with_topic(harness: Harness) -> tuple[TelegramUser, int]:
    """A target lead (English) whose card is in its topic; the topic's thread id."""
    anna = harness.prospect(language_code="en")
    await serious_buyer(anna)
    lead = await harness.lead()
    assert lead is not None and lead.staff_thread_id is not None
    return anna, lead.staff_thread_id


def topic_texts(harness: Harness, thread_id: int) -> list[str]:
    return [m.visible_text for m in harness.telegram.bot_messages(STAFF_CHAT, thread_id)]


def reminders(user: TelegramUser) -> list[str]:
    return [text for text in user.messages() if "A reminder" in text or "Today" in text]


async def events_of(harness: Harness, type_: str) -> list[tuple[str, dict[str, Any]]]:
    async with harness.app.db.read() as conn:
        cursor = await conn.execute(
            "SELECT actor, data FROM events WHERE type = ? ORDER BY id", (type_,)
        )
        return [(row[0], json.loads(row[1])) for row in await cursor.fetchall()]


async def statuses(harness: Harness) -> list[tuple[str, str, int]]:
    async with harness.app.db.read() as conn:
        cursor = await conn.execute("SELECT due_on, status, claims FROM payments ORDER BY due_on")
        return [(row[0], row[1], row[2]) for row in await cursor.fetchall()]

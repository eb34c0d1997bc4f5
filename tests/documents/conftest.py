"""A lead whose deal asks for documents: a small DealPort reading the `deals` row, so the
tests choose the documents (the app wires the deal file's); a client in English and the
lead's topic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.domain.checklist import Localized
from bot.domain.documents import DocumentRequest, StoredDocument
from bot.domain.events import Event, EventType
from bot.storage import documents as store
from bot.storage import events
from bot.storage.codec import dump_time
from bot.storage.db import Connection
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import StoredMessage
from tests.relay.conftest import Desk, open_desk

# The stages' titles as the deal file gives them; "keys" has none (staff see its id).
STAGE_TITLES = {
    "reservation": Localized(texts={"ru": "Бронь", "en": "Reservation"}),
    "mortgage": Localized(texts={"ru": "Ипотека", "en": "Mortgage"}),
    "signing": Localized(texts={"ru": "Подписание", "en": "Signing"}),
}


def _request(
    stage: str, document: str, en: str, ru: str, *, personal: bool = False
) -> DocumentRequest:
    title = Localized(texts={"ru": ru, "en": en})
    return DocumentRequest(
        stage,
        document,
        title,
        personal=personal,
        required=True,
        stage_title=STAGE_TITLES.get(stage),
    )


# What each stage of the test deal asks for.
STAGES: dict[str, list[DocumentRequest]] = {
    "reservation": [_request("reservation", "booking_form", "Booking form", "Заявка на бронь")],
    "mortgage": [
        _request("mortgage", "income", "Income statement", "Справка о доходах"),
        _request("mortgage", "approval", "Bank approval", "Одобрение банка"),
    ],
    "signing": [_request("signing", "passport", "Passport", "Паспорт", personal=True)],
    "keys": [],
}


class TableDeals:
    """The DealPort for tests: the stage from the `deals` row, documents from STAGES."""

    def __init__(self, people: dict[str, tuple[int, ...]] | None = None) -> None:
        self._people = people or {}

    async def active_stage(self, tx: Connection, lead_id: int) -> str | None:
        cursor = await tx.execute(
            "SELECT stage FROM deals WHERE lead_id = ? AND closed_at IS NULL", (lead_id,)
        )
        row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def documents_wanted(self, tx: Connection, lead_id: int) -> list[DocumentRequest]:
        stage = await self.active_stage(tx, lead_id)
        return [] if stage is None else list(STAGES.get(stage, []))

    async def payments_open(self, tx: Connection, lead_id: int) -> bool:
        return False

    def people(self, role: str) -> tuple[int, ...]:
        return self._people.get(role, ())


@dataclass
class Deal(Desk):
    """The relay tests' desk, with the deal's documents."""

    async def at_stage(self, stage: str) -> None:
        now = dump_time(self.harness.clock.now())
        async with self.harness.app.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO deals (lead_id, timeline_id, timeline_version, stage, stage_since,"
                " started_at, started_by, updated_at) VALUES (?, 'test', 1, ?, ?, ?, 'api', ?)"
                " ON CONFLICT (lead_id) DO UPDATE SET stage = excluded.stage",
                (self.lead.id, stage, now, now, now),
            )

    async def run_jobs(self) -> int:
        """What the documents' worker does when woken."""
        return await self.harness.app.documents.delivery.deliver_due()

    async def documents(self) -> list[StoredDocument]:
        async with self.harness.app.db.read() as conn:
            return await store.for_lead(conn, self.lead.id)

    async def events_of(self, type_: EventType) -> list[Event]:
        async with self.harness.app.db.read() as conn:
            found = await events.for_lead(conn, self.lead.id)
        return [e for e in found if e.type is type_]

    def review_copies(self) -> list[StoredMessage]:
        """Client files copied into the topic for review (they carry the review buttons)."""
        return [
            m
            for m in self.harness.telegram.bot_messages(STAFF_CHAT, self.thread)
            if (m.caption or "").startswith("📄")
        ]

    def relayed(self) -> list[StoredMessage]:
        """What the relay copied into the topic (review copies left out)."""
        reviews = {m.message_id for m in self.review_copies()}
        return [m for m in self.copies_in_topic() if m.message_id not in reviews]

    def client_texts(self) -> list[str]:
        return [m.visible_text for m in self.chat()]

    def card(self) -> str:
        return self.harness.card(self.thread, self.lead.id)


async def open_deal(harness: Harness, stage: str, **people: tuple[int, ...]) -> Deal:
    desk = await open_desk(harness)
    harness.app.documents.port = TableDeals(people)
    deal = Deal(desk.harness, desk.prospect, desk.manager, desk.lead, desk.thread)
    await deal.at_stage(stage)
    return deal


@pytest.fixture
async def deal(harness: Harness) -> Deal:
    return await open_deal(harness, "reservation")


@pytest.fixture
def deal_at(harness: Harness) -> Callable[..., Any]:
    async def make(stage: str) -> Deal:
        return await open_deal(harness, stage)

    return make

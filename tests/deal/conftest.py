"""A bot with deal support: role people, a head of sales, and a lead that attended a
viewing (its card in the staff group)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.domain.deal import Deal
from bot.domain.leads import Lead
from bot.storage import deals
from tests.conftest import SALES_DESK_SECRET, STAFF_CHAT, Harness, free_port
from tests.desk.conftest import card_message
from tests.fakegram import GroupMember, TelegramUser
from tests.fakegram.server import StoredMessage
from tests.handlers.flows import serious_buyer
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import write_sites

OLGA = 6001  # a lead-manager in the staff group
SUPPORT = 7001  # deal support (not in the staff group: a role person)
BROKER = 7002
LAWYER = 7003
RECEIVABLES = 7004
HEAD = 9001
PEOPLE = (
    f"deal_support={SUPPORT};mortgage_broker={BROKER};lawyer={LAWYER};receivables={RECEIVABLES}"
)
TOKEN = "deal-token-0123456789"

# The bundled timeline's stages as staff read them (ru) and the client reads them (en).
STAGES_RU = {
    "reservation": "Бронирование",
    "financing": "Финансирование",
    "contract": "Договор (ДДУ или ДКП)",
    "registration": "Регистрация договора",
    "payments": "Оплата",
    "acceptance": "Приёмка квартиры",
    "keys": "Передача ключей",
    "closed": "Сделка завершена",
}
STAGES_EN = {
    "reservation": "Reservation",
    "financing": "Financing",
    "contract": "Contract (DDU or DKP)",
    "registration": "Contract registration",
    "payments": "Payment",
    "acceptance": "Flat acceptance",
    "keys": "Key handover",
    "closed": "Deal completed",
}


@pytest.fixture
async def dealing(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path), deal_people=PEOPLE, head_of_sales_ids=(HEAD,)
    )
    return harness


class Api:
    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = http

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with self.http.post(
            f"{self.base}/api/v1{path}", json=body, headers=headers
        ) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def crm(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> AsyncIterator[tuple[Harness, Api]]:
    """Deal support with a sales desk receiving events and calling the API."""
    port = free_port()
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        deal_people=PEOPLE,
        sales_desk_url=receiver.url,
        sales_desk_secret=SALES_DESK_SECRET,
        api_token=TOKEN,
        web_port=port,
    )
    await harness.app.start_web()
    async with aiohttp.ClientSession() as http:
        yield harness, Api(f"http://127.0.0.1:{port}", http)


async def attended(harness: Harness, user_id: int = 1001) -> tuple[TelegramUser, Lead]:
    """A target lead (mortgage buyer, English) whose viewing the CRM reports attended."""
    client = harness.prospect(user_id, language_code="en")
    await serious_buyer(client)
    lead = await harness.lead(user_id)
    assert lead is not None
    for status in ("booked", "attended"):
        await harness.app.lead_desk.change_status(lead.id, status, "", actor="api")
    lead = await harness.lead(user_id)
    assert lead is not None and lead.status == "attended"
    return client, lead


def staff(harness: Harness, user_id: int = OLGA, name: str = "Olga") -> GroupMember:
    return harness.telegram.group_member(STAFF_CHAT, user_id, first_name=name, deliver=harness.feed)


def card(harness: Harness, lead_id: int = 1) -> StoredMessage:
    return card_message(harness, lead_id)


async def deal_of(harness: Harness, lead_id: int = 1) -> Deal | None:
    async with harness.app.db.read() as conn:
        return await deals.get(conn, lead_id)


async def accept(harness: Harness, stage: str, document: str, lead_id: int = 1) -> None:
    """A document of the stage accepted (what document intake records)."""
    async with harness.app.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO deal_documents (lead_id, stage, document, status, file_id, "
            "file_unique_id, client_message_id, received_at) "
            "VALUES (?, ?, ?, 'accepted', 'f', 'u',"
            " (SELECT COUNT(*) + 1 FROM deal_documents), '2026-11-22T09:00:00+00:00')",
            (lead_id, stage, document),
        )


async def sent_to_client(harness: Harness) -> None:
    """What the client-message job does when woken."""
    await harness.app.lead_desk.send_due()


def deal_headings(client: TelegramUser) -> list[str]:
    """The stage each deal message told the client about, in order."""
    return [
        text.split("\n", 1)[0].removeprefix("📍 Your deal: ")
        for text in client.messages()
        if text.startswith("📍 Your deal: ")
    ]


def pinned(harness: Harness) -> StoredMessage | None:
    chat = harness.telegram.chat(STAFF_CHAT)
    if chat.pinned_message_id is None:
        return None
    message = chat.messages.get(chat.pinned_message_id)
    return None if message is None or message.deleted else message

"""A bot with a sales desk (so the CRM transfer is asked) and helpers to read the ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.consent import Consent
from bot.domain.events import Event
from bot.storage import consents
from bot.storage import events as event_log
from bot.storage import privacy as store
from tests.conftest import SALES_DESK_SECRET, Harness
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import write_sites

# A person nobody else is: these must be nowhere once they are erased.
NAME = "Zinovia Quaxwellington"
PHONE = "+79161234599"
PHONE_DIGITS = "9161234599"


@pytest.fixture
async def crm(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> Harness:
    """The sales office (sites for viewings) pushing to the generic CRM receiver."""
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        sales_desk_url=receiver.url,
        sales_desk_secret=SALES_DESK_SECRET,
    )
    return harness


@pytest.fixture
async def office(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    """The sales office without a CRM; an administrator (6001) among the staff."""
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path), admin_ids=[6001], operator_details="INN 7700000001"
    )
    return harness


async def ledger(harness: Harness, user_id: int = 1001) -> list[Consent]:
    async with harness.app.db.read() as conn:
        return await consents.for_person(conn, user_id)


async def lead_events(harness: Harness, lead_id: int = 1) -> list[Event]:
    async with harness.app.db.read() as conn:
        return await event_log.for_lead(conn, lead_id)


async def records(harness: Harness) -> list[dict[str, Any]]:
    async with harness.app.db.read() as conn:
        return await store.destruction_records(conn)


async def anonymous(harness: Harness) -> list[dict[str, Any]]:
    async with harness.app.db.read() as conn:
        return await store.anonymous_rows(conn)


async def count(harness: Harness, sql: str, *params: object) -> int:
    async with harness.app.db.read() as conn:
        cursor = await conn.execute(sql, params)
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])

"""The sales desk drives real leads through the API of a running bot: the card, the
client and the CRM all follow."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.domain.leads import LeadEvent, LeadId, LeadStatus
from bot.storage import appointments, leads
from tests.conftest import SALES_DESK_SECRET as SECRET
from tests.conftest import STAFF_CHAT, Harness, free_port
from tests.handlers.flows import serious_buyer
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import write_sites
from tests.viewings.test_booking import booked_lead

TOKEN = "desk-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Api:
    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = http

    async def call(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> tuple[int, Any]:
        async with self.http.request(
            method, f"{self.base}/api/v1{path}", json=body, headers={**AUTH, **headers}
        ) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def live(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> AsyncIterator[tuple[Harness, Api]]:
    port = free_port()
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        sales_desk_url=receiver.url,
        sales_desk_secret=SECRET,
        api_token=TOKEN,
        web_port=port,
    )
    await harness.app.start_web()
    async with aiohttp.ClientSession() as http:
        yield harness, Api(f"http://127.0.0.1:{port}", http)


async def test_the_desk_reads_a_lead_in_the_shape_of_its_events(
    live: tuple[Harness, Api], receiver: GenericReceiver
) -> None:
    harness, api = live
    await serious_buyer(harness.prospect(language_code="en"))
    await deliver_all(harness)
    status, lead = await api.call("GET", "/leads/1")
    assert status == 200
    pushed = dict(receiver.deliveries[-1].payload["data"])
    pushed.pop("change")
    assert lead == pushed
    assert (await api.call("GET", "/leads/2"))[0] == 404


async def test_the_desk_cancels_a_viewing_and_everything_follows(
    live: tuple[Harness, Api], receiver: GenericReceiver
) -> None:
    harness, api = live
    await booked_lead(harness)
    body = {"status": "cancelled", "comment": "client called: bought elsewhere"}
    status, answer = await api.call("POST", "/leads/1/status", body)
    assert status == 200
    assert answer["status"] == "cancelled"
    lead = await harness.lead()
    assert lead is not None and lead.status is LeadStatus.CANCELLED
    async with harness.app.db.read() as conn:
        viewing = await appointments.latest_for_lead(conn, lead.id)
    assert viewing is not None and viewing.status.value == "cancelled"
    assert "Sales office · запись отменена" in harness.card(
        lead.staff_thread_id
    )  # the one card, edited in place
    await deliver_all(harness)
    cancelled = receiver.deliveries[-1]
    assert cancelled.type == "viewing.cancelled"
    assert cancelled.payload["data"]["change"]["actor"] == "api"
    assert cancelled.payload["data"]["change"]["comment"] == "client called: bought elsewhere"
    # Not allowed from here: 409, and nothing changes.
    status, problem = await api.call("POST", "/leads/1/status", {"status": "deal"})
    assert status == 409
    assert "cancelled" in problem["detail"]
    unchanged = await harness.lead()
    assert unchanged is not None and unchanged.status is LeadStatus.CANCELLED
    assert [e.to_status for e in await lead_history(harness)][-1] is LeadStatus.CANCELLED


async def test_the_desk_messages_the_client_now_and_after_quiet_hours(
    live: tuple[Harness, Api],
) -> None:
    harness, api = live
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    key = {"Idempotency-Key": "msg-1"}
    first = await api.call(
        "POST", "/leads/1/messages", {"text": "Your <b>deal</b> is ready"}, **key
    )
    again = await api.call(
        "POST", "/leads/1/messages", {"text": "Your <b>deal</b> is ready"}, **key
    )
    assert first == again
    assert first[0] == 202
    assert await harness.app.lead_desk.send_due() == 1
    assert user.last_text() == "Your <b>deal</b> is ready"  # sent as typed, not as HTML
    lead = await harness.lead()
    assert lead is not None
    copy = harness.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)[-1].visible_text
    assert "Your <b>deal</b> is ready" in copy and "📨" in copy

    # 23:30 in Moscow is quiet: it goes at 09:00 the next morning.
    status, queued = await api.call(
        "POST", "/leads/1/messages", {"text": "Good night", "send_at": "2026-11-22T23:30:00+03:00"}
    )
    assert status == 202
    assert queued["send_at"].startswith("2026-11-23T06:00:00")
    harness.clock.advance(hours=14)  # 02:00 Moscow
    assert await harness.app.lead_desk.send_due() == 0
    harness.clock.advance(hours=5)  # 07:00 Moscow is still quiet
    assert await harness.app.lead_desk.send_due() == 0
    harness.clock.advance(hours=2)
    assert await harness.app.lead_desk.send_due() == 1
    assert user.last_text() == "Good night"


async def test_junk_changes_nothing(live: tuple[Harness, Api]) -> None:
    harness, api = live
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    before = harness.telegram.mark()
    for body in ({"text": ""}, {"txt": "hi"}, ["text"], {"text": "x", "send_at": "tomorrow"}):
        status, problem = await api.call("POST", "/leads/1/messages", body)
        assert status == 422, body
        assert problem["detail"]
    assert (await api.call("POST", "/leads/1/status", {"status": "sold"}))[0] == 422
    assert await harness.app.lead_desk.send_due() == 0
    assert harness.telegram.requests[before:] == []


async def test_a_blocked_client_is_reported_in_the_topic(live: tuple[Harness, Api]) -> None:
    harness, api = live
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    harness.telegram.block_user(1001)
    assert (await api.call("POST", "/leads/1/messages", {"text": "Hello"}))[0] == 202
    assert await harness.app.lead_desk.send_due() == 0
    lead = await harness.lead()
    assert lead is not None and lead.unreachable_at is not None
    notice = harness.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id)[-1].visible_text
    assert "⚠️" in notice and "Hello" in notice
    assert await harness.app.lead_desk.send_due() == 0  # not retried against a block


async def test_back_to_target_frees_the_viewing(
    live: tuple[Harness, Api], receiver: GenericReceiver
) -> None:
    harness, api = live
    await booked_lead(harness)
    status, answer = await api.call("POST", "/leads/1/status", {"status": "target"})
    assert status == 200
    assert answer["lead"]["viewing"]["state"] == "moved"
    async with harness.app.db.read() as conn:
        assert await appointments.open_for_lead(conn, 1) is None
    await deliver_all(harness)
    moved = receiver.deliveries[-1]
    assert moved.type == "viewing.cancelled"
    assert (moved.payload["data"]["change"]["from"], moved.payload["data"]["change"]["to"]) == (
        "booked",
        "target",
    )


async def lead_history(harness: Harness) -> list[LeadEvent]:
    async with harness.app.db.read() as conn:
        return await leads.events(conn, LeadId(1))

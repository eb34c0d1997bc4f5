"""The CRM reads and sets a lead's payment schedule: PUT /api/v1/leads/{id}/payments
replaces the unpaid payments (the same as staff's /payments), GET returns it; junk gets a
problem naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.domain.events import EventType
from tests.conftest import Harness, free_port
from tests.desk.conftest import card_message
from tests.payments.conftest import client_with_topic, events_of, statuses

TOKEN = "desk-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GOOD = {
    "payments": [
        {"due_on": "2027-01-15", "amount": "1200000.00", "label": "first instalment"},
        {"due_on": "2027-02-15", "amount": "500000.5", "currency": "RUB"},
    ]
}


class Api:
    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = http

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(
            method, f"{self.base}/api/v1{path}", json=body, headers=AUTH
        ) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def live(make_office: Callable[..., Any]) -> AsyncIterator[tuple[Harness, Api]]:
    port = free_port()
    harness: Harness = await make_office(api_token=TOKEN, web_port=port)
    await harness.app.start_web()
    async with aiohttp.ClientSession() as http:
        yield harness, Api(f"http://127.0.0.1:{port}", http)


async def test_the_crm_sets_and_reads_the_schedule(live: tuple[Harness, Api]) -> None:
    harness, api = live
    await client_with_topic(harness)
    status, body = await api.call("PUT", "/leads/1/payments", GOOD)
    assert status == 200
    assert body == {
        "lead_id": 1,
        "payments": [
            {
                "payment_id": 1,
                "due_on": "2027-01-15",
                "amount": "1200000.00",
                "currency": "RUB",
                "label": "first instalment",
                "status": "due",
            },
            {
                "payment_id": 2,
                "due_on": "2027-02-15",
                "amount": "500000.50",
                "currency": "RUB",
                "label": None,
                "status": "due",
            },
        ],
    }
    assert await api.call("GET", "/leads/1/payments") == (200, body)
    [(actor, _)] = await events_of(harness, EventType.PAYMENT_SCHEDULED)
    assert actor == "api"
    assert "Следующий платёж: 1\u00a0200\u00a0000\u00a0₽" in card_message(harness).visible_text

    # The same PUT again changes nothing; an empty list clears the unpaid payments.
    assert await api.call("PUT", "/leads/1/payments", GOOD) == (200, body)
    assert len(await events_of(harness, EventType.PAYMENT_SCHEDULED)) == 1
    status, cleared = await api.call("PUT", "/leads/1/payments", {"payments": []})
    assert (status, cleared) == (200, {"lead_id": 1, "payments": []})
    assert await statuses(harness) == []


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        ({"due_on": "15.01.2027", "amount": "1200000.00"}, "payments.0.due_on"),
        ({"due_on": "2027-02-30", "amount": "1200000.00"}, "payments.0.due_on"),
        ({"due_on": "2027-01-15", "amount": 1200000.0}, "payments.0.amount"),
        ({"due_on": "2027-01-15", "amount": "1 200 000"}, "payments.0.amount"),
        ({"due_on": "2027-01-15", "amount": "0.00"}, "payments.0.amount"),
        ({"due_on": "2027-01-15", "amount": "10.00", "currency": "rub"}, "payments.0.currency"),
        ({"due_on": "2027-01-15", "amount": "10.00", "note": "x"}, "payments.0.note"),
        ({"amount": "10.00"}, "payments.0.due_on"),
        ({"due_on": "2026-11-21", "amount": "10.00"}, "payments.0.due_on"),
    ],
)
async def test_junk_gets_a_problem_naming_the_field(
    live: tuple[Harness, Api], payment: dict[str, Any], field: str
) -> None:
    harness, api = live
    await client_with_topic(harness)
    body = {"payments": [{"due_on": "2027-01-01", "amount": "5.00"}, payment]}
    status, problem = await api.call("PUT", "/leads/1/payments", body)
    assert status == 422
    assert problem["type"].startswith("https://leadsieve/problems/")
    fields = [error["field"] for error in problem["errors"]]
    assert fields == [field.replace("payments.0", "payments.1")]
    assert await statuses(harness) == []


async def test_an_unknown_lead_and_a_body_that_is_not_a_schedule(
    live: tuple[Harness, Api],
) -> None:
    _, api = live
    status, problem = await api.call("PUT", "/leads/7/payments", GOOD)
    assert (status, problem["type"]) == (404, "https://leadsieve/problems/lead-not-found")
    status, problem = await api.call("GET", "/leads/7/payments")
    assert status == 404
    status, problem = await api.call("PUT", "/leads/7/payments", [1, 2])
    assert status == 422 and problem["errors"][0]["field"] == "body"
    status, document = await api.call("GET", "/openapi.json")
    assert set(document["paths"]["/leads/{lead_id}/payments"]) == {"get", "put"}

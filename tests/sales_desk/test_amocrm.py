"""The `amocrm` sales-desk client against an amoCRM-shaped account on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.integrations.sales_desk.amocrm import AmoCrmClient
from bot.integrations.sales_desk.base import OutboundEvent, Outcome, Result, SalesDeskTarget
from tests.sales_desk.amocrm_receiver import DEFAULT_TOKEN, AmoCrmReceiver

PHONE = "+79161234567"
NAME = "Ирина Соколова"
STATUS_MAP = {"target": "41000001", "nurture": "41000002", "deal": "142", "closed": "143"}
DETAILS = "Бюджет: 5–7 млн\nРайон: Хамовники\nСроки: до 3 месяцев"


@pytest.fixture
async def amo() -> AsyncIterator[AmoCrmReceiver]:
    async with AmoCrmReceiver() as receiver:
        yield receiver


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def client(amo: AmoCrmReceiver, http: httpx.AsyncClient) -> AmoCrmClient:
    return make_client(amo, http)


def make_client(
    amo: AmoCrmReceiver,
    http: httpx.AsyncClient,
    *,
    token: str = DEFAULT_TOKEN,
    status_map: Mapping[str, str] = STATUS_MAP,
    rate_per_second: float = 7.0,
    url: str | None = None,
) -> AmoCrmClient:
    target = SalesDeskTarget(url=url or amo.url, secret=token, status_map=status_map)
    return AmoCrmClient(target, http, rate_per_second=rate_per_second)


def snapshot(lead_id: int = 42, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "lead_id": lead_id,
        "status": "target",
        "verdict": "target",
        "score": 8,
        "max_score": 10,
        "reasons": ["budget", "timing"],
        "answers": [
            {"question_id": "budget", "label": "Бюджет", "value": "5-7", "text": "5–7 млн"},
        ],
        "phone": PHONE,
        "name": NAME,
        "telegram": {"user_id": 1001, "username": "irina_s"},
        "source": "avito_spring",
        "language": "ru",
        "manager": None,
        "viewing": None,
        "crm_id": None,
        "change": {"actor": "bot", "from": "qualifying", "to": "target"},
    }
    data.update(overrides)
    return data


def event(
    type_: str = "lead.qualified",
    *,
    event_id: int = 1,
    lead_id: int = 42,
    crm_id: str | int | None = None,
    data: Mapping[str, Any] | None = None,
    summary: str = "Лид квалифицирован: целевой, 8/10",
    details: str = DETAILS,
) -> OutboundEvent:
    return OutboundEvent(
        webhook_id=f"evt_{event_id}",
        type=type_,
        occurred_at=datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        lead_id=lead_id,
        data=snapshot(lead_id) if data is None else data,
        crm_id=None if crm_id is None else str(crm_id),
        summary=summary,
        details=details,
    )


async def test_a_new_qualified_lead_is_one_complex_add_with_a_new_contact(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    result = await client.deliver(event())

    assert result.outcome is Outcome.DELIVERED, result
    assert result.crm_id is not None
    assert [(call.method, call.path, call.status) for call in amo.calls] == [
        ("GET", "/api/v4/contacts", 204),
        ("POST", "/api/v4/leads/complex", 200),
        ("POST", f"/api/v4/leads/{result.crm_id}/notes", 200),
    ]
    assert amo.calls[0].query == {"query": "79161234567"}
    sent = amo.calls[1].body
    assert isinstance(sent, list)
    assert len(sent) == 1
    lead = sent[0]
    assert lead["name"] == f"{NAME} — leadsieve #42"
    assert lead["status_id"] == 41000001
    assert lead["request_id"] == "evt_1"
    assert lead["custom_fields_values"] == [
        {"field_code": "UTM_SOURCE", "values": [{"value": "avito_spring"}]}
    ]
    assert lead["_embedded"]["tags"] == [{"name": "target"}, {"name": "avito_spring"}]
    assert lead["_embedded"]["contacts"] == [
        {
            "name": NAME,
            "custom_fields_values": [
                {"field_code": "PHONE", "values": [{"value": PHONE, "enum_code": "MOB"}]}
            ],
        }
    ]

    stored = amo.leads[int(result.crm_id)]
    assert stored.status_id == 41000001
    assert stored.tags == ["target", "avito_spring"]
    assert stored.field_value("UTM_SOURCE") == "avito_spring"
    assert stored.contact_id is not None
    assert amo.contacts[stored.contact_id].phones == [PHONE]
    assert amo.notes_for(result.crm_id) == ["Лид квалифицирован: целевой, 8/10", DETAILS]
    assert result.extra == {"contact_id": stored.contact_id, "merged": False}


async def test_an_account_url_with_a_trailing_slash_works(
    amo: AmoCrmReceiver, http: httpx.AsyncClient
) -> None:
    client = make_client(amo, http, url=amo.url + "/")

    result = await client.deliver(event())

    assert result.outcome is Outcome.DELIVERED, result
    assert all(call.path.startswith("/api/v4/") for call in amo.calls)


async def test_without_a_name_the_lead_is_named_by_telegram_username(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    result = await client.deliver(event(data=snapshot(name=None, verdict="nurture")))

    assert result.outcome is Outcome.DELIVERED, result
    assert result.crm_id is not None
    stored = amo.leads[int(result.crm_id)]
    assert stored.name == "@irina_s — leadsieve #42"
    assert stored.status_id == 41000002
    assert stored.contact_id is not None
    assert amo.contacts[stored.contact_id].name == "@irina_s"


async def test_an_existing_contact_found_by_phone_is_linked_not_duplicated(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    known = amo.add_contact("Ирина С.", "+7 (916) 123-45-67")

    result = await client.deliver(event())

    assert result.outcome is Outcome.DELIVERED, result
    assert amo.calls[0].status == 200
    assert amo.calls[1].body[0]["_embedded"]["contacts"] == [{"id": known.id}]
    assert result.crm_id is not None
    assert amo.leads[int(result.crm_id)].contact_id == known.id
    assert list(amo.contacts) == [known.id]


async def test_later_events_become_notes_on_the_right_lead(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    first = amo.add_lead("Первый — leadsieve #42")
    other = amo.add_lead("Другой — leadsieve #43")

    booked = await client.deliver(
        event(
            "viewing.booked",
            event_id=2,
            crm_id=first.id,
            data=snapshot(change={"actor": "prospect", "from": "target", "to": "booked"}),
            summary="Показ: 24.11 11:00",
        )
    )
    requalified = await client.deliver(
        event("lead.qualified", event_id=3, crm_id=first.id, summary="Повторная квалификация")
    )
    erased = await client.deliver(
        event(
            "lead.erased",
            event_id=4,
            crm_id=first.id,
            data={"lead_id": 42, "crm_id": str(first.id), "change": {"actor": "prospect"}},
            summary="Данные удалены по просьбе клиента",
            details="",
        )
    )

    for result in (booked, requalified, erased):
        assert result.outcome is Outcome.DELIVERED, result
        assert result.crm_id is None  # nothing new learnt
    assert amo.notes_for(first.id) == [
        "Показ: 24.11 11:00",
        "Повторная квалификация",
        DETAILS,
        "Данные удалены по просьбе клиента",
    ]
    assert amo.notes_for(other.id) == []
    assert amo.calls_to("POST", "/api/v4/leads/complex") == []
    assert amo.calls_to("GET", "/api/v4/contacts") == []
    # One request per event: the re-qualification's two notes travel together.
    assert len(amo.calls) == 3


async def test_a_mapped_status_change_patches_the_status(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    lead = amo.add_lead("Ирина — leadsieve #42", status_id=41000001)
    change = {"actor": "manager", "from": "attended", "to": "deal"}

    result = await client.deliver(
        event(
            "lead.status_changed",
            crm_id=lead.id,
            data=snapshot(status="deal", change=change),
            summary="Статус: сделка",
        )
    )

    assert result.outcome is Outcome.DELIVERED, result
    patches = amo.calls_to("PATCH", "/api/v4/leads")
    assert [call.body for call in patches] == [[{"id": lead.id, "status_id": 142}]]
    assert amo.leads[lead.id].status_id == 142
    assert amo.notes_for(lead.id) == ["Статус: сделка"]


async def test_an_unmapped_status_change_is_only_a_note(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    lead = amo.add_lead("Ирина — leadsieve #42", status_id=41000001)
    change = {"actor": "manager", "from": "target", "to": "booked"}

    result = await client.deliver(
        event(
            "lead.status_changed", crm_id=lead.id, data=snapshot(change=change), summary="Записан"
        )
    )

    assert result.outcome is Outcome.DELIVERED, result
    assert amo.calls_to("PATCH", "/api/v4/leads") == []
    assert amo.leads[lead.id].status_id == 41000001
    assert amo.notes_for(lead.id) == ["Записан"]


@pytest.mark.parametrize(
    ("type_", "data"),
    [
        ("lead.started", snapshot(phone=None, verdict=None, status="qualifying")),
        ("lead.erased", {"lead_id": 42, "crm_id": None, "change": {"actor": "prospect"}}),
    ],
)
async def test_nothing_is_sent_for_a_lead_the_crm_cannot_have(
    amo: AmoCrmReceiver, client: AmoCrmClient, type_: str, data: dict[str, Any]
) -> None:
    result = await client.deliver(event(type_, data=data))

    assert result == Result(Outcome.DELIVERED, extra={"skipped": True})
    assert amo.calls == []


async def test_a_429_with_retry_after_in_the_body_pauses_for_that_long(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    amo.set_status(429, retry_after=3)

    result = await client.deliver(event())

    assert result.outcome is Outcome.UNAVAILABLE
    assert result.status == 429
    assert result.retry_after == 3.0
    assert amo.leads == {}


@pytest.mark.parametrize(
    ("status", "retry_after", "outcome"),
    [
        (503, 7, Outcome.UNAVAILABLE),  # Retry-After as a header
        (500, None, Outcome.UNAVAILABLE),
        (504, None, Outcome.UNAVAILABLE),
        (402, None, Outcome.REFUSED),
        (403, None, Outcome.REFUSED),
        (410, None, Outcome.DISABLED),
    ],
)
async def test_error_statuses_map_to_outcomes(
    amo: AmoCrmReceiver,
    client: AmoCrmClient,
    status: int,
    retry_after: int | None,
    outcome: Outcome,
) -> None:
    amo.set_status(status, retry_after=retry_after)

    result = await client.deliver(event())

    assert result.outcome is outcome
    assert result.status == status
    assert result.retry_after == (None if retry_after is None else float(retry_after))
    assert result.crm_id is None


async def test_a_wrong_token_is_refused(amo: AmoCrmReceiver, http: httpx.AsyncClient) -> None:
    client = make_client(amo, http, token="expired-token")

    result = await client.deliver(event())

    assert result.outcome is Outcome.REFUSED
    assert result.status == 401
    assert "expired-token" not in result.error
    assert amo.leads == {}
    assert not any(call.authorized for call in amo.calls)


async def test_a_validation_error_is_refused_with_its_path(
    amo: AmoCrmReceiver, http: httpx.AsyncClient
) -> None:
    client = make_client(amo, http, status_map={"target": "999"})  # no such status

    result = await client.deliver(event())

    assert result.outcome is Outcome.REFUSED
    assert result.status == 400
    assert result.error == "HTTP 400: status_id: NotSupportedChoice"
    assert amo.leads == {}
    assert amo.contacts == {}


async def test_an_account_that_is_down_is_unavailable_until_it_comes_up(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    url = amo.url
    assert (await client.deliver(event("viewing.booked", crm_id=amo.add_lead("x").id))).outcome is (
        Outcome.DELIVERED
    )  # a kept-alive connection exists now
    await amo.go_down()

    down = await client.deliver(event(event_id=2))

    assert down.outcome is Outcome.UNAVAILABLE
    assert down.status is None
    assert down.error.startswith("network")
    await amo.come_up()
    assert amo.url == url

    up = await client.deliver(event(event_id=2))

    assert up.outcome is Outcome.DELIVERED, up
    assert up.crm_id is not None


async def test_a_timeout_is_unavailable(amo: AmoCrmReceiver) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as slow_http:
        client = make_client(amo, slow_http)
        amo.delay = 1.0

        result = await client.deliver(event())

    assert result.outcome is Outcome.UNAVAILABLE
    assert result.error.startswith("timeout")


async def test_a_burst_never_exceeds_seven_requests_a_second(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    leads = [amo.add_lead(f"Лид {index}") for index in range(5)]
    events = [
        event("viewing.reminded", event_id=index, crm_id=leads[index % 5].id, summary=f"#{index}")
        for index in range(20)
    ]
    started = time.monotonic()

    results = await asyncio.gather(*(client.deliver(one) for one in events))

    assert [result.outcome for result in results] == [Outcome.DELIVERED] * 20
    assert amo.rate_violations == 0
    assert amo.max_requests_per_second() <= 7
    assert time.monotonic() - started >= 13 / 7  # 20 requests, 7 in the first second
    assert sorted(len(amo.notes_for(lead.id)) for lead in leads) == [4] * 5


async def test_the_receiver_really_limits_a_client_that_does_not(
    amo: AmoCrmReceiver, http: httpx.AsyncClient
) -> None:
    client = make_client(amo, http, rate_per_second=1000)
    lead = amo.add_lead("Лид")

    results = await asyncio.gather(
        *(client.deliver(event("viewing.reminded", event_id=n, crm_id=lead.id)) for n in range(12))
    )

    limited = [result for result in results if result.status == 429]
    assert limited
    assert amo.rate_violations == len(limited)
    assert all(result.outcome is Outcome.UNAVAILABLE for result in limited)
    assert all(result.retry_after == 1.0 for result in limited)


async def test_the_learnt_crm_id_comes_back_even_when_the_note_fails(
    amo: AmoCrmReceiver, client: AmoCrmClient
) -> None:
    amo.fail_next(1, 503, path_contains="/notes")

    first = await client.deliver(event())

    assert first.outcome is Outcome.UNAVAILABLE
    assert first.status == 503
    assert first.crm_id is not None
    assert list(amo.leads) == [int(first.crm_id)]
    assert amo.notes == []

    # The outbox retries with the id it learnt: no second lead, and the notes arrive.
    retry = await client.deliver(event(crm_id=first.crm_id))

    assert retry.outcome is Outcome.DELIVERED, retry
    assert list(amo.leads) == [int(first.crm_id)]
    assert amo.notes_for(first.crm_id) == ["Лид квалифицирован: целевой, 8/10", DETAILS]


async def test_logs_carry_no_personal_data(
    amo: AmoCrmReceiver, client: AmoCrmClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    await client.deliver(event())
    amo.set_status(400)
    await client.deliver(event(event_id=2))
    amo.set_up()
    await client.deliver(event("lead.started", data=snapshot(phone=None)))

    ours = [record.getMessage() for record in caplog.records if record.name.startswith("bot.")]
    assert ours
    for message in ours:
        assert PHONE not in message
        assert "79161234567" not in message
        assert NAME not in message
        assert DEFAULT_TOKEN not in message


# ---------------------------------------------------------------------- the receiver itself


def complex_lead(**overrides: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "name": "Лид",
        "_embedded": {
            "contacts": [
                {
                    "name": "Контакт",
                    "custom_fields_values": [
                        {"field_code": "PHONE", "values": [{"value": PHONE, "enum_code": "MOB"}]}
                    ],
                }
            ]
        },
    }
    lead.update(overrides)
    return lead


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "not an array"}, ""),
        ([complex_lead()] * 51, ""),
        ([complex_lead(tags=[{"name": "x"}])], "tags"),
        ([complex_lead(custom_fields_values=[])], "custom_fields_values"),
        (
            [complex_lead(custom_fields_values=[{"field_code": "UTM_SOURCE", "value": "x"}])],
            "custom_fields_values.0.values",
        ),
        (
            [complex_lead(custom_fields_values=[{"field_id": 123, "values": [{"value": "x"}]}])],
            "custom_fields_values.0.field_id",
        ),
        (
            [complex_lead(_embedded={"contacts": [{"name": "a"}, {"name": "b"}]})],
            "_embedded.contacts",
        ),
        (
            [
                complex_lead(
                    _embedded={
                        "contacts": [
                            {
                                "custom_fields_values": [
                                    {
                                        "field_code": "PHONE",
                                        "values": [{"value": PHONE, "enum_code": "MOBILE"}],
                                    }
                                ]
                            }
                        ]
                    }
                )
            ],
            "_embedded.contacts.0.custom_fields_values.0.values.0.enum_code",
        ),
    ],
)
async def test_the_receiver_refuses_what_amocrm_would(
    amo: AmoCrmReceiver, http: httpx.AsyncClient, body: Any, path: str
) -> None:
    response = await http.post(
        f"{amo.url}/api/v4/leads/complex",
        json=body,
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
    )

    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert problem["validation-errors"][0]["errors"][0]["path"] == path
    assert amo.leads == {}


async def test_the_receiver_answers_notes_for_an_unknown_lead_with_404(
    amo: AmoCrmReceiver, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        f"{amo.url}/api/v4/leads/1/notes",
        json=[{"note_type": "common", "params": {"text": "x"}}],
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
    )

    assert response.status_code == 404

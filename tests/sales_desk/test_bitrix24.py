"""The bitrix24 sales-desk client against a Bitrix24-shaped portal over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.integrations.sales_desk.base import OutboundEvent, Outcome, Result, SalesDeskTarget
from bot.integrations.sales_desk.bitrix24 import Bitrix24Client
from tests.sales_desk.bitrix24_receiver import Bitrix24Receiver

PHONE = "+79161234567"
NAME = "Иван"
# Verdicts and the bot's lead statuses ("target" and "nurture" are both) → STATUS_ID.
STATUS_MAP = {
    "target": "IN_PROCESS",
    "nurture": "NEW",
    "reject": "JUNK",
    "rejected": "JUNK",
    "deal": "CONVERTED",
}
DETAILS = "Бюджет: 10–15 млн ₽\nСрок: до 3 месяцев"
FAST = 1000.0  # requests per second: the pacer out of the way


def snapshot(lead_id: int = 42, **changes: Any) -> dict[str, Any]:
    """A lead's data as the outbox sends it (README, "Event catalogue")."""
    data: dict[str, Any] = {
        "schema": 1,
        "lead_id": lead_id,
        "status": "qualified",
        "verdict": "target",
        "score": 8,
        "max_score": 10,
        "reasons": [{"kind": "score", "verdict": "target", "score": 8, "threshold": 6}],
        "answers": [
            {"question_id": "budget", "label": "Бюджет", "value": "10-15", "text": "10–15 млн ₽"},
            {"question_id": "when", "label": "Срок", "value": "3m", "text": "до 3 месяцев"},
        ],
        "phone": PHONE,
        "name": NAME,
        "telegram": {"user_id": 777001, "username": "ivan_p"},
        "source": "yandex_direct",
        "language": "ru",
        "manager": None,
        "viewing": None,
        "crm_id": None,
        "change": {"event_id": 7, "actor": "bot", "from": "qualifying", "to": "target"},
    }
    data.update(changes)
    return data


def event(
    type: str = "lead.qualified",
    *,
    crm_id: str | None = None,
    data: dict[str, Any] | None = None,
    summary: str = "Лид квалифицирован: целевой (8/10)",
    details: str = DETAILS,
    number: int = 1,
) -> OutboundEvent:
    if data is not None:
        payload = data
    elif type == "viewing.booked":
        booked = {"event_id": 8, "actor": "prospect", "from": "target", "to": "booked"}
        payload = snapshot(status="booked", change=booked)
    else:
        payload = snapshot()
    return OutboundEvent(
        webhook_id=f"evt_{number}",
        type=type,
        occurred_at=datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        lead_id=int(payload["lead_id"]),
        data=payload,
        crm_id=crm_id,
        summary=summary,
        details=details,
    )


@pytest.fixture
async def portal() -> AsyncIterator[Bitrix24Receiver]:
    async with Bitrix24Receiver() as receiver:
        yield receiver
        # pytest shows captured output only for failing tests: the portal's side of it.
        for call in receiver.calls:
            print(call.method, call.status, call.error, call.params)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


def client_for(
    portal: Bitrix24Receiver,
    http: httpx.AsyncClient,
    *,
    rate: float = FAST,
    url: str | None = None,
) -> Bitrix24Client:
    target = SalesDeskTarget(url=url or portal.url, secret="", status_map=STATUS_MAP)
    return Bitrix24Client(target, http, rate_per_second=rate)


async def add_lead(portal: Bitrix24Receiver, http: httpx.AsyncClient) -> int:
    result = await client_for(portal, http).deliver(event())
    assert result.outcome is Outcome.DELIVERED
    assert result.crm_id is not None
    return int(result.crm_id)


# ---------------------------------------------------------------------- a new lead


async def test_a_new_qualified_lead_is_added_with_every_field(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    result = await client_for(portal, http).deliver(event())

    assert result.outcome is Outcome.DELIVERED
    assert result.status == 200
    assert result.crm_id is not None
    lead_id = int(result.crm_id)
    assert portal.methods() == [
        "crm.duplicate.findbycomm",
        "crm.lead.add",
        "crm.timeline.comment.add",
    ]
    assert portal.calls[0].params == {"type": "PHONE", "values": [PHONE], "entity_type": "LEAD"}
    assert portal.calls[1].params["params"] == {"REGISTER_SONET_EVENT": "Y"}
    lead = portal.leads[lead_id]
    assert {key: value for key, value in lead.items() if key not in ("ID", "PHONE", "IM")} == {
        "TITLE": "Иван — leadsieve #42",
        "NAME": NAME,
        "SOURCE_ID": "WEB",
        "SOURCE_DESCRIPTION": "yandex_direct",
        "UTM_SOURCE": "yandex_direct",
        "COMMENTS": DETAILS,
        "ORIGINATOR_ID": "leadsieve",
        "ORIGIN_ID": "42",
        "STATUS_ID": "IN_PROCESS",
    }
    assert [(e["VALUE"], e["VALUE_TYPE"]) for e in lead["PHONE"]] == [(PHONE, "MOBILE")]
    assert [(e["VALUE"], e["VALUE_TYPE"]) for e in lead["IM"]] == [("@ivan_p", "TELEGRAM")]
    assert [c["COMMENT"] for c in portal.comments[lead_id]] == [
        "Лид квалифицирован: целевой (8/10)"
    ]
    assert portal.comments[lead_id][0]["ENTITY_TYPE"] == "lead"
    assert portal.unknown_fields == []


async def test_a_lead_without_username_or_mapped_verdict_gets_what_there_is(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    data = snapshot(
        name=None, verdict="maybe", telegram={"user_id": 777001, "username": None}, source=""
    )
    result = await client_for(portal, http).deliver(event(data=data, details=""))

    assert result.outcome is Outcome.DELIVERED
    assert result.crm_id is not None
    lead = portal.leads[int(result.crm_id)]
    assert lead["TITLE"] == "leadsieve #42"
    assert [e["VALUE"] for e in lead["IM"]] == ["777001"]
    # Without `details` the answers themselves go to COMMENTS.
    assert lead["COMMENTS"] == "Бюджет: 10–15 млн ₽\nСрок: до 3 месяцев"
    for absent in ("NAME", "STATUS_ID", "SOURCE_DESCRIPTION", "UTM_SOURCE"):
        assert absent not in lead
    assert portal.unknown_fields == []


async def test_the_webhook_base_may_come_without_its_trailing_slash(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    client = client_for(portal, http, url=portal.url.rstrip("/"))

    result = await client.deliver(event())

    assert result.outcome is Outcome.DELIVERED
    assert len(portal.leads) == 1


async def test_an_existing_lead_with_the_same_phone_is_updated_not_duplicated(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    other = portal.add_lead(
        {"TITLE": "Звонок", "PHONE": [{"VALUE": "+7 916 000-00-00", "VALUE_TYPE": "WORK"}]}
    )
    typed_in = portal.add_lead(
        {
            "TITLE": "Звонок с сайта",
            "STATUS_ID": "NEW",
            # The same number as a manager typed it: findbycomm compares digits.
            "PHONE": [{"VALUE": "+7 (916) 123-45-67", "VALUE_TYPE": "WORK"}],
        }
    )

    result = await client_for(portal, http).deliver(event())

    assert result.outcome is Outcome.DELIVERED
    assert result.crm_id == str(typed_in)
    assert sorted(portal.leads) == sorted([other, typed_in])
    assert portal.leads[other]["TITLE"] == "Звонок"
    assert portal.methods() == [
        "crm.duplicate.findbycomm",
        "crm.lead.update",
        "crm.timeline.comment.add",
    ]
    lead = portal.leads[typed_in]
    # Someone already works on this lead: its title and stage stay; it learns our id and
    # the source, and the answers go to its timeline.
    assert lead["STATUS_ID"] == "NEW"
    assert lead["TITLE"] == "Звонок с сайта"
    assert lead["ORIGIN_ID"] == "42"
    assert lead["UTM_SOURCE"] == "yandex_direct"
    # Multifield entries without an ID are appended on update: the phone is not repeated.
    assert [e["VALUE"] for e in lead["PHONE"]] == ["+7 (916) 123-45-67"]
    [comment] = [c["COMMENT"] for c in portal.comments[typed_in]]
    assert comment.startswith("Лид квалифицирован: целевой (8/10)\n\n")
    assert "Бюджет: 10–15 млн ₽" in comment
    assert portal.unknown_fields == []


async def test_the_newest_of_several_leads_with_the_phone_is_used(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    first = portal.add_lead({"TITLE": "A", "PHONE": [{"VALUE": PHONE, "VALUE_TYPE": "WORK"}]})
    second = portal.add_lead({"TITLE": "B", "PHONE": [{"VALUE": PHONE, "VALUE_TYPE": "HOME"}]})

    result = await client_for(portal, http).deliver(event())

    assert result.crm_id == str(max(first, second))
    assert portal.leads[min(first, second)]["TITLE"] == "A"
    assert len(portal.leads) == 2


# ---------------------------------------------------------------------- a lead in the CRM


async def test_later_events_become_timeline_comments_on_the_right_lead(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    other = portal.add_lead({"TITLE": "Чужой лид"})
    lead_id = await add_lead(portal, http)
    before = dict(portal.leads[lead_id])
    portal.calls.clear()
    client = client_for(portal, http)

    booked = await client.deliver(
        event("viewing.booked", crm_id=str(lead_id), summary="Просмотр: 24.11 11:00", number=2)
    )
    erased = await client.deliver(
        event(
            "lead.erased",
            crm_id=str(lead_id),
            data={
                "schema": 1,
                "lead_id": 42,
                "crm_id": str(lead_id),
                "change": {"event_id": 12, "actor": "client"},
            },
            summary="Данные клиента удалены по его просьбе",
            details="",
            number=3,
        )
    )

    assert booked.outcome is Outcome.DELIVERED
    assert erased.outcome is Outcome.DELIVERED
    assert portal.methods() == ["crm.timeline.comment.add", "crm.timeline.comment.add"]
    assert all(
        call.params["fields"]["ENTITY_ID"] == lead_id
        and call.params["fields"]["ENTITY_TYPE"] == "lead"
        for call in portal.calls
    )
    assert [c["COMMENT"] for c in portal.comments[lead_id]][1:] == [
        "Просмотр: 24.11 11:00",
        "Данные клиента удалены по его просьбе",
    ]
    assert other not in portal.comments
    assert portal.leads[lead_id] == before  # the CRM keeps its own records
    assert portal.unknown_fields == []


async def test_an_event_without_a_summary_still_leaves_a_comment(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    lead_id = await add_lead(portal, http)

    result = await client_for(portal, http).deliver(
        event("manager.assigned", crm_id=str(lead_id), summary="  ", number=2)
    )

    assert result.outcome is Outcome.DELIVERED
    assert portal.comments[lead_id][-1]["COMMENT"] == "manager.assigned"


async def test_qualified_again_updates_the_lead_and_comments(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    lead_id = await add_lead(portal, http)
    portal.calls.clear()

    data = snapshot(verdict="nurture", crm_id=str(lead_id))
    result = await client_for(portal, http).deliver(
        event(crm_id=str(lead_id), data=data, details="Бюджет: 5 млн ₽", number=2)
    )

    assert result.outcome is Outcome.DELIVERED
    assert result.crm_id == str(lead_id)
    assert portal.methods() == ["crm.lead.update", "crm.timeline.comment.add"]
    lead = portal.leads[lead_id]
    assert lead["STATUS_ID"] == "NEW"
    assert lead["COMMENTS"] == "Бюджет: 5 млн ₽"
    assert len(lead["PHONE"]) == 1
    assert len(lead["IM"]) == 1
    assert len(portal.leads) == 1


async def test_a_mapped_status_change_updates_status_id(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    lead_id = await add_lead(portal, http)
    portal.calls.clear()
    change = {"event_id": 9, "actor": "manager", "from": "booked", "to": "deal"}

    result = await client_for(portal, http).deliver(
        event(
            "lead.status_changed",
            crm_id=str(lead_id),
            data=snapshot(change=change),
            summary="Статус: сделка",
            number=2,
        )
    )

    assert result.outcome is Outcome.DELIVERED
    assert portal.methods() == ["crm.lead.update", "crm.timeline.comment.add"]
    assert portal.calls[0].params == {"id": lead_id, "fields": {"STATUS_ID": "CONVERTED"}}
    assert portal.leads[lead_id]["STATUS_ID"] == "CONVERTED"
    assert portal.comments[lead_id][-1]["COMMENT"] == "Статус: сделка"


async def test_an_unmapped_status_change_is_only_a_comment(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    lead_id = await add_lead(portal, http)
    portal.calls.clear()
    change = {"event_id": 9, "actor": "manager", "from": "target", "to": "booked"}

    result = await client_for(portal, http).deliver(
        event("lead.status_changed", crm_id=str(lead_id), data=snapshot(change=change), number=2)
    )

    assert result.outcome is Outcome.DELIVERED
    assert portal.methods() == ["crm.timeline.comment.add"]
    assert portal.leads[lead_id]["STATUS_ID"] == "IN_PROCESS"


@pytest.mark.parametrize(
    ("type", "data"),
    [
        pytest.param("lead.started", snapshot(phone=None, status="new"), id="no phone yet"),
        pytest.param(
            "lead.erased", {"lead_id": 42, "crm_id": None, "change": {}}, id="erased, never pushed"
        ),
        pytest.param("lead.erased", snapshot(), id="erased, even with a phone in its data"),
    ],
)
async def test_an_event_with_nothing_to_attach_to_is_skipped(
    portal: Bitrix24Receiver, http: httpx.AsyncClient, type: str, data: dict[str, Any]
) -> None:
    result = await client_for(portal, http).deliver(event(type, data=data))

    assert result == Result(Outcome.DELIVERED, extra={"skipped": True})
    assert portal.calls == []


async def test_a_crm_id_that_is_not_a_lead_id_is_refused_without_a_call(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    result = await client_for(portal, http).deliver(event("viewing.booked", crm_id="deal-7"))

    assert result.outcome is Outcome.REFUSED
    assert "not a Bitrix24 lead id" in result.error
    assert portal.calls == []


# ---------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("status", "code", "outcome", "retry_after"),
    [
        pytest.param(503, "QUERY_LIMIT_EXCEEDED", Outcome.UNAVAILABLE, 1.0, id="503 limit"),
        pytest.param(200, "QUERY_LIMIT_EXCEEDED", Outcome.UNAVAILABLE, 1.0, id="limit at 200"),
        pytest.param(503, "OVERLOAD_LIMIT", Outcome.UNAVAILABLE, None, id="overload"),
        pytest.param(429, "OPERATION_TIME_LIMIT", Outcome.UNAVAILABLE, None, id="time limit"),
        pytest.param(500, "INTERNAL_SERVER_ERROR", Outcome.UNAVAILABLE, None, id="500"),
        pytest.param(502, "", Outcome.UNAVAILABLE, None, id="502 without a body code"),
        pytest.param(403, "ACCESS_DENIED", Outcome.REFUSED, None, id="access denied"),
        pytest.param(401, "expired_token", Outcome.REFUSED, None, id="401"),
        pytest.param(200, "ACCESS_DENIED", Outcome.REFUSED, None, id="error at 200"),
        pytest.param(410, "", Outcome.DISABLED, None, id="gone"),
    ],
)
async def test_answers_become_outcomes(
    portal: Bitrix24Receiver,
    http: httpx.AsyncClient,
    status: int,
    code: str,
    outcome: Outcome,
    retry_after: float | None,
) -> None:
    portal.fail_next(1, status, code)

    result = await client_for(portal, http).deliver(event())

    assert result.outcome is outcome
    assert result.status == status
    assert result.retry_after == retry_after
    assert result.crm_id is None
    assert portal.leads == {}
    assert result.error.startswith("crm.duplicate.findbycomm: ")
    assert result.error.endswith(f"(HTTP {status})")


async def test_access_denied_is_refused_with_a_short_safe_error(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    portal.fail_next(1, 403, "ACCESS_DENIED", method="crm.lead.add")

    result = await client_for(portal, http).deliver(event())

    assert result.outcome is Outcome.REFUSED
    assert result.error == "crm.lead.add: ACCESS_DENIED (HTTP 403)"


async def test_a_codeless_error_reports_its_description(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    result = await client_for(portal, http).deliver(event("viewing.booked", crm_id="999999"))

    assert result.outcome is Outcome.REFUSED
    assert result.error == "crm.timeline.comment.add: NOT_FOUND (HTTP 400)"

    result = await client_for(portal, http).deliver(event(crm_id="999999", number=2))

    assert result.outcome is Outcome.REFUSED
    assert result.error == "crm.lead.update: Not found (HTTP 400)"


async def test_retry_after_from_the_portal_wins(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    portal.fail_next(1, 503, "QUERY_LIMIT_EXCEEDED", retry_after=7)

    result = await client_for(portal, http).deliver(event())

    assert result.outcome is Outcome.UNAVAILABLE
    assert result.retry_after == 7.0


async def test_a_wrong_webhook_code_is_refused_without_repeating_the_code(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    url = portal.url.replace(portal.code, "wrongcode123")

    result = await client_for(portal, http, url=url).deliver(event())

    assert result.outcome is Outcome.REFUSED
    assert result.error == "crm.duplicate.findbycomm: NO_AUTH_FOUND (HTTP 401)"
    assert "wrongcode123" not in result.error
    assert portal.calls[0].status == 401


async def test_down_is_unavailable_then_up_is_delivered(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    client = client_for(portal, http)
    portal.set_down()

    down = await client.deliver(event())

    assert down.outcome is Outcome.UNAVAILABLE
    assert down.error == "crm.duplicate.findbycomm: QUERY_LIMIT_EXCEEDED (HTTP 503)"
    portal.set_up()
    up = await client.deliver(event())
    assert up.outcome is Outcome.DELIVERED
    assert len(portal.leads) == 1


async def test_a_portal_that_stops_listening_is_unavailable_until_it_listens_again(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    client = client_for(portal, http)
    lead_id = await add_lead(portal, http)  # leaves a kept-alive connection in the pool
    await portal.go_down()

    down = await client.deliver(event("viewing.booked", crm_id=str(lead_id), number=2))

    assert down.outcome is Outcome.UNAVAILABLE
    assert down.status is None
    assert down.error.startswith("crm.timeline.comment.add: ")
    assert down.crm_id == str(lead_id)
    await portal.come_up()
    up = await client.deliver(event("viewing.booked", crm_id=str(lead_id), number=2))
    assert up.outcome is Outcome.DELIVERED
    assert len(portal.comments[lead_id]) == 2


async def test_a_slow_portal_times_out_as_unavailable(portal: Bitrix24Receiver) -> None:
    portal.set_delay(1.0)
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.1)) as http:
        result = await client_for(portal, http).deliver(event())

    assert result.outcome is Outcome.UNAVAILABLE
    assert result.error == "crm.duplicate.findbycomm: timed out (ReadTimeout)"


async def test_a_learnt_crm_id_survives_a_failed_comment_and_the_retry_adds_no_duplicate(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    client = client_for(portal, http)
    portal.fail_next(1, 503, "QUERY_LIMIT_EXCEEDED", method="crm.timeline.comment.add")

    first = await client.deliver(event())

    assert first.outcome is Outcome.UNAVAILABLE
    assert first.crm_id is not None
    lead_id = int(first.crm_id)
    assert list(portal.leads) == [lead_id]
    assert lead_id not in portal.comments

    # The outbox keeps the id and retries the same event with it.
    retry = await client.deliver(event(crm_id=first.crm_id))

    assert retry.outcome is Outcome.DELIVERED
    assert retry.crm_id == first.crm_id
    assert list(portal.leads) == [lead_id]
    assert len(portal.leads[lead_id]["PHONE"]) == 1
    assert [c["COMMENT"] for c in portal.comments[lead_id]] == [
        "Лид квалифицирован: целевой (8/10)"
    ]


async def test_a_learnt_crm_id_survives_a_refused_comment(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    portal.fail_next(1, 400, "ACCESS_DENIED", method="crm.timeline.comment.add")

    result = await client_for(portal, http).deliver(event())

    assert result.outcome is Outcome.REFUSED
    assert result.crm_id is not None
    assert int(result.crm_id) in portal.leads


# ---------------------------------------------------------------------- rate


async def test_the_pacer_keeps_concurrent_deliveries_under_the_portals_bucket(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    lead_id = await add_lead(portal, http)
    portal.limit(20, 5)
    client = client_for(portal, http, rate=20)
    started = time.monotonic()

    results = await asyncio.gather(
        *(client.deliver(event("viewing.booked", crm_id=str(lead_id), number=n)) for n in range(10))
    )

    assert [r.outcome for r in results] == [Outcome.DELIVERED] * 10
    assert portal.limited == 0
    assert time.monotonic() - started >= 9 / 20 - 0.02  # spaced, not bunched
    assert len(portal.comments[lead_id]) == 11


async def test_without_the_pacer_the_same_burst_is_refused(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    """The control for the test above: its bucket really refuses a burst."""
    lead_id = await add_lead(portal, http)
    portal.limit(20, 5)
    client = client_for(portal, http, rate=FAST)

    results = await asyncio.gather(
        *(client.deliver(event("viewing.booked", crm_id=str(lead_id), number=n)) for n in range(10))
    )

    assert Outcome.UNAVAILABLE in [r.outcome for r in results]
    assert portal.limited > 0


async def test_the_rate_must_be_positive(http: httpx.AsyncClient) -> None:
    target = SalesDeskTarget(url="https://example.bitrix24.ru/rest/1/x/", secret="")
    with pytest.raises(ValueError, match="positive"):
        Bitrix24Client(target, http, rate_per_second=0)


# ---------------------------------------------------------------------- hygiene


async def test_nothing_personal_or_secret_is_logged_or_reported(
    portal: Bitrix24Receiver, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.integrations.sales_desk.bitrix24")
    client = client_for(portal, http)
    results = [await client.deliver(event())]
    portal.fail_next(1, 403, "ACCESS_DENIED")
    results.append(await client.deliver(event(number=2)))
    await portal.go_down()
    results.append(await client.deliver(event(number=3)))

    ours = [r for r in caplog.records if r.name == "bot.integrations.sales_desk.bitrix24"]
    assert ours
    texts = [r.getMessage() for r in ours] + [r.error for r in results]
    for secret in (PHONE, NAME, "ivan_p", portal.code, "Бюджет"):
        assert not any(secret in text for text in texts), secret


async def test_aclose_leaves_the_callers_http_client_open(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    client = client_for(portal, http)
    await client.aclose()

    assert not http.is_closed
    assert (await client.deliver(event())).outcome is Outcome.DELIVERED


# ---------------------------------------------------------------------- the receiver itself


async def test_the_receiver_answers_like_a_portal(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    base = portal.url

    added = await http.post(f"{base}crm.lead.add", json={"fields": {"TITLE": "x"}})
    assert added.status_code == 200
    assert isinstance(added.json()["result"], int)
    assert set(added.json()["time"]) >= {"start", "finish", "duration", "operating_reset_at"}

    nothing = await http.post(
        f"{base}crm.duplicate.findbycomm.json", json={"type": "PHONE", "values": ["+70000000000"]}
    )
    assert nothing.json()["result"] == []

    unknown = await http.post(f"{base}crm.lead.fly.json", json={})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "ERROR_METHOD_NOT_FOUND"

    no_type = await http.post(f"{base}crm.duplicate.findbycomm.json", json={"values": ["1"]})
    assert no_type.status_code == 400
    assert no_type.json()["error"] == "Communication type is not defined"


@pytest.mark.parametrize(
    ("method", "params", "error"),
    [
        pytest.param(
            "crm.timeline.comment.add",
            {"FIELDS": {"ENTITY_ID": 1001, "ENTITY_TYPE": "lead", "COMMENT": "x"}},
            "100",
            id="uppercase FIELDS",
        ),
        pytest.param(
            "crm.timeline.comment.add",
            {"fields": {"ENTITY_ID": 1001, "COMMENT": "x"}},
            "100",
            id="no ENTITY_TYPE",
        ),
        pytest.param(
            "crm.timeline.comment.add",
            {"fields": {"ENTITY_ID": 1001, "ENTITY_TYPE": "lead", "COMMENT": ""}},
            "INVALID_ARG_VALUE",
            id="empty comment",
        ),
        pytest.param(
            "crm.lead.add",
            {"fields": {"PHONE": [{"VALUE": "+7", "VALUE_TYPE": "MOB"}]}},
            "",
            id="amoCRM's MOB",
        ),
        pytest.param(
            "crm.lead.add", {"fields": {"IM": {"VALUE": "@x"}}}, "", id="multifield not a list"
        ),
    ],
)
async def test_the_receiver_refuses_wrong_shapes(
    portal: Bitrix24Receiver,
    http: httpx.AsyncClient,
    method: str,
    params: dict[str, Any],
    error: str,
) -> None:
    portal.add_lead({"TITLE": "x"})

    response = await http.post(f"{portal.url}{method}.json", json=params)

    assert response.status_code == 400
    assert response.json()["error"] == error


async def test_the_receiver_ignores_but_records_unknown_fields(
    portal: Bitrix24Receiver, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        f"{portal.url}crm.lead.add.json",
        json={"fields": {"TITLE": "x", "title": "y", "DATE_CREATE": "2026"}, "FIELDS": {}},
    )

    assert response.status_code == 200
    assert portal.leads[response.json()["result"]]["TITLE"] == "x"
    assert sorted(portal.unknown_fields) == [
        "crm.lead.add: FIELDS",
        "crm.lead.add: fields.DATE_CREATE (read-only)",
        "crm.lead.add: fields.title",
    ]

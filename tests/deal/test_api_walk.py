"""The CRM leads a deal through the API: refusals are problems, the client hears every
stage, and the CRM receives every step in bodies that match the published schema."""

from __future__ import annotations

import json
from typing import Any

from bot.storage import events
from tests.conftest import Harness
from tests.deal.conftest import (
    STAGES_EN,
    Api,
    accept,
    attended,
    card,
    deal_headings,
    sent_to_client,
)
from tests.handlers.flows import serious_buyer
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.sales_desk.test_event_schema import EVENT, problem

WALK = ["financing", "contract", "registration", "payments", "acceptance", "keys", "closed"]


async def test_the_crm_walks_a_deal_and_hears_every_step(
    crm: tuple[Harness, Api], receiver: GenericReceiver
) -> None:
    harness, api = crm
    client, lead = await attended(harness)
    status, body = await api.post(f"/leads/{lead.id}/deal/stage", {"stage": "financing"})
    assert (status, body["type"]) == (409, "https://leadsieve/problems/no-deal")
    status, body = await api.post("/leads/999/deal", {})
    assert (status, body["type"]) == (404, "https://leadsieve/problems/lead-not-found")
    status, body = await api.post(f"/leads/{lead.id}/deal", {"facts": {"divorced": True}})
    assert (status, body["type"]) == (422, "https://leadsieve/problems/unknown-fact")

    status, body = await api.post(f"/leads/{lead.id}/deal", {"facts": {"married": True}})
    assert status == 201, body
    assert body["stage"] == "reservation" and body["status"] == "deal"
    # Mortgage from the checklist answers, married from the CRM.
    assert body["facts"] == {"mortgage": True, "married": True, "maternity_capital": False}
    assert body["payments_open"] is False and body["next_stages"] == ["financing"]
    status, again = await api.post(f"/leads/{lead.id}/deal", {})
    assert status == 200 and again["changed"] is False

    # The reservation runs late: deal support, then the head of sales (none: the group).
    harness.clock.advance(days=7, minutes=1)
    await harness.app.deal_timers.run_due()
    harness.clock.advance(days=7)
    await harness.app.deal_timers.run_due()

    status, body = await api.post(f"/leads/{lead.id}/deal/stage", {"stage": "keys"})
    assert (status, body["type"]) == (409, "https://leadsieve/problems/stage-not-allowed")
    assert "allowed: financing" in body["detail"]
    status, body = await api.post(f"/leads/{lead.id}/deal/stage", {"stage": "escrow"})
    assert (status, body["type"]) == (422, "https://leadsieve/problems/unknown-stage")
    for stage in WALK[:2]:
        status, body = await api.post(f"/leads/{lead.id}/deal/stage", {"stage": stage})
        assert status == 200 and body["stage"] == stage, body
    status, body = await api.post(
        f"/leads/{lead.id}/deal/stage", {"stage": "registration", "note": "filed"}
    )
    assert (status, body["type"]) == (409, "https://leadsieve/problems/deal-rule")
    assert body["detail"] == (
        "rule contract_docs_first: To registration only once every document of the "
        "Contract stage is accepted."
    )
    await accept(harness, "contract", "snils")
    await accept(harness, "contract", "marriage_certificate")  # married: asked too
    for stage in WALK[2:]:
        note = "filed with Rosreestr" if stage == "registration" else None
        status, body = await api.post(
            f"/leads/{lead.id}/deal/stage", {"stage": stage, "note": note}
        )
        assert status == 200 and body["stage"] == stage, body
        assert body["payments_open"] is (stage in ("payments", "acceptance", "keys"))
    assert body["closed"] is True and body["status"] == "closed"
    status, body = await api.post(f"/leads/{lead.id}/deal/stage", {"stage": "keys"})
    assert (status, body["type"]) == (409, "https://leadsieve/problems/deal-closed")

    other = harness.prospect(1002, language_code="en")
    await serious_buyer(other)
    status, body = await api.post("/leads/2/deal", {})
    assert (status, body["type"]) == (409, "https://leadsieve/problems/not-attended")

    await sent_to_client(harness)
    assert deal_headings(client) == [STAGES_EN[s] for s in ["reservation", *WALK]]
    assert "💼 Сделка завершена" in card(harness).visible_text

    await deliver_all(harness)
    assert receiver.refusals == []
    deal_bodies = {
        f"{r.webhook_id} {r.type}": json.loads(r.body)
        for r in receiver.deliveries
        if r.type.startswith("deal.")
    }
    invalid = {key: problem(EVENT, body) for key, body in deal_bodies.items()}
    assert {key: why for key, why in invalid.items() if why is not None} == {}
    kinds = [r.type for r in receiver.deliveries if r.type.startswith("deal.")]
    assert kinds == [
        "deal.started",
        "deal.stage_overdue",
        "deal.stage_overdue",
        *["deal.stage_changed"] * len(WALK),
    ]
    changes = [
        r.payload["data"]["change"] for r in receiver.deliveries if r.type.startswith("deal.")
    ]
    assert changes[0]["stage"] == "reservation" and changes[0]["timeline"] == "new_building_ddu"
    assert [c["rung"] for c in changes[1:3]] == [1, 2]
    assert changes[5]["note"] == "filed with Rosreestr" and changes[5]["actor"] == "api"
    async with harness.app.db.read() as conn:
        history = [e.type.value for e in await events.for_lead(conn, lead.id)]
    assert history.count("lead.status_changed") >= 3  # booked, attended, deal, closed


async def test_a_lead_the_crm_put_in_deal_gets_its_deal_started(
    crm: tuple[Harness, Api],
) -> None:
    harness, api = crm
    _, lead = await attended(harness)
    await harness.app.lead_desk.change_status(lead.id, "deal", "", actor="api")
    assert "💼 Сделка" in [b["text"] for b in card(harness).inline_buttons()]
    status, body = await api.post(f"/leads/{lead.id}/deal", {})
    assert status == 201 and body["stage"] == "reservation" and body["status"] == "deal"
    async with harness.app.db.read() as conn:
        moves = [
            e.data["to"]
            for e in await events.for_lead(conn, lead.id)
            if e.type == "lead.status_changed"
        ]
    assert moves.count("deal") == 1 and moves[-1] == "deal"  # the status moved once
    assert "💼 Сделка: Бронирование" in card(harness).visible_text


async def test_junk_bodies_are_refused_and_change_nothing(crm: tuple[Harness, Api]) -> None:
    harness, api = crm
    _, lead = await attended(harness)
    junk: list[Any] = [{"facts": {"married": "yes"}}, {"facts": {}, "extra": 1}, []]
    for body in junk:
        status, problem_body = await api.post(f"/leads/{lead.id}/deal", body)
        assert (status, problem_body["type"]) == (422, "https://leadsieve/problems/invalid-body")
    status, problem_body = await api.post(f"/leads/{lead.id}/deal", {"facts": {"Bad Id": True}})
    assert status == 422 and problem_body["errors"][0]["field"].startswith("facts")
    url = f"{api.base}/api/v1/leads/{lead.id}/deal/stage"
    token = {"Authorization": "Bearer deal-token-0123456789"}
    async with api.http.post(url, data="stage=keys", headers=token) as response:
        assert response.status == 415
    wrong = {"Authorization": "Bearer wrong"}
    async with api.http.post(url, json={"stage": "financing"}, headers=wrong) as response:
        assert response.status == 401
    lead_now = await harness.lead()
    assert lead_now is not None and lead_now.status == "attended"
    async with harness.app.db.read() as conn:
        cursor = await conn.execute("SELECT COUNT(*) FROM deals")
        row = await cursor.fetchone()
    assert row is not None and row[0] == 0

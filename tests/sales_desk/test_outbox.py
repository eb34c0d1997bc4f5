"""Qualified leads and their later events reach the sales desk: once per event, in
order per lead, through outages and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.storage import sales_desk
from tests.conftest import OUTSIDER_ID, STAFF_CHAT, Harness
from tests.conftest import SALES_DESK_SECRET as SECRET
from tests.handlers.flows import answer_rest, consent, serious_buyer
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import write_sites
from tests.viewings.test_booking import pick


async def test_a_target_lead_arrives_with_every_field(
    desk: Harness, receiver: GenericReceiver
) -> None:
    user = desk.prospect(language_code="en", username="anna_k")
    await serious_buyer(user)
    await pick(user, "Mon 23", "10:00")
    assert await deliver_all(desk) == 3

    types = [item.type for item in receiver.deliveries]
    assert types == ["lead.qualified", "lead.manager_assigned", "viewing.booked"]
    qualified = receiver.deliveries[0]
    assert qualified.webhook_id.startswith("evt_")
    assert qualified.payload["timestamp"] == "2026-11-22T09:00:00Z"
    data = qualified.payload["data"]
    assert data["lead_id"] == 1
    assert data["verdict"] == "target"
    assert data["phone"] == "+79161234567"
    assert data["name"] == "Anna"
    assert data["telegram"] == {"user_id": 1001, "username": "anna_k"}
    assert (data["source"], data["language"]) == ("vk_spring", "en")
    assert data["change"]["from"] == "qualifying" and data["change"]["to"] == "target"
    assert data["change"]["actor"] == "checklist"
    budget = next(a for a in data["answers"] if a["question_id"] == "budget")
    assert budget["value"] == 8_500_000
    assert budget["label"] == "На какой бюджет вы рассчитываете?"
    assert budget["text"] == "8\u2009500\u2009000\xa0₽"
    assert [r["kind"] for r in data["reasons"]] == ["score"]

    booked = receiver.deliveries[2].payload["data"]
    assert booked["manager"]["name"] == "Anna Petrova"
    viewing = booked["viewing"]
    assert viewing["state"] == "booked"
    assert viewing["starts_at"] == "2026-11-23T07:00:00Z"
    assert viewing["starts_local"] == "2026-11-23T10:00:00+03:00"
    assert viewing["timezone"] == "Europe/Moscow"
    assert viewing["site"]["code"] == "central"
    assert booked["change"]["starts_at"] == "2026-11-23T07:00:00Z"


async def test_only_leads_with_a_pushed_verdict_go_out(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> None:
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        sales_desk_url=receiver.url,
        sales_desk_secret=SECRET,
        sales_desk_verdicts="target",
    )
    renter = harness.prospect(1001, language_code="en")
    await consent(renter)
    await answer_rest(renter, purpose="I want to rent a flat")
    buyer = harness.prospect(1002, language_code="en")
    await serious_buyer(buyer)
    await deliver_all(harness)
    assert {item.payload["data"]["lead_id"] for item in receiver.deliveries} == {2}
    assert "lead.created" not in {item.type for item in receiver.deliveries}


async def test_an_hour_long_outage_loses_and_doubles_nothing(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> None:
    settings = {
        "sites_path": write_sites(tmp_path, capacity=5),
        "sales_desk_url": receiver.url,
        "sales_desk_secret": SECRET,
    }
    harness: Harness = await make_harness(**settings)
    await receiver.go_down()
    users = [harness.prospect(1001 + n, language_code="en") for n in range(4)]
    for user in users[:2]:
        await serious_buyer(user)
    for _ in range(30):  # half an hour of fake time, a pass a minute: only probes
        harness.clock.advance(minutes=1)
        assert await deliver_all(harness) == 0
    staff_notices = [m.visible_text for m in harness.telegram.bot_messages(STAFF_CHAT)]
    assert sum("CRM" in text and "⚠️" in text for text in staff_notices) == 1

    # The bot restarts in the middle of the outage; more leads come in meanwhile.
    await harness.app.close()
    restarted: Harness = await make_harness(**settings)
    for user in users:
        user._deliver_fn = restarted.feed
    for user in users[2:]:
        await serious_buyer(user)
    await pick(users[0], "Mon 23", "10:00")
    for _ in range(30):
        restarted.clock.advance(minutes=1)
        await deliver_all(restarted)
    assert receiver.deliveries == []

    await receiver.come_up()
    restarted.clock.advance(minutes=10)
    delivered = await deliver_all(restarted)
    assert delivered == len(receiver.deliveries) == 4 * 2 + 1
    assert receiver.duplicates == 0
    for lead_id, ids in receiver.by_lead().items():
        numbers = [int(webhook_id.removeprefix("evt_")) for webhook_id in ids]
        assert numbers == sorted(numbers), f"lead {lead_id} out of order"
    recovered = [m.visible_text for m in restarted.telegram.bot_messages(STAFF_CHAT)]
    assert sum("✅" in text and "CRM" in text for text in recovered) == 1
    restarted.clock.advance(hours=1)
    assert await deliver_all(restarted) == 0


async def test_refused_events_are_retried_then_dead_lettered_and_replayed(
    desk: Harness, receiver: GenericReceiver
) -> None:
    await serious_buyer(desk.prospect(language_code="en"))
    receiver.set_status(400)
    for _ in range(180):  # the whole schedule (about 3 days) twice, a pass every hour
        await deliver_all(desk)
        desk.clock.advance(hours=1)
    async with desk.app.db.read() as conn:
        backlog = await sales_desk.backlog(conn, dead_shown=5)
    assert (backlog.dead, backlog.pending) == (2, 0)
    assert backlog.dead_letters[0].last_error == "HTTP 400"
    assert backlog.dead_letters[0].attempts == 10  # the first try and 9 retries
    notices = [m.visible_text for m in desk.telegram.bot_messages(STAFF_CHAT)]
    assert sum("❌" in text and "№1" in text for text in notices) == 2

    staff = desk.staff_member()
    await staff.send("/outbox")
    report = staff.last_text() or ""
    assert "Не доставлено после всех попыток: 2" in report
    assert "HTTP 400" in report
    receiver.set_up()
    await staff.click("🔁 Лид №1 ещё раз")
    assert "Не доставлено после всех попыток: 0" in (staff.last_text() or "")
    await deliver_all(desk)
    assert [item.type for item in receiver.deliveries] == [
        "lead.qualified",
        "lead.manager_assigned",
    ]


async def test_strangers_cannot_replay(desk: Harness, receiver: GenericReceiver) -> None:
    await serious_buyer(desk.prospect(language_code="en"))
    receiver.set_status(400)
    for _ in range(180):
        await deliver_all(desk)
        desk.clock.advance(hours=1)
    staff = desk.staff_member()
    await staff.send("/outbox")
    stranger = desk.staff_member(OUTSIDER_ID)
    desk.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"
    receiver.set_up()
    await stranger.click("🔁 Всё недоставленное ещё раз")
    assert await deliver_all(desk) == 0
    async with desk.app.db.read() as conn:
        assert (await sales_desk.backlog(conn, dead_shown=5)).dead == 2


async def test_a_gone_endpoint_stops_until_resumed(
    desk: Harness, receiver: GenericReceiver
) -> None:
    await serious_buyer(desk.prospect(language_code="en"))
    receiver.set_status(410)
    await deliver_all(desk)
    attempts = receiver.attempts
    desk.clock.advance(hours=2)
    assert await deliver_all(desk) == 0
    assert receiver.attempts == attempts  # nothing is sent to a 410 endpoint
    staff = desk.staff_member()
    await staff.send("/outbox")
    assert "410" in (staff.last_text() or "")
    receiver.set_up()
    await staff.click("▶️ Возобновить отправку")
    assert await deliver_all(desk) == 2


async def test_erasure_reaches_the_desk_without_personal_data(
    desk: Harness, receiver: GenericReceiver
) -> None:
    user = desk.prospect(language_code="en")
    await serious_buyer(user)
    await deliver_all(desk)
    await user.send("/forget")
    await deliver_all(desk)
    erased = receiver.deliveries[-1]
    assert erased.type == "lead.erased"
    assert set(erased.payload["data"]) == {"schema", "lead_id", "crm_id", "change"}
    assert "79161234567" not in erased.body.decode()


async def test_stopping_mid_delivery_loses_nothing_and_sends_nothing_twice(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> None:
    settings = {
        "sites_path": write_sites(tmp_path, capacity=5),
        "sales_desk_url": receiver.url,
        "sales_desk_secret": SECRET,
    }
    harness: Harness = await make_harness(**settings)
    for n in range(3):
        await serious_buyer(harness.prospect(1001 + n, language_code="en"))
    receiver.set_delay(0.3)  # every answer takes a while: requests are in flight at the stop
    await harness.app.start_workers()
    await receiver.wait_for_deliveries(1, timeout=10)
    await harness.app.close()
    assert 0 < len(receiver.deliveries) < 6

    receiver.set_up()
    restarted: Harness = await make_harness(**settings)
    await deliver_all(restarted)
    assert len(receiver.deliveries) == 6  # qualified and manager_assigned, for 3 leads
    assert receiver.duplicates == 0
    assert len({item.webhook_id for item in receiver.deliveries}) == 6


async def test_forty_prospects_at_once_get_one_card_and_one_push_each(
    desk: Harness, receiver: GenericReceiver
) -> None:
    desk.telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        times=3,
        chat_id=STAFF_CHAT,
    )
    users = [desk.prospect(2001 + n, language_code="en") for n in range(40)]
    await asyncio.gather(*(serious_buyer(user) for user in users))
    await desk.passes_done()  # card passes waiting out the 429s go on after the updates
    await deliver_all(desk)
    cards = [
        m.visible_text for m in desk.telegram.bot_messages(STAFF_CHAT) if "лид #" in m.visible_text
    ]
    assert len(cards) == 40
    assert len({card.split("\n")[0] for card in cards}) == 40
    qualified = [item for item in receiver.deliveries if item.type == "lead.qualified"]
    assert sorted(item.payload["data"]["lead_id"] for item in qualified) == list(range(1, 41))
    assert receiver.duplicates == 0


async def test_a_new_prospect_never_inherits_an_erased_leads_crm_record(
    desk: Harness, receiver: GenericReceiver
) -> None:
    first = desk.prospect(1001, language_code="en")
    await serious_buyer(first)
    await first.send("/forget")
    await deliver_all(desk)
    second = desk.prospect(1002, language_code="en")
    await serious_buyer(second)
    await deliver_all(desk)
    lead = await desk.lead(1002)
    assert lead is not None and lead.id == 2
    by_lead = receiver.by_lead()
    assert [receiver_type(receiver, i) for i in by_lead[1]][-1] == "lead.erased"
    assert receiver_type(receiver, by_lead[2][0]) == "lead.qualified"


def receiver_type(receiver: GenericReceiver, webhook_id: str) -> str:
    return next(item.type for item in receiver.deliveries if item.webhook_id == webhook_id)

"""/metrics as an operator's Prometheus sees it: updates and Bot API calls counted through a
prospect's journey, a 429 counted as flood, queue backlogs while the CRM is down, reminders
due and missed time limits, and the optional bearer token."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bot.storage.gauges import QUEUES
from tests.conftest import SALES_DESK_SECRET
from tests.handlers.flows import serious_buyer
from tests.operations.conftest import base_url, counted_prospect, scrape, serving, value
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.sla.helpers import moscow, qualified_lead, take
from tests.viewings.conftest import write_sites
from tests.viewings.test_booking import booked_lead


async def test_a_journey_is_counted_update_by_update_and_call_by_call(
    make_harness: Callable[..., Any],
) -> None:
    harness = await serving(make_harness)
    kinds: Counter[str] = Counter()
    await serious_buyer(counted_prospect(harness, kinds))
    await harness.passes_done()
    samples = await scrape(harness)

    assert kinds["message"] > 0 and kinds["callback_query"] > 0
    for kind, count in kinds.items():
        assert value(samples, "leadsieve_updates_total", kind=kind) == count
        assert value(samples, "leadsieve_update_seconds_count", kind=kind) == count
    # Every sendMessage the stand-in answered (to the prospect and to the staff group).
    sent = len(harness.telegram.sent(method="sendMessage"))
    assert sent > 0
    ok = value(samples, "leadsieve_telegram_requests_total", method="sendMessage", outcome="ok")
    assert ok == sent
    assert value(samples, "leadsieve_telegram_seconds_count", method="sendMessage") == sent
    answered = len(harness.telegram.sent(method="answerCallbackQuery"))
    assert answered > 0
    calls = "leadsieve_telegram_requests_total"
    assert value(samples, calls, method="answerCallbackQuery", outcome="ok") == answered
    assert value(samples, calls, method="sendMessage", outcome="flood") == 0
    # Each unit of work timed: at least one per answer that was saved.
    assert value(samples, "leadsieve_db_seconds_count") >= kinds["callback_query"]


async def test_a_429_is_counted_as_flood(make_harness: Callable[..., Any]) -> None:
    harness = await serving(make_harness)
    prospect = harness.prospect(language_code="en")
    harness.telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=prospect.chat_id,
    )
    await prospect.send("/start")
    samples = await scrape(harness)

    flood = ("leadsieve_telegram_requests_total", "sendMessage")
    assert value(samples, flood[0], method=flood[1], outcome="flood") == 1
    # The greeting went after its retry_after, and the consent document after it.
    refused = harness.telegram.sent(prospect.chat_id, "sendMessage", ok=False)
    assert [r.error_code for r in refused] == [429]
    delivered = len(harness.telegram.sent(method="sendMessage"))
    assert value(samples, flood[0], method=flood[1], outcome="ok") == delivered
    assert value(samples, flood[0], method=flood[1], outcome="error") == 0


async def test_a_refusal_is_counted_as_an_error(make_harness: Callable[..., Any]) -> None:
    harness = await serving(make_harness)
    prospect = harness.prospect(language_code="en")
    await prospect.send("/start")
    harness.telegram.block_user(prospect.user_id)
    await prospect.send("/start")  # every answer now meets 403: the prospect blocked the bot
    samples = await scrape(harness)
    refused = harness.telegram.sent(prospect.chat_id, ok=False)
    assert refused and {r.error_code for r in refused} == {403}
    errors = sum(
        value(samples, "leadsieve_telegram_requests_total", method=method, outcome="error")
        for method in {r.method for r in refused}
    )
    assert errors == len(refused)


async def test_the_crm_outbox_backlog_grows_while_the_receiver_is_down(
    make_harness: Callable[..., Any], receiver: GenericReceiver
) -> None:
    harness = await serving(
        make_harness, sales_desk_url=receiver.url, sales_desk_secret=SALES_DESK_SECRET
    )
    samples = await scrape(harness)
    for queue in QUEUES:  # every queue is reported, empty ones as 0
        assert ("leadsieve_outbox_pending", frozenset({("queue", queue)})) in samples
        assert value(samples, "leadsieve_outbox_pending", queue=queue) == 0
        assert value(samples, "leadsieve_outbox_oldest_seconds", queue=queue) == 0

    await receiver.go_down()
    await serious_buyer(harness.prospect(language_code="en"))
    await harness.app.sales_desk.deliver_due()  # refused connection: retried later
    harness.clock.advance(minutes=10)
    samples = await scrape(harness)
    waiting = value(samples, "leadsieve_outbox_pending", queue="sales_desk")
    assert waiting >= 1
    assert value(samples, "leadsieve_outbox_oldest_seconds", queue="sales_desk") == 600

    await receiver.come_up()
    harness.clock.advance(hours=1)  # past any back-off
    await harness.app.sales_desk.deliver_due()
    assert len(receiver.deliveries) == waiting
    samples = await scrape(harness)
    assert value(samples, "leadsieve_outbox_pending", queue="sales_desk") == 0
    assert value(samples, "leadsieve_outbox_oldest_seconds", queue="sales_desk") == 0


async def test_reminders_due_until_the_reminder_job_sends_them(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    harness = await serving(make_harness, sites_path=write_sites(tmp_path))
    user = await booked_lead(harness)  # Sunday 12:00 Moscow, for Monday 10:00
    assert value(await scrape(harness), "leadsieve_reminders_due") == 0

    harness.clock.advance(hours=21)  # Monday 09:00: the 2-hour reminder is due
    assert value(await scrape(harness), "leadsieve_reminders_due") >= 1
    assert not any("in 2 hours" in text for text in user.messages())

    await harness.app.reminders.run_due()
    assert any("in 2 hours" in text for text in user.messages())
    assert value(await scrape(harness), "leadsieve_reminders_due") == 0


async def test_a_missed_time_limit_shows_until_the_lead_is_taken(
    make_harness: Callable[..., Any],
) -> None:
    harness = await serving(make_harness)
    await qualified_lead(harness, moscow(2026, 11, 30, 10, 0))  # Monday: take within 15 min
    harness.clock.current = moscow(2026, 11, 30, 10, 14)
    assert value(await scrape(harness), "leadsieve_sla_breaches") == 0
    harness.clock.current = moscow(2026, 11, 30, 10, 16)
    assert value(await scrape(harness), "leadsieve_sla_breaches") == 1
    await take(harness)  # the next limit (first contact) runs for an hour from now
    assert value(await scrape(harness), "leadsieve_sla_breaches") == 0


async def test_metrics_token_keeps_the_figures_from_strangers(
    make_harness: Callable[..., Any],
) -> None:
    harness = await serving(make_harness, metrics_token="m3trics-t0ken")
    url = f"{base_url(harness)}/metrics"
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "m3trics-t0ken"}):
            async with http.get(url, headers=headers) as response:
                assert response.status == 401
                assert "leadsieve_" not in await response.text()
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
        async with http.get(f"{base_url(harness)}/health") as response:
            assert response.status == 200  # the health check stays open
    samples = await scrape(harness, token="m3trics-t0ken")
    assert ("leadsieve_reminders_due", frozenset()) in samples

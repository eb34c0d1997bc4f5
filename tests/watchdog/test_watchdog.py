"""The inflow watchdog over a silent hour: the real application, its database and the
Bot API stand-in; history is 4 weeks of `lead.created` events, as real leads leave them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.events import EventType
from bot.jobs import WATCHDOG_SECONDS, build_scheduler
from bot.storage import events, sales_desk
from tests.conftest import STAFF_CHAT, Harness
from tests.handlers.flows import consent

MSK = ZoneInfo("Europe/Moscow")
HEAD = 7001
# Monday 30 November 2026, 11:00 in Moscow: desk hours (mon-fri 09:00-19:00).
MONDAY_11 = datetime(2026, 11, 30, 11, 0, tzinfo=MSK).astimezone(UTC)
ALERT = "Fewer leads than usual"
BACK = "Leads are back to normal"


async def seed_history(
    harness: Harness, weeks: int = 4, *, first_hour: int = 8, last_hour: int = 22
) -> None:
    """On each of the last `weeks` Mondays: a vk_spring lead every 10 minutes and a direct
    one every 30 minutes (8 an hour), from `first_hour` to `last_hour` Moscow time."""
    lead_id = 10_000
    async with harness.app.db.transaction() as tx:
        for week in range(1, weeks + 1):
            day = datetime(2026, 11, 30, first_hour, 0, tzinfo=MSK) - timedelta(days=7 * week)
            for step in range((last_hour - first_hour) * 6):
                at = day + timedelta(minutes=10 * step)
                sources = ["vk_spring"] + (["direct"] if step % 3 == 0 else [])
                for source in sources:
                    lead_id += 1
                    await events.append(
                        tx,
                        lead_id,
                        EventType.CREATED,
                        at=at.astimezone(UTC),
                        actor="prospect",
                        data={"from": None, "to": "new", "reason": "consent", "source": source},
                    )


async def start(make_harness: Callable[..., Any], **overrides: Any) -> Harness:
    values: dict[str, Any] = {"head_of_sales_ids": (HEAD,), "default_language": "en"}
    values.update(overrides)
    harness: Harness = await make_harness(**values)
    harness.clock.current = MONDAY_11
    return harness


def notices(harness: Harness, marker: str) -> tuple[list[str], list[str]]:
    """The head of sales' and the staff group's messages containing `marker`."""
    head = [m.visible_text for m in harness.telegram.bot_messages(HEAD) if marker in m.visible_text]
    group = [
        m.visible_text
        for m in harness.telegram.bot_messages(STAFF_CHAT)
        if marker in m.visible_text
    ]
    return head, group


async def test_a_silent_hour_alerts_once_with_a_diagnosis_and_once_when_leads_return(
    make_harness: Callable[..., Any],
) -> None:
    harness = await start(make_harness)
    await seed_history(harness)
    # An error, one CRM delivery waiting, one direct lead (the last update) in the hour.
    harness.clock.current = MONDAY_11 - timedelta(minutes=30)
    logging.getLogger("aiogram.event").error("a handler failed")
    async with harness.app.db.transaction() as tx:
        await sales_desk.enqueue(tx, 1, 10_001, "lead.qualified", harness.clock.now())
    harness.clock.current = MONDAY_11 - timedelta(minutes=20)
    await consent(harness.prospect(1001, language_code="en"))
    harness.clock.current = MONDAY_11

    await harness.app.watchdog.check()

    [head], [group] = notices(harness, ALERT)
    assert head == group
    assert "Leads in the last hour (10:00–11:00): 1, usually 8" in head
    assert "Last update from Telegram: 10:40 (20 min ago)" in head
    assert "Updates arrive by long polling; waiting at Telegram: 0" in head
    assert "CRM outbox: 1 waiting, 0 undeliverable, the oldest waiting since 10:30" in head
    assert "Errors in the bot's log in the last hour: 1" in head
    assert "vk_spring: 0 / 6 ⚠️ stopped bringing leads" in head
    assert "direct: 1 / 2\n" in head + "\n"

    # The next runs, and a restart, say nothing new.
    for _ in range(3):
        harness.clock.advance(minutes=5)
        await harness.app.watchdog.check()
    await harness.app.close()
    harness = await start(make_harness)
    harness.clock.current = MONDAY_11 + timedelta(minutes=20)
    await harness.app.watchdog.check()
    assert [len(found) for found in notices(harness, ALERT)] == [1, 1]
    assert notices(harness, BACK) == ([], [])

    # Leads come back: 5 prospects agree by 11:45 (usually 8 an hour; 5 is within normal).
    for number in range(5):
        harness.clock.advance(minutes=5)
        await consent(harness.prospect(2001 + number, language_code="en"), "vk_spring")
    harness.clock.advance(minutes=1)
    await harness.app.watchdog.check()
    harness.clock.advance(minutes=5)
    await harness.app.watchdog.check()

    [head_back], [group_back] = notices(harness, BACK)
    assert head_back == group_back
    assert "Leads in the last hour: 5, usually 8" in head_back
    assert "Fewer than usual since 11:00" in head_back
    assert [len(found) for found in notices(harness, ALERT)] == [1, 1]


async def test_the_last_update_survives_a_restart(make_harness: Callable[..., Any]) -> None:
    harness = await start(make_harness)
    await seed_history(harness)
    harness.clock.current = MONDAY_11 - timedelta(minutes=90)
    await harness.prospect(1001, language_code="en").send("/start")
    # 40 minutes after opening: too early to judge, but the time of the update is kept.
    harness.clock.current = MONDAY_11 - timedelta(minutes=80)
    await harness.app.watchdog.check()
    assert notices(harness, ALERT) == ([], [])
    await harness.app.close()

    harness = await start(make_harness)
    await harness.app.watchdog.check()

    [head], _ = notices(harness, ALERT)
    assert "Last update from Telegram: 09:30 (90 min ago)" in head


async def test_no_alert_outside_desk_hours(make_harness: Callable[..., Any]) -> None:
    harness = await start(make_harness)
    await seed_history(harness)
    for local in (datetime(2026, 11, 30, 20, 30), datetime(2026, 11, 30, 9, 30)):
        harness.clock.current = local.replace(tzinfo=MSK).astimezone(UTC)
        await harness.app.watchdog.check()
    assert notices(harness, ALERT) == ([], [])
    # The same silence inside desk hours is noticed: the test above is not vacuous.
    harness.clock.current = datetime(2026, 11, 30, 18, 0, tzinfo=MSK).astimezone(UTC)
    await harness.app.watchdog.check()
    assert [len(found) for found in notices(harness, ALERT)] == [1, 1]


async def test_no_alert_with_too_little_history(make_harness: Callable[..., Any]) -> None:
    harness = await start(make_harness)
    await seed_history(harness, weeks=3)
    await harness.app.watchdog.check()
    assert notices(harness, ALERT) == ([], [])


async def test_a_set_minimum_needs_no_history(make_harness: Callable[..., Any]) -> None:
    harness = await start(make_harness, inflow_min_per_hour=2)
    harness.clock.current = MONDAY_11 - timedelta(minutes=30)
    await consent(harness.prospect(2001, language_code="en"), "tg_ads")
    harness.clock.current = MONDAY_11

    await harness.app.watchdog.check()

    [head], [group] = notices(harness, ALERT)
    assert head == group
    assert "Leads in the last hour (10:00–11:00): 1, the minimum set is 2 an hour" in head
    assert "tg_ads: 1 / no history" in head
    assert "No update" not in head

    for number in range(2):
        await consent(harness.prospect(2002 + number, language_code="en"), "tg_ads")
    harness.clock.advance(minutes=1)
    await harness.app.watchdog.check()
    [back], _ = notices(harness, BACK)
    assert "Leads in the last hour: 3, the minimum set is 2 an hour" in back


async def test_webhook_state_and_a_blocked_head_of_sales(
    make_harness: Callable[..., Any],
) -> None:
    harness = await start(make_harness)
    await seed_history(harness)
    harness.telegram.webhook_url = "https://bot.example.com/telegram/webhook"
    failed_at = harness.clock.now() - timedelta(minutes=20)
    harness.telegram.webhook_error = (int(failed_at.timestamp()), "Connection <refused>")
    harness.telegram.block_user(HEAD)

    await harness.app.watchdog.check()

    head, [group] = notices(harness, ALERT)
    assert head == []
    assert "webhook https://bot.example.com/telegram/webhook" in group
    assert "No update from Telegram since the bot started" in group
    # Telegram's own word on why the webhook fails, escaped for Telegram HTML.
    assert "Telegram's last failed delivery to the webhook" in group
    assert "Connection <refused>" in group
    # The group has it; the head of sales who blocked the bot is not asked again and again.
    mark = harness.telegram.mark()
    harness.clock.advance(minutes=5)
    await harness.app.watchdog.check()
    assert [r for r in harness.telegram.requests[mark:] if r.method == "sendMessage"] == []


async def test_telegram_silent_about_updates_is_itself_a_finding(
    make_harness: Callable[..., Any],
) -> None:
    harness = await start(make_harness)
    harness.expected_errors.append("Telegram refused getWebhookInfo")
    await seed_history(harness)
    harness.telegram.fail_next("getWebhookInfo", error_code=400, description="Bad Request: nope")

    await harness.app.watchdog.check()

    [head], _ = notices(harness, ALERT)
    assert "Telegram did not answer when asked how updates reach the bot" in head
    # The refusal itself was an error in the bot's log; the next alert would count it.


async def test_an_alert_telegram_did_not_take_is_sent_on_the_next_run_once(
    make_harness: Callable[..., Any],
) -> None:
    harness = await start(make_harness)
    harness.expected_errors.append("gave up on sendMessage")
    await seed_history(harness)
    harness.telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        times=5,
        chat_id=HEAD,
    )

    await harness.app.watchdog.check()  # the head of sales' copy waits out five 429s
    assert [len(found) for found in notices(harness, ALERT)] == [0, 1]

    # A restart in between changes nothing: what is left to send is in the database.
    await harness.app.close()
    harness = await start(make_harness)
    harness.clock.advance(minutes=5)
    await harness.app.watchdog.check()
    harness.clock.advance(minutes=5)
    await harness.app.watchdog.check()
    [head], [group] = notices(harness, ALERT)
    assert head == group


async def test_the_scheduler_runs_the_watchdog(make_harness: Callable[..., Any]) -> None:
    harness = await start(make_harness)
    app = harness.app
    scheduler = build_scheduler(
        app.staff, app.reminders, app.calendar, app.pipe, watchdog=app.watchdog
    )
    job = scheduler.get_job("inflow_watchdog")
    assert job is not None
    assert job.func == app.watchdog.check
    assert job.trigger.interval == timedelta(seconds=WATCHDOG_SECONDS)

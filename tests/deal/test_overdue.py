"""A stage past its time: its owners are told, then the head of sales, once each, across
restarts; a move ends the ladder, and notices of a stage the deal left are not sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.storage import events
from tests.conftest import STAFF_CHAT, Harness
from tests.deal.conftest import BROKER, HEAD, PEOPLE, SUPPORT, attended, card
from tests.viewings.conftest import write_sites


async def overdue_events(harness: Harness) -> list[dict[str, Any]]:
    async with harness.app.db.read() as conn:
        return [
            dict(e.data) for e in await events.for_lead(conn, 1) if e.type == "deal.stage_overdue"
        ]


def topic_notices(harness: Harness, thread_id: int) -> list[str]:
    return [
        m.visible_text
        for m in harness.telegram.bot_messages(STAFF_CHAT, thread_id)
        if m.visible_text.startswith("⏰")
    ]


async def test_an_overdue_stage_climbs_once_per_rung_across_restarts(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    settings = {
        "sites_path": write_sites(tmp_path),
        "deal_people": PEOPLE,
        "head_of_sales_ids": (HEAD,),
    }
    h: Harness = await make_harness(**settings)
    _, lead = await attended(h)
    assert lead.staff_thread_id is not None
    thread = lead.staff_thread_id
    started: datetime = h.clock.now()
    await h.app.deal.start(lead.id, actor="staff:6001")

    # The reservation takes 7 days: a minute before, nothing.
    h.clock.current = started + timedelta(days=7, minutes=-1)
    await h.app.deal_timers.run_due()
    assert h.telegram.bot_messages(SUPPORT) == [] and topic_notices(h, thread) == []

    # Just after: the rung moves, but the bot stops before telling anyone.
    h.clock.current = started + timedelta(days=7, minutes=1)
    assert await h.app.deal_timers.climb_due() == 1
    assert await h.app.deal_timers.climb_due() == 0
    await h.app.close()

    h = await make_harness(**settings)
    h.clock.current = started + timedelta(days=7, minutes=2)
    await h.app.deal_timers.run_due()
    await h.app.deal_timers.run_due()
    [private] = h.telegram.bot_messages(SUPPORT)
    assert "Лид #1: этап «Бронирование» просрочен" in private.visible_text
    [in_topic] = topic_notices(h, thread)
    assert in_topic == private.visible_text
    assert "Специалист по сопровождению сделки: 7001" in in_topic  # mentioned
    await h.app.pipe.drain()  # the events job: the card hears of the rung written before
    assert "⚠️ просрочен на 1 дн." in card(h).visible_text
    assert h.telegram.bot_messages(HEAD) == []

    # After the stage's time again: the head of sales, in private, once.
    h.clock.current = started + timedelta(days=14, minutes=1)
    await h.app.deal_timers.run_due()
    await h.app.close()
    h = await make_harness(**settings)
    h.clock.current = started + timedelta(days=20)
    await h.app.deal_timers.run_due()
    [escalation] = h.telegram.bot_messages(HEAD)
    assert escalation.visible_text.startswith("⏰ Эскалация: лид #1")
    assert len(h.telegram.bot_messages(SUPPORT)) == 1
    assert len(topic_notices(h, thread)) == 1
    assert [(e["stage"], e["rung"]) for e in await overdue_events(h)] == [
        ("reservation", 1),
        ("reservation", 2),
    ]

    # A move ends the ladder. The next stage runs late too, but moves on before the
    # notice goes out: its owner is not told of a stage already over.
    await h.app.deal.move(lead.id, "financing", actor="staff:6001")
    moved_at = h.clock.now()
    h.clock.current = moved_at + timedelta(days=10, minutes=1)
    assert await h.app.deal_timers.climb_due() == 1
    await h.app.deal.move(lead.id, "contract", actor="staff:6001")
    await h.app.deal_timers.run_due()
    assert h.telegram.bot_messages(BROKER) == []
    assert len(topic_notices(h, thread)) == 1
    assert len(await overdue_events(h)) == 3


async def test_without_a_head_of_sales_the_staff_group_hears_rung_two(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    h: Harness = await make_harness(sites_path=write_sites(tmp_path), deal_people=PEOPLE)
    _, lead = await attended(h)
    started = h.clock.now()
    await h.app.deal.start(lead.id, actor="api")
    h.clock.current = started + timedelta(days=15)
    await h.app.deal_timers.run_due()  # rung 1
    await h.app.deal_timers.run_due()  # rung 2 was due too
    general = [
        m.visible_text
        for m in h.telegram.bot_messages(STAFF_CHAT)
        if m.message_thread_id is None and m.visible_text.startswith("⏰ Эскалация")
    ]
    assert len(general) == 1


async def test_unreachable_people_and_a_failing_telegram(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    h: Harness = await make_harness(
        sites_path=write_sites(tmp_path), deal_people=PEOPLE, head_of_sales_ids=(HEAD,)
    )
    _, lead = await attended(h)
    assert lead.staff_thread_id is not None
    h.telegram.block_user(SUPPORT)  # never started the bot
    h.telegram.block_user(HEAD)
    # The summary cannot be posted when the deal starts: it waits for the job.
    h.telegram.fail_next(
        "sendMessage",
        error_code=400,
        description="Bad Request: not enough rights to send text messages to the chat",
        chat_id=STAFF_CHAT,
    )
    h.expected_errors.append("not enough rights")
    started = h.clock.now()
    await h.app.deal.start(lead.id, actor="api")
    assert pinned_summary(h) is None

    h.clock.current = started + timedelta(days=15)
    for _ in range(3):  # rung 1; rung 2; the group told in place of the head
        await h.app.deal_timers.run_due()
    # The owner could not be told in private, the topic was; the head of sales neither:
    # the staff group hears the escalation instead.
    assert h.telegram.bot_messages(SUPPORT) == [] and h.telegram.bot_messages(HEAD) == []
    assert len(topic_notices(h, lead.staff_thread_id)) == 1
    general = [
        m.visible_text
        for m in h.telegram.bot_messages(STAFF_CHAT)
        if m.message_thread_id is None and m.visible_text.startswith("⏰ Эскалация")
    ]
    assert len(general) == 1
    summary = pinned_summary(h)
    assert summary is not None and "Бронирование" in summary.visible_text


def pinned_summary(harness: Harness) -> Any:
    chat = harness.telegram.chat(STAFF_CHAT)
    message = chat.messages.get(chat.pinned_message_id or 0)
    return None if message is None or message.deleted else message

"""Journeys through the stand-in: a missed time limit climbs the ladder once per rung,
across a restart and with two job runs at once; a limit met in time is never told."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.domain.events import EventType
from bot.keyboards.callbacks import DeskAction, DeskCb
from tests.conftest import STAFF_CHAT, Harness
from tests.sla.helpers import (
    HEAD_ID,
    PROSPECT_ID,
    desk_event,
    event_types,
    moscow,
    qualified_lead,
    rows,
    sla_messages,
    take,
)


async def test_a_breach_climbs_each_rung_once_across_a_restart(
    make_harness: Callable[..., Any],
) -> None:
    h: Harness = await make_harness(head_of_sales_ids=(HEAD_ID,))
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))  # Monday: take within 15 min
    lead = await h.lead()
    assert lead is not None and lead.staff_thread_id is not None

    h.clock.current = moscow(2026, 11, 30, 10, 14)
    await h.app.desk_timers.run_due()
    assert sla_messages(h) == []

    # 10:15: the breach is recorded, but the bot stops before sending the nudge.
    h.clock.current = moscow(2026, 11, 30, 10, 16)
    assert await h.app.desk_timers.climb_due() == 1
    assert sla_messages(h) == []
    await h.app.close()

    h = await make_harness(head_of_sales_ids=(HEAD_ID,))
    h.clock.current = moscow(2026, 11, 30, 10, 17)
    await h.app.desk_timers.run_due()
    await h.app.desk_timers.run_due()
    [nudge] = sla_messages(h)
    assert nudge.message_thread_id == lead.staff_thread_id
    assert "Лид #1" in nudge.visible_text and "взять лид в работу" in nudge.visible_text
    assert "10:15" in nudge.visible_text  # when it was due, on the desk's clock

    # Rung 2 after the same 15 desk minutes again: the head of sales, in private.
    h.clock.current = moscow(2026, 11, 30, 10, 29)
    await h.app.desk_timers.run_due()
    assert h.telegram.bot_messages(HEAD_ID) == []
    h.clock.current = moscow(2026, 11, 30, 10, 31)
    await h.app.desk_timers.run_due()
    await h.app.close()
    h = await make_harness(head_of_sales_ids=(HEAD_ID,))
    h.clock.current = moscow(2026, 11, 30, 12, 0)
    await h.app.desk_timers.run_due()

    [escalation] = h.telegram.bot_messages(HEAD_ID)
    assert "Лид #1" in escalation.visible_text and "никто не взял" in escalation.visible_text
    [button] = escalation.inline_buttons()
    assert button["text"] == "Переназначить"
    assert button["callback_data"] == DeskCb(action=DeskAction.ASSIGN, lead_id=1).pack()
    assert len(sla_messages(h)) == 1  # nothing more in the group
    types = await event_types(h)
    assert types.count(EventType.DESK_SLA_BREACHED) == 1
    assert types.count(EventType.DESK_SLA_ESCALATED) == 1
    [deadline] = await rows(h)
    assert deadline.rung == 2 and deadline.breached_at == moscow(2026, 11, 30, 10, 15)


async def test_a_take_at_1855_on_friday_breaches_on_monday_at_0910(harness: Harness) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 27, 18, 55))
    [deadline] = await rows(h)
    assert deadline.due_at == moscow(2026, 11, 30, 9, 10)
    for moment in (
        moscow(2026, 11, 27, 19, 10),
        moscow(2026, 11, 28, 12),
        moscow(2026, 11, 30, 9, 9),
    ):
        h.clock.current = moment
        await h.app.desk_timers.run_due()
        assert sla_messages(h) == [], moment
    h.clock.current = moscow(2026, 11, 30, 9, 10)
    await h.app.desk_timers.run_due()
    [nudge] = sla_messages(h)
    assert "Лид пока никто не взял" in nudge.visible_text


async def test_limits_met_in_time_never_breach(harness: Harness) -> None:
    h = harness
    client = await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    h.clock.current = moscow(2026, 11, 30, 10, 10)
    await take(h)  # within 15 min; first contact now due at 11:10
    h.clock.current = moscow(2026, 11, 30, 11, 0)
    await desk_event(h, EventType.DESK_CALL_LOGGED, outcome="reached")
    h.clock.current = moscow(2026, 11, 30, 11, 5)
    await desk_event(h, EventType.DESK_CLIENT_MESSAGE, kind="text")
    h.clock.current = moscow(2026, 11, 30, 11, 30)
    await desk_event(h, EventType.DESK_STAFF_REPLIED, kind="text")
    for hour in (12, 15, 18):
        h.clock.current = moscow(2026, 12, 2, hour, 0)
        await h.app.desk_timers.run_due()
    assert sla_messages(h) == []
    assert h.telegram.bot_messages(HEAD_ID) == []
    assert not any("Sorry for the wait" in text for text in client.messages())
    assert [(d.kind, d.outcome) for d in await rows(h)] == [
        ("take", "met"),
        ("first_contact", "met"),
        ("reply", "met"),
    ]
    types = await event_types(h)
    assert EventType.DESK_SLA_BREACHED not in types


async def test_the_client_is_told_once_when_to_expect_an_answer(harness: Harness) -> None:
    h = harness
    client = await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    h.clock.current = moscow(2026, 11, 30, 10, 5)
    await take(h)  # first contact due 11:05
    h.clock.current = moscow(2026, 11, 30, 11, 6)
    await h.app.desk_timers.run_due()
    [nudge] = sla_messages(h)
    assert "первый контакт" in nudge.visible_text
    assert 'href="tg://user?id=5001"' in (nudge.source_text or "")
    assert "Olga <Sales>" in nudge.visible_text  # the name is escaped, not markup

    told = [text for text in client.messages() if "Sorry for the wait" in text]
    assert told == ["Sorry for the wait! A manager will answer you by 12:06 today."]
    # The client writes; nobody answers in 30 min: the owner is nudged, the client not again.
    h.clock.current = moscow(2026, 11, 30, 18, 50)
    await desk_event(h, EventType.DESK_CLIENT_MESSAGE, kind="text")
    h.clock.current = moscow(2026, 12, 1, 9, 21)
    await h.app.desk_timers.run_due()
    reply_nudges = [m for m in sla_messages(h) if "ответ на сообщение клиента" in m.visible_text]
    assert len(reply_nudges) == 1
    assert len([text for text in client.messages() if "Sorry for the wait" in text]) == 1


async def test_a_promise_made_after_hours_names_the_next_morning(harness: Harness) -> None:
    h = harness
    client = await qualified_lead(h, moscow(2026, 11, 30, 17, 0))
    await take(h)  # first contact due 18:00
    # The bot was down from 17:59 until the evening: the breach is told late, the client
    # is promised the next opening plus the limit.
    h.clock.current = moscow(2026, 11, 30, 21, 0)
    await h.app.desk_timers.run_due()
    [told] = [text for text in client.messages() if "Sorry for the wait" in text]
    assert told == "Sorry for the wait! A manager will answer you by 10:00 tomorrow."


async def test_two_job_runs_at_once_send_each_rung_once(
    make_harness: Callable[..., Any],
) -> None:
    h: Harness = await make_harness(head_of_sales_ids=(HEAD_ID, HEAD_ID + 1))
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    h.clock.current = moscow(2026, 11, 30, 10, 20)
    await asyncio.gather(*(h.app.desk_timers.run_due() for _ in range(3)))
    assert len(sla_messages(h)) == 1
    h.clock.current = moscow(2026, 11, 30, 10, 40)
    await asyncio.gather(*(h.app.desk_timers.run_due() for _ in range(3)))
    assert len(h.telegram.bot_messages(HEAD_ID)) == 1
    assert len(h.telegram.bot_messages(HEAD_ID + 1)) == 1
    types = await event_types(h)
    assert types.count(EventType.DESK_SLA_BREACHED) == 1
    assert types.count(EventType.DESK_SLA_ESCALATED) == 1


async def test_without_a_head_of_sales_the_staff_group_is_told(harness: Harness) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    h.clock.current = moscow(2026, 11, 30, 10, 16)
    await h.app.desk_timers.run_due()
    h.clock.current = moscow(2026, 11, 30, 10, 31)
    await h.app.desk_timers.run_due()
    _nudge, escalation = sla_messages(h)
    assert escalation.message_thread_id is None  # the group's general topic
    assert escalation.visible_text.startswith("🚨 Лид #1")
    assert [b["text"] for b in escalation.inline_buttons()] == ["Переназначить"]


async def test_a_lead_taken_between_rungs_stops_the_ladder(
    make_harness: Callable[..., Any],
) -> None:
    h: Harness = await make_harness(head_of_sales_ids=(HEAD_ID,))
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    h.clock.current = moscow(2026, 11, 30, 10, 16)
    await h.app.desk_timers.run_due()
    h.clock.current = moscow(2026, 11, 30, 10, 20)
    await take(h)
    h.clock.current = moscow(2026, 11, 30, 10, 45)
    await h.app.desk_timers.run_due()
    assert h.telegram.bot_messages(HEAD_ID) == []
    assert (await event_types(h)).count(EventType.DESK_SLA_ESCALATED) == 0


async def test_a_notice_telegram_refuses_for_now_is_sent_later(
    make_harness: Callable[..., Any],
) -> None:
    h: Harness = await make_harness(head_of_sales_ids=(HEAD_ID,))
    h.expected_errors.append("gave up on sendMessage")
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    h.clock.current = moscow(2026, 11, 30, 10, 16)
    h.telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 0",
        retry_after=0,
        times=5,
        chat_id=STAFF_CHAT,
    )
    await h.app.desk_timers.run_due()
    assert sla_messages(h) == []
    await h.app.desk_timers.run_due()  # not yet: it waits a minute before trying again
    assert sla_messages(h) == []
    h.clock.advance(minutes=2)
    await h.app.desk_timers.run_due()
    assert len(sla_messages(h)) == 1


async def test_a_blocked_client_is_not_chased(harness: Harness) -> None:
    h = harness
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    await take(h)
    h.telegram.block_user(PROSPECT_ID)
    h.clock.current = moscow(2026, 11, 30, 11, 1)
    await h.app.desk_timers.run_due()
    h.clock.advance(minutes=5)
    await h.app.desk_timers.run_due()
    assert len(sla_messages(h)) == 1  # the owner is still nudged
    # One try: a blocked chat is not tried again on the next runs.
    assert len(h.telegram.sent(PROSPECT_ID, "sendMessage", ok=False)) == 1
    lead = await h.lead()
    assert lead is not None and lead.unreachable_at is not None


async def test_a_head_of_sales_the_bot_cannot_reach_is_replaced_by_the_group(
    make_harness: Callable[..., Any],
) -> None:
    h: Harness = await make_harness(head_of_sales_ids=(HEAD_ID,))
    h.telegram.block_user(HEAD_ID)  # never started the bot, or blocked it
    await qualified_lead(h, moscow(2026, 11, 30, 10, 0))
    h.clock.current = moscow(2026, 11, 30, 10, 16)
    await h.app.desk_timers.run_due()
    h.clock.current = moscow(2026, 11, 30, 10, 31)
    await h.app.desk_timers.run_due()
    await h.app.desk_timers.run_due()
    assert h.telegram.bot_messages(HEAD_ID) == []
    escalations = [m for m in sla_messages(h) if m.visible_text.startswith("🚨")]
    assert len(escalations) == 1

"""An unpaid payment the day after its due date goes to the receivables specialist (and
the lead's topic, and the client once), then after PAYMENT_ESCALATE_DAYS to the head of
sales (the staff group without one); each once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.domain.events import EventType
from tests.conftest import STAFF_CHAT, Harness
from tests.desk.conftest import card_message
from tests.payments.conftest import (
    HEAD,
    SCHEDULE,
    client_with_topic,
    events_of,
    olga,
    rita,
    topic_texts,
)

OVERDUE = (
    "⏰ Лид #1 (Anna): платёж 1\u00a0200\u00a0000\u00a0₽ (first instalment) со сроком "
    "26 ноября 2026 просрочен."
)
ESCALATED = (
    "🔺 Лид #1 (Anna): платёж 1\u00a0200\u00a0000\u00a0₽ (first instalment) со сроком "
    "26 ноября 2026 просрочен на 5 дн. Специалисту по расчётам сообщено в первый день."
)


def moscow(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour - 3, tzinfo=UTC)


async def run_at(harness: Harness, moment: datetime) -> None:
    harness.clock.current = moment
    await harness.app.payments.timers.run_due()


def general(harness: Harness) -> list[str]:
    """The staff group's own messages (no lead topic)."""
    return [
        m.visible_text
        for m in harness.telegram.bot_messages(STAFF_CHAT)
        if m.message_thread_id is None
    ]


async def test_overdue_goes_to_receivables_then_to_the_head_of_sales(office: Harness) -> None:
    anna, thread = await client_with_topic(office)
    await olga(office).send(SCHEDULE, thread_id=thread)
    await run_at(office, moscow(11, 26, 20))  # the due day is not over yet
    assert await events_of(office, EventType.PAYMENT_OVERDUE) == []

    await run_at(office, moscow(11, 27, 10))
    await run_at(office, moscow(11, 27, 11))
    assert rita(office).messages() == [OVERDUE]
    assert topic_texts(office, thread).count(OVERDUE) == 1
    polite = [text for text in anna.messages() if "have not yet received" in text]
    assert polite == [
        "We have not yet received your payment of 1,200,000\u00a0₽ (first instalment) that was "
        "due on 26 November 2026. If you have already paid, press «I've paid»; if something has "
        "come up, just write to us here and we will find a solution together."
    ]
    assert anna.buttons() == ["✅ I've paid"]
    assert "⚠️ Просрочен платёж: 1\u00a0200\u00a0000\u00a0₽ со сроком 26 ноября 2026 (1 дн.)" in (
        card_message(office).visible_text
    )
    head = office.telegram.user(HEAD, deliver=office.feed)
    await run_at(office, moscow(11, 30, 23))
    assert head.messages() == []

    await run_at(office, moscow(12, 1, 10))
    await run_at(office, moscow(12, 2, 10))
    assert head.messages() == [ESCALATED]
    assert rita(office).messages() == [OVERDUE]
    assert len([text for text in anna.messages() if "have not yet received" in text]) == 1
    overdue = await events_of(office, EventType.PAYMENT_OVERDUE)
    assert [(actor, data["rung"], data["due_on"]) for actor, data in overdue] == [
        ("system", 1, "2026-11-26"),
        ("system", 2, "2026-11-26"),
    ]


async def test_without_a_head_of_sales_the_staff_group_hears_it(
    make_office: Callable[..., Any],
) -> None:
    harness: Harness = await make_office()
    _, thread = await client_with_topic(harness)
    await olga(harness).send(SCHEDULE, thread_id=thread)
    # Down for a week: both rungs at once when it comes back, each once.
    await run_at(harness, moscow(12, 3, 12))
    await run_at(harness, moscow(12, 3, 13))
    assert general(harness).count(ESCALATED.replace("5 дн.", "7 дн.")) == 1
    assert rita(harness).messages() == [OVERDUE]
    rungs = [data["rung"] for _, data in await events_of(harness, EventType.PAYMENT_OVERDUE)]
    assert rungs == [1, 2]


async def test_a_head_who_blocked_the_bot_is_replaced_by_the_group(office: Harness) -> None:
    _, thread = await client_with_topic(office)
    await olga(office).send(SCHEDULE, thread_id=thread)
    office.telegram.block_user(HEAD)
    await run_at(office, moscow(11, 27, 10))
    await run_at(office, moscow(12, 1, 10))
    await run_at(office, moscow(12, 1, 11))
    assert general(office) == [ESCALATED]


async def test_a_paid_or_claimed_payment_is_not_overdue(office: Harness) -> None:
    anna, thread = await client_with_topic(office)
    await olga(office).send(SCHEDULE, thread_id=thread)
    await run_at(office, moscow(11, 26, 10))
    await anna.click("✅ I've paid")
    await run_at(office, moscow(11, 28, 10))
    assert await events_of(office, EventType.PAYMENT_OVERDUE) == []
    assert rita(office).messages()[-1].startswith("💳 Лид #1 (Anna): клиент сообщает")

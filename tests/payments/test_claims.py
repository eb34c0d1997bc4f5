""" "I've paid": the receivables specialist confirms or answers "not received", the client
is told; two presses at once count once; old buttons and strangers get a plain toast."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.domain.events import EventType
from bot.keyboards.callbacks import PaymentPaidCb, PaymentReview, PaymentReviewCb
from tests.conftest import STAFF_CHAT, Harness
from tests.desk.conftest import card_message
from tests.desk.conftest import press_data as press
from tests.fakegram import TelegramUser
from tests.fakegram.server import StoredMessage
from tests.payments.conftest import (
    RITA,
    SCHEDULE,
    STRANGER,
    client_with_topic,
    events_of,
    olga,
    rita,
    statuses,
    topic_texts,
)

PAID = "✅ I've paid"
RECEIVED = "✅ Поступил"
NOT_RECEIVED = "❌ Не поступил"


async def reminded(harness: Harness) -> tuple[TelegramUser, int]:
    """The client with the first payment's 3-day reminder in the chat."""
    anna, thread = await client_with_topic(harness)
    await olga(harness).send(SCHEDULE, thread_id=thread)
    harness.clock.current = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
    await harness.app.payments.timers.run_due()
    assert anna.buttons() == [PAID]
    return anna, thread


def paid_buttons(user: TelegramUser) -> int:
    return sum(any(b.get("text") == PAID for b in m.inline_buttons()) for m in user.bot_messages())


def last_with_buttons(messages: list[StoredMessage]) -> StoredMessage:
    return [m for m in messages if m.inline_buttons()][-1]


async def test_paid_and_confirmed_by_the_receivables_specialist(office: Harness) -> None:
    anna, thread = await reminded(office)
    answer = await anna.click(PAID)
    assert (
        answer is not None
        and answer.text == "Thank you! We will check the payment and let you know."
    )
    assert paid_buttons(anna) == 0  # the button went with the press
    await office.app.payments.timers.run_due()

    receivables = rita(office)
    [check] = receivables.messages()
    assert check == (
        "💳 Лид #1 (Anna): клиент сообщает, что оплатил 1\u00a0200\u00a0000\u00a0₽ "
        "(first instalment) со сроком 26 ноября 2026. Проверьте поступление и ответьте:"
    )
    assert receivables.buttons() == [RECEIVED, NOT_RECEIVED]
    assert any(
        text.startswith("💳 Лид #1 (Anna): клиент сообщает") for text in topic_texts(office, thread)
    )
    assert "ждёт подтверждения" in card_message(office).visible_text

    answer = await receivables.click(RECEIVED)
    assert answer is not None and answer.text == "Отмечено: поступил; клиенту сообщим."
    assert receivables.messages()[-1].endswith(
        "✅ Поступил — подтвердил(а) Rita; клиенту сообщено."
    )
    assert receivables.buttons() == []
    await office.app.payments.timers.run_due()
    assert anna.messages()[-1] == (
        "✅ We have received your payment of 1,200,000\u00a0₽ (first instalment) due on "
        "26 November 2026. Thank you!"
    )
    assert topic_texts(office, thread)[-1] == (
        "✅ Лид #1: платёж 1\u00a0200\u00a0000\u00a0₽ (first instalment) "
        "со сроком 26 ноября 2026 поступил."
    )
    assert (await statuses(office))[0] == ("2026-11-26", "paid", 1)
    [(actor, data)] = await events_of(office, EventType.PAYMENT_CONFIRMED)
    assert actor == f"staff:{RITA}" and data["amount"] == "1200000.00"
    assert (
        "Следующий платёж: 500\u00a0000,50\u00a0₽ до 26 декабря 2026"
        in card_message(office).visible_text
    )

    # The same claim's button in the topic is now an old button.
    topic_check = last_with_buttons(office.telegram.bot_messages(STAFF_CHAT, thread))
    answer = await olga(office).click(NOT_RECEIVED, topic_check)
    assert answer is not None and answer.text == "На это уже ответили."
    assert (await statuses(office))[0][1] == "paid"


async def test_not_received_then_paid_again(office: Harness) -> None:
    anna, thread = await reminded(office)
    await anna.click(PAID)
    await office.app.payments.timers.run_due()
    first_check = last_with_buttons(rita(office).bot_messages())

    # A lead-manager in the topic answers this time.
    answer = await olga(office).click(NOT_RECEIVED, thread_id=thread)
    assert answer is not None and answer.text == "Отмечено: не поступил; клиенту сообщим."
    await office.app.payments.timers.run_due()
    assert anna.messages()[-1].startswith(
        "We have not received your payment of 1,200,000\u00a0₽ (first instalment) due on "
        "26 November 2026 yet."
    )
    assert anna.buttons() == [PAID]
    assert (await statuses(office))[0] == ("2026-11-26", "due", 1)
    [(actor, _)] = await events_of(office, EventType.PAYMENT_NOT_RECEIVED)
    assert actor == "staff:6001"

    await anna.click(PAID)
    await office.app.payments.timers.run_due()
    assert (await statuses(office))[0] == ("2026-11-26", "claimed", 2)
    assert len(rita(office).messages()) == 2
    # The first claim's buttons are old now; the second claim's work.
    answer = await rita(office).click(RECEIVED, first_check)
    assert answer is not None and answer.text == "На это уже ответили."
    assert (await statuses(office))[0][1] == "claimed"
    await rita(office).click(RECEIVED)
    assert (await statuses(office))[0] == ("2026-11-26", "paid", 2)


async def test_two_presses_at_once_count_once(office: Harness) -> None:
    anna, _ = await reminded(office)
    reminder = last_with_buttons(anna.bot_messages())
    data = PaymentPaidCb(payment_id=1)
    answers = await asyncio.gather(
        press(office, anna.user_id, reminder, data), press(office, anna.user_id, reminder, data)
    )
    assert sorted(a.text or "" for a in answers if a is not None) == [
        "Thank you! We will check the payment and let you know.",
        "We already know about this payment.",
    ]
    assert len(await events_of(office, EventType.PAYMENT_CLAIMED)) == 1
    await office.app.payments.timers.run_due()
    assert len(rita(office).messages()) == 1

    # Two people answer at once: one answer wins, the client hears one.
    check = last_with_buttons(rita(office).bot_messages())
    yes = PaymentReviewCb(payment_id=1, claim=1, action=PaymentReview.CONFIRM)
    no = PaymentReviewCb(payment_id=1, claim=1, action=PaymentReview.NOT_RECEIVED)
    answers = await asyncio.gather(press(office, RITA, check, yes), press(office, RITA, check, no))
    texts = sorted(a.text or "" for a in answers if a is not None)
    assert "На это уже ответили." in texts
    confirmed = await events_of(office, EventType.PAYMENT_CONFIRMED)
    refused = await events_of(office, EventType.PAYMENT_NOT_RECEIVED)
    assert len(confirmed) + len(refused) == 1
    before = len(anna.messages())
    await office.app.payments.timers.run_due()
    assert len(anna.messages()) == before + 1


async def test_a_stranger_cannot_answer_nor_claim(office: Harness) -> None:
    anna, thread = await reminded(office)
    await anna.click(PAID)
    await office.app.payments.timers.run_due()
    topic_check = last_with_buttons(office.telegram.bot_messages(STAFF_CHAT, thread))
    yes = PaymentReviewCb(payment_id=1, claim=1, action=PaymentReview.CONFIRM)

    # Not in the staff group, not a receivables specialist: refused, nothing changes.
    answer = await press(office, STRANGER, topic_check, yes)
    assert answer is not None
    assert answer.text == (
        "Отвечать на это могут только специалисты по расчётам и участники группы сотрудников."
    )
    mallory = office.prospect(STRANGER, language_code="en", first_name="Mallory")
    await mallory.send("/start")
    own = mallory.bot_messages()[-1]
    answer = await press(office, STRANGER, own, yes)
    assert answer is not None and answer.text is not None and "Отвечать на это" in answer.text
    # Someone else's "I've paid": not theirs.
    answer = await press(office, STRANGER, own, PaymentPaidCb(payment_id=2))
    assert answer is not None and answer.text == "This payment is no longer in your schedule."
    assert await statuses(office) == [("2026-11-26", "claimed", 1), ("2026-12-26", "due", 0)]
    assert await events_of(office, EventType.PAYMENT_CONFIRMED) == []


async def test_an_answer_at_night_reaches_the_client_in_the_morning(office: Harness) -> None:
    anna, _ = await reminded(office)
    await anna.click(PAID)
    await office.app.payments.timers.run_due()
    office.clock.current = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    await rita(office).click(RECEIVED)
    before: list[Any] = list(anna.messages())
    await office.app.payments.timers.run_due()
    assert anna.messages() == before
    office.clock.current = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 09:00
    await office.app.payments.timers.run_due()
    assert anna.messages()[-1].startswith("✅ We have received your payment")


async def test_a_claim_survives_a_restart_before_it_is_sent(
    make_office: Callable[..., Any],
) -> None:
    first: Harness = await make_office()
    anna, _ = await reminded(first)
    await anna.click(PAID)  # the bot stops before the job sends the check
    await first.app.close()
    assert rita(first).messages() == []

    second: Harness = await make_office()
    second.clock.current = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)
    await second.app.payments.timers.run_due()
    await second.app.payments.timers.run_due()
    receivables = rita(second)
    assert len(receivables.messages()) == 1
    await receivables.click(RECEIVED)
    await second.app.payments.timers.run_due()
    assert (
        second.telegram.user(anna.user_id)
        .messages()[-1]
        .startswith("✅ We have received your payment")
    )

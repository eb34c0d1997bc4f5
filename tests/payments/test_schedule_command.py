"""Staff set, show and clear a lead's payment schedule with /payments in its topic."""

from __future__ import annotations

from bot.domain.events import EventType
from tests.conftest import STAFF_CHAT, Harness
from tests.desk.conftest import card_message
from tests.payments.conftest import (
    SCHEDULE,
    client_with_topic,
    events_of,
    olga,
    statuses,
    topic_texts,
)


async def test_staff_set_show_and_clear_the_schedule(office: Harness) -> None:
    _, thread = await client_with_topic(office)
    staff = olga(office)

    await staff.send("/payments", thread_id=thread)
    assert "У лида #1 нет графика платежей" in topic_texts(office, thread)[-1]

    await staff.send(SCHEDULE, thread_id=thread)
    saved = topic_texts(office, thread)[-1]
    assert saved.splitlines() == [
        "💳 График платежей сохранён, лид #1:",
        "⏳ 26 ноября 2026 — 1\u00a0200\u00a0000\u00a0₽ (first instalment)",
        "⏳ 26 декабря 2026 — 500\u00a0000,50\u00a0₽",
    ]
    [(actor, data)] = await events_of(office, EventType.PAYMENT_SCHEDULED)
    assert actor == "staff:6001"
    assert [(p["due_on"], p["amount"], p["label"]) for p in data["payments"]] == [
        ("2026-11-26", "1200000.00", "first instalment"),
        ("2026-12-26", "500000.50", None),
    ]
    # The card shows the next payment.
    assert (
        "💳 Следующий платёж: 1\u00a0200\u00a0000\u00a0₽ (first instalment) до 26 ноября 2026"
        in (card_message(office).visible_text)
    )

    # The same schedule again changes nothing: no new rows, no new event.
    await staff.send(SCHEDULE, thread_id=thread)
    assert len(await events_of(office, EventType.PAYMENT_SCHEDULED)) == 1
    await staff.send("/payments", thread_id=thread)
    assert topic_texts(office, thread)[-1].startswith("💳 График платежей, лид #1:")

    await staff.send("/payments clear", thread_id=thread)
    assert "Неоплаченные платежи лида #1 удалены" in topic_texts(office, thread)[-1]
    assert await statuses(office) == []
    assert (await events_of(office, EventType.PAYMENT_SCHEDULED))[-1][1] == {"payments": []}
    assert "Следующий платёж" not in card_message(office).visible_text


async def test_bad_lines_are_all_reported_and_nothing_is_saved(office: Harness) -> None:
    _, thread = await client_with_topic(office)
    text = "/payments\n26.11.2026 1 200 000\n31.02.2027 5000\n01.11.2026 100\n26.12.2026 lots"
    await olga(office).send(text, thread_id=thread)
    answer = topic_texts(office, thread)[-1]
    assert answer.splitlines()[:4] == [
        "Ничего не сохранено. Исправьте строки и отправьте /payments снова:",
        "строка 2: такой даты нет: «31.02.2027»; пишите 15.01.2027 или 2027-01-15",
        "строка 3: дата 01.11.2026 уже прошла",
        "строка 4: после даты нет суммы («lots»); пишите 1 200 000 или 1200000,50",
    ]
    assert await statuses(office) == []
    assert await events_of(office, EventType.PAYMENT_SCHEDULED) == []


async def test_payments_outside_a_topic_and_from_a_stranger(office: Harness) -> None:
    await client_with_topic(office)
    await olga(office).send("/payments\n26.11.2026 1000")
    assert office.telegram.bot_messages(STAFF_CHAT)[-1].visible_text == (
        "Отправьте /payments в теме лида."
    )
    stranger = office.prospect(9001, language_code="en")
    await stranger.send("/payments")
    assert await statuses(office) == []

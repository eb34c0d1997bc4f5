"""A client who came to a viewing is led to the keys in Telegram with the real deal file:
every stage message, the documents asked for, reviewed and ticked, the payment held until
the contract is registered, reminded, claimed and confirmed; staff see it on the card."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.events import EventType
from bot.storage import events
from tests.conftest import STAFF_CHAT, Harness
from tests.deal.conftest import (
    RECEIVABLES,
    STAGES_EN,
    STAGES_RU,
    attended,
    card,
    deal_headings,
    deal_of,
    sent_to_client,
    staff,
)
from tests.fakegram import TelegramUser

ACCEPT = "✅ Принять"


async def move(harness: Harness, stage: str) -> None:
    olga = staff(harness)
    await olga.click("➡️ Этап ▸", card(harness))
    answer = await olga.click(f"➡️ {STAGES_RU[stage]}", card(harness))
    assert answer is not None and answer.text == f"Сделка на этапе: {STAGES_RU[stage]}"
    await sent_to_client(harness)


async def send_and_accept(harness: Harness, client: TelegramUser, thread: int) -> None:
    """The client sends a scan for the one document still missing; Olga accepts it."""
    await client.send_file("scan.pdf")
    await harness.app.documents.delivery.deliver_due()
    [copy] = [
        m
        for m in harness.telegram.bot_messages(STAFF_CHAT, thread)
        if (m.caption or "").startswith("📄") and m.inline_buttons()
    ]
    answer = await staff(harness).click(ACCEPT, copy)
    assert answer is not None and answer.text == "Принят, клиенту сообщим."
    await harness.app.documents.delivery.deliver_due()


def send_buttons(client: TelegramUser) -> list[str]:
    return [label for label in client.buttons() if label.startswith("📎")]


async def test_a_client_is_led_from_the_viewing_to_the_keys(dealing: Harness) -> None:
    client, lead = await attended(dealing)
    thread = lead.staff_thread_id
    assert thread is not None
    olga = staff(dealing)
    await olga.click("💼 Сделка", card(dealing))
    await sent_to_client(dealing)
    assert deal_headings(client) == [STAGES_EN["reservation"]]

    # /deal tells what is needed, with a button per document.
    await client.send("/deal")
    assert "Passport" in (client.last_text() or "")
    assert send_buttons(client) == ["📎 Send: Passport"]

    # The passport is personal: the documents consent first, then staff review it.
    await client.send_photo()
    assert (client.last_text() or "").startswith("This document contains personal data.")
    await client.click("✅ I agree")
    await dealing.app.documents.delivery.deliver_due()
    [copy] = [
        m
        for m in dealing.telegram.bot_messages(STAFF_CHAT, thread)
        if (m.caption or "").startswith("📄")
    ]
    assert copy.caption == "📄 Лид #1: Паспорт (этап Бронирование)"
    await olga.click(ACCEPT, copy)
    await dealing.app.documents.delivery.deliver_due()
    assert "✅ Passport: accepted" in (client.last_text() or "")
    assert "✅ Паспорт" in card(dealing).visible_text

    # A mortgage buyer: the bank's income proof at financing; SNILS at the contract.
    await move(dealing, "financing")
    await send_and_accept(dealing, client, thread)
    await move(dealing, "contract")
    await send_and_accept(dealing, client, thread)

    # The schedule is entered before registration: nothing is asked of the client yet.
    await olga.send("/payments\n20.12.2026 1 200 000 first instalment", thread_id=thread)
    await move(dealing, "registration")
    dealing.clock.current = datetime(2026, 12, 17, 7, 0, tzinfo=UTC)  # 10:00 Moscow, T-3
    await dealing.app.payments.timers.run_due()
    assert not any("1,200,000" in text for text in client.messages())
    await client.send("/deal")
    assert "1,200,000" not in (client.last_text() or "")

    # Registered: the payments stage opens the reminders; "I've paid", then confirmed.
    await move(dealing, "payments")
    await client.send("/deal")
    assert "1,200,000" in (client.last_text() or "")
    dealing.clock.current = datetime(2026, 12, 19, 7, 0, tzinfo=UTC)  # T-1
    await dealing.app.payments.timers.run_due()
    assert "1,200,000" in (client.last_text() or "")
    assert client.buttons()[0] == "✅ I've paid"
    await client.click("✅ I've paid")
    await dealing.app.payments.timers.run_due()
    receivables = dealing.telegram.user(RECEIVABLES, first_name="Rita", deliver=dealing.feed)
    await receivables.click("✅ Поступил")
    await dealing.app.payments.timers.run_due()
    assert (
        "✅ We have received your payment of 1,200,000\xa0₽ (first instalment) due on "
        "20 December 2026. Thank you!"
    ) in client.messages()

    for stage in ("acceptance", "keys", "closed"):
        await move(dealing, stage)
    # Each stage told once (a /deal answer starts the same way: counted once in order).
    assert list(dict.fromkeys(deal_headings(client))) == [
        STAGES_EN[s]
        for s in (
            "reservation",
            "financing",
            "contract",
            "registration",
            "payments",
            "acceptance",
            "keys",
            "closed",
        )
    ]
    deal = await deal_of(dealing)
    assert deal is not None and deal.closed
    finished = await dealing.lead()
    assert finished is not None and finished.status == "closed"

    # Every step is an event the CRM hears, in order.
    async with dealing.app.db.read() as conn:
        log = [e.type for e in await events.for_lead(conn, lead.id)]
    wanted = [
        EventType.DEAL_STARTED,
        EventType.DEAL_DOCUMENT_RECEIVED,
        EventType.DEAL_DOCUMENT_ACCEPTED,
        EventType.PAYMENT_SCHEDULED,
        EventType.PAYMENT_REMINDED,
        EventType.PAYMENT_CLAIMED,
        EventType.PAYMENT_CONFIRMED,
    ]
    assert all(kind in log for kind in wanted)
    assert log.count(EventType.DEAL_STAGE_CHANGED) == 7
    assert log.count(EventType.DEAL_DOCUMENT_ACCEPTED) == 3
    # Nothing was reminded while the contract was not registered.
    assert (
        log.index(EventType.PAYMENT_REMINDED)
        > [i for i, kind in enumerate(log) if kind is EventType.DEAL_STAGE_CHANGED][3]
    )

"""Staff review a client's document in the lead's topic: accepted ones are ticked on the card
and the client is told; rejected ones come back to the client with what to fix."""

from __future__ import annotations

import asyncio

from bot.domain.documents import DocumentStatus, RejectReason
from bot.domain.events import EventType
from bot.keyboards.callbacks import DocReview, DocReviewCb
from tests.conftest import OUTSIDER_ID, STAFF_CHAT, Harness
from tests.desk.conftest import OLGA, PAVEL, lead_manager, press_data
from tests.documents.conftest import Deal, open_deal


async def test_an_accepted_document_is_ticked_and_the_client_told(deal: Deal) -> None:
    await deal.prospect.send_file("scan.pdf")
    assert deal.client_texts()[-1] == "Got it: Booking form. We will check it and let you know."
    assert deal.review_copies() == []  # the copy waits for the job, nothing is lost meanwhile
    await deal.run_jobs()
    [copy] = deal.review_copies()
    assert copy.caption == "📄 Лид #1: Заявка на бронь (этап Бронь)"
    assert copy.content["document"]["file_name"] == "scan.pdf"
    assert [b["text"] for b in copy.inline_buttons()] == ["✅ Принять", "❌ Отклонить ▸"]
    assert "⏳ Заявка на бронь" in deal.card()

    olga = lead_manager(deal.harness, OLGA, "Olga")
    answer = await olga.click("✅ Принять", copy)
    assert answer is not None and answer.text == "Принят, клиенту сообщим."
    [copy] = deal.review_copies()
    assert copy.caption == "📄 Лид #1: Заявка на бронь (этап Бронь)\n✅ Принял(а) Olga"
    assert copy.inline_buttons() == []
    assert "✅ Заявка на бронь" in deal.card()
    await deal.run_jobs()
    assert deal.client_texts()[-1] == "✅ Booking form: accepted. Thank you!"
    [event] = await deal.events_of(EventType.DEAL_DOCUMENT_ACCEPTED)
    [document] = await deal.documents()
    assert event.actor == f"staff:{OLGA}"
    assert event.data == {
        "document_id": document.id,
        "stage": "reservation",
        "document": "booking_form",
    }


async def test_a_rejected_document_goes_back_with_what_to_fix(deal: Deal) -> None:
    await deal.prospect.send_photo()
    await deal.run_jobs()
    [copy] = deal.review_copies()
    olga = lead_manager(deal.harness, OLGA, "Olga")
    await olga.click("❌ Отклонить ▸", copy)
    labels = [b["text"] for b in deal.review_copies()[0].inline_buttons()]
    assert labels == [
        "не читается",
        "не тот документ",
        "просрочен",
        "неполный",
        "другое",
        "« Назад",
    ]
    await olga.click("не читается", copy)
    ask = deal.harness.telegram.bot_messages(STAFF_CHAT, deal.thread)[-1]
    assert "что клиенту исправить в «Заявка на бронь» (не читается)" in ask.visible_text
    # Nothing is decided until the reviewer says what to fix: Accept is still there.
    assert next(b["text"] for b in deal.review_copies()[0].inline_buttons()) == "✅ Принять"

    await olga.send("The second page is cut off, please scan it whole", thread_id=deal.thread)
    await deal.run_jobs()
    await deal.deliver()  # the relay: what Olga typed is not a message to the client
    told = deal.chat()[-1]
    assert told.visible_text == (
        "❌ Booking form: we cannot accept it (it is hard to read). Please send it again.\n"
        "What to fix: The second page is cut off, please scan it whole"
    )
    assert [b["text"] for b in told.inline_buttons()] == ["📎 Send: Booking form"]
    assert deal.copies_in_chat() == []
    assert "❌ Заявка на бронь: отклонён (не читается)" in deal.card()
    [event] = await deal.events_of(EventType.DEAL_DOCUMENT_REJECTED)
    assert event.data["reason"] == "unreadable"
    assert event.data["reason_text"] == "The second page is cut off, please scan it whole"

    # The client sends it again: a new document to review, the card waits for it.
    await deal.prospect.click("📎 Send: Booking form")
    assert deal.client_texts()[-1] == "Send the Booking form as a photo or a file (up to 20 MB)."
    await deal.prospect.send_file("scan-2.pdf")
    await deal.run_jobs()
    assert len(deal.review_copies()) == 2
    assert "⏳ Заявка на бронь" in deal.card()
    statuses = [d.status for d in await deal.documents()]
    assert statuses == [DocumentStatus.REJECTED, DocumentStatus.RECEIVED]


async def test_reject_without_a_comment(deal: Deal) -> None:
    await deal.prospect.send_photo()
    await deal.run_jobs()
    [copy] = deal.review_copies()
    olga = lead_manager(deal.harness, OLGA, "Olga")
    await olga.click("❌ Отклонить ▸", copy)
    await olga.click("просрочен", copy)
    await olga.click("Отклонить без комментария")
    await deal.run_jobs()
    assert deal.client_texts()[-1] == (
        "❌ Booking form: we cannot accept it (it has expired). Please send it again."
    )
    [document] = await deal.documents()
    assert document.reject_reason is RejectReason.EXPIRED
    # The typed-answer wait is over: a later message in the topic goes to the client again.
    await olga.send("Any questions?", thread_id=deal.thread)
    await deal.deliver()
    assert [m.visible_text for m in deal.copies_in_chat()] == ["Any questions?"]


async def test_a_stranger_pressing_accept_changes_nothing(deal: Deal) -> None:
    await deal.prospect.send_photo()
    await deal.run_jobs()
    [copy] = deal.review_copies()
    stranger = lead_manager(deal.harness, OUTSIDER_ID, "Mallory")
    deal.harness.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"
    for label in ("✅ Принять", "❌ Отклонить ▸"):
        answer = await stranger.click(label, copy)
        assert answer is not None
        assert answer.text == "Эти кнопки только для сотрудников отдела продаж."
    [document] = await deal.documents()
    assert document.status is DocumentStatus.RECEIVED
    assert await deal.events_of(EventType.DEAL_DOCUMENT_ACCEPTED) == []
    assert next(b["text"] for b in deal.review_copies()[0].inline_buttons()) == "✅ Принять"


async def test_two_accept_presses_at_once_review_once(deal: Deal) -> None:
    await deal.prospect.send_photo()
    await deal.run_jobs()
    [copy] = deal.review_copies()
    olga = lead_manager(deal.harness, OLGA, "Olga")
    pavel = lead_manager(deal.harness, PAVEL, "Pavel")
    answers = await asyncio.gather(olga.click("✅ Принять", copy), pavel.click("✅ Принять", copy))
    texts = sorted(a.text or "" for a in answers if a is not None)
    assert texts == ["Принят, клиенту сообщим.", "Уже проверен: принят."]
    assert len(await deal.events_of(EventType.DEAL_DOCUMENT_ACCEPTED)) == 1
    await deal.run_jobs()
    accepted = [t for t in deal.client_texts() if "accepted" in t]
    assert accepted == ["✅ Booking form: accepted. Thank you!"]
    # The same button pressed again later (an old client still shows it): told, no change.
    [document] = await deal.documents()
    data = DocReviewCb(action=DocReview.ACCEPT, document_id=document.id)
    answer = await press_data(deal.harness, PAVEL, copy, data)
    assert answer is not None and answer.text == "Уже проверен: принят."
    assert len(await deal.events_of(EventType.DEAL_DOCUMENT_ACCEPTED)) == 1


async def test_a_review_late_in_the_evening_reaches_the_client_in_the_morning(
    deal: Deal,
) -> None:
    await deal.prospect.send_photo()
    await deal.run_jobs()
    deal.harness.clock.advance(hours=10)  # 22:00 in Moscow: the client's night (QUIET_HOURS)
    olga = lead_manager(deal.harness, OLGA, "Olga")
    await olga.click("✅ Принять", deal.review_copies()[0])
    assert "✅ Заявка на бронь" in deal.card()  # staff's side at once
    assert await deal.run_jobs() == 0
    assert not any("accepted" in t for t in deal.client_texts())
    deal.harness.clock.advance(hours=10, minutes=59)  # 08:59
    assert await deal.run_jobs() == 0
    deal.harness.clock.advance(minutes=1)  # 09:00
    assert await deal.run_jobs() == 1
    assert deal.client_texts()[-1] == "✅ Booking form: accepted. Thank you!"


async def test_the_deals_support_specialist_may_review_without_group_membership(
    harness: Harness,
) -> None:
    deal = await open_deal(harness, "reservation", deal_support=(OUTSIDER_ID,))
    await deal.prospect.send_photo()
    await deal.run_jobs()
    specialist = lead_manager(harness, OUTSIDER_ID, "Vera")
    harness.telegram.chat(STAFF_CHAT).members[OUTSIDER_ID] = "left"  # not a member
    answer = await specialist.click("✅ Принять", deal.review_copies()[0])
    assert answer is not None and answer.text == "Принят, клиенту сообщим."
    [event] = await deal.events_of(EventType.DEAL_DOCUMENT_ACCEPTED)
    assert event.actor == f"staff:{OUTSIDER_ID}"

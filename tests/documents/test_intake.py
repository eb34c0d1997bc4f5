"""The client sends the stage's documents in the chat: which one a file is, what is too big
or not a document, and files the deal does not want, which go to people as before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.events import EventType
from tests.conftest import Harness
from tests.documents.conftest import STAGES, Deal


async def test_several_missing_the_bot_asks_which_and_then_knows(
    deal_at: Callable[..., Any],
) -> None:
    deal: Deal = await deal_at("mortgage")
    await deal.prospect.send_photo()
    ask = deal.chat()[-1]
    assert ask.visible_text == "Which document is this?"
    labels = [b["text"] for b in ask.inline_buttons()]
    assert labels == ["Income statement", "Bank approval", "Something else (for my manager)"]
    assert await deal.documents() == []

    await deal.prospect.click("Bank approval")
    assert deal.chat()[-2].inline_buttons() == []  # the question's buttons go once answered
    taken = deal.chat()[-1]
    assert (
        taken.visible_text
        == "Got it: Bank approval. We will check it and let you know. Still needed:"
    )
    assert [b["text"] for b in taken.inline_buttons()] == ["📎 Send: Income statement"]

    # One missing now: the next file is that one without asking.
    await deal.prospect.send_file("income.pdf")
    assert deal.client_texts()[-1] == "Got it: Income statement. We will check it and let you know."
    assert [(d.document, d.title) for d in await deal.documents()] == [
        ("approval", "Одобрение банка"),
        ("income", "Справка о доходах"),
    ]
    received = await deal.events_of(EventType.DEAL_DOCUMENT_RECEIVED)
    assert [e.data["document"] for e in received] == ["approval", "income"]
    await deal.run_jobs()
    captions = [m.caption for m in deal.review_copies()]
    assert captions == [
        "📄 Лид #1: Одобрение банка (этап Ипотека)",
        "📄 Лид #1: Справка о доходах (этап Ипотека)",
    ]


async def test_something_else_goes_to_people(deal_at: Callable[..., Any]) -> None:
    deal: Deal = await deal_at("mortgage")
    photo = await deal.prospect.send_photo()
    await deal.prospect.click("Something else (for my manager)")
    await deal.deliver()
    [copy] = deal.relayed()
    assert copy.content["photo"] == photo.content["photo"]
    assert deal.review_copies() == [] and await deal.documents() == []


async def test_too_big_a_file_is_refused_with_the_limit(deal: Deal) -> None:
    await deal.prospect.send_file("scan.pdf", size=25 * 1024 * 1024)
    assert deal.client_texts()[-1] == (
        "This file is larger than 20 MB, which I cannot take. "
        "Please send a smaller file or photos of the pages."
    )
    assert await deal.documents() == []
    await deal.run_jobs()
    await deal.deliver()
    assert deal.review_copies() == [] and deal.relayed() == []


async def test_after_send_pressed_other_kinds_are_told_what_is_accepted(
    deal_at: Callable[..., Any],
) -> None:
    deal: Deal = await deal_at("mortgage")
    await deal.prospect.send_photo()
    await deal.prospect.click("Bank approval")
    await deal.prospect.click("📎 Send: Income statement")
    told = (
        "I can take documents as a photo or a file (PDF, JPG, PNG) of up to 20 MB."
        " Please send it that way."
    )
    for send in (
        deal.prospect.send_voice,
        deal.prospect.send_video_note,
        deal.prospect.send_sticker,
    ):
        await send()
        assert deal.client_texts()[-1] == told
    await deal.deliver()
    assert deal.relayed() == []  # none of them went to people as a chat message
    await deal.prospect.send_photo()  # the file asked for
    assert deal.client_texts()[-1] == "Got it: Income statement. We will check it and let you know."


async def test_files_the_deal_does_not_want_go_to_people(deal_at: Callable[..., Any]) -> None:
    deal: Deal = await deal_at("keys")  # a stage without documents
    assert STAGES["keys"] == []
    await deal.prospect.send_photo("the view from the balcony")
    await deal.prospect.send_voice()  # a voice message without "📎 Send" is a chat, too
    await deal.deliver()
    assert [m.caption for m in deal.relayed()] == ["the view from the balcony", None]
    assert await deal.documents() == []


async def test_every_document_received_then_files_go_to_people(deal: Deal) -> None:
    await deal.prospect.send_photo()
    await deal.prospect.send_photo("and a photo of the street")
    await deal.run_jobs()
    await deal.deliver()
    assert len(deal.review_copies()) == 1
    assert [m.caption for m in deal.relayed()] == ["and a photo of the street"]


async def test_without_a_deal_files_go_to_people(harness: Harness) -> None:
    from tests.relay.conftest import open_desk

    desk = await open_desk(harness)  # the app's own port: no deal yet
    await desk.prospect.send_file("plan.pdf")
    await desk.deliver()
    assert len(desk.copies_in_topic()) == 1


async def test_an_old_send_button_for_a_document_no_longer_wanted(
    deal_at: Callable[..., Any],
) -> None:
    deal: Deal = await deal_at("mortgage")
    await deal.prospect.send_photo()
    await deal.prospect.click("Bank approval")
    async with deal.harness.app.db.read() as conn:
        still = await deal.harness.app.documents.still_to_send(conn, deal.lead.id)
    assert [r.document for r in still] == ["income", "approval"]  # approval is not accepted yet
    await deal.at_stage("keys")  # the deal moved on meanwhile
    await deal.prospect.click("📎 Send: Income statement")
    assert deal.client_texts()[-1] == "This document is not needed at the moment."
    await deal.prospect.send_photo("a photo for the manager")
    await deal.deliver()
    assert [m.caption for m in deal.relayed()] == ["a photo for the manager"]


async def test_an_album_is_one_document_page_by_page(deal: Deal) -> None:
    await deal.prospect.send_album(2)
    assert deal.client_texts()[-1] == "Got it: Booking form. We will check it and let you know."
    assert sum("Got it" in text for text in deal.client_texts()) == 1  # one answer per album
    assert [d.document for d in await deal.documents()] == ["booking_form", "booking_form"]
    await deal.run_jobs()
    assert len(deal.review_copies()) == 2  # each page is reviewed where staff can see it
    await deal.deliver()
    assert deal.relayed() == []


async def test_an_album_with_several_missing_is_asked_about_once(
    deal_at: Callable[..., Any],
) -> None:
    deal: Deal = await deal_at("mortgage")
    await deal.prospect.send_album(3)
    assert [t for t in deal.client_texts() if t == "Which document is this?"] == [
        "Which document is this?"
    ]
    await deal.prospect.click("Bank approval")
    assert [d.document for d in await deal.documents()] == ["approval"] * 3
    assert len(await deal.events_of(EventType.DEAL_DOCUMENT_RECEIVED)) == 3


async def test_an_album_of_passport_pages_waits_for_one_consent(
    deal_at: Callable[..., Any],
) -> None:
    deal: Deal = await deal_at("signing")
    await deal.prospect.send_album(2)
    asked = [t for t in deal.client_texts() if t.startswith("This document contains")]
    assert len(asked) == 1 and await deal.documents() == []
    await deal.prospect.click("✅ I agree")
    assert [d.document for d in await deal.documents()] == ["passport", "passport"]

"""Passport-type documents only after the documents consent: its own message and buttons,
recorded in the ledger with the exact text; declined, the deal goes on without them;
withdrawn, the files and their stored copies go."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.consent import Consent, Purpose, text_hash
from bot.domain.events import EventType
from bot.services.documents import remove_lead_files
from bot.storage import consents
from tests.conftest import STAFF_CHAT, Harness
from tests.desk.conftest import OLGA, lead_manager
from tests.documents.conftest import Deal, open_deal


async def _ledger(deal: Deal) -> list[Consent]:
    async with deal.harness.app.db.read() as conn:
        every = await consents.for_person(conn, deal.prospect.user_id)
    return [c for c in every if c.purpose is Purpose.DOCUMENTS]


async def test_a_passport_waits_for_the_consent_then_is_taken(harness: Harness) -> None:
    deal = await open_deal(harness, "signing")
    await deal.prospect.send_photo()
    asked = deal.chat()[-1]
    consent_text = harness.app.documents.consent_text("en")
    assert "Acme Homes" in consent_text and "passport" in consent_text
    assert asked.visible_text.startswith("This document contains personal data.")
    assert asked.source_text is not None and consent_text in asked.source_text
    assert [b["text"] for b in asked.inline_buttons()] == ["✅ I agree", "Decline"]
    assert await deal.documents() == [] and await _ledger(deal) == []
    await deal.run_jobs()
    assert deal.review_copies() == []  # nothing of the passport reaches staff before consent

    await deal.prospect.click("✅ I agree")
    assert asked.inline_buttons() == []
    assert deal.client_texts()[-1] == "Got it: Passport. We will check it and let you know."
    [given] = await _ledger(deal)
    assert given.live and given.version == harness.app.settings.consent_version
    assert given.text_sha256 == text_hash(consent_text) and given.language == "en"
    assert given.message_id == asked.message_id and given.lead_id == deal.lead.id
    [document] = await deal.documents()
    assert document.personal and document.document == "passport"
    await deal.run_jobs()
    assert [m.caption for m in deal.review_copies()] == ["📄 Лид #1: Паспорт (этап Подписание)"]

    # With the consent in place the next passport file is taken at once.
    olga = lead_manager(harness, OLGA, "Olga")
    await olga.click("❌ Отклонить ▸", deal.review_copies()[0])
    await olga.click("неполный", deal.review_copies()[0])
    await olga.click("Отклонить без комментария")
    await deal.prospect.send_photo()
    assert deal.client_texts()[-1] == "Got it: Passport. We will check it and let you know."
    assert len(await deal.documents()) == 2


async def test_declined_consent_keeps_the_deal_going_without_the_passport(
    harness: Harness,
) -> None:
    deal = await open_deal(harness, "signing")
    await deal.prospect.send_photo()
    await deal.prospect.click("Decline")
    assert deal.client_texts()[-1].startswith("Understood. We will go on without these documents")
    assert await deal.documents() == [] and await _ledger(deal) == []
    await deal.run_jobs()
    notice = harness.telegram.bot_messages(STAFF_CHAT, deal.thread)[-1]
    assert "клиент отказался от согласия на документы" in notice.visible_text
    assert deal.review_copies() == []
    # The question's buttons are gone: the answer cannot be given twice by mistake.
    assert deal.chat()[-2].inline_buttons() == []


async def test_withdrawal_removes_the_files_and_tells_staff(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    store_dir = tmp_path / "documents"
    harness: Harness = await make_harness(documents_dir=store_dir)
    deal = await open_deal(harness, "signing")
    await deal.prospect.send_file("паспорт Иванова.pdf")
    await deal.prospect.click("✅ I agree")
    await deal.run_jobs()
    [document] = await deal.documents()
    assert document.stored_path is not None
    stored = Path(document.stored_path)
    assert stored.parent == store_dir / str(deal.lead.id)
    assert stored.name == f"{document.id}.pdf"  # our ids only, nothing the client named
    assert stored.read_bytes() == harness.telegram.file_bytes(document.file_unique_id)
    [copy] = deal.review_copies()

    async with harness.app.db.transaction() as tx:
        await consents.withdraw(
            tx,
            user_id=deal.prospect.user_id,
            lead_id=deal.lead.id,
            purpose=Purpose.DOCUMENTS,
            by="prospect",
            at=harness.clock.now(),
        )
    assert await harness.app.documents.consent_withdrawn(deal.lead.id) == 1
    assert not stored.exists()
    [document] = await deal.documents()
    assert document.removed and document.file_id == "" and document.stored_path is None
    await deal.run_jobs()
    assert copy.deleted  # the copy in the topic held the passport too
    notice = harness.telegram.bot_messages(STAFF_CHAT, deal.thread)[-1]
    assert "отозвал согласие на документы; удалено личных документов: 1" in notice.visible_text
    assert "🗑 Паспорт: удалён" in deal.card()
    assert len(await deal.events_of(EventType.CONSENT_WITHDRAWN)) == 1
    # Sent again now, the passport waits for a new consent.
    await deal.prospect.send_photo()
    assert deal.chat()[-1].visible_text.startswith("This document contains personal data.")


async def test_erasure_removes_every_stored_copy_of_the_lead(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    store_dir = tmp_path / "documents"
    harness: Harness = await make_harness(documents_dir=store_dir)
    deal = await open_deal(harness, "reservation")
    await deal.prospect.send_photo()
    await deal.run_jobs()
    [document] = await deal.documents()
    assert document.stored_path is not None and document.stored_path.endswith(".jpg")
    assert Path(document.stored_path).exists()
    remove_lead_files(store_dir, deal.lead.id)
    assert not (store_dir / str(deal.lead.id)).exists()
    remove_lead_files(None, deal.lead.id)  # without DOCUMENTS_DIR there is nothing to remove

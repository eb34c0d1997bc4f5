"""The consent documents at the start: each its own message, recorded with the hash of the
exact text shown, the version, the time, the Telegram id and the message id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.consent import Purpose, text_hash
from bot.domain.events import EventType
from bot.views.consent import Operator, consent_document
from tests.conftest import SALES_DESK_SECRET, Harness
from tests.privacy.conftest import count, lead_events, ledger
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import write_sites


def operator(harness: Harness) -> Operator:
    settings = harness.app.settings
    return Operator(
        company=settings.company_name,
        details=settings.operator_details,
        policy_url=settings.privacy_policy_url,
        version=settings.consent_version,
    )


async def test_the_processing_consent_is_a_document_of_its_own_recorded_with_hash_and_version(
    office: Harness,
) -> None:
    user = office.prospect(language_code="en")
    await user.send("/start")
    greeting, document = user.bot_messages()[-2:]
    assert "Acme Homes" in greeting.visible_text and not greeting.inline_buttons()
    text = document.visible_text
    assert text.startswith("Consent to the processing of personal data (version 1)")
    # The operator with their details, the data, the purpose, how to withdraw.
    for part in ("Acme Homes, INN 7700000001", "phone number", "Purpose:", "/privacy", "/forget"):
        assert part in text
    assert await ledger(office) == []  # nothing is stored before the press

    office.clock.advance(minutes=1)
    await user.click("✅ I agree", document)
    assert "What are you looking for a flat for?" in (user.last_text() or "")
    # The accepted document stays in the chat as it was read; only its buttons went.
    [shown] = [m for m in user.bot_messages() if m.message_id == document.message_id]
    assert shown.visible_text == text and shown.inline_buttons() == []

    [consent] = await ledger(office)
    lead = await office.lead()
    assert lead is not None
    t = office.app.translations.get("en")
    expected = consent_document(t, Purpose.PROCESSING, operator(office))
    assert consent.purpose is Purpose.PROCESSING
    assert consent.text_sha256 == text_hash(expected)
    assert (consent.version, consent.language) == ("1", "en")
    assert consent.telegram_user_id == 1001 and consent.lead_id == lead.id
    assert consent.message_id == document.message_id
    assert consent.given_at == office.clock.now() and consent.live
    # One `lead.consent_given` (the lead's creation's), not two.
    given = [e for e in await lead_events(office) if e.type is EventType.CONSENT_GIVEN]
    assert [e.data for e in given] == [{"version": "1"}]


async def test_declining_processing_stores_nothing(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await user.send("/start")
    await user.click("No, thanks")
    assert "We have stored nothing" in (user.last_text() or "")
    assert await office.lead() is None
    assert await ledger(office) == []
    assert await count(office, "SELECT COUNT(*) FROM events") == 0


async def test_without_a_sales_desk_no_crm_consent_is_asked(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await user.send("/start")
    await user.click("✅ I agree")
    assert not any("transfer of personal data to the CRM" in text for text in user.messages())
    assert [c.purpose for c in await ledger(office)] == [Purpose.PROCESSING]


async def test_with_a_sales_desk_the_crm_transfer_is_a_second_document(crm: Harness) -> None:
    user = crm.prospect(language_code="en")
    await user.send("/start")
    processing = user.bot_messages()[-1]
    await user.click("✅ I agree")
    transfer = user.bot_messages()[-1]
    assert transfer.visible_text.startswith("Consent to the transfer of personal data to the CRM")
    assert transfer.message_id != processing.message_id
    [before] = [m for m in user.bot_messages() if m.message_id == processing.message_id]
    assert before.inline_buttons() == []  # accepted: its buttons went
    # Not stored until the second one is accepted too.
    assert await crm.lead() is None and await ledger(crm) == []

    await user.click("✅ I agree", transfer)
    assert "What are you looking for a flat for?" in (user.last_text() or "")
    lead = await crm.lead()
    assert lead is not None
    by_purpose = {c.purpose: c for c in await ledger(crm)}
    assert set(by_purpose) == {Purpose.PROCESSING, Purpose.CRM_TRANSFER}
    assert by_purpose[Purpose.PROCESSING].message_id == processing.message_id
    assert by_purpose[Purpose.CRM_TRANSFER].message_id == transfer.message_id
    t = crm.app.translations.get("en")
    expected = consent_document(t, Purpose.CRM_TRANSFER, operator(crm))
    assert by_purpose[Purpose.CRM_TRANSFER].text_sha256 == text_hash(expected)
    assert all(c.lead_id == lead.id for c in by_purpose.values())
    given = [e.data for e in await lead_events(crm) if e.type is EventType.CONSENT_GIVEN]
    assert given == [{"version": "1"}, {"purpose": "crm_transfer", "version": "1"}]


async def test_declining_the_crm_transfer_ends_politely_and_stores_nothing(crm: Harness) -> None:
    user = crm.prospect(language_code="en")
    await user.send("/start")
    await user.click("✅ I agree")
    await user.click("No, thanks")
    assert "We have stored nothing" in (user.last_text() or "")
    assert await crm.lead() is None
    assert await ledger(crm) == []
    assert await count(crm, "SELECT COUNT(*) FROM events") == 0
    # A stale press on the first document later starts over, it does not slip past.
    await user.send("/start")
    await user.click("✅ I agree")
    assert await crm.lead() is None


async def test_a_restart_between_the_two_documents_loses_nothing(
    crm: Harness, make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> None:
    user = crm.prospect(language_code="en")
    await user.send("/start")
    processing = user.bot_messages()[-1]
    await user.click("✅ I agree")
    transfer = user.bot_messages()[-1]
    await crm.app.close()

    restarted: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        sales_desk_url=receiver.url,
        sales_desk_secret=SALES_DESK_SECRET,
    )
    again = restarted.prospect(language_code="en")
    await again.click("✅ I agree", transfer)
    assert "What are you looking for a flat for?" in (again.last_text() or "")
    by_purpose = {c.purpose: c.message_id for c in await ledger(restarted)}
    assert by_purpose == {
        Purpose.PROCESSING: processing.message_id,
        Purpose.CRM_TRANSFER: transfer.message_id,
    }

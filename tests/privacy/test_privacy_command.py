"""/privacy: the person's consents with a Withdraw button each, and what each withdrawal stops."""

from __future__ import annotations

import json

from bot.domain.consent import Purpose
from bot.domain.events import EventType
from bot.keyboards.callbacks import PrivacyCb
from bot.storage import consents
from tests.conftest import Harness
from tests.desk.conftest import press_data as press
from tests.fakegram import TelegramUser
from tests.handlers.flows import answer_rest, serious_buyer
from tests.privacy.conftest import count, lead_events, ledger
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver

WITHDRAW_MARKETING = "Withdraw: Offers and follow-ups"
WITHDRAW_PROCESSING = "Withdraw: Processing of personal data"


async def give(harness: Harness, purpose: Purpose, lead_id: int = 1) -> None:
    """A consent nurture or document intake asks for, as they record it."""
    async with harness.app.db.transaction() as tx:
        await consents.give(
            tx,
            user_id=1001,
            lead_id=lead_id,
            purpose=purpose,
            version="1",
            text=f"the {purpose.value} document",
            language="en",
            message_id=None,
            at=harness.clock.now(),
        )


async def press_old(harness: Harness, user: TelegramUser, data: PrivacyCb) -> str | None:
    """A press of a button no longer shown (a second tap, an old screen)."""
    answer = await press(harness, 1001, user.bot_messages()[-1], data)
    return None if answer is None else answer.text


async def test_privacy_lists_every_consent_and_withdraws_marketing(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    await give(office, Purpose.MARKETING)
    await user.send("/privacy")
    text = user.last_text() or ""
    assert "Processing of personal data, version 1" in text
    assert "Offers and follow-ups, version 1" in text
    assert text.count("in force") == 2
    assert user.buttons() == [WITHDRAW_PROCESSING, WITHDRAW_MARKETING]

    office.clock.advance(hours=1)
    answer = await user.click(WITHDRAW_MARKETING)
    assert (
        answer is not None
        and answer.text == "Done: your consent “Offers and follow-ups” is withdrawn."
    )
    text = user.last_text() or ""
    assert (
        "Offers and follow-ups, version 1, given 22.11.2026 12:00: withdrawn 22.11.2026 13:00"
        in text
    )
    assert user.buttons() == [WITHDRAW_PROCESSING]
    async with office.app.db.read() as conn:
        assert await consents.live(conn, 1001, Purpose.MARKETING) is None
        assert await consents.live(conn, 1001, Purpose.PROCESSING) is not None
    [withdrawn] = [e for e in await lead_events(office) if e.type is EventType.CONSENT_WITHDRAWN]
    assert withdrawn.data == {"purpose": "marketing", "version": "1"}
    assert withdrawn.actor == "prospect"

    # The same button again (a double tap): nothing more happens, and it says so.
    assert (
        await press_old(office, user, PrivacyCb(p="marketing")) == "That consent is not in force."
    )
    assert (
        await count(office, "SELECT COUNT(*) FROM events WHERE type = 'lead.consent_withdrawn'")
        == 1
    )
    assert await press_old(office, user, PrivacyCb(p="junk")) == "Nothing changed."


async def test_withdrawing_documents_calls_the_documents_hook(office: Harness) -> None:
    called: list[int] = []

    async def stop_intake(lead_id: int) -> None:
        called.append(lead_id)

    office.app.privacy.documents_withdrawn = stop_intake
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    await give(office, Purpose.DOCUMENTS)
    await user.send("/privacy")
    await user.click("Withdraw: Documents (passport, SNILS)")
    assert called == [1]
    await press_old(office, user, PrivacyCb(p="documents"))
    assert called == [1]  # a second press finds nothing in force


async def test_withdrawing_processing_asks_first_and_then_erases(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    await user.send("/privacy")
    await user.click(WITHDRAW_PROCESSING)
    assert "erases everything we hold about you" in (user.last_text() or "")
    await user.click("Keep it")
    assert user.last_text() == "Nothing changed."
    assert await office.lead() is not None

    await user.send("/privacy")
    await user.click(WITHDRAW_PROCESSING)
    await user.click("🗑 Yes, erase my data")
    assert "erased your data" in (user.last_text() or "")
    assert await office.lead() is None
    assert await ledger(office) == []
    await user.send("/privacy")
    assert "We hold no consents from you" in (user.last_text() or "")


async def test_a_withdrawn_crm_transfer_stops_pushes_but_the_erasure_still_goes(
    crm: Harness, receiver: GenericReceiver
) -> None:
    user = crm.prospect(language_code="en")
    await serious_buyer(user)
    await deliver_all(crm)
    before = [r.type for r in receiver.deliveries]
    assert before == ["lead.qualified", "lead.manager_assigned"]

    await user.send("/privacy")
    await user.click("Withdraw: Transfer to the CRM")
    await user.send("/restart")  # qualified again: the CRM would have heard of it
    await answer_rest(user)
    await crm.app.pipe.drain()
    await deliver_all(crm)
    assert [r.type for r in receiver.deliveries] == before
    assert await count(crm, "SELECT COUNT(*) FROM events WHERE type = 'lead.qualified'") == 2

    await user.send("/forget")
    await crm.app.pipe.drain()
    await deliver_all(crm)
    assert [r.type for r in receiver.deliveries] == [*before, "lead.erased"]
    erased = json.loads(receiver.deliveries[-1].body)
    assert erased["data"]["lead_id"] == 1


async def test_privacy_without_anything_stored(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await user.send("/privacy")
    assert "We hold no consents from you" in (user.last_text() or "")
    assert user.buttons() == []

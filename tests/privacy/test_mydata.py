"""/mydata: at once, a JSON file with everything stored about the person, and nobody else's."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.consent import Purpose
from bot.domain.events import EventType
from tests.conftest import Harness
from tests.desk.conftest import OLGA, card_message, lead_manager
from tests.fakegram import TelegramUser
from tests.handlers.flows import serious_buyer
from tests.privacy.conftest import lead_events
from tests.privacy.test_privacy_command import give
from tests.viewings.test_booking import pick


async def deal_rows(harness: Harness, lead_id: int = 1) -> None:
    """A deal with a payment and a document, as deal support stores them."""
    now = "2026-11-22T09:00:00.000000Z"
    async with harness.app.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO deals (lead_id, timeline_id, timeline_version, stage, stage_since,"
            " facts, started_at, started_by, updated_at)"
            " VALUES (?, 'new_building', 1, 'contract', ?, '{\"mortgage\": true}', ?, ?, ?)",
            (lead_id, now, now, f"staff:{OLGA}", now),
        )
        await tx.execute(
            "INSERT INTO payments (lead_id, due_on, amount_minor, label, created_at, updated_at)"
            " VALUES (?, '2027-01-15', 120000000, 'First instalment', ?, ?)",
            (lead_id, now, now),
        )
        await tx.execute(
            "INSERT INTO deal_documents (lead_id, stage, document, status, file_id,"
            " file_unique_id, file_name, mime_type, file_size, client_message_id, received_at,"
            " reviewed_by, reject_reason)"
            " VALUES (?, 'contract', 'passport', 'rejected', 'SECRET-FILE-ID', 'uniq', 'p.pdf',"
            " 'application/pdf', 2048, 77, ?, ?, 'unreadable')",
            (lead_id, now, OLGA),
        )


def exported(user: TelegramUser) -> dict[str, Any]:
    [message] = [m for m in user.bot_messages() if m.upload is not None][-1:]
    assert message.upload is not None
    assert message.upload.filename == "my-data.json"
    data: dict[str, Any] = json.loads(message.upload.data.decode("utf-8"))
    return data


async def test_mydata_holds_everything_stored_about_the_person(office: Harness) -> None:
    user = office.prospect(language_code="en", phone_number="+79161234567")
    await serious_buyer(user)
    await pick(user, "Mon 23", "10:00")
    olga = lead_manager(office, OLGA, "Olga")
    await olga.click("✋ Взять", card_message(office))
    await user.send("/human")
    await user.send("Is the third floor still free?")
    await office.app.relay.delivery.deliver_due()
    await give(office, Purpose.MARKETING)
    await deal_rows(office)
    # Another person's lead: none of it may show up.
    other = office.prospect(1002, language_code="en", phone_number="+79160000002")
    await serious_buyer(other)

    await user.send("/mydata")
    assert "Everything we store about you" in (user.last_text() or "")
    data = exported(user)
    raw = json.dumps(data, ensure_ascii=False)

    lead = data["lead"]
    assert (lead["id"], lead["name"], lead["phone"]) == (1, "Anna", "+79161234567")
    assert lead["telegram_user_id"] == 1001 and lead["source"] == "vk_spring"
    questions = {a["question"]: a["answer"] for a in data["answers"]}
    assert questions["What are you looking for a flat for?"] == "To live in"
    assert "Anna" in questions.values()
    assert [(c["purpose"], c["version"]) for c in data["consents"]] == [
        ("processing", "1"),
        ("marketing", "1"),
    ]
    assert len(data["consents"][0]["text_sha256"]) == 64
    types = [e["type"] for e in data["events"]]
    assert types[:2] == ["lead.created", "lead.consent_given"]
    assert "viewing.booked" in types and "desk.owner_set" in types
    [viewing] = data["viewings"]
    assert viewing["status"] == "booked"
    [deal] = data["deal"]
    assert deal["stage"] == "contract"
    [payment] = data["payments"]
    assert (payment["due_on"], payment["amount_minor"]) == ("2027-01-15", 120000000)
    [document] = data["documents"]
    assert document["reject_reason"] == "unreadable"
    assert data["relayed_messages"] and data["relayed_messages"][0]["direction"]
    [desk] = data["desk"]
    assert desk["owner_name"] == "Olga"  # the one staff name: who handles the request

    # Nothing of the file itself, and no other person's data: no staff ids, not the other lead.
    assert "SECRET-FILE-ID" not in raw
    assert f"staff:{OLGA}" not in raw and str(OLGA) not in raw
    assert "+79160000002" not in raw and "1002" not in raw
    [exported_event] = [e for e in await lead_events(office) if e.type is EventType.DATA_EXPORTED]
    assert exported_event.data == {"format": "json"} and exported_event.actor == "prospect"


async def test_mydata_without_a_lead(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await user.send("/mydata")
    assert user.last_text() == "We store nothing about you."
    assert [m for m in user.bot_messages() if m.upload is not None] == []

    # Consents given without a lead (e.g. before it was erased elsewhere): only they.
    async with office.app.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO consents (telegram_user_id, purpose, version, text_sha256, language,"
            " given_at) VALUES (1001, 'marketing', '1', 'ab', 'en', '2026-11-22T09:00:00Z')"
        )
    await user.send("/mydata")
    data = exported(user)
    assert [c["purpose"] for c in data["consents"]] == ["marketing"]
    assert "lead" not in data

"""/forget, an administrator's Erase ▸ and retention: one path. The topic goes, the CRM is
told, an anonymous funnel row and a destruction record stay, and nothing personal lingers in
the SQLite files."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.funnel import Funnel, funnel
from bot.domain.leads import LeadStatus
from bot.keyboards.callbacks import EraseCb
from bot.storage import stats as stats_storage
from tests.conftest import STAFF_CHAT, Harness
from tests.desk.conftest import OLGA, PAVEL, card_message, lead_manager
from tests.desk.conftest import press_data as press
from tests.handlers.flows import answer_rest, consent, serious_buyer
from tests.privacy.conftest import (
    NAME,
    PHONE,
    PHONE_DIGITS,
    anonymous,
    count,
    ledger,
    records,
)
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.test_booking import pick


async def figures(harness: Harness) -> Funnel:
    start = harness.clock.now() - timedelta(days=400)
    end = harness.clock.now() + timedelta(days=1)
    async with harness.app.db.read() as conn:
        events = await stats_storage.cohort_events(conn, start, end)
    return funnel(events, start, end, lambda since, until: until - since)


def sqlite_bytes(harness: Harness) -> bytes:
    path = Path(harness.app.settings.database_path)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(file.read_bytes() for file in files if file.exists())


async def assert_gone_from_the_files(harness: Harness) -> None:
    if harness.app.db.dialect != "sqlite":
        return  # PostgreSQL's files are the server's; VACUUM reclaims deleted rows there
    async with harness.app.db.read() as conn:
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = sqlite_bytes(harness)
    for needle in (NAME, PHONE, PHONE_DIGITS):
        found = needle.encode("utf-8") in data
        assert not found, f"{needle} is still in the SQLite files"


async def unique_buyer(harness: Harness, *, timeline: str = "This month") -> None:
    user = harness.prospect(language_code="en", phone_number=PHONE)
    await consent(user, "vk_spring")
    await answer_rest(user, name=NAME, timeline=timeline)


async def test_forget_deletes_the_topic_tells_the_crm_and_keeps_only_anonymous_records(
    crm: Harness, receiver: GenericReceiver
) -> None:
    user = crm.prospect(language_code="en", phone_number=PHONE)
    await consent(user, "vk_spring")
    await answer_rest(user, name=NAME)
    await pick(user, "Mon 23", "10:00")
    await user.send("/human")
    await user.send(f"I am {NAME}, call me at {PHONE}")
    await crm.app.relay.delivery.deliver_due()
    await deliver_all(crm)
    lead = await crm.lead()
    assert lead is not None and lead.staff_thread_id is not None
    assert crm.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id) != []
    # While the lead lives, the bytes are there (the search below can fail).
    if crm.app.db.dialect == "sqlite":
        async with crm.app.db.read() as conn:
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert NAME.encode() in sqlite_bytes(crm)
    before = await figures(crm)

    crm.clock.advance(hours=1)
    await user.send("/forget")
    await crm.app.pipe.drain()
    await deliver_all(crm)

    assert "erased your data" in (user.last_text() or "")
    assert await crm.lead() is None and await ledger(crm) == []
    # The topic is gone with its messages; General says which lead went.
    assert crm.telegram.chat(STAFF_CHAT).topics[lead.staff_thread_id].deleted
    assert crm.telegram.bot_messages(STAFF_CHAT, lead.staff_thread_id) == []
    assert "лид #1" in crm.telegram.bot_messages(STAFF_CHAT)[-1].visible_text
    # The CRM hears of it.
    assert receiver.deliveries[-1].type == "lead.erased"
    # The funnel counts it as before (and once as erased).
    after = await figures(crm)
    assert (after.total, after.by_source, after.by_verdict) == (
        before.total,
        before.by_source,
        before.by_verdict,
    )
    assert after.erased == before.erased + 1
    [row] = await anonymous(crm)
    assert row == {
        "status": "booked",
        "verdict": "target",
        "source": "vk_spring",
        "checklist_id": lead.checklist_id,
        "checklist_version": lead.checklist_version,
        "created_on": "2026-11-22",
        "erased_on": "2026-11-22",
        "reason": "request",
    }
    [record] = await records(crm)
    assert record["lead_id"] == 1 and record["requested_by"] == "prospect"
    assert record["reason"] == "request" and record["system"] == "leadsieve"
    assert {"lead", "phone", "name", "answers", "viewings", "consents"} <= set(record["categories"])
    assert record["keep_until"].startswith("2029-11-22")
    logged = [entry["type"] for entry in record["event_log"]]
    assert logged[0] == "lead.created" and "viewing.booked" in logged
    record_text = json.dumps(record, ensure_ascii=False)
    assert NAME not in record_text and PHONE not in record_text
    # Nothing keyed by the lead is left but the event log and the CRM's bookkeeping.
    for table in ("lead_answers", "appointments", "relay_messages", "desk_leads", "relay_outbox"):
        assert await count(crm, f"SELECT COUNT(*) FROM {table} WHERE lead_id = 1") == 0
    assert await count(crm, "SELECT COUNT(*) FROM fsm_state WHERE storage_key LIKE '%:1001:%'") == 0
    await assert_gone_from_the_files(crm)


async def test_an_administrator_erases_a_lead_from_its_card(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    lead = await office.lead()
    assert lead is not None and lead.staff_thread_id is not None
    pavel = lead_manager(office, PAVEL, "Pavel")
    answer = await pavel.click("🗑 Удалить ▸", card_message(office))
    assert answer is not None and answer.text == "Удалить лид может только администратор."
    assert await office.lead() is not None

    olga = lead_manager(office, OLGA, "Olga")
    card = card_message(office)
    answer = await olga.click("🗑 Удалить ▸", card)
    assert answer is not None and "Подтвердите" in (answer.text or "")
    assert await office.lead() is not None  # one press does not erase
    confirm = "🗑 Удалить лид #1 по просьбе клиента"
    answer = await olga.click(confirm, card)
    assert answer is not None and answer.text == "Лид #1 удалён."
    assert await office.lead() is None
    # The confirmation pressed twice (or by two administrators at once): nothing more.
    again = await press(office, OLGA, card, EraseCb(lead_id=1, sure=True))
    assert again is not None and again.text == "Этот лид уже удалён."
    assert office.telegram.chat(STAFF_CHAT).topics[lead.staff_thread_id].deleted
    [record] = await records(office)
    assert record["requested_by"] == "prospect" and record["destroyed_by"] == f"staff:{OLGA}"
    async with office.app.db.read() as conn:
        cursor = await conn.execute("SELECT actor FROM events WHERE type = 'lead.erased'")
        assert [row[0] for row in await cursor.fetchall()] == [f"staff:{OLGA}"]
    # The client can start again from nothing.
    await user.send("/start")
    assert "Consent to the processing" in (user.last_text() or "")


async def test_a_closed_lead_can_still_be_erased_from_its_card(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    olga = lead_manager(office, OLGA, "Olga")
    await olga.click("🔒 Закрыть ▸", card_message(office))
    await olga.click("дубль", card_message(office))
    labels = [str(b["text"]) for b in card_message(office).inline_buttons()]
    assert labels == ["🗑 Удалить ▸"]
    await olga.click("🗑 Удалить ▸", card_message(office))
    answer = await olga.click("🗑 Удалить лид #1 по просьбе клиента", card_message(office))
    assert answer is not None and answer.text == "Лид #1 удалён."
    assert await office.lead() is None


async def test_the_erase_menu_goes_back_to_the_card(office: Harness) -> None:
    await serious_buyer(office.prospect(language_code="en"))
    olga = lead_manager(office, OLGA, "Olga")
    await olga.click("🗑 Удалить ▸", card_message(office))
    await olga.click("« Назад", card_message(office))
    labels = [str(b["text"]) for b in card_message(office).inline_buttons()]
    assert "✋ Взять" in labels and "🗑 Удалить ▸" in labels
    assert await office.lead() is not None


async def test_retention_purges_silent_rejected_and_nurture_leads(office: Harness) -> None:
    renter = office.prospect(1001, language_code="en", phone_number=PHONE)
    await consent(renter)
    await answer_rest(renter, purpose="I want to rent a flat", name=NAME)
    later = office.prospect(1002, language_code="en", phone_number="+79160000002")
    await consent(later)
    await answer_rest(later, timeline="Later / just looking")
    buyer = office.prospect(1003, language_code="en", phone_number="+79160000003")
    await serious_buyer(buyer)
    statuses = {}
    async with office.app.db.read() as conn:
        cursor = await conn.execute("SELECT telegram_user_id, status FROM leads")
        statuses = {row[0]: row[1] for row in await cursor.fetchall()}
    assert statuses == {
        1001: LeadStatus.REJECTED.value,
        1002: LeadStatus.NURTURE.value,
        1003: LeadStatus.TARGET.value,
    }

    office.clock.advance(days=89, hours=23)
    assert await office.app.privacy.run_retention() == 0
    office.clock.advance(hours=2)
    assert await office.app.privacy.run_retention() == 1
    async with office.app.db.read() as conn:
        cursor = await conn.execute("SELECT telegram_user_id FROM leads ORDER BY id")
        assert [row[0] for row in await cursor.fetchall()] == [1002, 1003]
    [record] = await records(office)
    assert (record["reason"], record["requested_by"]) == ("retention", "system")
    await assert_gone_from_the_files(office)

    office.clock.advance(days=276)  # 365 days after the nurture lead's last activity
    assert await office.app.privacy.run_retention() == 1
    assert await count(office, "SELECT COUNT(*) FROM leads") == 1  # the target lead stays
    assert [row["reason"] for row in await anonymous(office)] == ["retention", "retention"]

    # Destruction records are kept three years, then purged.
    office.clock.advance(days=3 * 365 - 365)
    await office.app.privacy.run_retention()
    assert len(await records(office)) == 2
    office.clock.advance(days=367)
    await office.app.privacy.run_retention()
    assert await records(office) == []


async def test_no_personal_data_in_logs_at_info(
    crm: Harness, receiver: GenericReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = crm.prospect(language_code="en", phone_number=PHONE)
    await consent(user, "vk_spring")
    await answer_rest(user, name=NAME)
    await pick(user, "Mon 23", "10:00")
    await user.send("/human")
    await user.send(f"I am {NAME}, call me at {PHONE}")
    await crm.app.relay.delivery.deliver_due()
    await deliver_all(crm)
    await user.send("/mydata")
    await user.send("/privacy")
    await user.send("/forget")
    await crm.app.pipe.drain()
    await deliver_all(crm)
    assert caplog.records  # the journey was logged at all
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            text = record.getMessage()
            for needle in (NAME, PHONE, PHONE_DIGITS, "Quaxwellington"):
                assert needle not in text, (record.name, text)


async def test_a_topic_telegram_could_not_delete_is_deleted_on_the_next_pass(
    office: Harness,
) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    lead = await office.lead()
    assert lead is not None and lead.staff_thread_id is not None
    # Telegram down for longer than the notifier's five attempts, in both passes the
    # erasure's update makes (its own, and the one after every update).
    office.telegram.fail_next(
        "deleteForumTopic", error_code=502, description="Bad Gateway", times=10
    )
    office.expected_errors += ["gave up on deleteForumTopic", "consumer staff_card failed"]
    await user.send("/forget")
    await office.passes_done()  # the passes after the update, which failed
    assert await office.lead() is None
    assert not office.telegram.chat(STAFF_CHAT).topics[lead.staff_thread_id].deleted

    await office.app.pipe.drain()  # the events job, every few seconds
    assert office.telegram.chat(STAFF_CHAT).topics[lead.staff_thread_id].deleted
    notices = [m.visible_text for m in office.telegram.bot_messages(STAFF_CHAT)]
    assert notices.count("Клиент (лид #1) удалил свои данные из бота.") == 1


async def test_stored_document_files_are_removed_with_the_lead(office: Harness) -> None:
    removed: list[int] = []
    office.app.privacy.erasure.remove_files = removed.append  # document intake's hook
    await serious_buyer(office.prospect(language_code="en"))
    user = office.prospect(language_code="en")
    await user.send("/forget")
    assert removed == [1]
    await user.send("/forget")  # nothing left: nothing removed again
    assert removed == [1]

"""/export (the CSV read back as Excel would get it) and /find, through the stand-in."""

from __future__ import annotations

import csv
import io

from bot.storage import leads
from tests.conftest import MANAGER_ID, STAFF_CHAT, Harness
from tests.handlers.flows import answer_rest, consent, serious_buyer


async def test_export_is_a_bom_semicolon_csv_with_a_column_per_question(
    harness: Harness,
) -> None:
    await consent(harness.prospect(1001, language_code="en"), "vk_spring")
    await answer_rest(harness.prospect(1001, language_code="en"), name="Анна Ёлкина")
    await serious_buyer(harness.prospect(1002, language_code="en", phone_number="79160000000"))
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/export")
    document = manager.bot_messages()[-1]
    assert document.visible_text == "Лиды, пришедшие за 2026-11-22: 2"
    assert document.upload is not None
    assert document.upload.filename == "leads_2026-11-22_2026-11-22.csv"
    raw = document.upload.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, first, second = rows
    assert header[:6] == ["Лид", "Пришёл", "Источник", "Статус", "Вердикт", "Баллы"]
    assert "Как к вам обращаться?" in header
    assert "Когда вам удобно принять звонок?" in header
    by_column = dict(zip(header, first, strict=True))
    assert by_column["Лид"] == "1"
    assert by_column["Пришёл"] == "2026-11-22 12:00"  # Moscow time
    assert by_column["Источник"] == "vk_spring"
    assert by_column["Вердикт"] == "Целевой"
    assert by_column["Как к вам обращаться?"] == "Анна Ёлкина"
    # A phone starting with "+" would be a formula to Excel: it is kept as text.
    [phone] = [value for value in first if "916" in value]
    assert phone == "'+7 916 123-45-67"
    assert second[0] == "2"


async def test_export_of_an_empty_period_sends_no_file(harness: Harness) -> None:
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/export yesterday")
    assert manager.last_text() == "За 2026-11-21 лидов не было: выгружать нечего."
    await manager.send("/export someday")
    assert (manager.last_text() or "").startswith("«someday» — такого периода я не знаю.")
    assert "/export today" in (manager.last_text() or "")
    assert harness.telegram.sent(method="sendDocument") == []


async def test_a_formula_typed_as_an_answer_does_not_run_in_excel(harness: Harness) -> None:
    user = harness.prospect(1001, language_code="en")
    await consent(user)
    await answer_rest(user, name="=HYPERLINK(1)")
    await harness.staff_member(MANAGER_ID).send("/export")
    [document] = [m for m in harness.telegram.bot_messages(STAFF_CHAT) if m.upload]
    assert document.upload is not None
    assert ";'=HYPERLINK(1);" in document.upload.data.decode("utf-8-sig")


async def test_find_by_phone_in_another_format_links_the_topic(harness: Harness) -> None:
    user = harness.prospect(1001, language_code="en")
    await consent(user)
    await answer_rest(user, name="Анна Ёлкина")
    await serious_buyer(harness.prospect(1002, language_code="en", phone_number="79160000000"))
    lead = await harness.lead(1001)
    assert lead is not None and lead.staff_thread_id is not None
    manager = harness.staff_member(MANAGER_ID)

    await manager.send("/find 8 (916) 123-45-67")
    answer = manager.bot_messages()[-1]
    assert answer.visible_text.splitlines() == [
        "Найдено по запросу «8 (916) 123-45-67»: 1",
        "лид #1 · Анна Ёлкина · +79161234567 · Целевой — тема",
    ]
    links = [e["url"] for e in answer.entities if e["type"] == "text_link"]
    assert links == [f"https://t.me/c/1234567890/{lead.staff_thread_id}"]

    await manager.send("/find анна елкина")
    assert "лид #1 · Анна Ёлкина" in (manager.last_text() or "")
    await manager.send("/find 916")
    assert manager.last_text() == "По запросу «916» лидов не нашлось."
    await manager.send("/find")
    assert (manager.last_text() or "").startswith("Отправьте /find с телефоном")


async def test_an_erased_lead_is_not_found_but_still_counted(harness: Harness) -> None:
    user = harness.prospect(1001, language_code="en")
    await serious_buyer(user)
    lead = await harness.lead(1001)
    assert lead is not None
    async with harness.app.db.transaction() as tx:
        await leads.erase(tx, lead, at=harness.clock.now(), actor="prospect")
    manager = harness.staff_member(MANAGER_ID)
    await manager.send("/find +7 916 123 45 67")
    assert manager.last_text() == "По запросу «+7 916 123 45 67» лидов не нашлось."
    await manager.send("/stats")
    stats = manager.messages()[-2].splitlines()
    assert "Целевые: 1" in stats
    assert "Из них удалены по просьбе клиента (в цифрах остаются): 1" in stats

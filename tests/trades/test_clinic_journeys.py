"""The bundled clinic's prospects through the Bot API stand-in, from /start to the outcome:
every kind of question, a booked appointment with its reminders, a rule's reject and a
nurture. Nobody, prospect or staff, reads a word about flats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.leads import LeadStatus
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import TelegramUser
from tests.trades.words import assert_no_flats, received, topic_card

CLINIC = BUNDLED_CHECKLIST.parent / "clinic" / "checklist.yaml"
OLGA = 7001  # the clinic's coordinator

COORDINATOR = f"""managers:
  - telegram_id: {OLGA}
    name: Ольга Смирнова
    site: centre
    covers: [centre, any_branch]
    language: ru
"""


@pytest.fixture
async def clinic(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    """The clinic's own files, its sites with a coordinator who takes bookings."""
    bundled = (CLINIC.parent / "sites.yaml").read_text(encoding="utf-8")
    sites = tmp_path / "sites.yaml"
    sites.write_text(bundled.replace("managers: []\n", COORDINATOR), encoding="utf-8")
    harness: Harness = await make_harness(
        checklist_path=CLINIC, sites_path=sites, company_name="Клиника «Здоровье»"
    )
    return harness


def last(user: TelegramUser) -> str:
    return user.last_text() or ""


async def test_a_patient_answers_every_kind_books_and_is_reminded(clinic: Harness) -> None:
    user = clinic.prospect()
    await user.send("/start")
    assert "Здравствуйте! Это Клиника «Здоровье»" in "\n".join(user.messages())
    await user.click("✅ Согласен(на)")
    assert "Что привело вас в клинику?" in last(user)

    await user.send("доктор")  # a synonym of "to see a specialist"
    assert "Консультация врача-специалиста" in user.messages()[-2]
    # Only the doctors for a specialist's consultation: no dentistry, no lab tests.
    doctors = user.buttons()
    assert "Кардиолог" in doctors and "Терапевт" in doctors
    assert "Лечение зубов" not in doctors and "Анализы" not in doctors
    await user.click("Кардиолог")
    await user.click("На этой неделе")

    assert "Какой день вам удобен?" in last(user)
    assert "Ноябрь 2026" in user.buttons()  # the calendar
    await user.click("25")
    assert "25 ноября 2026" in (user.last_text() or "")

    await user.click("Оплачу сам(а)")
    assert "Например: 35\u00a0лет" in last(user) or "35\u00a0лет" in last(user)
    await user.send("45 лет")
    assert "45\u00a0лет" in user.messages()[-2]

    assert "направление" in last(user)
    await user.send("потом пришлю")  # text to a media question: asked again
    assert "направление" in last(user)
    await user.send_photo("направление к кардиологу")
    assert "📷 фото" in user.messages()[-2]

    await user.click("На Садовой (центр)")
    await user.send("Анна")
    await user.press("📱 Поделиться номером")
    await user.send("Anna@Example.COM")

    lead = await clinic.lead()
    assert lead is not None and lead.status is LeadStatus.TARGET
    assert lead.answers["preferred_date"] == "2026-11-25"
    assert lead.answers["age"] == 45
    assert lead.answers["email"] == "Anna@example.com"
    outcome = [text for text in user.messages() if "Подберём удобное время приёма" in text]
    assert len(outcome) == 1 and outcome[0].startswith("Спасибо, Анна!")

    card, thread = await topic_card(clinic)
    assert "Кардиолог" in card and "25 ноября 2026" in card and "45\u00a0лет" in card
    assert "📷 фото" in card and "Anna@example.com" in card
    assert "+10" in card and "Прислал(а) направление" in card  # the points rule
    photos = [m for m in clinic.telegram.bot_messages(STAFF_CHAT, thread) if "photo" in m.content]
    assert len(photos) == 1

    # The day picker of the clinic's branch, with its coordinator.
    offer = last(user)
    assert "Клиника «Здоровье» на Садовой" in offer and "Ольга Смирнова" in offer
    [monday] = [label for label in user.buttons() if label.startswith("пн 23")]
    await user.click(monday)
    await user.click("10:00")
    [booked] = [text for text in user.messages() if "Вы записаны" in text]
    assert "🗓 Приём: пн, 23 ноября, 10:00" in booked
    card, _ = await topic_card(clinic)
    assert "🗓 Приём: пн, 23 ноября, 10:00" in card and "· клиент записан" in card
    assert "Дальше: встреча по записи" in card  # no sales manager's viewing
    new = [text for text in received(clinic.telegram, OLGA) if "Новая запись" in text]
    assert new and "пн, 23 ноября, 10:00" in new[0]

    # Booked on Sunday noon for Monday 10:00; reminders go out at 09:00 on Monday.
    clinic.clock.advance(hours=21)
    await clinic.app.reminders.run_due()
    [reminder] = [text for text in user.messages() if "через 2 часа" in text]
    assert "🗓 Приём: пн, 23 ноября, 10:00" in reminder
    assert any("Через час" in text for text in received(clinic.telegram, OLGA))
    clinic.clock.advance(minutes=30)
    await clinic.app.reminders.run_due()
    assert any("Ваши встречи на" in text for text in received(clinic.telegram, OLGA))
    answer = await user.click("Я приду")
    assert answer is not None and answer.text == "Спасибо, ждём вас!"

    # After the slot the coordinator says how it went.
    clinic.clock.advance(hours=2)
    await clinic.app.reminders.run_due()
    coordinator = clinic.telegram.user(OLGA, language_code="ru", deliver=clinic.feed)
    assert any("Как прошла встреча" in text for text in coordinator.messages())
    await coordinator.click("Состоялась")
    lead = await clinic.lead()
    assert lead is not None and lead.status is LeadStatus.ATTENDED
    card, _ = await topic_card(clinic)
    assert "🗓 Приём: пн, 23 ноября, 10:00" in card and "· клиент пришёл" in card

    assert_no_flats(clinic, user.chat_id, OLGA, STAFF_CHAT)


async def test_a_sick_note_only_is_rejected_by_its_rule_with_one_message(
    clinic: Harness,
) -> None:
    user = clinic.prospect(language_code="en")
    await user.send("/start")
    await user.click("✅ I agree")
    await user.send("sick leave")
    # No doctor, urgency, payment, age or branch is asked after "only a sick note".
    assert "What is your name?" in last(user)
    await user.send("Anna")
    await user.press("📱 Share my phone number")
    await user.click("Skip")

    lead = await clinic.lead()
    assert lead is not None and lead.status is LeadStatus.REJECTED
    texts = user.messages()
    outcome = [text for text in texts if "sick notes and certificates" in text]
    assert len(outcome) == 1
    # Skip was pressed on the last question: the outcome goes under it, in that message.
    _question, skipped, after = outcome[0].split("\n\n", 2)
    assert skipped == "Your answer: skipped"
    assert after.startswith("Thank you, Anna! We issue sick notes")
    assert not any("Unfortunately, we cannot help" in text for text in texts)  # no default
    # One thank-you after the answers: the rule's message, no wrapper around it.
    after_consent = [text for text in texts if "Thank you for your consent" not in text]
    assert sum("Thank you" in text for text in after_consent) == 1

    card, _ = await topic_card(clinic)
    assert "Решило правило «sick_note_only»: Нужен только больничный или справка" in card
    assert "решило правило" in card
    assert "≥" not in card
    assert_no_flats(clinic, user.chat_id, STAFF_CHAT)


async def test_state_insurance_only_is_nurtured_with_the_rules_date(clinic: Harness) -> None:
    user = clinic.prospect()
    await user.send("/start")
    await user.click("✅ Согласен(на)")
    await user.send("зубы")
    assert "Стоматология" in user.messages()[-2]
    assert "Лечение зубов" in user.buttons() and "Кардиолог" not in user.buttons()
    await user.send("чистка")
    await user.send("срочно")  # today or tomorrow: no date is asked
    assert "Как вы планируете оплачивать приём?" in last(user)
    await user.send("по омс")
    await user.send("тридцать")
    # A number is needed; the problem names no flat's price.
    assert last(user) == "Не получилось понять число. Напишите его цифрами."
    await user.send("30")
    # No referral for dentistry; the branch, the name, the phone, no e-mail.
    await user.send("неважно")
    await user.send("Пётр")
    await user.press("📱 Поделиться номером")
    await user.click("Пропустить")

    lead = await clinic.lead()
    assert lead is not None and lead.status is LeadStatus.NURTURE
    assert "referral" not in lead.answers and "preferred_date" not in lead.answers
    [outcome] = [text for text in user.messages() if "По полису ОМС" in text]
    _question, skipped, after = outcome.split("\n\n", 2)  # under the skipped question
    assert skipped == "Ваш ответ: пропущено"
    assert after.startswith("Спасибо, Пётр!")
    assert "Мы напишем вам 22 декабря" in outcome  # 30 days on

    card, _ = await topic_card(clinic)
    assert "Решило правило «oms_only»" in card
    assert_no_flats(clinic, user.chat_id, STAFF_CHAT)

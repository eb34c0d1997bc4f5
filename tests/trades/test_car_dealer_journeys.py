"""A car dealer's prospects through the Bot API stand-in: a buyer for cash books a test
drive, a small budget is rejected by its rule, a loan on a used car is nurtured. The test
drive is named as the checklist names it, and nobody reads a word about flats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.leads import LeadStatus
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import TelegramUser
from tests.kinds.conftest import CAR_DEALER
from tests.trades.words import assert_no_flats, topic_card
from tests.viewings.test_booking import documents, parse_ics

IGOR = 7001  # the showroom's sales manager

SHOWROOM = f"""sites:
  - code: showroom
    name: Автосалон на Ленинском
    address: Ленинский пр-т, 100
    location: [55.6901, 37.5502]
    timezone: Europe/Moscow
    capacity: 2
managers:
  - telegram_id: {IGOR}
    name: Игорь Волков
    site: showroom
    covers: ["*"]
    language: ru
"""


async def open_dealer(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    """The dealer's bot on the test's database (a second call is a restart)."""
    sites = tmp_path / "sites.yaml"
    sites.write_text(SHOWROOM, encoding="utf-8")
    harness: Harness = await make_harness(
        checklist_path=CAR_DEALER, sites_path=sites, company_name="Автосалон «Мотор»"
    )
    return harness


@pytest.fixture
async def dealer(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    return await open_dealer(make_harness, tmp_path)


def last(user: TelegramUser) -> str:
    return user.last_text() or ""


def card_buttons(harness: Harness, thread: int | None) -> list[str]:
    [card] = [
        m for m in harness.telegram.bot_messages(STAFF_CHAT, thread) if "лид #" in m.visible_text
    ]
    return [str(button["text"]) for button in card.inline_buttons()]


async def test_a_cash_buyer_books_a_test_drive(dealer: Harness) -> None:
    user = dealer.prospect()
    await user.send("/start")
    await user.click("✅ Согласен(на)")
    await user.send("новенький")  # a synonym of "new"
    assert "Новый" in user.messages()[-2]
    assert "Пикап" not in user.buttons()  # pickups come from the used lot only
    await user.send("джип")
    await user.send("2,5 млн")
    await user.click("Наличные")
    await user.click("Трейд-ин")
    await user.click("Готово ➡️")
    await user.send("40 тыс. км")
    assert "40\u2009000\u00a0км" in user.messages()[-2]
    await user.send_photo("моя машина")
    await user.send("1,6 л")
    assert "Когда удобно приехать на тест-драйв?" in last(user)
    await user.click("›")
    await user.click("15")
    assert "15 декабря 2026" in (user.last_text() or "")
    await user.send("Анна")
    await user.send("anna@example.com")
    await user.press("📱 Поделиться номером")

    lead = await dealer.lead()
    assert lead is not None and lead.status is LeadStatus.TARGET
    outcome = [text for text in user.messages() if "подберёт автомобиль" in text]
    assert len(outcome) == 1
    assert outcome[0].startswith("Анна, отлично! Менеджер позвонит сегодня и подберёт автомобиль.")
    assert "назначить тест-драйв" not in "\n".join(user.messages())  # the rule's message only

    card, thread = await topic_card(dealer)
    assert "Решило правило «cash_new»: Новый автомобиль за наличные" in card
    assert "+10 по правилу «trade_in_low_mileage»" in card
    assert "40\u2009000\u00a0км" in card and "1,6\u00a0л" in card and "15 декабря 2026" in card
    assert "📷 фото" in card
    assert "🗓 Тест-драйв: записать" in card_buttons(dealer, thread)

    [monday] = [label for label in user.buttons() if label.startswith("пн 23")]
    await user.click(monday)
    await user.click("10:00")
    [booked] = [text for text in user.messages() if "Вы записаны" in text]
    assert "🗓 Тест-драйв: пн, 23 ноября, 10:00" in booked
    card, _ = await topic_card(dealer)
    assert "🗓 Тест-драйв: пн, 23 ноября, 10:00" in card
    [to_manager] = documents(dealer, IGOR)
    assert "Новая запись" in to_manager.visible_text
    _, event = parse_ics(to_manager)
    assert str(event["SUMMARY"]) == "Тест-драйв: Анна (Автосалон на Ленинском)"

    dealer.clock.advance(hours=21)  # Monday 09:00
    await dealer.app.reminders.run_due()
    [reminder] = [text for text in user.messages() if "через 2 часа" in text]
    assert "🗓 Тест-драйв: пн, 23 ноября, 10:00" in reminder

    assert_no_flats(dealer, user.chat_id, IGOR, STAFF_CHAT)


async def test_a_small_budget_is_rejected_by_its_rule(dealer: Harness) -> None:
    user = dealer.prospect(language_code="en")
    await user.send("/start")
    await user.click("✅ I agree")
    await user.send("used")
    await user.click("Sedan")
    await user.send("250k")
    await user.send("car loan")  # a typed answer to a multi-choice is the whole answer
    await user.click("Skip")  # any engine
    await user.send("tomorrow")
    await user.send("Oleg")
    await user.click("Skip")  # no e-mail
    await user.press("📱 Share my phone number")

    lead = await dealer.lead()
    assert lead is not None and lead.status is LeadStatus.REJECTED
    assert lead.answers["budget"] == 250000 and lead.answers["payment"] == ("car_loan",)
    texts = user.messages()
    [outcome] = [text for text in texts if "within this budget" in text]
    assert outcome.startswith("Oleg, thank you! We have no cars within this budget")
    assert not any("Unfortunately" in text for text in texts)  # no default around it

    card, _ = await topic_card(dealer)
    assert "Решило правило «too_cheap»: Бюджет меньше 300 000 ₽" in card
    assert "≥" not in card
    assert_no_flats(dealer, user.chat_id, STAFF_CHAT)


async def test_a_loan_on_a_used_car_is_nurtured_by_its_score_across_a_restart(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    first = await open_dealer(make_harness, tmp_path)
    user = first.prospect()
    await user.send("/start")
    await user.click("✅ Согласен(на)")
    await user.click("С пробегом")
    await user.click("Пикап")
    await user.send("500 000 руб")
    await user.click("Автокредит")
    await user.click("Готово ➡️")
    await user.click("Пропустить")
    assert "Когда удобно приехать на тест-драйв?" in last(user)
    await first.app.close()

    # A new process on the same database: the calendar shown before still answers.
    dealer = await open_dealer(make_harness, tmp_path)
    user = dealer.prospect()
    await user.click("24")
    assert "24 ноября 2026" in (user.last_text() or "")
    await user.send("Ольга")
    await user.click("Пропустить")
    await user.press("📱 Поделиться номером")

    lead = await dealer.lead()
    assert lead is not None and lead.status is LeadStatus.NURTURE
    assert lead.answers["drive_date"] == "2026-11-24"
    [outcome] = [text for text in user.messages() if "вернёмся к вам" in text]
    # 30 days on, in the catalog's neutral words; the date's "г." ends the sentence.
    assert "примерно 22 декабря 2026\u202fг.\n\n" in outcome and "г.." not in outcome
    card, _ = await topic_card(dealer)
    assert "решило правило" not in card  # the score decided
    assert_no_flats(dealer, user.chat_id, STAFF_CHAT)

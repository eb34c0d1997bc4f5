"""A date question: typed in words or digits, or picked on the calendar within its days."""

from __future__ import annotations

import asyncio

from bot.keyboards.callbacks import CalendarDayCb
from tests.conftest import Harness
from tests.fakegram import TelegramUser
from tests.kinds.conftest import last_keyboard, press_data, up_to_photo


async def up_to_date(user: TelegramUser) -> None:
    await up_to_photo(user)
    await user.click("Пропустить")  # no photo
    await user.click("Пропустить")  # any engine
    assert "Когда удобно приехать на тест-драйв?" in (user.last_text() or "")


def labels(user: TelegramUser) -> list[str]:
    return user.buttons()


async def test_a_typed_date_within_its_days(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_date(user)
    assert "напишите дату, например: 15.03 или 15 марта" in (user.last_text() or "")
    await user.send("15 марта")  # today is 22 November 2026; 60 days at most
    assert "Слишком поздняя дата: не позже 21 января 2027\u202fг." in (user.last_text() or "")
    assert "Ноябрь 2026" in labels(user)  # the calendar again
    await user.send("вчера")
    assert "Не получилось понять дату" in (user.last_text() or "")
    await user.send("25.12")
    lead = await cars.lead()
    assert lead is not None and lead.answers["drive_date"] == "2026-12-25"
    assert any("Ваш ответ: 25 декабря 2026\u202fг." in text for text in user.messages())


async def test_the_calendar_turns_within_the_allowed_months(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_date(user)
    shown = labels(user)
    assert shown[:3] == ["·", "Ноябрь 2026", "›"]  # nothing allowed before this month
    assert shown[3:10] == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    assert "21" not in shown and "22" in shown and "30" in shown
    await user.click("›")
    await user.click("›")
    shown = labels(user)
    assert shown[:3] == ["‹", "Январь 2027", "·"]  # 21 January is the last day
    assert "21" in shown and "22" not in shown
    await user.click("‹")
    assert labels(user)[1] == "Декабрь 2026"
    await user.click("31")
    lead = await cars.lead()
    assert lead is not None and lead.answers["drive_date"] == "2026-12-31"


async def test_two_presses_at_once_make_one_answer(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_date(user)
    calendar = last_keyboard(user)
    day = CalendarDayCb(q="drive_date", d="20261130").pack()
    answers = await asyncio.gather(press_data(user, calendar, day), press_data(user, calendar, day))
    toasts = sorted(str(a.text) for a in answers if a is not None)
    assert toasts == ["None", "Этот вопрос уже закрыт — показываю текущий."]
    lead = await cars.lead()
    assert lead is not None and lead.answers["drive_date"] == "2026-11-30"
    assert sum("Ваш ответ: 30 ноября" in text for text in user.messages()) == 1


async def test_an_old_calendar_does_not_answer_again(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_date(user)
    calendar = last_keyboard(user)
    await user.click("30")
    again = await press_data(
        user, calendar, CalendarDayCb(q="drive_date", d="20261129").pack(), shown=False
    )
    assert again is not None and again.text == "Этот вопрос уже закрыт — показываю текущий."
    lead = await cars.lead()
    assert lead is not None and lead.answers["drive_date"] == "2026-11-30"

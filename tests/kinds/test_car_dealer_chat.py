"""The car dealer's checklist answered in Telegram: typed choices, units, decimals, the
calendar, e-mail and a photo, and what staff see."""

from __future__ import annotations

from bot.keyboards.callbacks import CalendarDayCb
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import TelegramUser
from tests.kinds.conftest import agree, last_keyboard, press_data


def last(user: TelegramUser) -> str:
    return user.last_text() or ""


async def test_a_used_car_buyer_answers_every_kind(cars: Harness) -> None:
    user = cars.prospect()
    await agree(user)
    assert "Какой автомобиль вы ищете?" in last(user)

    await user.send("подержаный")  # a typo of a synonym
    assert "Ваш ответ: С пробегом" in user.messages()[-2]
    assert "Пикап" in user.buttons()  # shown for used cars only
    await user.send("джип")
    assert "Ваш ответ: Кроссовер или внедорожник" in user.messages()[-2]

    assert "например: 2\u2009500\u2009000\u00a0₽" in last(user)
    await user.send("2,5 млн")
    await user.click("Наличные")
    await user.click("Трейд-ин")
    refused = await user.click("Автокредит")
    assert refused is not None and refused.text == "Выберите не больше 2."
    assert "✅ Автокредит" not in user.buttons()
    await user.click("Готово ➡️")

    assert "например: 85\u2009000\u00a0км" in last(user)
    await user.send("85 тыс. км")
    assert "Ваш ответ: 85\u2009000\u00a0км" in user.messages()[-2]

    assert "Пришлите фото автомобиля" in last(user)
    await user.send("сейчас сфотографирую")
    assert "Пришлите, пожалуйста, фото или файл" in (user.last_text() or "")
    assert "Пришлите фото автомобиля" in last(user)
    await user.send_document()
    assert "фотографию (не файлом)" in (user.last_text() or "")
    await user.send_photo("моя машина")
    assert "Ваш ответ: 📷 фото" in user.messages()[-2]

    await user.send("1,6 л")
    assert "Ваш ответ: 1,6\u00a0л" in user.messages()[-2]

    assert "Когда удобно приехать на тест-драйв?" in last(user)
    calendar = last_keyboard(user)
    assert "Ноябрь 2026" in [b["text"] for b in calendar.inline_buttons()]
    # 22 November 2026 is today: the 21st is in the past.
    gone = await press_data(user, calendar, CalendarDayCb(q="drive_date", d="20261121").pack())
    assert gone is not None and gone.text == "Этот день недоступен — выберите другой."
    await user.click("›")
    assert "Декабрь 2026" in user.buttons()
    await user.click("15")
    assert "Ваш ответ: 15 декабря 2026\u202fг." in (user.last_text() or "")

    await user.send("Анна")
    await user.send("anna@")
    assert "Не похоже на адрес почты" in user.messages()[-1]
    await user.send("Anna@Example.COM")
    assert any("Ваш ответ: Anna@example.com" in text for text in user.messages())
    await user.press("📱 Поделиться номером")

    lead = await cars.lead()
    assert lead is not None and lead.verdict is not None
    photo = lead.answers["trade_photo"]
    assert isinstance(photo, str) and photo.startswith("photo:")
    assert lead.answers["engine"] == 1.6
    assert lead.answers["drive_date"] == "2026-12-15"
    assert lead.answers["trade_mileage"] == 85000
    await cars.app.pipe.drain()
    await cars.app.relay.delivery.deliver_due()
    thread = lead.staff_thread_id if (lead := await cars.lead()) else None
    card = cars.card(thread)
    assert "📷 фото" in card
    assert photo.split(":", 1)[1] not in card  # a marker, never the file id
    photos = [m for m in cars.telegram.bot_messages(STAFF_CHAT, thread) if "photo" in m.content]
    assert [m.visible_text for m in photos] == ["Пришлите фото автомобиля, который сдаёте"]

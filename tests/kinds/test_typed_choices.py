"""Typed answers to choice questions: synonyms, typos, "which one?", hidden options and
the limit of a multiple choice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.keyboards.callbacks import OptionCb
from tests.conftest import Harness
from tests.kinds.conftest import CAR_DEALER, agree, last_keyboard, press_data


def last(harness_user: Any) -> str:
    return str(harness_user.last_text() or "")


async def ambiguous_cars(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    """The car dealer's checklist where "легковушка" is a sedan and a hatchback, and
    "кредит" a car loan and leasing."""
    text = CAR_DEALER.read_text(encoding="utf-8")
    text = text.replace("synonyms: {en: [saloon]}", "synonyms: {ru: [легковушка], en: [saloon]}")
    text = text.replace(
        'text: {ru: "Хэтчбек", en: "Hatchback"}',
        'text: {ru: "Хэтчбек", en: "Hatchback"}\n        synonyms: {ru: [легковушка]}',
    )
    text = text.replace("synonyms: {en: [lease]}", "synonyms: {ru: [кредит], en: [lease]}")
    path = tmp_path / "cars.yaml"
    path.write_text(text, encoding="utf-8")
    harness: Harness = await make_harness(checklist_path=path)
    return harness


async def test_an_unclear_word_asks_which_option(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    cars = await ambiguous_cars(make_harness, tmp_path)
    user = cars.prospect()
    await agree(user)
    await user.send("новую")
    await user.send("легковушка")
    assert last(user) == "Уточните, пожалуйста, что вы имели в виду:"
    assert user.buttons() == ["Седан", "Хэтчбек"]
    await user.click("Хэтчбек")
    lead = await cars.lead()
    assert lead is not None and lead.answers["body"] == "hatchback"
    assert "На какой бюджет рассчитываете?" in last(user)
    # The question's own message shows the answer too, not the old buttons.
    assert any("Ваш ответ: Хэтчбек" in text for text in user.messages())


async def test_an_unclear_item_of_a_list_is_added_by_its_button(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    cars = await ambiguous_cars(make_harness, tmp_path)
    user = cars.prospect()
    await agree(user)
    await user.send("новую")
    await user.send("седан")
    await user.send("3 млн")
    await user.send("кредит")
    assert last(user) == "Уточните, пожалуйста, что вы имели в виду:"
    assert user.buttons() == ["Автокредит", "Лизинг"]
    answer = await user.click("Лизинг")
    assert answer is not None and answer.text == "Добавлено: Лизинг"
    assert "Как планируете платить?" in last(user)
    assert "✅ Лизинг" in user.buttons()
    await user.click("Наличные")
    await user.click("Готово ➡️")
    lead = await cars.lead()
    assert lead is not None and lead.answers["payment"] == ("cash", "leasing")


async def test_an_option_hidden_by_its_condition(cars: Harness) -> None:
    user = cars.prospect()
    await agree(user)
    await user.send("новый")
    assert "Пикап" not in user.buttons()  # pickups are for used cars only
    await user.send("пикап")
    assert "выберите вариант" in (user.last_text() or "")
    assert "Какой тип кузова?" in last(user)
    await user.click("Седан")
    lead = await cars.lead()
    assert lead is not None and lead.answers["body"] == "sedan"


async def test_a_hidden_option_cannot_be_pressed(cars: Harness) -> None:
    user = cars.prospect()
    await agree(user)
    await user.send("бу")
    used_keyboard = last_keyboard(user)
    await user.click("⬅️ Назад")
    await user.click("Новый")
    pickup = OptionCb(q="body", o="pickup").pack()
    closed = await press_data(user, used_keyboard, pickup, shown=False)
    assert closed is not None and closed.text == "Этот вопрос уже закрыт — показываю текущий."
    lead = await cars.lead()
    assert lead is not None and "body" not in lead.answers


async def test_a_multiple_choice_keeps_to_its_limit(cars: Harness) -> None:
    user = cars.prospect()
    await agree(user)
    await user.send("новый")
    await user.send("седан")
    await user.send("3 млн")
    await user.send("наличные, кредит, лизинг")
    assert (user.last_text() or "").startswith("Выберите не больше 2.\n\n")
    await user.send("наличные и трейдин")
    lead = await cars.lead()
    assert lead is not None and lead.answers["payment"] == ("cash", "trade_in")

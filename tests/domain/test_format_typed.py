"""Typed answers to every kind of question, as prospects type them (ru and en, units,
typos), through the one dispatcher the conversation and the simulator share."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.answers import Answer, AnswerError
from bot.domain.checklist import Checklist
from bot.domain.checklist_file import load_checklist, parse_checklist
from bot.domain.flow import parse_typed, visible_options

HERE = Path(__file__).parent / "checklists"
TODAY = date(2027, 3, 1)


@pytest.fixture(scope="module")
def cars() -> Checklist:
    return load_checklist(HERE / "car_dealer.yaml")


@pytest.fixture(scope="module")
def flats() -> Checklist:
    return load_checklist()


@pytest.fixture(scope="module")
def minimal() -> Checklist:
    return load_checklist(HERE / "minimal.yaml")


def typed(checklist: Checklist, question_id: str, text: str, **answers: Answer) -> Answer:
    question = checklist.question(question_id)
    visible = visible_options(checklist, question, answers) if question.is_choice else None
    return parse_typed(question, text, region="RU", today=TODAY, visible=visible)


def refused(checklist: Checklist, question_id: str, text: str, **answers: Answer) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        typed(checklist, question_id, text, **answers)
    return caught.value


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("trade_mileage", "85000", 85_000),
        ("trade_mileage", "85 000 км", 85_000),
        ("trade_mileage", "85,000 km", 85_000),
        ("trade_mileage", "85 тыс. км", 85_000),
        ("trade_mileage", "85 тыс км", 85_000),
        ("trade_mileage", "85000 километров", 85_000),
        ("trade_mileage", "85k km", 85_000),
        ("trade_mileage", "85000 KM", 85_000),
        ("engine", "1.6", 1.6),
        ("engine", "1,6", 1.6),
        ("engine", "1.6 л", 1.6),
        ("engine", "1,6 литра", 1.6),
        ("engine", "1.6 l", 1.6),
        ("engine", "1,65", 1.7),
        ("engine", "2", 2.0),
        ("budget", "2 500 000", 2_500_000),
        ("budget", "2,5 млн", 2_500_000),
        ("budget", "2.5m rub", 2_500_000),
        ("budget", "2 500 000 рублей", 2_500_000),
    ],
)
def test_numbers_with_their_units(
    cars: Checklist, question: str, text: str, expected: Answer
) -> None:
    value = typed(cars, question, text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("question", "text", "code"),
    [
        ("trade_mileage", "85000 ₽", "not_a_number"),
        ("trade_mileage", "85000 литров", "not_a_number"),
        ("trade_mileage", "много", "not_a_number"),
        ("trade_mileage", "2 000 000 км", "too_large"),
        ("engine", "10", "too_large"),
        ("engine", "0,5", "too_small"),
        ("budget", "50 000", "too_small"),
    ],
)
def test_numbers_refused(cars: Checklist, question: str, text: str, code: str) -> None:
    assert refused(cars, question, text).code == code


def test_bundled_budget_keeps_rouble_words_and_whole_numbers(
    flats: Checklist, minimal: Checklist
) -> None:
    assert typed(flats, "budget", "8,5 млн") == 8_500_000
    assert typed(flats, "budget", "7 500 000 руб") == 7_500_000
    assert typed(flats, "budget", "7 500 000 ₽") == 7_500_000
    # A question with no unit keeps accepting currency words, as it always did.
    assert typed(minimal, "budget", "50 руб") == 50


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.03.2027", "2027-03-15"),
        ("15.03", "2027-03-15"),
        ("15 марта", "2027-03-15"),
        ("March 15", "2027-03-15"),
        ("2027-03-15", "2027-03-15"),
        ("завтра", "2027-03-02"),
        ("tomorrow", "2027-03-02"),
        ("сегодня", "2027-03-01"),
    ],
)
def test_dates(cars: Checklist, text: str, expected: str) -> None:
    assert typed(cars, "drive_date", text) == expected


def test_dates_outside_the_range_name_the_limit(cars: Checklist) -> None:
    early = refused(cars, "drive_date", "28.02.2027")
    assert early.code == "date_too_early"
    assert early.params["date"] == date(2027, 3, 1)
    late = refused(cars, "drive_date", "2027-06-01")
    assert late.code == "date_too_late"
    assert late.params["date"] == date(2027, 4, 30)
    assert refused(cars, "drive_date", "когда-нибудь").code == "not_a_date"


def test_email(cars: Checklist) -> None:
    assert typed(cars, "email", " Ivan@Example.COM ") == "Ivan@example.com"
    assert refused(cars, "email", "ivan@example").code == "invalid_email"
    assert refused(cars, "email", "ivan at example.com").code == "invalid_email"


def test_media_wants_a_file(cars: Checklist) -> None:
    assert refused(cars, "trade_photo", "вот фото").code == "send_media"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("новый", "new"),
        ("Новый!", "new"),
        ("б/у", "used"),
        ("second-hand", "used"),
        ("used", "used"),
        ("С ПРОБЕГОМ", "used"),
        ("подержаный", "used"),
        ("new", "new"),
    ],
)
def test_single_choice_typed(cars: Checklist, text: str, expected: str) -> None:
    assert typed(cars, "condition", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("двушка", "room_2"),
        ("двушку", "room_2"),
        ("2", "room_2"),
        ("two-bed", "room_2"),
        ("2 комнаты", "room_2"),
        ("студию", "studio"),
        ("однушка", "room_1"),
        ("трешка", "room_3"),
        ("room_4_plus", "room_4_plus"),
    ],
)
def test_bundled_rooms_typed(flats: Checklist, text: str, expected: str) -> None:
    assert typed(flats, "rooms", text) == expected


def test_hidden_option_is_not_accepted(cars: Checklist) -> None:
    assert typed(cars, "body", "пикап", condition="used") == "pickup"
    assert refused(cars, "body", "пикап", condition="new").code == "choose_option"


def test_nothing_matches(cars: Checklist) -> None:
    assert refused(cars, "condition", "синий").code == "choose_option"


def test_multi_typed_list_and_its_limit(cars: Checklist) -> None:
    assert typed(cars, "payment", "наличные, автокредит") == ("cash", "car_loan")
    assert typed(cars, "payment", "trade-in") == ("trade_in",)
    over = refused(cars, "payment", "наличные, автокредит, лизинг")
    assert over.code == "select_at_most"
    assert over.params == {"max_selected": 2}


def test_ambiguous_answer_names_the_candidates(cars: Checklist) -> None:
    text = (HERE / "car_dealer.yaml").read_text(encoding="utf-8")
    text = text.replace("synonyms: {en: [saloon]}", "synonyms: {ru: [легковушка], en: [saloon]}")
    text = text.replace(
        'text: {ru: "Хэтчбек", en: "Hatchback"}',
        'text: {ru: "Хэтчбек", en: "Hatchback"}\n        synonyms: {ru: [легковушка]}',
    )
    both = parse_checklist(text, "test.yaml")
    error = refused(both, "body", "легковушка")
    assert error.code == "ambiguous"
    assert error.params["candidates"] == ("sedan", "hatchback")
    assert typed(both, "body", "седан") == "sedan"

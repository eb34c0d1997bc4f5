from __future__ import annotations

import pytest

from bot.domain.answers import (
    AnswerError,
    normalize_phone,
    parse_number,
    validate_multi,
    validate_number,
    validate_text,
)
from bot.domain.checklist import Localized, Option, Question, QuestionKind

TEXT = Localized(texts={"en": "?"})


def number_question(low: int | None = 100_000, high: int | None = 1_000_000_000) -> Question:
    return Question(id="budget", kind=QuestionKind.NUMBER, text=TEXT, min=low, max=high)


def text_question(max_length: int = 10) -> Question:
    return Question(id="name", kind=QuestionKind.TEXT, text=TEXT, max_length=max_length)


def multi_question(min_selected: int = 1) -> Question:
    return Question(
        id="payment",
        kind=QuestionKind.MULTI,
        text=TEXT,
        min_selected=min_selected,
        options=tuple(Option(id=option_id, text=TEXT) for option_id in ("a", "b", "c", "d")),
    )


def error_of(call: object) -> AnswerError:
    assert callable(call)
    with pytest.raises(AnswerError) as caught:
        call()
    return caught.value


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8500000", 8_500_000),
        ("  8500000  ", 8_500_000),
        ("8 500 000", 8_500_000),
        ("8  500  000", 8_500_000),
        ("8\u00a0500\u00a0000", 8_500_000),
        ("8\u202f500\u202f000", 8_500_000),
        ("8\u2009500\u2009000", 8_500_000),
        ("8'500'000", 8_500_000),
        ("8’500’000", 8_500_000),
        ("8_500_000", 8_500_000),
        ("8,500,000", 8_500_000),
        ("8.500.000", 8_500_000),
        ("5,000", 5_000),
        ("5.000", 5_000),
        ("8,500,000.50", 8_500_001),
        ("8.500.000,49", 8_500_000),
        ("1 234,5", 1_235),
        ("0", 0),
        # multipliers
        ("8,5 млн", 8_500_000),
        ("8.5 млн", 8_500_000),
        ("8,5млн", 8_500_000),
        ("8,5 млн.", 8_500_000),
        ("8.5 МЛН", 8_500_000),
        ("7.2m", 7_200_000),
        ("7.2M", 7_200_000),
        ("7,2 м", 7_200_000),
        ("5кк", 5_000_000),
        ("5,000 млн", 5_000_000),
        ("2 миллиона", 2_000_000),
        ("8 миллионов", 8_000_000),
        ("1 миллион", 1_000_000),
        ("2 million", 2_000_000),
        ("500k", 500_000),
        ("500 К", 500_000),
        ("500 тыс", 500_000),
        ("500 тыс.", 500_000),
        ("500 тысяч", 500_000),
        ("7.25k", 7_250),
        ("1,2 млрд", 1_200_000_000),
        ("1b", 1_000_000_000),
        ("2 billion", 2_000_000_000),
        # currency marks
        ("8 500 000 ₽", 8_500_000),
        ("₽8 500 000", 8_500_000),
        ("8500000 руб", 8_500_000),
        ("8500000 руб.", 8_500_000),
        ("8500000 р.", 8_500_000),
        ("8 500 000 рублей", 8_500_000),
        ("8,5 млн руб.", 8_500_000),
        ("8.5 mln RUB", 8_500_000),
        ("$1.2m", 1_200_000),
        ("1 200 000 USD", 1_200_000),
        ("1.2m usd", 1_200_000),
        # hedges
        ("около 7 млн", 7_000_000),
        ("до 10 млн", 10_000_000),
        ("~5m", 5_000_000),
        ("up to 5m", 5_000_000),
        # rounding
        ("1.5", 2),
        ("0.0005k", 1),
    ],
)
def test_parse_number_accepts(text: str, expected: int) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "много",
        "5-6 млн",
        "от 5 до 6",
        "-5000",
        "−5000",
        "+5000",
        "5 5",
        "1,2,3",
        "5,00,000",
        "5000 000",
        "5 млн 500 тыс",
        "5e6",
        "12abc",
        "5 евро",
        "5 руб млн",
        "5 млн млн",
        "1/2",
        "5..5",
        ".5",
        "5,5.5",
        "1" * 70,
    ],
)
def test_parse_number_rejects(text: str) -> None:
    assert error_of(lambda: parse_number(text)).code == "not_a_number"


@pytest.mark.parametrize("text", ["", "   ", "\u00a0"])
def test_parse_number_empty(text: str) -> None:
    assert error_of(lambda: parse_number(text)).code == "empty"


def test_validate_number_limits() -> None:
    question = number_question()
    assert validate_number(question, "8,5 млн") == 8_500_000
    assert validate_number(question, "100 000") == 100_000
    assert validate_number(question, "1 млрд") == 1_000_000_000
    too_small = error_of(lambda: validate_number(question, "8"))
    assert (too_small.code, too_small.params) == ("too_small", {"min": 100_000})
    too_large = error_of(lambda: validate_number(question, "2 млрд"))
    assert (too_large.code, too_large.params) == ("too_large", {"max": 1_000_000_000})
    assert error_of(lambda: validate_number(question, "много")).code == "not_a_number"


def test_validate_number_without_limits() -> None:
    assert validate_number(number_question(None, None), "0") == 0


# --- text ---------------------------------------------------------------------------------


def test_validate_text() -> None:
    question = text_question(max_length=10)
    assert validate_text(question, "  Иван Пе  ") == "Иван Пе"
    assert validate_text(question, "x" * 10) == "x" * 10
    empty = error_of(lambda: validate_text(question, " \n\t "))
    assert (empty.code, empty.params) == ("empty", {})
    too_long = error_of(lambda: validate_text(question, "x" * 11))
    assert (too_long.code, too_long.params) == ("too_long", {"max_length": 10})


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("8 (916) 123-45-67", "RU", "+79161234567"),
        ("+7 916 1234567", "RU", "+79161234567"),
        ("79161234567", "RU", "+79161234567"),
        ("9161234567", "RU", "+79161234567"),
        ("+7 (495) 123-45-67", "RU", "+74951234567"),
        ("8-800-555-35-35", "RU", "+78005553535"),
        ("  +7 916 123 45 67  ", "RU", "+79161234567"),
        ("+7 701 123 4567", "RU", "+77011234567"),
        ("+375 29 123-45-67", "RU", "+375291234567"),
        ("+44 20 7946 0958", "RU", "+442079460958"),
        ("0044 20 7946 0958", "RU", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+1 650 253 0000", "RU", "+16502530000"),
        ("+49 30 123456", "RU", "+4930123456"),
    ],
)
def test_normalize_phone(text: str, region: str, expected: str) -> None:
    assert normalize_phone(text, region) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "8 916 CALL ME",
        "+7 916 123 45 67 доб. 5",
        "12345",
        "+7 916 123",
        "8 (916) 123-45-67-89",
        "+999 123 456 789",
        "+" + "1" * 50,
    ],
)
def test_normalize_phone_rejects(text: str) -> None:
    assert error_of(lambda: normalize_phone(text, "RU")).code == "invalid_phone"


# --- multi --------------------------------------------------------------------------------


def test_validate_multi_orders_as_the_checklist_and_drops_unknown_ids() -> None:
    question = multi_question()
    assert validate_multi(question, ["c", "zz", "a"]) == ("a", "c")
    assert validate_multi(question, {"d", "b"}) == ("b", "d")


def test_validate_multi_min_selected() -> None:
    question = multi_question(min_selected=2)
    assert validate_multi(question, ["b", "a"]) == ("a", "b")
    error = error_of(lambda: validate_multi(question, ["a", "gone"]))
    assert (error.code, error.params) == ("select_at_least", {"min_selected": 2})
    assert error_of(lambda: validate_multi(multi_question(), [])).code == "select_at_least"

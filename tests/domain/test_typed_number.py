"""Quantities typed with the question's unit, decimals and multipliers (ru and en)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.answers import AnswerError
from bot.domain.typed_number import is_currency_word, parse_quantity

KM = ("км", "km", "километров", "километра", "километр", "kilometres", "miles")
LITRES = ("л", "l", "литра", "литров", "литр", "litre", "litres", "liter")
RUB = ("₽", "RUB")
METRES = ("м", "m", "метров", "кв. м")
HP = ("л.с.", "hp")


def quantity(
    text: str, units: tuple[str, ...] = (), *, currency: bool = False, decimals: int = 0
) -> Decimal:
    return parse_quantity(text, units=units, currency=currency, decimals=decimals)


def error_code(
    text: str, units: tuple[str, ...] = (), *, currency: bool = False, decimals: int = 0
) -> str:
    with pytest.raises(AnswerError) as caught:
        quantity(text, units, currency=currency, decimals=decimals)
    return caught.value.code


@pytest.mark.parametrize(
    ("text", "units", "decimals", "expected"),
    [
        # mileage: the question's unit in both languages, with and without a multiplier
        ("85 000 км", KM, 0, "85000"),
        ("85000км", KM, 0, "85000"),
        ("85 000 КМ", KM, 0, "85000"),
        ("85,000 km", KM, 0, "85000"),
        ("85 000 km.", KM, 0, "85000"),
        ("85 тыс. км", KM, 0, "85000"),
        ("85 тыс км", KM, 0, "85000"),
        ("85тыс.км", KM, 0, "85000"),
        ("85k km", KM, 0, "85000"),
        ("85K KM", KM, 0, "85000"),
        ("85 т км", KM, 0, "85000"),
        ("120 тысяч километров", KM, 0, "120000"),
        ("около 85 тыс км", KM, 0, "85000"),
        ("примерно 85000 километров", KM, 0, "85000"),
        ("about 50k miles", KM, 0, "50000"),
        ("1 километр", KM, 0, "1"),
        ("85 000", KM, 0, "85000"),
        # engine volume: decimals kept, either decimal mark, unit glued or not
        ("1.6", LITRES, 1, "1.6"),
        ("1,6", LITRES, 1, "1.6"),
        ("1.6 л", LITRES, 1, "1.6"),
        ("1,6л", LITRES, 1, "1.6"),
        ("1,6 Л.", LITRES, 1, "1.6"),
        ("2.0 литра", LITRES, 1, "2.0"),
        ("2 литра", LITRES, 1, "2.0"),
        ("1.6 l", LITRES, 1, "1.6"),
        ("1.65", LITRES, 1, "1.7"),
        ("1.64", LITRES, 1, "1.6"),
        ("1.25", LITRES, 1, "1.3"),
        ("1,6", LITRES, 0, "2"),
        ("0.125", (), 2, "0.13"),
        ("3.14159", (), 6, "3.14159"),
        # a unit that is also a multiplier word wins at the end
        ("85 m", METRES, 0, "85"),
        ("85 м", METRES, 0, "85"),
        ("85k m", METRES, 0, "85000"),
        ("45 кв. м", METRES, 0, "45"),
        ("45,5 кв. м", METRES, 1, "45.5"),
        ("150 л.с.", HP, 0, "150"),
        ("150 л.с", HP, 0, "150"),
        ("150 HP", HP, 0, "150"),
        # ё is е in units too
        ("3 мешка", ("мешок", "мешка", "мешков"), 0, "3"),
        ("3 ёмкости", ("емкости",), 0, "3"),
    ],
)
def test_parse_quantity_reads_units_and_decimals(
    text: str, units: tuple[str, ...], decimals: int, expected: str
) -> None:
    value = quantity(text, units, decimals=decimals)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -decimals


@pytest.mark.parametrize(
    "text",
    ["8 500 000 ₽", "8,5 млн руб.", "8.5 mln RUB", "$1.2m", "5 млн рублей", "около 7 млн ₽"],
)
def test_currency_is_read_when_the_question_is_about_money(text: str) -> None:
    assert quantity(text, RUB, currency=True) > 0


@pytest.mark.parametrize("text", ["85 000 руб", "85000 ₽", "$85000", "85 тыс. rub"])
def test_currency_is_refused_when_the_question_is_not_about_money(text: str) -> None:
    assert error_code(text, KM) == "not_a_number"


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("85 км 3", KM),
        ("км 85", KM),
        ("85 км км", KM),
        ("85 km тыс", KM),
        ("85 миль", KM),
        ("5 ткм", KM),
        ("5 км", METRES),
        ("abc", KM),
        (".5", LITRES),
        ("1.6.2 л", LITRES),
        ("1 6", LITRES),
        ("85 и 90 км", KM),
        ("у меня 85 км пробег", KM),
        ("пробег 85000", KM),
        ("85 000 км, но это не точно", KM),
        ("-5 л", LITRES),
        ("км", KM),
        ("л", LITRES),
        ("85 км" + " " * 10 + "x" * 60, KM),
    ],
)
def test_parse_quantity_refuses_garbage(text: str, units: tuple[str, ...]) -> None:
    assert error_code(text, units, decimals=1) == "not_a_number"


def test_empty_answer() -> None:
    assert error_code("  \u00a0 ", KM) == "empty"


def test_decimals_out_of_range_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="decimals"):
        quantity("1", decimals=7)


def test_long_pasted_text_is_refused_quickly() -> None:
    assert error_code("1 000 " * 20_000, KM) == "not_a_number"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("₽", True),
        ("RUB", True),
        ("руб.", True),
        ("Рублей", True),
        ("USD", True),
        ("$", True),
        ("км", False),
        ("km", False),
        ("л", False),
        ("", False),
    ],
)
def test_is_currency_word(word: str, expected: bool) -> None:
    assert is_currency_word(word) is expected

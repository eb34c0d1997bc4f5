"""Dates as prospects type them, in ru and en, relative to the bot's today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.answers import AnswerError
from bot.domain.typed_dates import check_date_range, parse_date

TODAY = date(2026, 11, 30)  # a Monday


def error_of(text: str, today: date = TODAY) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        parse_date(text, today=today)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numeric
        ("15.03.2027", date(2027, 3, 15)),
        ("15.03.27", date(2027, 3, 15)),
        ("15/03/2027", date(2027, 3, 15)),
        ("15-03-2027", date(2027, 3, 15)),
        ("5.3.2027", date(2027, 3, 5)),
        ("  15.03.2027  ", date(2027, 3, 15)),
        ("15.03.2027.", date(2027, 3, 15)),
        ("15.03.2027 г.", date(2027, 3, 15)),
        ("15.03.2027г", date(2027, 3, 15)),
        ("2027-03-15", date(2027, 3, 15)),
        ("2027.03.15", date(2027, 3, 15)),
        ("15.03.85", date(1985, 3, 15)),  # a birth date: twenty years ahead at most
        ("15.03.46", date(2046, 3, 15)),
        ("15.03.47", date(1947, 3, 15)),
        # without a year: the next such day on or after today
        ("15.03", date(2027, 3, 15)),
        ("1/2", date(2027, 2, 1)),
        ("30.11", date(2026, 11, 30)),
        ("29.11", date(2027, 11, 29)),
        ("01.12", date(2026, 12, 1)),
        ("29.02", date(2028, 2, 29)),
        # Russian month names in every case, short forms, ё, typos
        ("15 марта", date(2027, 3, 15)),
        ("15 марта 2027", date(2027, 3, 15)),
        ("15 марта 2027 г.", date(2027, 3, 15)),
        ("15 марта 2027 года", date(2027, 3, 15)),
        ("15 МАРТА", date(2027, 3, 15)),
        ("15-го марта", date(2027, 3, 15)),
        ("15 мар", date(2027, 3, 15)),
        ("15 мар.", date(2027, 3, 15)),
        ("1 янв.", date(2027, 1, 1)),
        ("1 января", date(2027, 1, 1)),
        ("3 февраля", date(2027, 2, 3)),
        ("3 февр", date(2027, 2, 3)),
        ("1 мая", date(2027, 5, 1)),
        ("10 июня", date(2027, 6, 10)),
        ("10 июля", date(2027, 7, 10)),
        ("20 авг", date(2027, 8, 20)),
        ("1 сентября", date(2027, 9, 1)),
        ("1 сент", date(2027, 9, 1)),
        ("7 октября", date(2027, 10, 7)),
        ("7 ноября", date(2027, 11, 7)),
        ("31 декабря", date(2026, 12, 31)),
        ("31 декабрё", date(2026, 12, 31)),  # ё typed for е
        ("15 сентябя", date(2027, 9, 15)),  # a letter missing
        ("15 октярбя", date(2027, 10, 15)),  # two letters swapped
        ("15 мартa", date(2027, 3, 15)),  # a Latin "a" among Cyrillic letters
        ("март 15", date(2027, 3, 15)),
        # English
        ("March 15", date(2027, 3, 15)),
        ("march 15th", date(2027, 3, 15)),
        ("15 March 2027", date(2027, 3, 15)),
        ("15th of March", date(2027, 3, 15)),
        ("Mar 15, 2027", date(2027, 3, 15)),
        ("Mar. 15 2027", date(2027, 3, 15)),
        ("1st Jan", date(2027, 1, 1)),
        ("December 2", date(2026, 12, 2)),
        ("Septmber 1", date(2027, 9, 1)),
        # relative
        ("сегодня", TODAY),
        ("Сегодня.", TODAY),
        ("today", TODAY),
        ("завтра", date(2026, 12, 1)),
        ("Tomorrow", date(2026, 12, 1)),
        ("послезавтра", date(2026, 12, 2)),
        ("day after tomorrow", date(2026, 12, 2)),
        ("the day after tomorrow", date(2026, 12, 2)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "31.02.2027",
        "31.02",
        "32.01.2027",
        "15.13.2027",
        "00.03.2027",
        "2027-02-30",
        "30 февраля",
        "31 апреля 2027",
        "15.03.2027.2027",
        "15.03.202",
        "15/03.2027",
        "15",
        "2027",
        "март",
        "15 мартобря",
        "15 юня",  # too short to forgive
        "15 июкя",  # short names are too close to each other to guess
        "в пятницу",
        "на следующей неделе",
        "15 марта или 16 марта",
        "15 марта 2027 в 10:00",
        "15 марта 27",
        "abc",
        "15.03.2027" * 10,
    ],
)
def test_parse_date_refuses(text: str) -> None:
    assert error_of(text).code == "not_a_date"


def test_a_year_end_without_a_year_is_next_year() -> None:
    assert parse_date("5 января", today=date(2026, 12, 31)) == date(2027, 1, 5)
    assert parse_date("31.12", today=date(2026, 12, 31)) == date(2026, 12, 31)


def test_a_long_pasted_text_is_refused_quickly() -> None:
    assert error_of("15 марта " * 50_000).code == "not_a_date"


def test_check_date_range() -> None:
    assert check_date_range(TODAY, today=TODAY, min_days=0, max_days=365) == TODAY
    assert check_date_range(date(1985, 3, 15), today=TODAY, min_days=None, max_days=0)
    with pytest.raises(AnswerError) as caught:
        check_date_range(date(2026, 11, 29), today=TODAY, min_days=0, max_days=None)
    assert (caught.value.code, caught.value.params) == ("date_too_early", {"date": TODAY})
    with pytest.raises(AnswerError) as caught:
        check_date_range(date(2027, 12, 1), today=TODAY, min_days=None, max_days=365)
    assert (caught.value.code, caught.value.params) == (
        "date_too_late",
        {"date": date(2027, 11, 30)},
    )
    with pytest.raises(AnswerError) as caught:
        check_date_range(TODAY, today=TODAY, min_days=1, max_days=None)
    assert caught.value.params == {"date": date(2026, 12, 1)}

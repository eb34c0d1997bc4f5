"""E-mail addresses as prospects type them: kept as typed, the domain lowercased."""

from __future__ import annotations

import pytest

from bot.domain.answers import AnswerError
from bot.domain.emails import normalize_email


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ivan@mail.ru", "ivan@mail.ru"),
        ("  ivan@mail.ru \n", "ivan@mail.ru"),
        ("Ivan.Petrov@Mail.RU", "Ivan.Petrov@mail.ru"),
        ("IVAN@GMAIL.COM", "IVAN@gmail.com"),
        ("mailto:ivan@mail.ru", "ivan@mail.ru"),
        ("MAILTO:ivan@mail.ru", "ivan@mail.ru"),
        ("<ivan@mail.ru>", "ivan@mail.ru"),
        ("ivan@mail.ru.", "ivan@mail.ru"),
        ("ivan.petrov+cars@yandex.ru", "ivan.petrov+cars@yandex.ru"),
        ("o'brien@example.co.uk", "o'brien@example.co.uk"),
        ("first_last-2@sub.my-company.com", "first_last-2@sub.my-company.com"),
        ("иван@почта.рф", "иван@почта.рф"),
        ("info@xn--80a1acny.xn--p1ai", "info@xn--80a1acny.xn--p1ai"),
        ("a@b.io", "a@b.io"),
    ],
)
def test_normalize_email(text: str, expected: str) -> None:
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "ivan",
        "ivan@",
        "@mail.ru",
        "ivan@mail",
        "ivan mail.ru",
        "ivan@mail ru",
        "iv an@mail.ru",
        "ivan@mail.ru ivan@gmail.com",
        "ivan@@mail.ru",
        "ivan@mail@ru",
        "ivan@mail,ru",
        "ivan,petrov@mail.ru",
        "ivan@.ru",
        "ivan@mail..ru",
        "ivan@mail.ru..",
        "ivan@-mail.ru",
        "ivan@mail-.ru",
        "ivan@mail_x.ru",
        "ivan@1.2.3.4",
        "ivan@mail.r",
        ".ivan@mail.ru",
        "ivan.@mail.ru",
        "iv..an@mail.ru",
        '"ivan"@mail.ru',
        "ivan@[127.0.0.1]",
        "моя почта ivan@mail.ru",
        "x" * 65 + "@mail.ru",
        "ivan@" + "a" * 64 + ".ru",
        "ivan@" + ".".join(["a" * 60] * 5) + ".ru",
        "ivan@mail.ru" * 10_000,
    ],
)
def test_normalize_email_refuses(text: str) -> None:
    with pytest.raises(AnswerError) as caught:
        normalize_email(text)
    assert caught.value.code == "invalid_email"

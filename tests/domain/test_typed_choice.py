"""Typed answers to choice questions: real answers in ru and en, typos, synonyms, lists."""

from __future__ import annotations

import pytest

from bot.domain.typed_choice import Ambiguous, Choice, Matched, NoMatch, match_many, match_one

# The bundled checklist's options (label ru, label en, short ru, short en) plus synonyms.
ROOMS = (
    Choice("studio", ("Студия", "Studio", "студия", "studio")),
    Choice("room_1", ("1 комната", "1 room", "1-к", "1-room", "однушка", "однокомнатная")),
    Choice("room_2", ("2 комнаты", "2 rooms", "2-к", "2-room", "двушка", "двухкомнатная", "2br")),
    Choice("room_3", ("3 комнаты", "3 rooms", "3-к", "3-room", "трешка", "three-bed")),
    Choice("room_4_plus", ("4 комнаты и больше", "4 rooms or more", "4+ к", "4+ rooms")),
)
PURPOSE = (
    Choice("live", ("Для себя — жить", "To live in", "для себя", "to live")),
    Choice("invest", ("Инвестиция", "As an investment", "инвестиция", "investment")),
    Choice("family", ("Для родных (родители, дети)", "For family (parents, children)")),
    Choice("rent", ("Хочу снять квартиру", "I want to rent a flat", "аренда", "rent")),
)
PAYMENT = (
    Choice("mortgage", ("Ипотека", "Mortgage")),
    Choice("cash", ("Собственные средства", "Own funds", "наличные", "cash")),
    Choice("instalments", ("Рассрочка от застройщика", "Developer's instalment plan")),
    Choice("trade_in", ("Trade-in: зачёт моей квартиры", "Trade-in of my current flat")),
    Choice(
        "state_support",
        (
            "Господдержка: семейная ипотека, субсидии, маткапитал",
            "State programmes: family mortgage, subsidies, maternity capital",
        ),
    ),
)
TIMELINE = (
    Choice("this_month", ("В этом месяце", "This month")),
    Choice("in_1_3_months", ("В ближайшие 1–3 месяца", "In 1–3 months")),
    Choice("in_3_6_months", ("Через 3–6 месяцев", "In 3–6 months")),
    Choice("later", ("Позже / пока просто смотрю", "Later / just looking")),
)
# A car dealer's questions.
BODY = (
    Choice("sedan", ("🚗 Седан", "Sedan", "седан")),
    Choice("suv", ("Внедорожник / кроссовер", "SUV / crossover", "джип", "кроссовер")),
    Choice("hatchback", ("Хэтчбек", "Hatchback")),
    Choice("wagon", ("Универсал", "Estate", "wagon")),
)
CAR_PAYMENT = (
    Choice("cash", ("Наличные", "Cash")),
    Choice("loan", ("Автокредит", "Car loan", "кредит")),
    Choice("trade_in", ("Трейд-ин", "Trade-in", "trade in", "обмен")),
    Choice("leasing", ("Лизинг", "Leasing")),
)
CONDITION = (
    Choice("new", ("Новый", "New")),
    Choice("used", ("С пробегом", "Used", "б/у", "бу")),
)


@pytest.mark.parametrize(
    ("choices", "text", "expected"),
    [
        # the label, any case, punctuation and emoji ignored
        (ROOMS, "Студия", "studio"),
        (ROOMS, "студия", "studio"),
        (ROOMS, "СТУДИЯ!!!", "studio"),
        (ROOMS, "  студия  ", "studio"),
        (ROOMS, "2 комнаты", "room_2"),
        (ROOMS, "2 Rooms", "room_2"),
        (ROOMS, "2-к", "room_2"),
        (ROOMS, "2к", "room_2"),  # digits and letters apart, as in "2-к"
        # synonyms in either language
        (ROOMS, "двушка", "room_2"),
        (ROOMS, "Двушка)", "room_2"),
        (ROOMS, "2BR", "room_2"),
        (ROOMS, "трёшка", "room_3"),
        (ROOMS, "three bed", "room_3"),
        # a number alone names the one option that has it
        (ROOMS, "2", "room_2"),
        (ROOMS, "3", "room_3"),
        (ROOMS, "4", "room_4_plus"),
        # typos and beginnings
        (ROOMS, "студиа", "studio"),
        (ROOMS, "стдия", "studio"),
        (ROOMS, "двухкомнатную", "room_2"),
        (ROOMS, "3 комнат", "room_3"),
        (ROOMS, "2 комн", "room_2"),
        (ROOMS, "двушку", "room_2"),
        (PURPOSE, "инвест", "invest"),
        (PURPOSE, "инвестиции", "invest"),
        (PURPOSE, "Инвестицыя", "invest"),
        (PURPOSE, "investment", "invest"),
        (PURPOSE, "для себя", "live"),
        (PURPOSE, "аренда", "rent"),
        (PURPOSE, "снять", "rent"),
        (PURPOSE, "для родителей", "family"),
        (PAYMENT, "ипотека", "mortgage"),
        (PAYMENT, "ИПОТЕКА.", "mortgage"),
        (PAYMENT, "ипотеку", "mortgage"),
        (PAYMENT, "ипотка", "mortgage"),
        (PAYMENT, "mortage", "mortgage"),
        (PAYMENT, "наверное ипотека", "mortgage"),
        (PAYMENT, "скорее всего ипотека", "mortgage"),
        (PAYMENT, "семейная ипотека", "state_support"),
        (PAYMENT, "маткапитал", "state_support"),
        (PAYMENT, "рассрочка", "instalments"),
        (PAYMENT, "расрочка", "instalments"),
        (PAYMENT, "рассрочку от застройщика", "instalments"),
        (PAYMENT, "trade-in", "trade_in"),
        (PAYMENT, "trade in", "trade_in"),
        (PAYMENT, "cash", "cash"),
        (PAYMENT, "наличными", "cash"),
        (TIMELINE, "в этом месяце", "this_month"),
        (TIMELINE, "позже", "later"),
        (TIMELINE, "просто смотрю", "later"),
        (TIMELINE, "just looking", "later"),
        (TIMELINE, "1-3 месяца", "in_1_3_months"),
        (TIMELINE, "1–3", "in_1_3_months"),
        (BODY, "седан", "sedan"),
        (BODY, "Sedan", "sedan"),
        (BODY, "кросовер", "suv"),
        (BODY, "джип", "suv"),
        (BODY, "suv", "suv"),
        (BODY, "хетчбек", "hatchback"),
        (BODY, "хэтчбэк", "hatchback"),
        (BODY, "универсал", "wagon"),
        (CAR_PAYMENT, "кредит", "loan"),
        (CAR_PAYMENT, "автокредит", "loan"),
        (CAR_PAYMENT, "трейдин", "trade_in"),
        (CAR_PAYMENT, "трейд ин", "trade_in"),
        (CAR_PAYMENT, "обмен", "trade_in"),
        (CAR_PAYMENT, "лизинг", "leasing"),
        (CAR_PAYMENT, "лизингом", "leasing"),
        (CONDITION, "новый", "new"),
        (CONDITION, "новая", "new"),
        (CONDITION, "б/у", "used"),
        (CONDITION, "бу", "used"),
        (CONDITION, "с пробегом", "used"),
        (CONDITION, "used", "used"),
        # the option id
        (ROOMS, "room_2", "room_2"),
        (PAYMENT, "state_support", "state_support"),
        # an exact label beats a word of a longer one: "ипотека" is also in state_support
        (PAYMENT, "Ипотека?", "mortgage"),
    ],
)
def test_match_one_finds_the_option(choices: tuple[Choice, ...], text: str, expected: str) -> None:
    assert match_one(text, choices) == Matched((expected,))


@pytest.mark.parametrize(
    ("choices", "text", "expected"),
    [
        (ROOMS, "комната", ("room_1", "room_2", "room_3", "room_4_plus")),
        (ROOMS, "комнаты", ("room_1", "room_2", "room_3", "room_4_plus")),
        (ROOMS, "rooms", ("room_1", "room_2", "room_3", "room_4_plus")),
        (TIMELINE, "3", ("in_1_3_months", "in_3_6_months")),
        (TIMELINE, "3 месяца", ("in_1_3_months", "in_3_6_months")),
        (TIMELINE, "месяц", ("this_month", "in_1_3_months", "in_3_6_months")),
        (PURPOSE, "для", ("live", "family")),
        (PAYMENT, "mortgage", ("mortgage",)),  # exact: not ambiguous with "family mortgage"
    ],
)
def test_match_one_asks_back_when_several_options_fit(
    choices: tuple[Choice, ...], text: str, expected: tuple[str, ...]
) -> None:
    result = match_one(text, choices)
    if len(expected) == 1:
        assert result == Matched(expected)
    else:
        assert result == Ambiguous(expected)


@pytest.mark.parametrize(
    ("choices", "text"),
    [
        (ROOMS, "5"),
        (ROOMS, "0"),
        (ROOMS, "пять комнат"),
        (ROOMS, "не знаю"),
        (ROOMS, "привет"),
        (ROOMS, ""),
        (ROOMS, "   "),
        (ROOMS, "👍"),
        (ROOMS, "..."),
        (ROOMS, "2 3"),  # two numbers are a list, not one answer
        (ROOMS, "стд"),  # too short for a typo
        (PAYMENT, "а ипотека у вас есть?"),  # a question for the knowledge base
        (PAYMENT, "можно в рассрочку?"),
        (PAYMENT, "криптовалюта"),
        (PAYMENT, "ипотека или рассрочка, еще не решили, подскажите что лучше"),
        (BODY, "купе"),
        (BODY, "седан" * 100),
        (CONDITION, "нов"),  # three letters: neither a beginning nor a typo
    ],
)
def test_match_one_finds_nothing(choices: tuple[Choice, ...], text: str) -> None:
    assert match_one(text, choices) == NoMatch()


@pytest.mark.parametrize(
    ("choices", "text", "expected"),
    [
        (PAYMENT, "ипотека", ("mortgage",)),
        (PAYMENT, "наличные, ипотека", ("mortgage", "cash")),
        (PAYMENT, "Ипотека и рассрочка", ("mortgage", "instalments")),
        (PAYMENT, "mortgage and cash", ("mortgage", "cash")),
        (PAYMENT, "ипотека; маткапитал", ("mortgage", "state_support")),
        (PAYMENT, "ипотека + маткапитал", ("mortgage", "state_support")),
        (PAYMENT, "ипотека & cash", ("mortgage", "cash")),
        (PAYMENT, "ипотека/наличные", ("mortgage", "cash")),
        (PAYMENT, "ипотека, ипотека", ("mortgage",)),
        (PAYMENT, "рассрочка, ипотека, наличные", ("mortgage", "cash", "instalments")),
        (PAYMENT, "ипотка, расрочка", ("mortgage", "instalments")),
        (PAYMENT, "ипотека,", ("mortgage",)),
        (ROOMS, "1 3", ("room_1", "room_3")),
        (ROOMS, "1,3", ("room_1", "room_3")),
        (ROOMS, "1, 3", ("room_1", "room_3")),
        (ROOMS, "1 и 3", ("room_1", "room_3")),
        (ROOMS, "1 and 3", ("room_1", "room_3")),
        (ROOMS, "3, 1, 2", ("room_1", "room_2", "room_3")),
        (ROOMS, "студия, однушка", ("studio", "room_1")),
        (ROOMS, "двушка и трешка", ("room_2", "room_3")),
        # a label that holds a separator is still one option
        (TIMELINE, "Позже / пока просто смотрю", ("later",)),
        (ROOMS, "4 комнаты и больше", ("room_4_plus",)),
        (CONDITION, "б/у", ("used",)),
        (BODY, "SUV / crossover", ("suv",)),
    ],
)
def test_match_many_reads_a_typed_list(
    choices: tuple[Choice, ...], text: str, expected: tuple[str, ...]
) -> None:
    assert match_many(text, choices) == Matched(expected)


def test_match_many_asks_about_the_first_ambiguous_item() -> None:
    assert match_many("ипотека, 3", TIMELINE + PAYMENT) == Ambiguous(
        ("in_1_3_months", "in_3_6_months")
    )
    assert match_many("комната", ROOMS) == Ambiguous(("room_1", "room_2", "room_3", "room_4_plus"))


@pytest.mark.parametrize(
    ("choices", "text"),
    [
        (PAYMENT, "ипотека, криптовалюта"),
        (PAYMENT, "криптовалюта, комната"),
        (PAYMENT, ""),
        (PAYMENT, ", ;"),
        (PAYMENT, "ипотека и рассрочка?"),
        (ROOMS, "1 5"),
        (ROOMS, "1, 2, 3, 4, 5"),
        (ROOMS, ", ".join(["1"] * 200)),
    ],
)
def test_match_many_finds_nothing(choices: tuple[Choice, ...], text: str) -> None:
    assert match_many(text, choices) == NoMatch()


def test_emoji_in_a_label_is_ignored() -> None:
    assert match_one("🚗 седан", BODY) == Matched(("sedan",))
    assert match_one("седан 🚗", BODY) == Matched(("sedan",))


def test_many_long_options_and_a_long_answer_stay_fast() -> None:
    choices = tuple(
        Choice(f"option_{n}", tuple(f"вариант номер {n} длинное описание опции" for _ in range(6)))
        for n in range(30)
    )
    text = " ".join(["описаниеопции"] * 40)[:299]
    # Every typed word is compared with every word of every option: the input bounds keep
    # this to a few thousand comparisons, and a pasted essay is refused at once.
    assert match_one(text, choices) == NoMatch()
    assert match_many(text.replace(" ", ", "), choices) == NoMatch()
    assert match_one("вариант " * 10_000, choices) == NoMatch()
    assert match_many("вариант, " * 10_000, choices) == NoMatch()

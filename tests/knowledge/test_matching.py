"""The matcher against the bundled file: real phrases find their answer, chit-chat none."""

from __future__ import annotations

import pytest

from bot.config import BUNDLED_KNOWLEDGE
from bot.domain.knowledge import (
    Entry,
    Keyword,
    best_match,
    build_entry,
    keyword_problem,
    normalise,
    parse_keyword_list,
    synonym_table,
)
from bot.domain.knowledge_file import load_knowledge

BUNDLED = load_knowledge(BUNDLED_KNOWLEDGE)
ENTRIES = BUNDLED.matcher_entries()


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        # Russian, the way prospects write
        ("а ипотека есть?", "mortgage"),
        ("Ипотеку дают?", "mortgage"),
        ("можно с ипотекой?", "mortgage"),
        ("ипотка есть?", "mortgage"),  # typo
        ("какая отделка", "finishing"),
        ("Какая отделка в квартирах?", "finishing"),
        ("атделка какая?", "finishing"),  # typo
        ("с ремонтом или без?", "finishing"),
        ("далеко от метро", "transport"),
        ("Далеко до метро?", "transport"),
        ("как добираться на автобусе", "transport"),
        ("дорого", "price_objection"),
        ("Дорого!!!", "price_objection"),
        ("дороговато как-то", "price_objection"),
        ("а скидки есть?", "price_objection"),
        ("есть рассрочка?", "instalments"),
        ("можно маткапиталом оплатить?", "subsidies"),
        ("Материнский капитал принимаете?", "subsidies"),
        ("а парковка есть?", "parking"),
        ("паркинг", "parking"),
        ("когда сдача дома?", "completion"),
        ("когда ключи", "completion"),
        ("когда заселение", "completion"),
        ("школа рядом есть?", "schools"),
        ("детский сад далеко?", "schools"),
        ("садики рядом", "schools"),
        ("как проходит просмотр?", "viewing"),
        ("какие документы нужны", "documents"),
        ("это безопасно? эскроу?", "escrow"),
        ("по 214-ФЗ?", "escrow"),
        ("Здравствуйте, подскажите, а какая отделка?", "finishing"),
        ("ЁЛКИ, а ипотека ЕСТЬ?", "mortgage"),
        # English
        ("is there a mortgage?", "mortgage"),
        ("Mortgages?", "mortgage"),
        ("how far is the metro", "transport"),
        ("How far is the subway?", "transport"),  # a synonym of metro
        ("what finishing do the flats have", "finishing"),
        ("too expensive", "price_objection"),
        ("can I pay in instalments", "instalments"),
        ("is there parking", "parking"),
        ("when do I get the keys", "completion"),
        ("any schools nearby?", "schools"),
        ("morgage?", "mortgage"),  # typo
    ],
)
def test_real_questions_find_their_answer(text: str, entry: str) -> None:
    match = best_match(ENTRIES, text)
    assert match is not None, text
    assert match.entry_id == f"file:{entry}"


@pytest.mark.parametrize(
    "text",
    [
        "привет",
        "Привет!",
        "Анна",
        "Иван Петров",
        "+79161234567",
        "+7 916 214 45 67",
        "8 (916) 123-45-67",
        "ok",
        "ок",
        "да",
        "нет",
        "спасибо",
        "hello",
        "thanks!",
        "👍",
        "...",
        "",
        "2-комнатная",
        "квартира 50 метров",  # "метро!" is exact: метров is not метро
        "добрый день",
        # one keyword in passing in a long story is not a question about it
        "мы с женой давно думаем о переезде поближе к родителям и работе, смотрим "
        "разные районы, пока ничего не решили, может быть ипотека потом",
    ],
)
def test_chit_chat_names_and_phones_never_match(text: str) -> None:
    assert best_match(ENTRIES, text) is None


def test_every_bundled_question_finds_its_own_entry() -> None:
    for entry in BUNDLED.entries:
        for language, question in entry.question.items():
            match = best_match(ENTRIES, question)
            assert match is not None and match.entry_id == f"file:{entry.id}", (language, question)


def test_normalise_folds_case_yo_and_punctuation() -> None:
    assert normalise("ЁЖИК, Ёлка!! (Метро)") == ["ежик", "елка", "метро"]
    assert normalise("+7-916") == ["7", "916"]


def test_a_phrase_needs_its_words_in_a_row() -> None:
    entries = [build_entry("a", ["материнский капитал"])]
    assert best_match(entries, "материнский капитал можно?") is not None
    assert best_match(entries, "капитал материнский") is None
    assert best_match(entries, "материнский") is None


def test_exact_keyword_takes_no_other_forms() -> None:
    keyword = Keyword.parse("метро!")
    assert keyword.find(["метро"])[0] == 1.0
    assert keyword.find(["метров"])[0] == 0.0
    assert Keyword.parse("метро").find(["метров"])[0] > 0  # why the mark exists


def test_short_words_match_only_themselves() -> None:
    entries = [build_entry("a", ["дду"])]
    assert best_match(entries, "по дду?") is not None
    assert best_match(entries, "дд") is None
    assert best_match(entries, "ддт") is None


def test_ties_go_to_more_keywords_then_to_the_earlier_entry() -> None:
    first = build_entry("first", ["ипотека"])
    second = build_entry("second", ["ипотека"])
    richer = Entry("richer", (Keyword.parse("ипотека"), Keyword.parse("ипотеку")))
    match = best_match([first, second], "ипотека?")
    assert match is not None and match.entry_id == "first"
    match = best_match([second, first], "ипотека?")
    assert match is not None and match.entry_id == "second"
    # A higher score beats order: two words found beat one.
    both = build_entry("both", ["ипотека", "рассрочка"])
    match = best_match([first, both], "ипотека или рассрочка?")
    assert match is not None and match.entry_id == "both"
    # Same score: the entry with more keywords found wins.
    match = best_match([first, richer], "ипотека и ипотеку")
    assert match is not None and match.entry_id == "richer"


def test_a_word_counts_once_per_entry() -> None:
    entry = build_entry("a", ["ипотека", "ипотеку", "ипотечный"])
    match = best_match([entry], "ипотеку")
    assert match is not None and match.score == 1.0


def test_synonyms_bring_in_their_group() -> None:
    table = synonym_table([["метро!", "подземка"]])
    entry = build_entry("metro", ["метро!"], table)
    assert best_match([entry], "до подземки далеко?") is not None
    assert best_match([build_entry("metro", ["метро!"])], "до подземки?") is None


@pytest.mark.parametrize(
    ("keyword", "usable"),
    [
        ("ипотека", True),
        ("семейная ипотека", True),
        ("214-фз", True),
        ("есть", False),
        ("how", False),
        ("214", False),
        ("!!!", False),
    ],
)
def test_keyword_problems(keyword: str, usable: bool) -> None:
    assert (keyword_problem(keyword) is None) is usable


def test_keyword_list_from_a_command() -> None:
    assert parse_keyword_list(" ипотека , Ипотека,, рассрочка  платежа ") == (
        ["ипотека", "рассрочка платежа"],
        [],
    )
    assert parse_keyword_list("ипотека, есть, 123") == (["ипотека"], ["есть", "123"])

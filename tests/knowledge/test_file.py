"""The knowledge-base file's validator: every mistake as file:line: key: what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BUNDLED_KNOWLEDGE
from bot.domain.knowledge_file import KnowledgeError, load_knowledge, parse_knowledge

GOOD = """\
version: 2
languages: [ru, en]
synonyms:
  en:
    - [metro, subway]
entries:
  - id: mortgage
    question: {ru: "Ипотека?", en: "Mortgage?"}
    keywords:
      ru: [ипотека]
      en: [mortgage]
    answer: {ru: "Да, <есть>.", en: "Yes & more."}
  - id: parking
    question: {ru: "Парковка?", en: "Parking?"}
    keywords:
      ru: [парковка]
      en: [parking]
    answer: {ru: Есть., en: There is.}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        parse_knowledge(text, "kb.yaml")
    return list(caught.value.problems)


def test_the_bundled_file_loads() -> None:
    knowledge = load_knowledge(BUNDLED_KNOWLEDGE)
    assert knowledge.languages == ("ru", "en")
    ids = {entry.id for entry in knowledge.entries}
    assert {
        "mortgage",
        "finishing",
        "transport",
        "price_objection",
        "instalments",
        "subsidies",
        "parking",
        "completion",
        "schools",
        "viewing",
        "documents",
        "escrow",
    } <= ids


def test_a_good_file() -> None:
    knowledge = parse_knowledge(GOOD, "kb.yaml")
    assert knowledge.version == 2
    assert [entry.id for entry in knowledge.entries] == ["mortgage", "parking"]
    assert knowledge.text(knowledge.entries[0].answer, "en") == "Yes & more."
    # A language the file lacks falls back to its first one.
    assert knowledge.text(knowledge.entries[0].answer, "de") == "Да, <есть>."
    assert knowledge.synonyms == {"en": (("metro", "subway"),)}


def test_broken_yaml_names_the_line() -> None:
    text = GOOD.replace("    answer: {ru: Есть., en: There is.}", "    answer: {ru: Есть., en: [")
    [problem] = problems(text)
    assert problem.startswith("kb.yaml:19: YAML syntax error")


def test_a_missing_language() -> None:
    text = GOOD.replace(', en: "Parking?"}', "}")
    assert problems(text) == ["kb.yaml:14: entries[parking].question: missing the 'en' text"]


def test_missing_keywords_of_a_language_and_an_unknown_one() -> None:
    text = GOOD.replace("      en: [mortgage]\n", "      de: [hypothek]\n")
    assert problems(text) == [
        "kb.yaml:9: entries[mortgage].keywords: missing the 'en' keywords",
        "kb.yaml:11: entries[mortgage].keywords.de: unknown language 'de'; languages: ['ru', 'en']",
    ]


def test_an_empty_keyword_list() -> None:
    text = GOOD.replace("      en: [parking]", "      en: []")
    assert problems(text) == [
        "kb.yaml:17: entries[parking].keywords.en: the keyword list is empty: "
        "add at least one word or phrase"
    ]


def test_a_duplicate_id() -> None:
    text = GOOD.replace("  - id: parking", "  - id: mortgage")
    assert problems(text) == [
        "kb.yaml:13: entries[mortgage].id: duplicate id 'mortgage' (also on line 7)"
    ]


def test_everyday_words_and_digits_cannot_be_keywords() -> None:
    text = GOOD.replace("ru: [парковка]", "ru: [парковка, есть, '214']")
    assert problems(text) == [
        "kb.yaml:16: entries[parking].keywords.ru[1]: keyword 'есть' is a common word the "
        "matcher ignores; use a word about the topic, or a phrase",
        "kb.yaml:16: entries[parking].keywords.ru[2]: keyword '214' is only digits: "
        "it would match phone numbers and prices",
    ]


def test_every_problem_at_once_in_line_order() -> None:
    text = (
        GOOD.replace("version: 2", "version: two")
        .replace("  - id: parking", "  - id: Parking Lot")
        .replace(
            "    answer: {ru: Есть., en: There is.}", "    answer: {ru: '', en: x}\n    note: x"
        )
    )
    assert problems(text) == [
        "kb.yaml:1: version: must be a whole number from 1, got 'two'",
        "kb.yaml:13: entries[1].id: 'Parking Lot' is not a valid id: use lowercase latin "
        "letters, digits and _ (at most 40)",
        "kb.yaml:18: entries[1].answer.ru: must be a non-empty text, got ''",
        "kb.yaml:19: entries[1].note: unknown key; an entry has ('id', 'question', "
        "'keywords', 'answer')",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "kb.yaml:1: the file is empty; it starts with version:, languages:"),
        ("- a\n- b\n", "kb.yaml:1: the file is a list, not a mapping; it starts with version:"),
        (
            "languages: [ru]\nentries: []\n",
            "kb.yaml:2: entries: missing or empty: add at least one entry (see the header)",
        ),
    ],
)
def test_a_file_that_is_not_a_knowledge_base(text: str, expected: str) -> None:
    assert problems(text)[0].startswith(expected)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="file not found"):
        load_knowledge(tmp_path / "none.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("languages: [ru]\n# é".encode("latin-1"))
    with pytest.raises(KnowledgeError, match="not UTF-8"):
        load_knowledge(latin1)

"""The clinic's knowledge base answers patients' real questions, and small talk gets none."""

from __future__ import annotations

import pytest

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.knowledge import best_match
from bot.domain.knowledge_file import load_knowledge

CLINIC_KNOWLEDGE = load_knowledge(BUNDLED_CHECKLIST.parent / "clinic" / "knowledge.yaml")
ENTRIES = CLINIC_KNOWLEDGE.matcher_entries()


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("сколько стоит приём?", "prices"),
        ("а цены какие", "prices"),
        ("принимаете по ДМС?", "insurance"),
        ("по полису омс можно?", "insurance"),
        ("какие документы взять с собой", "documents"),
        ("нужен ли паспорт", "documents"),
        ("есть парковка?", "parking"),
        ("детей принимаете?", "children"),
        ("с какого возраста педиатр", "children"),
        ("режим работы", "hours"),
        ("How much is it?", "prices"),
        ("Do you take health insurance?", "insurance"),
        ("What should I bring?", "documents"),
        ("Is there parking?", "parking"),
        ("Do you see children?", "children"),
        ("Are you open on Saturday?", "hours"),
    ],
)
def test_a_question_finds_its_answer(text: str, entry: str) -> None:
    match = best_match(ENTRIES, text)
    assert match is not None, text
    assert match.entry_id == f"file:{entry}"


@pytest.mark.parametrize("text", ["спасибо", "хорошо", "ok", "hello there", "я подумаю"])
def test_small_talk_finds_nothing(text: str) -> None:
    assert best_match(ENTRIES, text) is None


def test_no_answer_speaks_of_flats() -> None:
    for entry in CLINIC_KNOWLEDGE.entries:
        for text in (*entry.answer.values(), *entry.question.values()):
            lowered = text.lower()
            assert "квартир" not in lowered and "flat" not in lowered, entry.id

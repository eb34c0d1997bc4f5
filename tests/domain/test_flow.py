from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.answers import Answer
from bot.domain.checklist import Checklist, Question, QuestionKind
from bot.domain.checklist_file import load_checklist, parse_checklist
from bot.domain.flow import (
    next_question,
    progress,
    relevant_answers,
    step_back,
    visible_questions,
)

Answers = dict[str, Answer | None]

# a → b (only when a is yes) → c (only when b was answered) → d
CLINIC = Path(__file__).resolve().parents[2] / "bot" / "checklists" / "clinic" / "checklist.yaml"

CHAIN = """
id: chain
version: 1
languages: [en]
phone_region: GB
scoring: {target: 2, nurture: 1}
questions:
  - id: a
    kind: single
    text: {en: A}
    options:
      - {id: "yes", text: {en: "Yes"}}
      - {id: "no", text: {en: "No"}}
  - id: b
    kind: text
    optional: true
    when: {a: "yes"}
    text: {en: B}
  - id: c
    kind: text
    when: {b: {answered: true}}
    text: {en: C}
  - id: d
    kind: number
    text: {en: D}
"""


@pytest.fixture(scope="module")
def bundled() -> Checklist:
    return load_checklist()


@pytest.fixture(scope="module")
def chain() -> Checklist:
    return parse_checklist(CHAIN, "chain.yaml")


def ids(questions: object) -> list[str]:
    assert isinstance(questions, tuple)
    return [question.id for question in questions]


# --- visibility ---------------------------------------------------------------------------


def test_when_hides_until_its_condition_holds(bundled: Checklist) -> None:
    assert "mortgage_approval" not in ids(visible_questions(bundled, {}))
    cash: Answers = {
        "purpose": "live",
        "rooms": "room_2",
        "budget": 8_500_000,
        "payment": ("cash",),
    }
    assert "mortgage_approval" not in ids(visible_questions(bundled, cash))
    mortgage = {**cash, "payment": ("mortgage", "cash")}
    assert "mortgage_approval" in ids(visible_questions(bundled, mortgage))


def test_when_chains_through_hidden_questions(chain: Checklist) -> None:
    assert ids(visible_questions(chain, {})) == ["a", "d"]
    assert ids(visible_questions(chain, {"a": "yes"})) == ["a", "b", "d"]
    assert ids(visible_questions(chain, {"a": "yes", "b": "x"})) == ["a", "b", "c", "d"]
    assert ids(visible_questions(chain, {"a": "yes", "b": None})) == ["a", "b", "d"]
    # A stale answer to a hidden question does not reveal what depends on it.
    assert ids(visible_questions(chain, {"a": "no", "b": "x"})) == ["a", "d"]


def test_relevant_answers_drop_hidden_and_unknown(chain: Checklist) -> None:
    answers: Answers = {"a": "no", "b": "x", "c": "y", "d": 5, "old": "z"}
    assert relevant_answers(chain, answers) == {"a": "no", "d": 5}
    assert relevant_answers(chain, {"a": "yes", "b": None}) == {"a": "yes", "b": None}


# --- next question ------------------------------------------------------------------------


def test_next_question_walks_the_bundled_checklist(bundled: Checklist) -> None:
    answers: Answers = {}
    asked = []
    replies: Answers = {
        "purpose": "live",
        "rooms": "room_2",
        "budget": 8_500_000,
        "payment": ("mortgage",),
        "mortgage_approval": "approved",
        "timeline": "in_1_3_months",
        "project": "park_vista",
        "name": "Анна",
        "phone": "+79161234567",
        "call_time": None,
    }
    while (question := next_question(bundled, answers)) is not None:
        asked.append(question.id)
        answers[question.id] = replies[question.id]
    assert asked == list(replies)


def test_next_question_skips_hidden(bundled: Checklist) -> None:
    answers: Answers = {
        "purpose": "live",
        "rooms": "room_2",
        "budget": 8_500_000,
        "payment": ("cash",),
    }
    question = next_question(bundled, answers)
    assert question is not None
    assert question.id == "timeline"


def test_skipped_counts_as_asked(chain: Checklist) -> None:
    question = next_question(chain, {"a": "yes", "b": None})
    assert question is not None
    assert question.id == "d"


def test_complete(chain: Checklist) -> None:
    assert next_question(chain, {"a": "no", "d": 1}) is None


# --- progress -----------------------------------------------------------------------------


def test_progress_counts_the_questions_that_may_still_be_asked(bundled: Checklist) -> None:
    # The mortgage approval waits on the payment: counted until the payment rules it out.
    assert progress(bundled, {}, bundled.question("purpose")) == (1, 10)
    answers: Answers = {"purpose": "live", "rooms": "room_2", "budget": 8_500_000}
    assert progress(bundled, answers, bundled.question("payment")) == (4, 10)
    answers["payment"] = ("mortgage",)
    assert progress(bundled, answers, bundled.question("mortgage_approval")) == (5, 10)
    answers["payment"] = ("cash",)
    assert progress(bundled, answers, bundled.question("timeline")) == (5, 9)


def test_progress_of_the_last_question(chain: Checklist) -> None:
    assert progress(chain, {"a": "no"}, chain.question("d")) == (2, 2)
    assert progress(chain, {"a": "yes", "b": "x", "c": "y"}, chain.question("d")) == (4, 4)


def test_progress_of_a_hidden_question_places_it_after_visible_ones(chain: Checklist) -> None:
    assert progress(chain, {"a": "no"}, chain.question("b")) == (2, 3)


# --- back ---------------------------------------------------------------------------------


def test_back_at_the_first_question(bundled: Checklist) -> None:
    assert step_back(bundled, {}) == ({}, None)


def test_back_at_the_first_question_keeps_unknown_answers(chain: Checklist) -> None:
    answers: Answers = {"old": "x"}
    remaining, question = step_back(chain, answers)
    assert (remaining, question) == ({"old": "x"}, None)
    assert remaining is not answers


def test_back_returns_the_previous_question(bundled: Checklist) -> None:
    answers: Answers = {"purpose": "live", "rooms": "room_2"}
    remaining, question = step_back(bundled, answers)
    assert remaining == {"purpose": "live"}
    assert question is not None
    assert question.id == "rooms"
    assert answers == {"purpose": "live", "rooms": "room_2"}  # not modified


def test_back_jumps_over_a_hidden_question(bundled: Checklist) -> None:
    answers: Answers = {
        "purpose": "live",
        "rooms": "room_2",
        "budget": 8_500_000,
        "payment": ("cash",),
    }
    # Current question is timeline; mortgage_approval is hidden, so Back goes to payment.
    remaining, question = step_back(bundled, answers)
    assert question is not None
    assert question.id == "payment"
    assert remaining == {"purpose": "live", "rooms": "room_2", "budget": 8_500_000}


def test_back_from_a_completed_checklist(chain: Checklist) -> None:
    remaining, question = step_back(chain, {"a": "no", "d": 5})
    assert question is not None
    assert question.id == "d"
    assert remaining == {"a": "no"}


def test_back_after_skip(chain: Checklist) -> None:
    remaining, question = step_back(chain, {"a": "yes", "b": None})
    assert question is not None
    assert question.id == "b"
    assert remaining == {"a": "yes"}


def test_back_after_a_changed_answer_hid_a_later_question(chain: Checklist) -> None:
    # The prospect said yes, answered b and c, went back to a and said no:
    # b and c keep stale answers but are hidden now.
    answers: Answers = {"a": "no", "b": "x", "c": "y"}
    assert ids(visible_questions(chain, answers)) == ["a", "d"]
    current = next_question(chain, answers)
    assert current is not None
    assert current.id == "d"
    assert progress(chain, answers, current) == (2, 2)
    remaining, question = step_back(chain, answers)
    assert question is not None
    assert question.id == "a"
    # Everything from a on goes, stale answers included.
    assert remaining == {}


def test_back_removes_everything_after_the_previous_question(bundled: Checklist) -> None:
    answers: Answers = {
        "purpose": "live",
        "rooms": "room_2",
        "budget": 8_500_000,
        "payment": ("mortgage",),
        "mortgage_approval": "approved",
        "timeline": "this_month",
    }
    remaining, question = step_back(bundled, answers)
    assert question is not None
    assert question.id == "timeline"
    remaining, question = step_back(bundled, remaining)
    assert question is not None
    assert question.id == "mortgage_approval"
    assert "timeline" not in remaining
    assert "mortgage_approval" not in remaining


@pytest.mark.parametrize("reason", ["sick_note", "specialist", "checkup"])
def test_progress_never_grows_on_a_checklist_that_branches_early(reason: str) -> None:
    clinic = load_checklist(CLINIC)
    answers: Answers = {}
    totals = []
    while (question := next_question(clinic, answers)) is not None:
        totals.append(progress(clinic, answers, question)[1])
        answers = {**answers, question.id: _first_answer(question, reason)}
    assert totals == sorted(totals, reverse=True), totals
    assert totals[-1] == len(totals)  # the last question reads "N / N"


def _first_answer(question: Question, reason: str) -> Answer | None:
    if question.is_choice:
        chosen = reason if question.id == "reason" else question.options[0].id
        return (chosen,) if question.kind is QuestionKind.MULTI else chosen
    return None

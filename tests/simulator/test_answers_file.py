"""The answers file: mistakes with their line, and cases run without a person."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.checklist import BUNDLED_CHECKLIST, Checklist, Verdict
from bot.domain.checklist_file import load_checklist
from bot.i18n import Translations
from bot.simulator.answers_file import AnswersFileError, Case, CaseAnswer, Expect, load_cases
from bot.simulator.cases import run_case, run_cases

TODAY = date(2026, 11, 30)
HOT: dict[str, CaseAnswer] = {
    "purpose": "live",
    "rooms": "room_2",
    "budget": "8,5 млн",
    "payment": ("cash",),
    "timeline": "this_month",
    "project": "park_vista",
    "name": "Анна",
    "phone": "+7 916 123-45-67",
}


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist(BUNDLED_CHECKLIST)


def load(tmp_path: Path, checklist: Checklist, text: str) -> tuple[Case, ...]:
    path = tmp_path / "cases.yaml"
    path.write_text(text, encoding="utf-8")
    return load_cases(path, checklist)


def problems(tmp_path: Path, checklist: Checklist, text: str) -> list[str]:
    with pytest.raises(AnswersFileError) as caught:
        load(tmp_path, checklist, text)
    prefix = f"{tmp_path / 'cases.yaml'}:"
    assert all(problem.startswith(prefix) for problem in caught.value.problems)
    return [problem.removeprefix(prefix) for problem in caught.value.problems]


def test_a_case_reads_answers_as_typed(tmp_path: Path, checklist: Checklist) -> None:
    (case,) = load(
        tmp_path,
        checklist,
        "cases:\n"
        "  - name: one\n"
        "    lang: en\n"
        "    answers: {budget: 8500000, payment: [cash, Ипотека], call_time: skip, name: }\n"
        "    expect: {verdict: target, score: 95, rules: []}\n",
    )
    assert case.name == "one"
    assert case.language == "en"
    assert case.answers == {
        "budget": "8500000",
        "payment": ("cash", "Ипотека"),
        "call_time": "skip",
        "name": None,
    }
    assert case.expect == Expect(Verdict.TARGET, 95, frozenset())


def test_one_case_may_stand_at_the_top(tmp_path: Path, checklist: Checklist) -> None:
    (case,) = load(tmp_path, checklist, "answers: {purpose: rent}\nexpect: {verdict: reject}\n")
    assert case.name == "case 1"
    assert case.language == "ru"
    assert case.where == "answers"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cases:\n  - name: a\n    answers: {purpose: live}\n    expcet: {score: 1}\n",
            "4: cases[a].expcet: unknown key (did you mean 'expect'?)",
        ),
        (
            "cases:\n  - name: a\n    answers:\n      purpose: yes\n",
            "4: cases[a].answers.purpose: yes/no, on/off and true/false turn into a yes/no "
            "value in YAML: put them in quotes",
        ),
        (
            "cases:\n  - name: a\n    answers:\n      purpose: [live]\n",
            "4: cases[a].answers.purpose: a list answers only a multi-choice question",
        ),
        (
            "cases:\n  - name: a\n    lang: de\n    answers: {purpose: live}\n",
            "3: cases[a].lang: must be one of: ru, en",
        ),
        (
            "cases:\n  - name: a\n    answers: {purpose: live}\n"
            "    expect:\n      verdict: hot\n      rules: [rnet]\n",
            "5: cases[a].expect.verdict: must be target, nurture or reject",
        ),
        (
            "cases:\n  - name: a\n    answers: {purpose: live}\n    expect:\n      rules: [rnet]\n",
            "5: cases[a].expect.rules: no rule has the id 'rnet' (did you mean 'rent'?)",
        ),
        (
            "cases:\n  - name: a\n    answers: {purpose: live}\n  - name: a\n    answers: {}\n",
            "4: cases[a].name: two cases have this name",
        ),
        (
            "cases:\n  - name: a\n",
            "2: cases[a].answers: expected the answers, like {question_id: answer}",
        ),
        ("cases: []\n", "1: cases: expected a list of cases, each with `answers:`"),
        ("cases:\n  - answers: {purpose: live\n", "3: YAML syntax error at column 1"),
        ("- purpose: live\n", "1: expected `cases:` (a list of cases) or one case's `answers:`"),
    ],
)
def test_mistakes_are_reported_with_line_and_key(
    tmp_path: Path, checklist: Checklist, text: str, expected: str
) -> None:
    found = problems(tmp_path, checklist, text)
    assert any(problem.startswith(expected) for problem in found), found


def test_a_missing_file_is_one_clear_line(tmp_path: Path, checklist: Checklist) -> None:
    with pytest.raises(AnswersFileError) as caught:
        load_cases(tmp_path / "nope.yaml", checklist)
    assert caught.value.problems == (f"{tmp_path / 'nope.yaml'}: file not found",)


def case(answers: dict[str, CaseAnswer], **expect: object) -> Case:
    return Case("c", "ru", answers, Expect(**expect), "cases[c].answers")  # type: ignore[arg-type]


def run(checklist: Checklist, test_case: Case) -> tuple[str, ...]:
    t = Translations("ru").get(test_case.language)
    result = run_case(checklist, test_case, t, TODAY)
    return result.problems + result.warnings


def test_a_case_as_expected_passes(checklist: Checklist) -> None:
    test_case = case(HOT, verdict=Verdict.TARGET, score=105, rules=frozenset({"hot_cash_buyer"}))
    assert run(checklist, test_case) == ()


def test_a_required_question_without_an_answer_is_named(checklist: Checklist) -> None:
    answers = {key: value for key, value in HOT.items() if key != "phone"}
    assert run(checklist, case(answers)) == (
        "cases[c].answers: the question 'phone' is asked and has no answer",
    )


def test_a_refused_answer_fails_with_the_catalogs_text(checklist: Checklist) -> None:
    t = Translations("ru").get("ru")
    assert run(checklist, case({**HOT, "budget": "8"})) == (
        "cases[c].answers.budget: '8' is refused: " + t("problem.too_small", min="100\u00a0000"),
    )


def test_an_answer_to_a_question_never_asked_is_a_warning(checklist: Checklist) -> None:
    found = run(checklist, case({**HOT, "mortgage_approval": "approved"}))
    assert found == (
        "cases[c].answers.mortgage_approval: never asked (its `when` did not hold), "
        "the answer is unused",
    )


def test_a_skip_of_a_required_question_fails(checklist: Checklist) -> None:
    (problem,) = run(checklist, case({**HOT, "rooms": "skip"}))
    assert problem.startswith("cases[c].answers.rooms: 'skip' is refused: this question cannot")


def test_differences_are_listed_and_the_tally_counts(checklist: Checklist) -> None:
    wrong = case(HOT, verdict=Verdict.REJECT, score=1, rules=frozenset({"rent"}))
    written: list[str] = []
    code = run_cases(checklist, (wrong,), Translations("ru").get, TODAY, written.append)
    assert code == 1
    assert written == [
        "FAIL c: target, score 105 of 110, rules [hot_cash_buyer]\n"
        "  verdict reject expected, got target\n"
        "  score 1 expected, got 105\n"
        "  rules [rent] expected, got [hot_cash_buyer]",
        "0 of 1 cases as expected",
    ]

"""The session: every line a person types, read as the chat reads it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.answers import AnswerError
from bot.domain.checklist import BUNDLED_CHECKLIST, Checklist
from bot.domain.checklist_file import load_checklist, parse_checklist
from bot.i18n import Translations
from bot.simulator.session import NOT_OPTIONAL, Accepted, Quit, Refused, Session, SteppedBack
from bot.simulator.terminal import (
    outcome_text,
    plain,
    question_text,
    refused_text,
    run_interactive,
)

TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist(BUNDLED_CHECKLIST)


def session(checklist: Checklist, language: str = "ru") -> Session:
    return Session(checklist, language, Translations("ru").get(language), TODAY)


def answered(walk: Session, *lines: str) -> None:
    for line in lines:
        assert isinstance(walk.take(line), Accepted), line


def test_a_button_number_answers_a_single_choice(checklist: Checklist) -> None:
    walk = session(checklist)
    step = walk.take(" 4 ")
    assert step == Accepted(checklist.question("purpose"), "rent")


@pytest.mark.parametrize("line", ["5", "0", "1 2", "двушку"])
def test_what_is_no_button_is_typed_text_and_refused_as_in_the_chat(
    checklist: Checklist, line: str
) -> None:
    walk = session(checklist)
    t = walk.t
    step = walk.take(line)
    assert isinstance(step, Refused)
    assert step.problem == t("problem.choose_option")
    assert walk.answers == {}


@pytest.mark.parametrize("line", ["1 5", "1,5", "5, 1"])
def test_a_multi_choice_takes_several_numbers(checklist: Checklist, line: str) -> None:
    walk = session(checklist)
    answered(walk, "1", "1", "8 500 000")
    step = walk.take(line)
    assert step == Accepted(checklist.question("payment"), ("mortgage", "state_support"))


def test_back_forgets_the_previous_answer_and_what_rests_on_it(checklist: Checklist) -> None:
    walk = session(checklist)
    answered(walk, "1", "1", "8 500 000", "1")
    assert walk.current is not None and walk.current.id == "mortgage_approval"
    step = walk.take("назад")
    assert step == SteppedBack(checklist.question("payment"))
    assert "payment" not in walk.answers
    answered(walk, "2")
    assert walk.current is not None and walk.current.id == "timeline"


def test_back_at_the_first_question_says_so(checklist: Checklist) -> None:
    walk = session(checklist, "en")
    step = walk.take("b")
    assert step == SteppedBack(None, walk.t("question.first"))


def test_only_an_optional_question_is_skipped(checklist: Checklist) -> None:
    walk = session(checklist)
    step = walk.take("s")
    assert step == Refused(checklist.question("purpose"), NOT_OPTIONAL)
    answered(walk, "1", "1", "8 500 000", "2", "1", "1", "Анна", "+79161234567")
    # The catalog's Skip label, typed, works as in the chat.
    step = walk.take("Пропустить")
    assert step == Accepted(checklist.question("call_time"), None)
    assert walk.current is None


def test_q_quits(checklist: Checklist) -> None:
    assert session(checklist).take("q") == Quit()


def test_a_phone_is_typed_and_checked(checklist: Checklist) -> None:
    walk = session(checklist)
    answered(walk, "1", "1", "8 500 000", "2", "1", "1", "Анна")
    refused = walk.take("123")
    assert isinstance(refused, Refused)
    assert refused.problem == walk.t("problem.invalid_phone")
    assert walk.take("8 916 123-45-67") == Accepted(checklist.question("phone"), "+79161234567")


def test_the_question_shows_its_hint_buttons_and_commands(checklist: Checklist) -> None:
    walk = session(checklist, "en")
    answered(walk, "1", "1")
    shown = question_text(walk, checklist.question("budget"))
    assert shown.startswith("Question 3 / 10\n\nWhat budget do you have in mind?")
    assert "The full price of the flat, mortgage included." in shown
    assert shown.endswith("b) back   q) quit")
    assert "<" not in shown
    first = question_text(session(checklist, "en"), checklist.question("purpose"))
    assert "  4) I want to rent a flat\n  q) quit" in first


def test_the_outcome_of_a_rule_names_it_and_the_message(checklist: Checklist) -> None:
    walk = session(checklist, "en")
    answered(walk, "2", "1", "8 500 000", "2", "4", "1", "Ann", "+79161234567", "s")
    text = outcome_text(walk)
    assert "Verdict: nurture" in text
    assert "rule buying_in_6_12_months (nurture): Plans to buy in 6–12 months" in text
    assert "Follow-up in 60 days" in text
    assert "The prospect reads:\n  Thank you! We will write to you closer to your" in text


def test_a_reject_by_score_says_the_score_missed_the_threshold(checklist: Checklist) -> None:
    walk = session(checklist, "en")
    answered(walk, "3", "1", "2 500 000", "1", "3", "3", "5", "Ann", "+79161234567", "s")
    text = outcome_text(walk)
    assert "Verdict: reject" in text
    assert "score 40 < nurture 45" in text
    assert "rule " not in text


def test_the_interactive_walk_ends_with_1_when_input_runs_out(checklist: Checklist) -> None:
    lines = iter(["1", "q"])
    written: list[str] = []
    assert run_interactive(session(checklist), lambda: next(lines, None), written.append) == 0
    assert written[-1] == "Stopped."
    lines = iter(["1"])
    written.clear()
    assert run_interactive(session(checklist), lambda: next(lines, None), written.append) == 1
    assert "Verdict" not in "\n".join(written)


def test_without_a_rule_message_the_checklists_wording_is_read() -> None:
    text = (Path(__file__).parents[1] / "domain" / "checklists" / "minimal.yaml").read_text(
        encoding="utf-8"
    )
    text += (
        "wording:\n  outcome:\n"
        "    nurture: {ru: 'Напишем вам {date}.', en: 'We will write on {date}.'}\n"
    )
    minimal = parse_checklist(text, "minimal.yaml")
    walk = session(minimal)
    answered(walk, "1", "20")
    shown = outcome_text(walk)
    assert "Verdict: nurture" in shown
    assert "score 10 ≥ nurture 10" in shown
    # The date's own "г." ends the sentence: never "г..".
    assert "The prospect reads:\n  Напишем вам 30 декабря 2026\u202fг.\n" in shown
    walk = session(minimal)
    answered(walk, "1", "60")
    # No rule and no wording for a target: the catalog's neutral text, then the commands.
    shown = outcome_text(walk)
    assert "The prospect reads:\n  Спасибо! " in shown
    assert "{name}" not in shown
    assert shown.endswith("\n\n  " + plain(walk.t("outcome.commands")))


def test_an_ambiguous_answer_lists_its_candidates_with_their_button_numbers(
    checklist: Checklist,
) -> None:
    walk = session(checklist, "en")
    answered(walk, "1")
    rooms = checklist.question("rooms")
    # The bot's parser says "ambiguous" with the option ids it could mean.
    refused = walk.refused(rooms, AnswerError("ambiguous", candidates=("room_3", "room_2")))
    assert refused.candidates == (rooms.option("room_2"), rooms.option("room_3"))
    assert refused_text(walk, refused).splitlines()[1:] == ["  3) 2 rooms", "  4) 3 rooms"]

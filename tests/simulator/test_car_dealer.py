"""The simulator on a checklist from another trade: every new kind and option feature."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.checklist import Checklist
from bot.domain.checklist_file import load_checklist
from bot.i18n import Translations
from bot.simulator.answers_file import load_cases
from bot.simulator.cases import run_cases
from bot.simulator.session import Accepted, Refused, Session
from bot.simulator.terminal import outcome_text, question_text

CAR_DEALER = Path(__file__).parents[1] / "domain" / "checklists" / "car_dealer.yaml"
TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist(CAR_DEALER)


def session(checklist: Checklist, language: str = "ru") -> Session:
    return Session(checklist, language, Translations("ru").get(language), TODAY)


def take(walk: Session, line: str) -> Accepted:
    step = walk.take(line)
    assert isinstance(step, Accepted), (line, step)
    return step


def test_typed_choices_units_dates_and_files_read_as_in_the_chat(checklist: Checklist) -> None:
    walk = session(checklist)
    assert take(walk, "бу").answer == "used"  # a synonym
    assert "  4) Пикап" in question_text(walk, checklist.question("body"))
    assert take(walk, "4").answer == "pickup"
    assert take(walk, "2,5 млн").answer == 2_500_000
    too_many = walk.take("1 2 3")
    assert isinstance(too_many, Refused)
    assert too_many.problem == walk.t("problem.select_at_most", max_selected=2)
    assert take(walk, "наличные, трейд-ин").answer == ("cash", "trade_in")
    assert take(walk, "55 тыс. км").answer == 55_000
    shown = question_text(walk, checklist.question("trade_photo"))
    assert "(type photo to send a simulated file)" in shown
    refused = walk.take("document")  # this question takes photos only
    assert isinstance(refused, Refused)
    assert take(walk, "фото").answer == "photo:simulated-photo"
    assert take(walk, "1,6 л").answer == 1.6
    assert "(the chat shows a calendar: type a date here)" in question_text(
        walk, checklist.question("drive_date")
    )
    assert take(walk, "завтра").answer == "2026-12-01"
    take(walk, "Иван")
    assert take(walk, "Ivan@Example.COM").answer == "Ivan@example.com"
    take(walk, "+7 916 123-45-67")
    assert walk.current is None
    text = outcome_text(walk)
    assert "Verdict: target" in text
    assert "+10 rule trade_in_low_mileage: Трейд-ин свежего автомобиля" in text
    assert "The prospect reads:\n  Иван, спасибо! Менеджер свяжется с вами" in text


def test_an_option_hidden_by_its_condition_has_no_number(checklist: Checklist) -> None:
    walk = session(checklist, "en")
    take(walk, "1")  # new: no pickups
    shown = question_text(walk, checklist.question("body"))
    assert "  3) Hatchback\n  b) back" in shown
    assert "Pickup" not in shown
    refused = walk.take("4")
    assert isinstance(refused, Refused)
    assert refused.problem == walk.t("problem.choose_option")


def test_cases_of_the_other_trade(tmp_path: Path, checklist: Checklist) -> None:
    answers = tmp_path / "cases.yaml"
    answers.write_text(
        """
cases:
  - name: new car for cash
    answers:
      condition: new
      body: кроссовер
      budget: "3 млн руб"
      payment: [cash]
      drive_date: 2026-12-10
      name: Ivan
      phone: "+79161234567"
    expect: {verdict: target, rules: [cash_new]}
  - name: trade-in with a photo
    lang: en
    answers:
      condition: used
      body: saloon
      budget: 1500000
      payment: [car_loan, trade in]
      trade_mileage: "40k km"
      trade_photo: photo
      engine: 1.6
      drive_date: tomorrow
      name: Ann
      email: ann@example.com
      phone: "+79161234567"
    expect: {verdict: target, score: 70, rules: [trade_in_low_mileage]}
""",
        encoding="utf-8",
    )
    written: list[str] = []
    cases = load_cases(answers, checklist)
    code = run_cases(checklist, cases, Translations("ru").get, TODAY, written.append)
    assert written[-1] == "2 of 2 cases as expected", written
    assert code == 0

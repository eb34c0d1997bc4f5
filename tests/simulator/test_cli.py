"""`python -m bot simulate` as a sales-ops person runs it: a real process, stdin piped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.i18n import Translations
from bot.simulator.terminal import plain

ROOT = Path(__file__).resolve().parents[2]
CASES = BUNDLED_CHECKLIST.with_name("new_buildings.cases.yaml")
TYPO = ROOT / "tests" / "domain" / "checklists" / "typo_key.yaml"


def simulate(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "simulate", *map(str, args)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "TIMEZONE": "Europe/Moscow"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_person_walks_the_bundled_checklist_to_target_in_english() -> None:
    t = Translations("ru").get("en")
    lines = [
        "1",  # To live in
        "3",  # 2 rooms
        "lots of money",  # refused: not a number
        "8,5 млн",
        "1",  # Mortgage
        "b",  # back from the approval question to the payment
        "9",  # no such button: typed text, refused as in the chat
        "2",  # Own funds: the approval question is gone
        "1",  # This month
        "2",  # Park Vista
        "Anna",
        "+7 916 123-45-67",
        "s",  # the optional call time
    ]
    result = simulate(BUNDLED_CHECKLIST, "--lang", "en", stdin="\n".join(lines) + "\n")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "What are you looking for a flat for?\n  1) To live in\n  2) As an investment" in out
    assert t("problem.not_a_number") in out
    assert t("problem.choose_option") in out
    # Back re-asked the payment question; its second answer dropped the mortgage branch.
    assert out.count("How are you planning to pay?") == 3
    assert out.count("Has a bank already approved your mortgage?") == 1
    spaced = out.replace("\u2009", " ").replace("\u00a0", " ")
    assert plain(t("answer.given", answer="8 500 000 RUB")) in spaced
    assert plain(t("answer.given", answer=t("answer.skipped"))) in out
    assert "Verdict: target" in out
    assert "Score 105 of 110" in out
    assert "rule hot_cash_buyer (target): Ready to buy this month with own funds" in out
    assert "score 105 ≥ target 80" in out


def test_the_input_ending_early_says_so() -> None:
    result = simulate(BUNDLED_CHECKLIST, stdin="1\n")

    assert result.returncode == 1
    assert "Сколько комнат вам нужно?" in result.stdout
    assert "The input ended before the last question." in result.stdout


def test_the_bundled_answers_file_runs_green() -> None:
    result = simulate(BUNDLED_CHECKLIST, "--answers", CASES)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 of 5 cases as expected" in result.stdout
    assert "FAIL" not in result.stdout


def test_a_case_that_differs_fails_and_says_how(tmp_path: Path) -> None:
    answers = tmp_path / "cases.yaml"
    answers.write_text(
        CASES.read_text(encoding="utf-8").replace(
            "{verdict: target, score: 105, rules: [hot_cash_buyer]}",
            "{verdict: nurture, score: 105, rules: []}",
        ),
        encoding="utf-8",
    )
    result = simulate(BUNDLED_CHECKLIST, "--answers", answers)

    assert result.returncode == 1
    assert "FAIL hot cash buyer: target, score 105 of 110" in result.stdout
    assert "verdict nurture expected, got target" in result.stdout
    assert "rules [] expected, got [hot_cash_buyer]" in result.stdout
    assert "4 of 5 cases as expected" in result.stdout


def test_a_broken_checklist_exits_2_with_the_line() -> None:
    result = simulate(TYPO, stdin="1\n")

    assert result.returncode == 2
    assert f"{TYPO}:10: questions[purpose].optinos:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_broken_answers_file_exits_2_with_the_line(tmp_path: Path) -> None:
    answers = tmp_path / "cases.yaml"
    answers.write_text(
        "cases:\n  - name: hot buyer\n    answers:\n      purpose: live\n      budjet: 8500000\n",
        encoding="utf-8",
    )
    result = simulate(BUNDLED_CHECKLIST, "--answers", answers)

    assert result.returncode == 2
    assert (
        f"{answers}:5: cases[hot buyer].answers.budjet: no question has this id "
        "(did you mean 'budget'?)"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_today_fixes_the_day_typed_dates_count_from(tmp_path: Path) -> None:
    dealer = ROOT / "tests" / "domain" / "checklists" / "car_dealer.yaml"
    answers = tmp_path / "dealer.cases.yaml"
    answers.write_text(
        """
answers:
  condition: new
  body: suv
  budget: 4000000
  payment: [cash]
  engine: 2.0
  drive_date: "15.12"
  name: Ivan
  phone: "+79161234567"
expect: {verdict: target}
""",
        encoding="utf-8",
    )
    soon = simulate(dealer, "--answers", answers, "--today", "2026-12-01")
    assert soon.returncode == 0, soon.stdout + soon.stderr
    assert "1 of 1 cases as expected" in soon.stdout
    # "15.12" typed on 16 December is next year's: beyond the 60 days the question allows.
    late = simulate(dealer, "--answers", answers, "--today", "2026-12-16")
    assert late.returncode == 1
    assert "0 of 1 cases as expected" in late.stdout

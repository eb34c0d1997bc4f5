"""The clinic's expected outcomes (checklist.cases.yaml) hold, as the simulator runs them."""

from __future__ import annotations

from datetime import date

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.checklist_file import load_checklist
from bot.i18n import Translations
from bot.simulator.answers_file import load_cases
from bot.simulator.cases import run_cases

FOLDER = BUNDLED_CHECKLIST.parent / "clinic"


def test_every_case_of_the_clinic_is_as_expected() -> None:
    checklist = load_checklist(FOLDER / "checklist.yaml")
    cases = load_cases(FOLDER / "checklist.cases.yaml", checklist)
    written: list[str] = []
    code = run_cases(checklist, cases, Translations("ru").get, date(2026, 11, 30), written.append)
    assert written[-1] == f"{len(cases)} of {len(cases)} cases as expected", "\n".join(written)
    assert code == 0
    assert len(cases) == 6

"""The simulator's entry point on in-memory streams: languages and what goes where."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.checklist_file import load_checklist
from bot.i18n import Translations
from bot.simulator.answers_file import load_cases
from bot.simulator.cli import simulate
from bot.simulator.terminal import plain


def run(*, lang: str | None, answers: Path | None = None, typed: str = "") -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = simulate(BUNDLED_CHECKLIST, lang, answers, stdin=StringIO(typed), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_an_unknown_language_is_refused_with_the_checklists_languages() -> None:
    code, out, err = run(lang="de", typed="1\n")
    assert code == 2
    assert out == ""
    assert err == "leadsieve: --lang de: the checklist's languages are ru, en\n"


def test_piped_input_is_echoed_after_the_prompt() -> None:
    code, out, _ = run(lang="en", typed="4\nq\n")
    assert code == 0
    given = plain(Translations("ru").get("en")("answer.given", answer="I want to rent a flat"))
    assert f"  q) quit\n> 4\n{given}\n" in out
    assert out.endswith("> q\nStopped.\n")


def test_cases_without_lang_take_the_lang_option(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n  - answers: {purpose: rent}\n  - lang: ru\n    answers: {}\n")
    checklist = load_checklist(BUNDLED_CHECKLIST)
    first, second = load_cases(path, checklist, "en")
    assert (first.language, second.language) == ("en", "ru")
    assert load_cases(path, checklist)[0].language == "ru"

"""The default hints under a question: a number's example with its unit, no amount at all
without one, and a line of their own for dates, e-mail and files."""

from __future__ import annotations

from datetime import date

from bot.domain.checklist_file import load_checklist
from bot.i18n import Translations
from bot.keyboards.calendar import calendar_rows
from bot.views.prospect import question_screen
from tests.kinds.conftest import CAR_DEALER

CARS = load_checklist(CAR_DEALER)
EN = Translations("ru").get("en")
TODAY = date(2026, 11, 22)


def hint(question_id: str) -> str:
    screen = question_screen(
        CARS.question(question_id), EN, "en", position=2, total=9, can_go_back=True, today=TODAY
    )
    return screen.text.split("\n")[-1]


def test_a_number_hint_uses_the_example_and_the_unit() -> None:
    assert hint("trade_mileage") == "<i>Type a number, for example: 85\u2009000\u00a0km</i>"
    assert hint("engine") == "<i>Type a number, for example: 1.6\u00a0l</i>"


def test_a_number_without_an_example_names_no_amount() -> None:
    bare = CARS.question("trade_mileage").model_copy(update={"example": None})
    screen = question_screen(bare, EN, "en", position=1, total=1, can_go_back=False)
    assert screen.text.endswith("<i>Type the answer as a number.</i>")


def test_dates_e_mail_and_files_have_hints_of_their_own() -> None:
    assert "Pick a day on the calendar" in hint("drive_date")
    assert "name@example.com" in hint("email")
    assert "Send a photo or a file" in hint("trade_photo")


def test_the_calendar_starts_on_monday_in_english() -> None:
    rows = calendar_rows(CARS.question("drive_date"), "en", TODAY, TODAY)
    assert [b.text for b in rows[0]] == ["·", "November 2026", "›"]
    assert [b.text for b in rows[1]] == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
    # 1 November 2026 is a Sunday: six blanks before it, and all of it is in the past.
    assert [b.text for b in rows[2]] == ["·"] * 7
    assert [b.text for b in rows[-1]] == ["30", "·", "·", "·", "·", "·", "·"]

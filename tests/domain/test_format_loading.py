"""The loader on the format's newer keys: what a good file gives, and every mistake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.checklist import Checklist, MediaKind, QuestionKind, Verdict
from bot.domain.checklist_file import load_checklist, parse_checklist
from bot.domain.conditions import DateTest, NumberOp, NumberTest
from tests.domain.test_checklist_loading import changed, first_problem, line_of, problems

HERE = Path(__file__).parent / "checklists"
CAR_DEALER = HERE / "car_dealer.yaml"
CAR_TEXT = CAR_DEALER.read_text(encoding="utf-8")


def test_car_dealer_checklist_loads() -> None:
    checklist = load_checklist(CAR_DEALER)
    engine = checklist.question("engine")
    assert engine.decimals == 1
    assert (engine.min, engine.max, engine.example) == (0.6, 8.0, 1.6)
    assert engine.unit_words is not None
    assert "литров" in engine.unit_words.all()
    drive = checklist.question("drive_date")
    assert drive.kind is QuestionKind.DATE
    assert (drive.min_days, drive.max_days, drive.points) == (0, 60, 10)
    photo = checklist.question("trade_photo")
    assert photo.kind is QuestionKind.MEDIA
    assert photo.accept == (MediaKind.PHOTO,)
    assert checklist.question("email").kind is QuestionKind.EMAIL
    assert checklist.question("payment").max_selected == 2
    pickup = checklist.question("body").option("pickup")
    assert pickup.when is not None
    assert "б/у" in checklist.question("condition").option("used").words()
    rules = {rule.id: rule for rule in checklist.rules}
    assert rules["trade_in_low_mileage"].points == 10
    assert rules["trade_in_low_mileage"].verdict is None
    assert rules["big_engine_cheap"].points == -10
    assert rules["cash_new"].verdict is Verdict.TARGET
    assert checklist.wording.appointment is not None
    assert checklist.wording.appointment.get("ru") == "Тест-драйв"


def test_media_accepts_both_kinds_by_default() -> None:
    text = changed("    accept: [photo]\n", "", CAR_TEXT)
    checklist = load_checklist_text(text)
    assert checklist.question("trade_photo").accept == (MediaKind.PHOTO, MediaKind.DOCUMENT)


def test_date_conditions_take_yaml_dates_and_iso_text() -> None:
    checklist = load_checklist(CAR_DEALER)
    far = next(rule for rule in checklist.rules if rule.id == "drive_far_away")
    assert far.when == DateTest(question="drive_date", op=NumberOp.GT, value="2100-01-01")
    text = changed("{drive_date: {gt: 2100-01-01}}", "{drive_date: {gt: '2100-01-01'}}", CAR_TEXT)
    again = next(rule for rule in load_checklist_text(text).rules if rule.id == "drive_far_away")
    assert again.when == far.when
    shorthand = changed("{drive_date: {gt: 2100-01-01}}", "{drive_date: 2100-01-01}", CAR_TEXT)
    eq = next(rule for rule in load_checklist_text(shorthand).rules if rule.id == "drive_far_away")
    assert eq.when == DateTest(
        question="drive_date", op=NumberOp.EQ, value=date(2100, 1, 1).isoformat()
    )


def test_number_conditions_take_decimals() -> None:
    checklist = load_checklist(CAR_DEALER)
    rule = next(rule for rule in checklist.rules if rule.id == "big_engine_cheap")
    assert NumberTest(question="engine", op=NumberOp.GTE, value=3.0) in rule.when.items  # type: ignore[union-attr]


def load_checklist_text(text: str) -> Checklist:
    return parse_checklist(text, "test.yaml")


# --- mistakes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        # numbers
        ("    decimals: 1\n", "    decimals: 7\n", "questions[engine].decimals", "at most 6"),
        ("    decimals: 1\n", "    decimals: one\n", "questions[engine].decimals", "whole number"),
        ("    decimals: 1\n", "", "questions[engine].min", "keep whole numbers only"),
        ("    example: 1.6\n", "    example: 1.65\n", "questions[engine].example", "decimals: 2"),
        (
            "    example: 85000\n",
            "    example: 2000000\n",
            "questions[trade_mileage].example",
            "outside min..max",
        ),
        (
            "    example: 85000\n",
            "    example: lots\n",
            "questions[trade_mileage].example",
            "expected a number, got 'lots'",
        ),
        (
            "unit_words: {ru: [руб, рублей, р], en: [rub, roubles]}",
            "unit_words: {ru: [руб], de: [rubel]}",
            "questions[budget].unit_words",
            "unknown language 'de'",
        ),
        (
            "unit_words: {ru: [руб, рублей, р], en: [rub, roubles]}",
            "unit_words: руб",
            "questions[budget].unit_words",
            "lists of words per language",
        ),
        (
            "    max: 100000000\n",
            "    max: 100000000\n    min_days: 1\n",
            "questions[budget].min_days",
            "only for date questions",
        ),
        # dates
        (
            "    max_days: 60\n",
            "    max_days: -1\n",
            "questions[drive_date].min_days",
            "min_days (0) is greater than max_days (-1)",
        ),
        (
            "    min_days: 0\n",
            "    min_days: soon\n",
            "questions[drive_date].min_days",
            "whole number",
        ),
        (
            "    max_days: 60\n",
            "    max_days: 60\n    decimals: 1\n",
            "questions[drive_date].decimals",
            "only for number questions",
        ),
        # media
        (
            "    accept: [photo]\n",
            "    accept: [photo, video]\n",
            "questions[trade_photo].accept[1]",
            "must be one of",
        ),
        (
            "    accept: [photo]\n",
            "    accept: []\n",
            "questions[trade_photo].accept",
            "accept needs photo, document or both",
        ),
        (
            "    accept: [photo]\n",
            "    accept: [photo, photo]\n",
            "questions[trade_photo].accept",
            "the same kind twice",
        ),
        (
            '    points: 5\n    text: {ru: "Оставьте',
            '    accept: [photo]\n    points: 5\n    text: {ru: "Оставьте',
            "questions[phone].accept",
            "only for media questions",
        ),
        # choices
        (
            "    max_selected: 2\n",
            "    max_selected: 5\n",
            "questions[payment].max_selected",
            "only 4 options",
        ),
        (
            "    max_selected: 2\n",
            "    max_selected: 1\n    min_selected: 2\n",
            "questions[payment].max_selected",
            "below min_selected (2)",
        ),
        (
            "    max_selected: 2\n",
            "    max_selected: 0\n",
            "questions[payment].max_selected",
            "at least 1",
        ),
        (
            "    min: 100000\n",
            "    min: 100000\n    max_selected: 2\n",
            "questions[budget].max_selected",
            "only for multi questions",
        ),
        (
            "synonyms: {en: [saloon]}",
            "synonyms: {fr: [berline]}",
            "questions[body].options[sedan].synonyms",
            "unknown language 'fr'",
        ),
        (
            "synonyms: {en: [saloon]}",
            "synonyms: {en: ['']}",
            "questions[body].options[sedan].synonyms",
            "empty word",
        ),
        (
            "        when: {condition: used}",
            "        when: {budget: {gt: 5}}",
            "questions[body].options[pickup].when.budget",
            "comes later; a question can only depend on answers to earlier questions",
        ),
        (
            "        when: {condition: used}",
            "        when: {body: sedan}",
            "questions[body].options[pickup].when.body",
            "cannot depend on its own answer",
        ),
        (
            "        when: {condition: used}",
            "        when: {condition: old}",
            "questions[body].options[pickup].when.condition",
            "has no option 'old'",
        ),
        # conditions on the new kinds
        (
            "when: {drive_date: {gt: 2100-01-01}}",
            "when: {drive_date: {gt: 5}}",
            "rules[drive_far_away].when.drive_date.gt",
            "is a date question",
        ),
        (
            "when: {drive_date: {gt: 2100-01-01}}",
            "when: {budget: {gt: 2100-01-01}}",
            "rules[drive_far_away].when.budget.gt",
            "dates can only be compared",
        ),
        (
            "when: {drive_date: {gt: 2100-01-01}}",
            "when: {email: {gt: 5}}",
            "rules[drive_far_away].when.email.gt",
            "is a email question: only 'answered'",
        ),
        (
            "when: {drive_date: {gt: 2100-01-01}}",
            "when: {trade_photo: photo}",
            "rules[drive_far_away].when.trade_photo",
            "is a media question: only 'answered'",
        ),
        # rules
        (
            '    points: 10\n    reason:\n      ru: "Трейд-ин',
            '    reason:\n      ru: "Трейд-ин',
            "rules[trade_in_low_mileage]",
            "needs either verdict",
        ),
        (
            "    points: -10\n",
            "    points: -10\n    verdict: reject\n",
            "rules[big_engine_cheap].points",
            "either verdict or points, not both",
        ),
        (
            "    points: -10\n",
            "    points: -10\n    follow_up_days: 3\n",
            "rules[big_engine_cheap].follow_up_days",
            "a points rule only adds to the score",
        ),
        (
            "    points: -10\n",
            "    points: -10\n    message: {ru: a, en: b}\n",
            "rules[big_engine_cheap].message",
            "has no message",
        ),
        (
            "    points: -10\n",
            "    points: ten\n",
            "rules[big_engine_cheap].points",
            "whole number",
        ),
        (
            '      ru: "{name}, отлично!',
            '      ru: "{date}, отлично!',
            "rules[cash_new].message",
            "unknown placeholder {date}",
        ),
        (
            '      ru: "{name}, спасибо! Сейчас',
            '      ru: "{nam}, спасибо! Сейчас',
            "rules[too_cheap].message",
            "unknown placeholder {nam} (usable: {name})",
        ),
    ],
)
def test_format_mistakes(old: str, new: str, path: str, message: str) -> None:
    text = changed(old, new, CAR_TEXT)
    found = problems(text)
    wanted = [line for line in found.splitlines() if f": {path}: " in line]
    assert wanted, found
    assert message in wanted[0], found
    assert wanted[0].startswith("test.yaml:")


def test_nurture_rule_message_may_name_the_date() -> None:
    checklist = load_checklist(CAR_DEALER)
    far = next(rule for rule in checklist.rules if rule.id == "drive_far_away")
    assert far.message is not None
    assert "{date}" in far.message.get("en")


def test_mistake_points_at_the_line() -> None:
    text = changed("    max_selected: 2\n", "    max_selected: 9\n", CAR_TEXT)
    assert first_problem(text).startswith(
        f"test.yaml:{line_of(text, 'max_selected: 9')}: questions[payment].max_selected: "
    )


def test_bundled_checklist_has_the_new_keys() -> None:
    checklist = load_checklist()
    assert checklist.version >= 2
    budget = checklist.question("budget")
    assert budget.example == 8_500_000
    assert budget.unit_words is not None
    assert "рублей" in budget.unit_words.all()
    rooms = checklist.question("rooms")
    assert "двушка" in rooms.option("room_2").words()
    assert "two-bed" in rooms.option("room_2").words()
    assert "студию" in rooms.option("studio").words()
    assert checklist.wording.appointment is not None
    assert checklist.wording.appointment.get("en") == "Viewing"

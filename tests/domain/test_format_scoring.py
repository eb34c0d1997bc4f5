"""Points rules, options shown on a condition, the new kinds in scoring and conditions, and
how their answers read, on the car dealer's checklist."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.answers import Answer, Answers
from bot.domain.checklist import Checklist, MediaKind, describe_answer
from bot.domain.checklist_file import load_checklist, parse_checklist
from bot.domain.conditions import matches, parse_condition
from bot.domain.flow import next_question, visible_options, visible_questions
from bot.domain.scoring import Verdict, assess, max_score, score
from bot.storage.codec import dump_reasons, load_reasons

CAR_DEALER = Path(__file__).parent / "checklists" / "car_dealer.yaml"


@pytest.fixture(scope="module")
def cars() -> Checklist:
    return load_checklist(CAR_DEALER)


def buyer(**changes: Answer | None) -> dict[str, Answer | None]:
    answers: dict[str, Answer | None] = {
        "condition": "used",
        "body": "sedan",
        "budget": 2_000_000,
        "payment": ("car_loan",),
        "engine": 1.6,
        "drive_date": "2027-03-15",
        "name": "Ivan",
        "email": "ivan@example.com",
        "phone": "+79161234567",
    }
    answers.update(changes)
    return answers


def ids(items: object) -> list[str]:
    assert isinstance(items, tuple)
    return [item.id for item in items]


# --- options shown on a condition ---------------------------------------------------------


def test_option_when_shows_the_option_only_when_it_holds(cars: Checklist) -> None:
    body = cars.question("body")
    assert "pickup" not in ids(visible_options(cars, body, {"condition": "new"}))
    assert "pickup" in ids(visible_options(cars, body, {"condition": "used"}))
    assert "pickup" not in ids(visible_options(cars, body, {}))


def test_choice_question_with_no_visible_option_is_not_asked(cars: Checklist) -> None:
    text = CAR_DEALER.read_text(encoding="utf-8").replace(
        "synonyms: {en: [saloon]}", "synonyms: {en: [saloon]}\n        when: {condition: used}"
    )
    for option in ("suv", "hatchback"):
        text = text.replace(
            f"      - id: {option}\n", f"      - id: {option}\n        when: {{condition: used}}\n"
        )
    used_only = parse_checklist(text, "test.yaml")
    assert "body" not in ids(visible_questions(used_only, {"condition": "new"}))
    question = next_question(used_only, {"condition": "new"})
    assert question is not None
    assert question.id == "budget"
    assert "body" in ids(visible_questions(used_only, {"condition": "used"}))


def test_best_score_counts_only_visible_options(cars: Checklist) -> None:
    # Give the pickup (used cars only) the most points: they count only when it is shown.
    text = CAR_DEALER.read_text(encoding="utf-8").replace(
        "        when: {condition: used}", "        when: {condition: used}\n        points: 50"
    )
    rich = parse_checklist(text, "test.yaml")
    assert max_score(rich, {"condition": "used"}) == max_score(rich, {"condition": "new"}) + 50


# --- points rules -------------------------------------------------------------------------


def test_points_rule_adds_to_the_score_and_is_a_reason(cars: Checklist) -> None:
    without = buyer(payment=("trade_in",), trade_mileage=90_000)
    with_bonus = buyer(payment=("trade_in",), trade_mileage=45_000)
    assert score(cars, with_bonus) == score(cars, without) + 10
    assessment = assess(cars, with_bonus)
    points = [reason for reason in assessment.reasons if reason.kind == "points"]
    assert [(r.rule_id, r.points) for r in points] == [("trade_in_low_mileage", 10)]
    assert points[0].text is not None
    assert "60 000" in points[0].text.get("ru")
    assert assessment.reasons[-1].kind == "score"
    assert not [reason for reason in assess(cars, without).reasons if reason.kind == "points"]


def test_points_rule_may_subtract_with_decimal_comparison(cars: Checklist) -> None:
    small = buyer(budget=900_000, engine=2.9)
    big = buyer(budget=900_000, engine=3.0)
    assert score(cars, big) == score(cars, small) - 10
    reasons = assess(cars, big).reasons
    assert [(r.rule_id, r.points) for r in reasons if r.kind == "points"] == [
        ("big_engine_cheap", -10)
    ]


def test_points_rules_never_decide(cars: Checklist) -> None:
    # The score alone decides: the bonus lifts it, the verdict follows the thresholds.
    answers = buyer(payment=("trade_in",), trade_mileage=10_000)
    assessment = assess(cars, answers)
    assert not [reason for reason in assessment.reasons if reason.kind == "rule"]
    assert assessment.reasons[-1].verdict is assessment.verdict
    assert assessment.prospect_message is None


def test_best_score_counts_positive_points_rules_only(cars: Checklist) -> None:
    base = max_score(cars, buyer())
    # condition 15, body 0, budget 20, payment 20, drive 10, email 5, phone 5, bonus rule 10
    assert base == 15 + 0 + 20 + 20 + 10 + 5 + 5 + 10
    # With a trade-in the photo question is asked too (5 more).
    assert max_score(cars, buyer(payment=("trade_in",))) == base + 5


def test_new_kinds_earn_points_for_answering(cars: Checklist) -> None:
    answered = buyer(payment=("trade_in",), trade_mileage=90_000, trade_photo="photo:AgAD")
    skipped = buyer(payment=("trade_in",), trade_mileage=90_000, trade_photo=None, email=None)
    assert score(cars, answered) == score(cars, skipped) + 5 + 5


def test_target_rule_message_is_the_prospect_message(cars: Checklist) -> None:
    assessment = assess(cars, buyer(condition="new", payment=("cash",)))
    assert assessment.verdict is Verdict.TARGET
    assert [r.rule_id for r in assessment.reasons if r.kind == "rule"] == ["cash_new"]
    assert assessment.prospect_message is not None
    assert assessment.prospect_message.get("en").startswith("{name}, great!")


def test_date_rule_decides_nurture(cars: Checklist) -> None:
    assessment = assess(cars, buyer(drive_date="2100-06-01"))
    assert assessment.verdict is Verdict.NURTURE
    assert assessment.follow_up_days == 45
    soon = assess(cars, buyer(drive_date="2027-06-01"))
    assert not [reason for reason in soon.reasons if reason.kind == "rule"]


def test_reject_rule_on_a_budget(cars: Checklist) -> None:
    assessment = assess(cars, buyer(budget=200_000))
    assert assessment.verdict is Verdict.REJECT
    assert assessment.prospect_message is not None


# --- conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        ({"engine": {"gte": 1.6}}, {"engine": 1.6}, True),
        ({"engine": {"gt": 1.6}}, {"engine": 1.6}, False),
        ({"engine": {"lt": 2}}, {"engine": 1.9}, True),
        ({"engine": 1.6}, {"engine": 1.6}, True),
        ({"budget": {"lt": 1.5}}, {"budget": 1}, True),
        ({"engine": {"gte": 1.0}}, {"engine": True}, False),
        ({"day": {"lt": "2027-01-01"}}, {"day": "2026-12-31"}, True),
        ({"day": {"lt": "2027-01-01"}}, {"day": "2027-01-01"}, False),
        ({"day": {"gte": "2027-01-01"}}, {"day": "2027-01-01"}, True),
        ({"day": {"eq": "2027-01-01"}}, {"day": "not a date"}, False),
        ({"day": {"lt": "2027-01-01"}}, {"day": 5}, False),
        ({"day": {"lt": "2027-01-01"}}, {}, False),
        ({"mail": {"answered": True}}, {"mail": "a@b.cc"}, True),
        ({"mail": {"answered": False}}, {"mail": None}, True),
    ],
)
def test_number_and_date_conditions(
    condition: dict[str, object], answers: Answers, expected: bool
) -> None:
    assert matches(parse_condition(condition), answers) is expected


# --- how answers read ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer", "lang", "expected"),
    [
        ("engine", 1.6, "ru", "1,6\u00a0л"),
        ("engine", 1.6, "en", "1.6\u00a0l"),
        ("engine", 2.0, "en", "2.0\u00a0l"),
        ("trade_mileage", 85000, "en", "85\u2009000\u00a0km"),
        ("drive_date", "2027-03-15", "ru", "15 марта 2027\u202fг."),
        ("drive_date", "2027-03-15", "en", "15 March 2027"),
        ("email", "ivan@example.com", "en", "ivan@example.com"),
        ("trade_photo", "photo:AgAD", "en", "📷"),
        ("trade_photo", "document:BQAC", "en", "📄"),
    ],
)
def test_describe_new_answers(
    cars: Checklist, question: str, answer: Answer, lang: str, expected: str
) -> None:
    assert describe_answer(cars.question(question), answer, lang) == expected


def test_describe_media_with_words(cars: Checklist) -> None:
    words = {MediaKind.PHOTO: "photo", MediaKind.DOCUMENT: "document"}
    question = cars.question("trade_photo")
    assert describe_answer(question, "photo:AgAD", "en", media_words=words) == "📷 photo"
    assert describe_answer(question, "document:BQ", "en", media_words=words) == "📄 document"


def test_points_reasons_survive_storage(cars: Checklist) -> None:
    assessment = assess(cars, buyer(payment=("trade_in",), trade_mileage=45_000))
    assert load_reasons(dump_reasons(assessment.reasons)) == assessment.reasons
    # Reasons stored before points rules existed still load.
    old = (
        '[{"kind": "score", "verdict": "target", "rule_id": null, "text": null, '
        '"score": 5, "threshold": 3}]'
    )
    (reason,) = load_reasons(old)
    assert reason.points is None
    assert reason.score == 5

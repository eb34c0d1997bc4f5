from __future__ import annotations

import pytest

from bot.domain.answers import Answer
from bot.domain.checklist import Checklist, Localized
from bot.domain.checklist_file import load_checklist, parse_checklist
from bot.domain.scoring import (
    Assessment,
    Reason,
    Verdict,
    answer_points,
    assess,
    best_points,
    max_score,
    score,
)

Answers = dict[str, Answer | None]


@pytest.fixture(scope="module")
def bundled() -> Checklist:
    return load_checklist()


def buyer(**changes: Answer | None) -> Answers:
    """A serious buyer of the bundled checklist; keyword arguments change answers."""
    answers: Answers = {
        "purpose": "live",
        "rooms": "room_2",
        "budget": 8_500_000,
        "payment": ("mortgage",),
        "mortgage_approval": "approved",
        "timeline": "in_1_3_months",
        "project": "park_vista",
        "name": "Анна",
        "phone": "+79161234567",
        "call_time": "evening",
    }
    answers.update(changes)
    return {key: value for key, value in answers.items() if value != "-"}


def rule_ids(assessment: Assessment) -> list[str | None]:
    return [reason.rule_id for reason in assessment.reasons if reason.kind == "rule"]


def score_reason(assessment: Assessment) -> Reason:
    reason = assessment.reasons[-1]
    assert reason.kind == "score"
    return reason


# --- the bundled checklist ----------------------------------------------------------------


def test_serious_buyer_with_approved_mortgage_is_target(bundled: Checklist) -> None:
    assessment = assess(bundled, buyer())
    assert assessment.verdict is Verdict.TARGET
    assert assessment.score == 100
    assert assessment.max_score == 125
    assert rule_ids(assessment) == []
    assert score_reason(assessment) == Reason(
        kind="score", rule_id=None, text=None, score=100, threshold=80, verdict=Verdict.TARGET
    )
    assert assessment.prospect_message is None
    assert assessment.follow_up_days is None


def test_serious_cash_buyer_is_target(bundled: Checklist) -> None:
    assessment = assess(bundled, buyer(payment=("cash",), mortgage_approval="-"))
    assert assessment.verdict is Verdict.TARGET
    assert assessment.score == 100
    assert assessment.max_score == 110


def test_hot_cash_buyer_rule(bundled: Checklist) -> None:
    answers = buyer(payment=("cash",), mortgage_approval="-", timeline="this_month")
    assessment = assess(bundled, answers)
    assert assessment.verdict is Verdict.TARGET
    assert rule_ids(assessment) == ["hot_cash_buyer"]
    assert assessment.reasons[0].verdict is Verdict.TARGET
    assert len(assessment.reasons) == 2


def test_renter_is_rejected_with_the_rent_reason(bundled: Checklist) -> None:
    assessment = assess(bundled, buyer(purpose="rent"))
    assert assessment.verdict is Verdict.REJECT
    assert rule_ids(assessment) == ["rent"]
    rent = assessment.reasons[0]
    assert rent.verdict is Verdict.REJECT
    assert rent.text is not None
    assert "аренду" in rent.text.get("ru")
    assert assessment.prospect_message is not None
    assert "do not rent them out" in assessment.prospect_message.get("en")
    assert assessment.follow_up_days is None
    # The score reason still says what the score alone would give.
    assert score_reason(assessment).verdict is Verdict.TARGET


def test_reject_wins_over_nurture(bundled: Checklist) -> None:
    assessment = assess(bundled, buyer(purpose="rent", timeline="later"))
    assert assessment.verdict is Verdict.REJECT
    assert rule_ids(assessment) == ["rent"]


def test_every_matching_reject_rule_is_a_reason(bundled: Checklist) -> None:
    assessment = assess(bundled, buyer(purpose="rent", budget=1_500_000))
    assert rule_ids(assessment) == ["rent", "budget_too_low"]
    assert assessment.prospect_message == bundled.rules[0].message


@pytest.mark.parametrize(
    ("timeline", "rule", "days"),
    [("later", "just_looking", 90), ("in_6_12_months", "buying_in_6_12_months", 60)],
)
def test_buying_later_is_nurture(bundled: Checklist, timeline: str, rule: str, days: int) -> None:
    assessment = assess(bundled, buyer(timeline=timeline))
    assert assessment.verdict is Verdict.NURTURE
    assert rule_ids(assessment) == [rule]
    assert assessment.follow_up_days == days
    assert assessment.prospect_message is not None
    assert "предложения" in assessment.prospect_message.get("ru")


def test_three_to_six_months_without_approval_is_nurture_by_score(bundled: Checklist) -> None:
    answers = buyer(timeline="in_3_6_months", mortgage_approval="not_yet")
    assessment = assess(bundled, answers)
    assert assessment.verdict is Verdict.NURTURE
    assert assessment.score == 70
    assert rule_ids(assessment) == []
    assert score_reason(assessment).threshold == 45
    assert assessment.follow_up_days == 30
    assert assessment.prospect_message is None


def test_low_budget_and_no_plan_is_rejected_by_score(bundled: Checklist) -> None:
    answers = buyer(
        purpose="invest",
        budget=2_500_000,
        payment=("instalments",),
        mortgage_approval="-",
        timeline="in_3_6_months",
        project="undecided",
    )
    assessment = assess(bundled, answers)
    assert assessment.verdict is Verdict.REJECT
    assert assessment.score == 40
    assert assessment.reasons == (
        Reason(
            kind="score", rule_id=None, text=None, score=40, threshold=45, verdict=Verdict.REJECT
        ),
    )
    assert assessment.prospect_message is None


def test_nonsense_budget_is_rejected_by_rule(bundled: Checklist) -> None:
    assessment = assess(bundled, buyer(budget=150_000))
    assert assessment.verdict is Verdict.REJECT
    assert rule_ids(assessment) == ["budget_too_low"]


def test_hidden_stale_answers_do_not_count(bundled: Checklist) -> None:
    # Chose mortgage, answered "approved", went back and switched to instalments.
    answers = buyer(payment=("instalments",), mortgage_approval="approved")
    assert score(bundled, answers) == 20 + 20 + 10 + 25 + 5 + 5
    assert max_score(bundled, answers) == 110


def test_max_score_follows_visibility(bundled: Checklist) -> None:
    assert max_score(bundled, {}) == 110
    assert max_score(bundled, {"payment": ("mortgage",)}) == 125


# --- points -------------------------------------------------------------------------------

POINTS = """
id: points
version: 1
languages: [en]
phone_region: GB
scoring: {target: 25, nurture: 20, follow_up_days: 14}
questions:
  - id: best
    kind: multi
    text: {en: Best}
    options:
      - {id: a, text: {en: A}, points: 5}
      - {id: b, text: {en: B}, points: 20}
      - {id: c, text: {en: C}, points: 10}
  - id: total
    kind: multi
    points_mode: sum
    text: {en: Total}
    options:
      - {id: a, text: {en: A}, points: 5}
      - {id: b, text: {en: B}, points: -3}
      - {id: c, text: {en: C}, points: 10}
  - id: amount
    kind: number
    optional: true
    text: {en: Amount}
    bands:
      - {min: 0, max: 10, points: 1}
      - {min: 20, max: 30, points: 5}
      - {min: 30, points: 8}
  - id: note
    kind: text
    optional: true
    points: 3
    text: {en: Note}
rules:
  - id: watch
    when: {best: a}
    verdict: nurture
    reason: {en: Watch}
  - id: later
    when: {total: c}
    verdict: nurture
    follow_up_days: 60
    reason: {en: Later}
    message: {en: Later message}
  - id: sooner
    when: {total: a}
    verdict: nurture
    follow_up_days: 7
    reason: {en: Sooner}
    message: {en: Sooner message}
  - id: vip
    when: {amount: {gte: 1000}}
    verdict: target
    reason: {en: VIP}
"""


@pytest.fixture(scope="module")
def points() -> Checklist:
    return parse_checklist(POINTS, "points.yaml")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(("a",), 5), (("a", "b"), 20), (("a", "c"), 10), (("a", "b", "c"), 20), (("gone",), 0)],
)
def test_points_mode_max(points: Checklist, answer: tuple[str, ...], expected: int) -> None:
    assert answer_points(points.question("best"), answer) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(("a",), 5), (("a", "b"), 2), (("a", "c"), 15), (("a", "b", "c"), 12), (("gone",), 0)],
)
def test_points_mode_sum(points: Checklist, answer: tuple[str, ...], expected: int) -> None:
    assert answer_points(points.question("total"), answer) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (9, 1), (10, 0), (19, 0), (20, 5), (29, 5), (30, 8), (10**9, 8)],
)
def test_bands(points: Checklist, value: int, expected: int) -> None:
    assert answer_points(points.question("amount"), value) == expected


def test_skipped_and_text_points(points: Checklist) -> None:
    assert answer_points(points.question("amount"), None) == 0
    assert answer_points(points.question("note"), None) == 0
    assert answer_points(points.question("note"), "hello") == 3


def test_best_points(points: Checklist) -> None:
    assert [best_points(question) for question in points.questions] == [20, 15, 8, 3]
    assert max_score(points, {}) == 46


def test_score_sums_answers(points: Checklist) -> None:
    answers: Answers = {"best": ("b",), "total": ("b",), "amount": 25, "note": None}
    assert score(points, answers) == 20 - 3 + 5


@pytest.mark.parametrize(
    ("answers", "expected_score", "verdict", "threshold"),
    [
        ({"best": ("b",), "total": ("b",)}, 17, Verdict.REJECT, 20),
        ({"best": ("b",), "total": ("b",), "note": "x"}, 20, Verdict.NURTURE, 20),
        ({"best": ("b",), "total": ("b",), "amount": 25, "note": "x"}, 25, Verdict.TARGET, 25),
        ({"best": ("b",), "total": ("b",), "amount": 30, "note": "x"}, 28, Verdict.TARGET, 25),
    ],
)
def test_score_thresholds(
    points: Checklist, answers: Answers, expected_score: int, verdict: Verdict, threshold: int
) -> None:
    assessment = assess(points, answers)
    assert (assessment.score, assessment.verdict) == (expected_score, verdict)
    assert assessment.reasons == (
        Reason(
            kind="score",
            rule_id=None,
            text=None,
            score=expected_score,
            threshold=threshold,
            verdict=verdict,
        ),
    )
    assert assessment.follow_up_days == (14 if verdict is Verdict.NURTURE else None)


def test_nurture_rules_take_the_longest_follow_up(points: Checklist) -> None:
    assessment = assess(points, {"best": ("a",), "total": ("a", "c")})
    assert assessment.verdict is Verdict.NURTURE
    assert rule_ids(assessment) == ["watch", "later", "sooner"]
    assert assessment.follow_up_days == 60
    # The first matching rule with a message speaks to the prospect.
    assert assessment.prospect_message == Localized(texts={"en": "Later message"})


def test_nurture_rule_without_days_uses_the_default(points: Checklist) -> None:
    assessment = assess(points, {"best": ("a",), "total": ("b",)})
    assert rule_ids(assessment) == ["watch"]
    assert assessment.follow_up_days == 14
    assert assessment.prospect_message is None


def test_nurture_rule_wins_over_target_rule(points: Checklist) -> None:
    assessment = assess(points, {"best": ("a",), "total": ("b",), "amount": 5000})
    assert assessment.verdict is Verdict.NURTURE
    assert rule_ids(assessment) == ["watch"]


def test_target_rule_beats_a_low_score(points: Checklist) -> None:
    assessment = assess(points, {"best": ("c",), "total": ("b",), "amount": 5000})
    assert assessment.verdict is Verdict.TARGET
    assert rule_ids(assessment) == ["vip"]
    assert score_reason(assessment).verdict is Verdict.REJECT
    assert assessment.follow_up_days is None

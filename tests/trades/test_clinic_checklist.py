"""The bundled clinic checklist: it loads, it asks the right questions, and its verdicts
are right on a table of answer sets (domain level, no Telegram)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from bot.domain.answers import Answer, AnswerError
from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.checklist_file import load_checklist
from bot.domain.flow import visible_options, visible_questions
from bot.domain.scoring import Verdict, assess
from bot.domain.typed_answers import parse_typed

CLINIC = load_checklist(BUNDLED_CHECKLIST.parent / "clinic" / "checklist.yaml")

PATIENT: dict[str, Answer] = {"name": "Анна", "phone": "+79161234567"}


@dataclass(frozen=True)
class Case:
    name: str
    answers: dict[str, Answer]
    verdict: Verdict
    score: int
    rules: tuple[str, ...] = ()
    points: tuple[str, ...] = field(default=())


CASES = [
    Case(
        "a specialist this week, paying, with a referral",
        {
            "reason": "specialist",
            "specialist": "cardiologist",
            "urgency": "this_week",
            "preferred_date": "2026-12-03",
            "payment": "self_pay",
            "age": 45,
            "referral": "photo:AgACAgIAAxkBAAIB",
            "branch": "centre",
            "email": "anna@example.com",
        },
        Verdict.TARGET,
        20 + 20 + 5 + 20 + 5 + 10 + 5,
        points=("brings_referral",),
    ),
    Case(
        "ДМС and needed today: the rule decides",
        {
            "reason": "checkup",
            "specialist": "therapist",
            "urgency": "asap",
            "payment": "dms",
            "age": 30,
            "branch": "north",
        },
        Verdict.TARGET,
        15 + 25 + 20 + 5,
        rules=("urgent_with_policy",),
    ),
    Case(
        "only a sick note",
        {"reason": "sick_note"},
        Verdict.REJECT,
        5,
        rules=("sick_note_only",),
    ),
    Case(
        "a child under 3, however keen",
        {
            "reason": "specialist",
            "specialist": "pediatrician",
            "urgency": "asap",
            "payment": "self_pay",
            "age": 2,
            "branch": "any_branch",
        },
        Verdict.REJECT,
        20 + 25 + 20 + 5,
        rules=("too_young",),
    ),
    Case(
        "ОМС only: come back in a month",
        {
            "reason": "dentistry",
            "specialist": "dental_care",
            "urgency": "this_week",
            "payment": "oms",
            "age": 40,
            "branch": "centre",
        },
        Verdict.NURTURE,
        20 + 20 + 5,
        rules=("oms_only",),
    ),
    Case(
        "a check-up some time later, paying: nurture by the score",
        {
            "reason": "checkup",
            "specialist": "not_sure",
            "urgency": "later",
            "payment": "self_pay",
            "age": 50,
            "branch": "any_branch",
        },
        Verdict.NURTURE,
        15 + 20 + 5 - 5,
        points=("no_date_not_urgent",),
    ),
    Case(
        "a check-up some time later, the employer pays: below nurture",
        {
            "reason": "checkup",
            "specialist": "not_sure",
            "urgency": "later",
            "payment": "employer",
            "age": 50,
            "branch": "any_branch",
        },
        Verdict.REJECT,
        15 + 15 + 5 - 5,
        points=("no_date_not_urgent",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_verdicts(case: Case) -> None:
    assessment = assess(CLINIC, {**case.answers, **PATIENT})
    assert assessment.verdict is case.verdict
    assert assessment.score == case.score
    deciding = tuple(r.rule_id for r in assessment.reasons if r.kind == "rule")
    points = tuple(r.rule_id for r in assessment.reasons if r.kind == "points")
    assert deciding == case.rules
    assert points == case.points


def test_the_best_possible_score_is_the_one_the_header_states() -> None:
    best = assess(CLINIC, {**CASES[0].answers, **PATIENT})
    assert best.max_score == 90


def test_a_rule_speaks_to_the_prospect_in_its_own_words() -> None:
    oms = assess(CLINIC, {**CASES[4].answers, **PATIENT})
    assert oms.follow_up_days == 30
    assert oms.prospect_message is not None
    assert "ОМС" in oms.prospect_message.get("ru") and "{date}" in oms.prospect_message.get("ru")
    sick = assess(CLINIC, {**CASES[2].answers, **PATIENT})
    assert sick.prospect_message is not None
    assert "after an appointment" in sick.prospect_message.get("en")


def test_the_doctors_offered_follow_what_brings_the_patient() -> None:
    question = CLINIC.question("specialist")
    dentistry = {"reason": "dentistry"}
    shown = [option.id for option in visible_options(CLINIC, question, dentistry)]
    assert shown == ["dental_care", "dental_hygiene", "implants", "not_sure"]
    procedure = {"reason": "procedure"}
    shown = [option.id for option in visible_options(CLINIC, question, procedure)]
    assert shown == ["ultrasound", "lab_tests", "not_sure"]


def test_a_sick_note_asks_nothing_but_the_name_and_phone() -> None:
    asked = [question.id for question in visible_questions(CLINIC, {"reason": "sick_note"})]
    assert asked == ["reason", "name", "phone", "email"]


def test_the_referral_and_the_date_are_asked_only_when_they_matter() -> None:
    def asked(answers: dict[str, Answer]) -> set[str]:
        return {question.id for question in visible_questions(CLINIC, answers)}

    assert "referral" in asked({"reason": "specialist"})
    assert "referral" not in asked({"reason": "dentistry"})
    assert "preferred_date" not in asked({"reason": "checkup", "urgency": "asap"})
    assert "preferred_date" in asked({"reason": "checkup", "urgency": "later"})


def test_no_prospect_facing_text_speaks_of_flats() -> None:
    text = (BUNDLED_CHECKLIST.parent / "clinic" / "checklist.yaml").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for word in ("квартир", "просмотр", "flat", "viewing", "новостро"):
        assert word not in body.lower()


TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("question_id", "typed", "answer"),
    [
        ("reason", "зубы", "dentistry"),
        ("reason", "Стоматолог", "dentistry"),
        ("reason", "больничный", "sick_note"),
        ("reason", "check-up", "checkup"),
        ("reason", "teeth", "dentistry"),
        ("payment", "ДМС", "dms"),
        ("payment", "по полису", "dms"),
        ("payment", "омс", "oms"),
        ("payment", "insurance", "dms"),
        ("branch", "центр", "centre"),
        ("age", "35 лет", 35),
        ("age", "2 года", 2),
        ("age", "30 years", 30),
        ("age", "41", 41),
        ("preferred_date", "завтра", "2026-12-01"),
        ("preferred_date", "15 декабря", "2026-12-15"),
        ("email", "Anna@Example.COM", "Anna@example.com"),
    ],
)
def test_what_patients_type(question_id: str, typed: str, answer: Answer) -> None:
    question = CLINIC.question(question_id)
    earlier: dict[str, Answer] = {"reason": "specialist"}
    shown = visible_options(CLINIC, question, earlier) if question.is_choice else None
    parsed = parse_typed(question, typed, region="RU", today=TODAY, visible=shown)
    assert parsed == answer


@pytest.mark.parametrize(
    ("question_id", "typed", "code"),
    [
        ("age", "200 лет", "too_large"),
        ("age", "35 км", "not_a_number"),
        ("preferred_date", "15.03.2027", "date_too_late"),  # more than 60 days ahead
        ("preferred_date", "вчера", "not_a_date"),
        ("payment", "бартер", "choose_option"),
        ("referral", "вот направление", "send_media"),
    ],
)
def test_what_is_refused(question_id: str, typed: str, code: str) -> None:
    question = CLINIC.question(question_id)
    with pytest.raises(AnswerError) as error:
        parse_typed(question, typed, region="RU", today=TODAY)
    assert error.value.code == code

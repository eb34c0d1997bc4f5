"""The pure rules of nurture: which questions a follow-up asks again, when it is sent,
and whether it is sent at all. Worked on the bundled checklist."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.answers import Answer
from bot.domain.checklist import Verdict
from bot.domain.checklist_file import load_checklist
from bot.domain.nurture import (
    MAX_UNANSWERED,
    Action,
    StopVia,
    decide,
    every_days,
    questions_to_ask,
    send_time,
)
from bot.domain.reminders import NO_QUIET_HOURS, QuietHours
from bot.domain.scoring import assess

CHECKLIST = load_checklist()
MOSCOW = ZoneInfo("Europe/Moscow")


def answers(**changes: Answer | None) -> dict[str, Answer | None]:
    """A serious buyer's answers (target), with some changed."""
    base: dict[str, Answer | None] = {
        "purpose": "live",
        "rooms": "room_2",
        "budget": 8_500_000,
        "payment": ("mortgage",),
        "mortgage_approval": "approved",
        "timeline": "this_month",
        "project": "park_vista",
        "name": "Anna",
        "phone": "+79161234567",
        "call_time": "evening",
    }
    base.update(changes)
    return base


def picked(given: dict[str, Answer | None]) -> tuple[str, ...]:
    assessment = assess(CHECKLIST, given)
    assert assessment.verdict is Verdict.NURTURE
    return questions_to_ask(CHECKLIST, assessment.reasons, given)


@pytest.mark.parametrize("timeline", ["later", "in_6_12_months"])
def test_a_nurture_rule_asks_again_only_what_it_reads(timeline: str) -> None:
    assert picked(answers(timeline=timeline)) == ("timeline",)


def test_a_score_verdict_asks_again_what_scored_below_its_best() -> None:
    given = answers(
        budget=4_000_000,  # 10 of 25
        mortgage_approval="applied",  # 5 of 15; a mortgage is 10 of 25 (own funds)
        timeline="in_3_6_months",  # 10 of 30
    )
    # Purpose (live), project (park_vista) and the phone earn their best; rooms and the
    # call time earn nothing at best; the name is never asked again.
    assert picked(given) == ("budget", "payment", "mortgage_approval", "timeline")


def test_a_question_shown_because_of_a_re_asked_answer_is_asked_with_it() -> None:
    # The approval earns its best, but it is asked only for a mortgage: payment goes
    # again, so the approval does too.
    given = answers(budget=4_000_000, timeline="in_3_6_months", project="undecided")
    assert picked(given) == ("budget", "payment", "mortgage_approval", "timeline", "project")


def test_a_skipped_question_is_below_its_best_but_name_and_phone_never_go_again() -> None:
    given = answers(budget=4_000_000, timeline="in_3_6_months", phone=None, name=None)
    assert "phone" not in picked(given) and "name" not in picked(given)


def test_a_rule_the_checklist_no_longer_has_falls_back_to_the_score() -> None:
    # A cash buyer with a big budget, buying later: only the timeline earns less than its
    # best (0 of 30), so the score points at it too.
    given = answers(timeline="later", budget=12_500_000, payment=("cash",))
    reasons = assess(CHECKLIST, given).reasons
    renamed = tuple(replace(r, rule_id="gone") if r.kind == "rule" else r for r in reasons)
    assert questions_to_ask(CHECKLIST, renamed, given) == ("timeline",)
    assert questions_to_ask(CHECKLIST, reasons[-1:], answers(timeline="later")) == (
        "budget",
        "payment",
        "mortgage_approval",
        "timeline",
    )


def test_follow_ups_go_at_a_daytime_hour_on_the_promised_date() -> None:
    promised = datetime(2027, 2, 20, 21, 30, tzinfo=UTC)  # 00:30 on the 21st in Moscow
    at = send_time(promised, MOSCOW, NO_QUIET_HOURS)
    assert at.astimezone(MOSCOW) == datetime(2027, 2, 21, 11, 0, tzinfo=MOSCOW)


def test_quiet_hours_that_cover_the_hour_move_it_to_their_end() -> None:
    quiet = QuietHours(time(20), time(12))
    at = send_time(datetime(2027, 2, 20, 9, 0, tzinfo=UTC), MOSCOW, quiet)
    assert at.astimezone(MOSCOW) == datetime(2027, 2, 20, 12, 0, tzinfo=MOSCOW)
    assert not quiet.contains(at.astimezone(MOSCOW).time())


def test_the_interval_is_the_verdicts_and_never_shorter_than_a_week() -> None:
    start = datetime(2026, 11, 22, 9, tzinfo=UTC)
    assert every_days(datetime(2027, 2, 20, 9, tzinfo=UTC), start) == 90
    assert every_days(datetime(2026, 11, 24, 9, tzinfo=UTC), start) == 7


@pytest.mark.parametrize(
    ("enabled", "consent", "nurture", "attempts", "expected"),
    [
        (True, True, True, 0, (Action.SEND, None)),
        (True, True, True, MAX_UNANSWERED - 1, (Action.SEND, None)),
        (True, True, True, MAX_UNANSWERED, (Action.STOP, StopVia.SILENCE)),
        (True, False, True, 0, (Action.STOP, StopVia.CONSENT)),
        (True, True, False, 0, (Action.DROP, None)),
        (False, True, True, 0, (Action.STOP, StopVia.SETTING)),
    ],
)
def test_what_a_due_follow_up_does(
    enabled: bool,
    consent: bool,
    nurture: bool,
    attempts: int,
    expected: tuple[Action, StopVia | None],
) -> None:
    decision = decide(
        enabled=enabled, consent_live=consent, lead_is_nurture=nurture, attempts=attempts
    )
    assert (decision.action, decision.via) == expected


def test_when_nothing_points_anywhere_every_answered_question_goes_again() -> None:
    # A score reason whose answers all earn their best (the thresholds changed since).
    given = answers(budget=12_500_000, payment=("cash",), project="park_vista")
    reasons = assess(CHECKLIST, given).reasons[-1:]
    assert questions_to_ask(CHECKLIST, reasons, given) == (
        "purpose",
        "rooms",
        "budget",
        "payment",
        "timeline",
        "project",
        "call_time",
    )

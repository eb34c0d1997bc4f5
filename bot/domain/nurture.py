"""Nurture follow-ups: which questions to ask again, when to write, and whether to.

A nurture lead is asked again only what made it nurture: the questions a deciding nurture
rule reads, or, for a verdict by score, the questions that earned less than their best
(never the name or the phone: they say who the person is, not how ready they are). A
question shown only because of a re-asked answer (`when`) is asked again with it. When
nothing points anywhere (the checklist changed since), every answered question is.

Follow-ups are advertising under 38-FZ art. 18: only with a live marketing consent, never
in quiet hours, and they stop for good on request or after a few go unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.answers import Answers
from bot.domain.checklist import Checklist, Question, QuestionKind, QuestionRole, Verdict
from bot.domain.conditions import referenced_questions
from bot.domain.flow import relevant_answers, visible_questions
from bot.domain.reminders import QuietHours, outside_quiet
from bot.domain.scoring import Reason, answer_points, best_points

# Follow-ups sent without an answer before nurture stops on its own.
MAX_UNANSWERED = 3
# A daytime hour in the company's zone: people read offers then, not at dawn.
SEND_AT = time(11, 0)
# An interval shorter than this between two follow-ups would feel like spam.
MIN_EVERY_DAYS = 7


class StopVia(StrEnum):
    """Why follow-ups ended; the first four are `nurture.stopped`'s `via`."""

    COMMAND = "command"  # /stop
    BUTTON = "button"  # Stop under a follow-up or the consent question
    CONSENT = "consent"  # the marketing consent was withdrawn elsewhere (/privacy)
    SETTING = "setting"  # NURTURE=off
    SILENCE = "silence"  # MAX_UNANSWERED follow-ups went unanswered


class Action(StrEnum):
    SEND = "send"
    STOP = "stop"
    DROP = "drop"  # nothing to send any more (the lead moved on): no event, no message


@dataclass(frozen=True)
class Decision:
    action: Action
    via: StopVia | None = None


def questions_to_ask(
    checklist: Checklist, reasons: Iterable[Reason], answers: Answers
) -> tuple[str, ...]:
    """The ids of the questions to ask again, in checklist order."""
    relevant = relevant_answers(checklist, answers)
    rules = {rule.id: rule for rule in checklist.rules}
    picked: set[str] = set()
    for reason in reasons:
        rule = rules.get(reason.rule_id or "")
        if reason.kind == "rule" and reason.verdict is Verdict.NURTURE and rule is not None:
            picked |= referenced_questions(rule.when)
    if not picked:
        picked = {
            question.id
            for question in visible_questions(checklist, relevant)
            if _scored_below_best(question, relevant)
        }
    picked &= {question.id for question in checklist.questions if _askable(question)}
    if not picked:
        # Nothing pinned down (the checklist changed since the verdict): ask it all again.
        picked = {q.id for q in checklist.questions if q.id in relevant and _askable(q)}
    picked |= _dependents(checklist, picked, relevant)
    return tuple(question.id for question in checklist.questions if question.id in picked)


def _askable(question: Question) -> bool:
    return question.role is not QuestionRole.NAME and question.kind is not QuestionKind.PHONE


def _scored_below_best(question: Question, answers: Answers) -> bool:
    return answer_points(question, answers.get(question.id)) < best_points(question)


def _dependents(checklist: Checklist, picked: set[str], answers: Answers) -> set[str]:
    """Answered questions whose `when` reads a re-asked one (transitively)."""
    found: set[str] = set()
    for question in checklist.questions:
        if question.when is None or question.id not in answers:
            continue
        if referenced_questions(question.when) & (picked | found):
            found.add(question.id)
    return found - picked


def every_days(follow_up_at: datetime, qualified_at: datetime) -> int:
    """The verdict's interval in whole days, reused for the next follow-ups."""
    return max(MIN_EVERY_DAYS, round((follow_up_at - qualified_at) / timedelta(days=1)))


def send_time(day_of: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`SEND_AT` on the local date of `day_of`, moved out of quiet hours if they cover it."""
    local_day = day_of.astimezone(zone).date()
    at = datetime.combine(local_day, SEND_AT, tzinfo=zone).astimezone(UTC)
    moved = outside_quiet(at, zone, quiet, earliest=at - timedelta(days=1), latest=None)
    return at if moved is None else moved


def decide(*, enabled: bool, consent_live: bool, lead_is_nurture: bool, attempts: int) -> Decision:
    """What a due follow-up does. The setting first: with nurture off nothing is sent."""
    if not enabled:
        return Decision(Action.STOP, StopVia.SETTING)
    if not lead_is_nurture:
        return Decision(Action.DROP)
    if not consent_live:
        return Decision(Action.STOP, StopVia.CONSENT)
    if attempts >= MAX_UNANSWERED:
        return Decision(Action.STOP, StopVia.SILENCE)
    return Decision(Action.SEND)

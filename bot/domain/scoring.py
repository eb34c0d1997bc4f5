"""The verdict on a prospect: hard rules first, then the score against the thresholds.

Points rules add to (or take from) the score when they match; they never decide alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.domain.answers import Answer, Answers
from bot.domain.checklist import (
    Checklist,
    Localized,
    Option,
    PointsMode,
    Question,
    QuestionKind,
    Rule,
    Verdict,
)
from bot.domain.conditions import matches
from bot.domain.flow import options_shown, relevant_answers, visible_questions

__all__ = [
    "Assessment",
    "Reason",
    "Verdict",
    "answer_points",
    "assess",
    "best_points",
    "max_score",
    "score",
]


@dataclass(frozen=True)
class Reason:
    """Why the verdict: a deciding rule, a points rule that matched, or the score (always
    the last reason)."""

    kind: Literal["rule", "points", "score"]
    rule_id: str | None
    text: Localized | None
    score: int | None
    # For the score reason: the threshold met (target or nurture) or missed (nurture).
    threshold: int | None
    # For the score reason: what the score alone says, even when a rule decided.
    # For a points rule: the same (its points are part of that score).
    verdict: Verdict
    # For a points rule: what it added (negative: took away).
    points: int | None = None


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    score: int
    max_score: int
    reasons: tuple[Reason, ...]
    prospect_message: Localized | None
    follow_up_days: int | None  # nurture only


def answer_points(question: Question, answer: Answer | None) -> int:
    """Points one answer earns; skipped, unknown or mistyped answers earn nothing."""
    if answer is None:
        return 0
    match question.kind:
        case QuestionKind.SINGLE:
            return sum(_option_points(question, (answer,))) if isinstance(answer, str) else 0
        case QuestionKind.MULTI:
            if not isinstance(answer, tuple):
                return 0
            points = _option_points(question, answer)
            if question.points_mode is PointsMode.SUM:
                return sum(points)
            return max(points, default=0)
        case QuestionKind.NUMBER:
            if not isinstance(answer, int | float) or isinstance(answer, bool):
                return 0
            band = next((band for band in question.bands if band.contains(answer)), None)
            return 0 if band is None else band.points
        case (
            QuestionKind.TEXT
            | QuestionKind.PHONE
            | QuestionKind.DATE
            | QuestionKind.EMAIL
            | QuestionKind.MEDIA
        ):
            return question.points


def _option_points(question: Question, option_ids: tuple[str, ...]) -> list[int]:
    points = []
    for option_id in option_ids:
        try:
            points.append(question.option(option_id).points)
        except KeyError:
            points.append(0)
    return points


def best_points(question: Question, options: tuple[Option, ...] | None = None) -> int:
    """The most one question can earn; never below 0, the worth of a skip or a gap.

    `options` are the options the prospect can see (all when None).
    """
    shown = question.options if options is None else options
    match question.kind:
        case QuestionKind.SINGLE:
            candidates = [option.points for option in shown]
        case QuestionKind.MULTI:
            points = [option.points for option in shown]
            if question.points_mode is PointsMode.SUM:
                # At most max_selected options count: the best ones.
                best = sorted((p for p in points if p > 0), reverse=True)
                candidates = [sum(best[: question.max_selected])]
            else:
                candidates = points
        case QuestionKind.NUMBER:
            candidates = [band.points for band in question.bands]
        case (
            QuestionKind.TEXT
            | QuestionKind.PHONE
            | QuestionKind.DATE
            | QuestionKind.EMAIL
            | QuestionKind.MEDIA
        ):
            candidates = [question.points]
    return max([0, *candidates])


def _points_rules(checklist: Checklist, relevant: Answers) -> list[Rule]:
    """The points rules that match, in the file's order."""
    return [
        rule for rule in checklist.rules if rule.points is not None and matches(rule.when, relevant)
    ]


def score(checklist: Checklist, answers: Answers) -> int:
    """Points of the answers plus those of the matching points rules."""
    relevant = relevant_answers(checklist, answers)
    by_answers = sum(
        answer_points(question, relevant[question.id])
        for question in checklist.questions
        if question.id in relevant
    )
    return by_answers + sum(rule.points or 0 for rule in _points_rules(checklist, relevant))


def max_score(checklist: Checklist, answers: Answers) -> int:
    """The best score reachable over the questions and options visible with these answers,
    with every points rule that adds (rules that take away are not counted)."""
    relevant = relevant_answers(checklist, answers)
    by_questions = sum(
        best_points(question, options_shown(question, relevant))
        for question in visible_questions(checklist, answers)
    )
    bonuses = sum(rule.points for rule in checklist.rules if rule.points and rule.points > 0)
    return by_questions + bonuses


def assess(checklist: Checklist, answers: Answers) -> Assessment:
    relevant = relevant_answers(checklist, answers)
    total = score(checklist, relevant)
    best = max_score(checklist, relevant)
    thresholds = checklist.scoring
    if total >= thresholds.target:
        by_score, threshold = Verdict.TARGET, thresholds.target
    elif total >= thresholds.nurture:
        by_score, threshold = Verdict.NURTURE, thresholds.nurture
    else:
        by_score, threshold = Verdict.REJECT, thresholds.nurture
    score_reason = Reason(
        kind="score", rule_id=None, text=None, score=total, threshold=threshold, verdict=by_score
    )

    matched = [
        rule
        for rule in checklist.rules
        if rule.verdict is not None and matches(rule.when, relevant)
    ]
    for verdict in (Verdict.REJECT, Verdict.NURTURE, Verdict.TARGET):
        deciding = [rule for rule in matched if rule.verdict is verdict]
        if deciding:
            break
    else:
        verdict, deciding = by_score, []

    reasons = tuple(
        Reason(
            kind="rule",
            rule_id=rule.id,
            text=rule.reason,
            score=None,
            threshold=None,
            verdict=verdict,
        )
        for rule in deciding
    )
    points_reasons = tuple(
        Reason(
            kind="points",
            rule_id=rule.id,
            text=rule.reason,
            score=None,
            threshold=None,
            verdict=by_score,
            points=rule.points,
        )
        for rule in _points_rules(checklist, relevant)
    )
    # The first deciding rule (of any verdict) that has something to tell the prospect
    # speaks for all of them.
    message = next((rule.message for rule in deciding if rule.message is not None), None)
    follow_up: int | None = None
    if verdict is Verdict.NURTURE:
        days = [rule.follow_up_days for rule in deciding if rule.follow_up_days is not None]
        follow_up = max(days, default=thresholds.follow_up_days)
    return Assessment(
        verdict=verdict,
        score=total,
        max_score=best,
        reasons=(*reasons, *points_reasons, score_reason),
        prospect_message=message,
        follow_up_days=follow_up,
    )

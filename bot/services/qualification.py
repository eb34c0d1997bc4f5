"""A lead's status moves and its qualification, in the caller's transaction: the verdict
of the answers, what is kept of it on the lead, and the `lead.qualified` event."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.answers import Answer
from bot.domain.checklist import Checklist, Question
from bot.domain.events import EventType
from bot.domain.flow import relevant_answers
from bot.domain.leads import VERDICT_STATUS, Lead, LeadStatus, check_transition
from bot.domain.scoring import Assessment, Reason, Verdict, assess
from bot.storage import leads
from bot.storage.db import Connection


async def move(
    tx: Connection,
    lead: Lead,
    to_status: LeadStatus,
    at: datetime,
    actor: str,
    reason: str,
    *,
    event: EventType = EventType.STATUS_CHANGED,
    data: dict[str, object] | None = None,
) -> None:
    """A status change the lead's state machine allows, recorded as an event."""
    check_transition(lead.status, to_status)
    await leads.set_status(
        tx, lead, to_status, at=at, actor=actor, reason=reason, event=event, data=data
    )


async def qualify(
    tx: Connection, lead: Lead, checklist: Checklist, now: datetime
) -> tuple[Lead, Assessment]:
    """Scores the lead's answers, keeps the verdict, moves the lead to its verdict status."""
    answers = relevant_answers(checklist, lead.answers)
    assessment = assess(checklist, answers)
    follow_up = (
        now + timedelta(days=assessment.follow_up_days)
        if assessment.verdict is Verdict.NURTURE and assessment.follow_up_days
        else None
    )
    await leads.save_assessment(
        tx,
        lead.id,
        score=assessment.score,
        max_score=assessment.max_score,
        verdict=assessment.verdict,
        reasons=assessment.reasons,
        follow_up_at=follow_up,
        name=_answer_text(answers, checklist.name_question),
        phone=_answer_text(answers, checklist.phone_question),
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        at=now,
    )
    await move(
        tx,
        lead,
        VERDICT_STATUS[assessment.verdict],
        now,
        "checklist",
        _verdict_reason(assessment),
        event=EventType.QUALIFIED,
        data=_verdict_facts(assessment),
    )
    finished = await leads.get(tx, lead.id)
    assert finished is not None
    return finished, assessment


def _answer_text(answers: dict[str, Answer | None], question: Question | None) -> str | None:
    if question is None:
        return None
    value = answers.get(question.id)
    return value if isinstance(value, str) else None


def _verdict_facts(assessment: Assessment) -> dict[str, object]:
    return {
        "verdict": assessment.verdict.value,
        "score": assessment.score,
        "max_score": assessment.max_score,
        "rules": [r.rule_id for r in assessment.reasons if r.kind == "rule"],
    }


def _verdict_reason(assessment: Assessment) -> str:
    return ", ".join(_reason_part(reason, assessment.max_score) for reason in assessment.reasons)


def _reason_part(reason: Reason, max_score: int) -> str:
    if reason.kind == "rule":
        return f"rule:{reason.rule_id}"
    if reason.kind == "points":
        return f"points:{reason.rule_id} {reason.points or 0:+d}"
    return f"score {reason.score}/{max_score}"

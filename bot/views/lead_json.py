"""The lead as JSON for the sales desk: the `data` of every outbound event and the
inbound API's GET. Its shape is the versioned event catalogue in README."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.checklist import Checklist, describe_answer
from bot.domain.events import Event, EventType, utc_text
from bot.domain.flow import relevant_answers
from bot.domain.leads import Lead
from bot.domain.viewings import Appointment, Manager, Site

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class LeadFacts:
    """What the snapshot is made of, read in one go by the caller."""

    lead: Lead
    manager: Manager | None
    appointment: Appointment | None
    site: Site | None
    crm_id: str | None


def _time(value: datetime | None) -> str | None:
    return None if value is None else utc_text(value)


def _answers(lead: Lead, checklist: Checklist, language: str) -> list[dict[str, Any]]:
    answers = relevant_answers(checklist, lead.answers)
    shown: list[dict[str, Any]] = []
    for question in checklist.questions:
        if question.id not in answers:
            continue
        value = answers[question.id]
        shown.append(
            {
                "question_id": question.id,
                "label": question.text.get(language),
                "value": list(value) if isinstance(value, tuple) else value,
                "text": describe_answer(question, value, language),
            }
        )
    return shown


def _viewing(appointment: Appointment | None, site: Site | None) -> dict[str, Any] | None:
    if appointment is None or site is None:
        return None
    state = (
        "confirmed"
        if appointment.is_open and appointment.confirmed_at is not None
        else appointment.status.value
    )
    return {
        "id": appointment.id,
        "state": state,
        "starts_at": _time(appointment.start),
        "ends_at": _time(appointment.end),
        "starts_local": appointment.start.astimezone(site.zone).isoformat(),
        "timezone": site.timezone,
        "site": {"code": site.code, "name": site.name, "address": site.address},
    }


def lead_json(facts: LeadFacts, checklist: Checklist, language: str) -> dict[str, Any]:
    lead = facts.lead
    manager = facts.manager
    return {
        "schema": SCHEMA_VERSION,
        "lead_id": lead.id,
        "status": lead.status.value,
        "verdict": None if lead.verdict is None else lead.verdict.value,
        "score": lead.score,
        "max_score": lead.max_score,
        "reasons": [
            {
                "kind": reason.kind,
                "verdict": reason.verdict.value,
                "rule_id": reason.rule_id,
                "text": None if reason.text is None else reason.text.get(language),
                "score": reason.score,
                "threshold": reason.threshold,
                "points": reason.points,  # a points rule's: what it added
            }
            for reason in lead.reasons
        ],
        "answers": _answers(lead, checklist, language),
        "phone": lead.phone,
        "name": lead.name,
        "telegram": {"user_id": lead.telegram_user_id, "username": lead.username},
        "source": lead.source,
        "language": lead.language,
        "checklist": {"id": lead.checklist_id, "version": lead.checklist_version},
        "manager": None
        if manager is None
        else {
            "id": manager.id,
            "name": manager.display_name,
            "telegram_user_id": manager.telegram_user_id,
        },
        "viewing": _viewing(facts.appointment, facts.site),
        "callback_wish": lead.callback_note,
        "unreachable": lead.unreachable_at is not None,
        "crm_id": facts.crm_id,
        "created_at": _time(lead.created_at),
        "qualified_at": _time(lead.qualified_at),
        "follow_up_at": _time(lead.follow_up_at),
    }


# Facts kept for the bot's own use (where the erased lead's card was), not for the CRM.
_INTERNAL = frozenset({"staff_chat_id", "staff_thread_id"})


def change_json(event: Event) -> dict[str, Any]:
    """What the event changed: who, and the facts the event recorded."""
    facts = {key: value for key, value in event.data.items() if key not in _INTERNAL}
    if event.type is EventType.ERASED:
        facts = {}
    return {"event_id": event.id, "actor": event.actor, **facts}


def event_data(event: Event, lead: Mapping[str, Any] | None, crm_id: str | None) -> dict[str, Any]:
    """The `data` of one outbound event; a lead that is gone (erased) is only its id."""
    if lead is None:
        return {
            "schema": SCHEMA_VERSION,
            "lead_id": event.lead_id,
            "crm_id": crm_id,
            "change": change_json(event),
        }
    return {**lead, "change": change_json(event)}

"""/mydata: everything stored about a person, as one JSON document with readable keys.

Other people's data stay out (152-FZ art. 14 p. 2): staff appear as "staff", without ids;
the one exception is the display name of the staff member who owns the lead, because that
is the person the client deals with and is told about anyway.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.checklist import Checklist, describe_answer
from bot.domain.consent import Consent
from bot.domain.events import utc_text
from bot.domain.leads import Lead
from bot.domain.privacy import person_events
from bot.storage import consents, leads
from bot.storage import events as event_log
from bot.storage import privacy as store
from bot.storage.db import Connection

# (section, query): each selects the lead's rows of one table, without staff ids.
_SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "viewings",
        "SELECT id, starts_at, ends_at, status, confirmed_at, created_at FROM appointments"
        " WHERE lead_id = ? ORDER BY id",
    ),
    (
        "deal",
        "SELECT stage, stage_since, stage_due_at, facts, started_at, closed_at FROM deals"
        " WHERE lead_id = ?",
    ),
    (
        "documents",
        "SELECT id, stage, document, status, file_name, mime_type, file_size, received_at,"
        " reviewed_at, reject_reason FROM deal_documents WHERE lead_id = ? ORDER BY id",
    ),
    (
        "payments",
        "SELECT id, due_on, amount_minor, currency, label, status, claimed_at, paid_at"
        " FROM payments WHERE lead_id = ? ORDER BY due_on, id",
    ),
    (
        "relayed_messages",
        "SELECT direction, prospect_message_id AS your_message_id, at FROM relay_messages"
        " WHERE lead_id = ? ORDER BY id",
    ),
    (
        "relay_queue",
        "SELECT direction, kind, text, state, created_at FROM relay_outbox"
        " WHERE lead_id = ? ORDER BY id",
    ),
    (
        "desk",
        "SELECT owner_name, taken_at, first_contact_at, last_call_outcome, last_call_at,"
        " next_call_at, closed_reason, closed_at, override_verdict, override_reason,"
        " relay_open, last_client_message_at, last_client_text FROM desk_leads"
        " WHERE lead_id = ?",
    ),
    (
        "messages_to_you",
        "SELECT text, due_at, state, created_at, sent_at FROM client_messages"
        " WHERE lead_id = ? ORDER BY id",
    ),
)


def _consent(consent: Consent) -> dict[str, Any]:
    return {
        "purpose": consent.purpose.value,
        "version": consent.version,
        "text_sha256": consent.text_sha256,
        "language": consent.language,
        "message_id": consent.message_id,
        "given_at": utc_text(consent.given_at),
        "withdrawn_at": None if consent.withdrawn_at is None else utc_text(consent.withdrawn_at),
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def _lead(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "telegram_user_id": lead.telegram_user_id,
        "chat_id": lead.chat_id,
        "username": lead.username,
        "name": lead.name,
        "phone": lead.phone,
        "language": lead.language,
        "status": lead.status.value,
        "source": lead.source,
        "checklist": f"{lead.checklist_id} v{lead.checklist_version}",
        "score": lead.score,
        "max_score": lead.max_score,
        "verdict": None if lead.verdict is None else lead.verdict.value,
        "reasons": [reason.rule_id or reason.kind for reason in lead.reasons],
        "follow_up_at": _time(lead.follow_up_at),
        "consent_version": lead.consent_version,
        "consent_at": _time(lead.consent_at),
        "callback_note": lead.callback_note,
        "callback_requested_at": _time(lead.callback_requested_at),
        "created_at": _time(lead.created_at),
        "updated_at": _time(lead.updated_at),
        "qualified_at": _time(lead.qualified_at),
    }


def _answers(lead: Lead, checklist: Checklist) -> list[dict[str, Any]]:
    known = {question.id: question for question in checklist.questions}
    answers = []
    for question_id, answer in lead.answers.items():
        question = known.get(question_id)
        answers.append(
            {
                "question_id": question_id,
                "question": None if question is None else question.text.get(lead.language),
                "answer": (
                    describe_answer(question, answer, lead.language)
                    if question is not None
                    else answer
                ),
            }
        )
    return answers


async def collect(
    tx: Connection, user_id: int, checklist: Checklist, *, operator: str, at: datetime
) -> dict[str, Any] | None:
    """Everything stored about the person; None when nothing is."""
    given = await consents.for_person(tx, user_id)
    lead = await leads.get_by_user(tx, user_id)
    if lead is None and not given:
        return None
    document: dict[str, Any] = {
        "generated_at": utc_text(at),
        "operator": operator,
        "telegram_user_id": user_id,
        "consents": [_consent(consent) for consent in given],
    }
    if lead is None:
        return document
    document["lead"] = _lead(lead)
    document["answers"] = _answers(lead, checklist)
    document["events"] = person_events(await event_log.for_lead(tx, lead.id))
    for section, query in _SECTIONS:
        document[section] = await store.rows(tx, query, (lead.id,))
    return document


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def section_names() -> Sequence[str]:
    return [name for name, _ in _SECTIONS]

"""Texts about the sales desk: what a CRM user reads about each event (plain text, in the
staff language), and the /outbox report with its buttons (Telegram HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_datetime

from bot.domain.deal import DealFile
from bot.domain.events import Event, EventType
from bot.i18n import Translator
from bot.keyboards.callbacks import OutboxAction, OutboxCb
from bot.storage.sales_desk import Backlog, Delivery
from bot.views.lead_json import LeadFacts


def _when(value: str | None, zone: ZoneInfo, language: str) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value).astimezone(zone)
    return format_datetime(moment, format="short", locale=language)


@dataclass(frozen=True)
class DealWords:
    """The deal file's stages and documents in the staff language, by id."""

    stages: Mapping[str, str] = field(default_factory=dict)
    documents: Mapping[str, str] = field(default_factory=dict)


def deal_words(deal_file: DealFile, language: str) -> DealWords:
    stages = {stage.id: stage.title.get(language) for stage in deal_file.stages}
    documents = {
        document.id: document.title.get(language)
        for stage in deal_file.stages
        for document in stage.documents
    }
    return DealWords(stages, documents)


def event_summary(
    event: Event, facts: LeadFacts | None, t: Translator, words: DealWords | None = None
) -> str:
    """One plain line, e.g. "Viewing booked: 24.11.2026, 11:00, Park Vista"."""
    data = event.data
    params: dict[str, Any] = {"id": event.lead_id}
    if event.type in (EventType.STATUS_CHANGED, EventType.QUALIFIED):
        params["status"] = t(f"staff.status.{data.get('to')}")
        params["comment"] = data.get("comment") or data.get("reason") or ""
    if event.type is EventType.QUALIFIED:
        params |= {
            "verdict": t(f"staff.verdict.{data.get('verdict')}"),
            "score": data.get("score"),
            "max_score": data.get("max_score"),
        }
    if event.type is EventType.MANAGER_ASSIGNED:
        manager = None if facts is None else facts.manager
        params["manager"] = "—" if manager is None else manager.display_name
    if event.type.value.startswith("viewing."):
        site = None if facts is None else facts.site
        zone = site.zone if site is not None else ZoneInfo("UTC")
        params["when"] = _when(data.get("starts_at"), zone, t.language)
        params["site"] = site.name if site is not None else data.get("site", "")
    if event.type is EventType.CALLBACK_REQUESTED:
        wish = None if facts is None else facts.lead.callback_note
        params["wish"] = wish or ""
    if event.type.value.startswith(_FLAT_PREFIXES) or event.type in _FLAT_TYPES:
        params = _desk_params(event.type, data, t) | params
    if event.type.value.startswith("deal.") and words is not None:
        # A deal file id in words ("Contract registration", not "registration").
        for key in ("stage", "from", "to"):
            params[key] = words.stages.get(str(params.get(key)), params.get(key))
        params["document"] = words.documents.get(
            str(params.get("document")), params.get("document")
        )
    return t(f"desk.event.{event.type}", **params)


def _desk_params(type_: EventType, data: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    """Desk events carry their facts flat; codes read in words, missing facts as a dash."""
    params: dict[str, Any] = dict.fromkeys(_DESK_PARAMS, "—") | dict(data)
    for key, catalog in _DESK_CODES.get(type_, {}).items():
        if isinstance(data.get(key), str):
            params[key] = t(f"{catalog}.{data[key]}")
    return params


# Per desk event, the facts holding a code and the catalog prefix of their words.
_DESK_CODES: dict[EventType, dict[str, str]] = {
    EventType.DESK_VERDICT_OVERRIDDEN: {
        "verdict_from": "staff.verdict",
        "verdict_to": "staff.verdict",
    },
    EventType.DESK_CALL_LOGGED: {"outcome": "desk.call"},
    EventType.DESK_CLOSED: {"reason": "desk.close"},
    EventType.DESK_CLIENT_MESSAGE: {"kind": "relay.kind"},
    EventType.DESK_STAFF_REPLIED: {"kind": "relay.kind"},
    EventType.DESK_SLA_BREACHED: {"kind": "sla.kind"},
    EventType.DESK_SLA_ESCALATED: {"kind": "sla.kind"},
    EventType.DEAL_DOCUMENT_REJECTED: {"reason": "documents.reason"},
    EventType.CONSENT_WITHDRAWN: {"purpose": "privacy.purpose"},
}


# Events that carry their facts flat in `data`, read by `_desk_params`.
_FLAT_PREFIXES = ("desk.", "deal.", "payment.", "nurture.")
_FLAT_TYPES = frozenset({EventType.CONSENT_WITHDRAWN, EventType.DATA_EXPORTED})
_DESK_PARAMS = (
    "owner_name",
    "verdict_from",
    "verdict_to",
    "reason_text",
    "outcome",
    "at",
    "reason",
    "kind",
    "note",
    "stage",
    "from",
    "to",
    "document",
    "amount",
    "currency",
    "due_on",
    "rung",
    "purpose",
    "via",
)


def answers_text(lead: Mapping[str, Any]) -> str:
    """The answers as "question: answer" lines, for the CRM's comment field."""
    lines = [f"{item['label']}: {item['text'] or '—'}" for item in lead.get("answers", [])]
    return "\n".join(lines)


def _delivery_line(item: Delivery, t: Translator, zone: ZoneInfo) -> str:
    return t(
        "desk.outbox.item",
        lead=item.lead_id,
        type=escape(item.type),
        when=escape(
            format_datetime(item.created_at.astimezone(zone), format="short", locale=t.language)
        ),
        error=escape(item.last_error or "—"),
    )


def outbox_text(
    backlog: Backlog,
    failing_since: str | None,
    disabled_since: str | None,
    t: Translator,
    zone: ZoneInfo,
) -> str:
    lines = [f"<b>{t('desk.outbox.title')}</b>", t("desk.outbox.pending", count=backlog.pending)]
    if disabled_since is not None:
        lines.append(
            t("desk.outbox.state_disabled", since=escape(_when(disabled_since, zone, t.language)))
        )
    elif failing_since is not None:
        lines.append(
            t("desk.outbox.state_failing", since=escape(_when(failing_since, zone, t.language)))
        )
    if backlog.oldest is not None:
        lines.append(t("desk.outbox.oldest") + " " + _delivery_line(backlog.oldest, t, zone))
    if backlog.last_failed is not None and backlog.last_failed.last_error:
        lines.append(t("desk.outbox.last_error", error=escape(backlog.last_failed.last_error)))
    lines.append(t("desk.outbox.dead_count", count=backlog.dead))
    lines += [_delivery_line(item, t, zone) for item in backlog.dead_letters]
    return "\n".join(lines)


def outbox_keyboard(backlog: Backlog, disabled: bool, t: Translator) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    leads = list(dict.fromkeys(item.lead_id for item in backlog.dead_letters))
    for lead_id in leads:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("desk.outbox.replay_lead", lead=lead_id),
                    callback_data=OutboxCb(action=OutboxAction.REPLAY_LEAD, lead_id=lead_id).pack(),
                )
            ]
        )
    if backlog.dead:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("desk.outbox.replay_all"),
                    callback_data=OutboxCb(action=OutboxAction.REPLAY_ALL, lead_id=0).pack(),
                )
            ]
        )
    if disabled:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("desk.outbox.resume"),
                    callback_data=OutboxCb(action=OutboxAction.REPLAY_ALL, lead_id=0).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None

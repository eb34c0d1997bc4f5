"""What the deal looks like: its lines and buttons on the card, the pinned summary in the
lead's topic, the overdue notices, and the client's `/deal`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_datetime
from babel.numbers import format_currency

from bot.domain.checklist import format_long_date
from bot.domain.deal import Deal, DealFile, Stage, documents_for
from bot.domain.leads import Lead, LeadStatus
from bot.i18n import Translator
from bot.keyboards.callbacks import DealAction, DealCb
from bot.storage.deals import NextPayment

_DOC_MARK = {"accepted": "✅", "received": "📨", "rejected": "❌"}
_MISSING_MARK = "▫️"


def _button(
    text: str, action: DealAction, lead_id: int, at: str = "", arg: str = ""
) -> InlineKeyboardButton:
    data = DealCb(action=action, lead_id=lead_id, at=at, arg=arg).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def stage_title(deal_file: DealFile, stage_id: str, language: str) -> str:
    stage = deal_file.stage(stage_id)
    return stage_id if stage is None else stage.title.get(language)


def _days(delta_seconds: float) -> int:
    return max(1, math.ceil(delta_seconds / 86400))


def mention(user_id: int, name: str | None) -> str:
    return f'<a href="tg://user?id={user_id}">{escape(name or str(user_id))}</a>'


# --- the card -------------------------------------------------------------------------


def card_lines(deal_file: DealFile, deal: Deal | None, now: datetime, t: Translator) -> list[str]:
    """The deal's line on the lead's card: the stage and the time left (as of the render)."""
    if deal is None:
        return []
    stage = escape(stage_title(deal_file, deal.stage, t.language))
    if deal.closed:
        return [t("deal.card.closed", stage=stage)]
    if deal.stage_due_at is None:
        return [t("deal.card.stage", stage=stage)]
    left = (deal.stage_due_at - now).total_seconds()
    if left > 0:
        return [t("deal.card.stage_left", stage=stage, days=_days(left))]
    return [t("deal.card.stage_overdue", stage=stage, days=_days(-left))]


def card_rows(lead: Lead, deal: Deal | None, t: Translator) -> list[list[InlineKeyboardButton]]:
    """ "Deal" once a viewing was attended; "Stage ▸" and "Facts ▸" while a deal is open."""
    if deal is None:
        if lead.status in (LeadStatus.ATTENDED, LeadStatus.DEAL):
            return [[_button(t("deal.button.start"), DealAction.START, lead.id)]]
        return []
    if deal.closed:
        return []
    return [
        [
            _button(t("deal.button.stage"), DealAction.STAGE, lead.id, deal.stage),
            _button(t("deal.button.facts"), DealAction.FACT, lead.id, deal.stage),
        ]
    ]


def stage_menu(deal_file: DealFile, deal: Deal, t: Translator) -> InlineKeyboardMarkup:
    """The stages the deal may move to from here, and Back."""
    stage = deal_file.stage(deal.stage)
    following = () if stage is None else stage.next
    rows = [
        [
            _button(
                "➡️ " + stage_title(deal_file, target, t.language),
                DealAction.STAGE,
                deal.lead_id,
                deal.stage,
                target,
            )
        ]
        for target in following
    ]
    rows.append([_button(t("deal.button.back"), DealAction.BACK, deal.lead_id, deal.stage)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def facts_menu(deal_file: DealFile, deal: Deal, t: Translator) -> InlineKeyboardMarkup:
    """One switch per fact (✅ yes / ▫️ no), and Back."""
    rows = [
        [
            _button(
                f"{'✅' if deal.facts.get(fact.id) else '▫️'} {fact.title.get(t.language)}",
                DealAction.FACT,
                deal.lead_id,
                deal.stage,
                fact.id,
            )
        ]
        for fact in deal_file.facts
    ]
    rows.append([_button(t("deal.button.back"), DealAction.BACK, deal.lead_id, deal.stage)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- the pinned summary ---------------------------------------------------------------


def _people(ids: Sequence[int], names: Mapping[int, str]) -> str:
    return ", ".join(mention(person, names.get(person)) for person in ids)


def _documents(stage: Stage, deal: Deal, states: Mapping[str, str], language: str) -> list[str]:
    return [
        f"{_DOC_MARK.get(states.get(doc.id, ''), _MISSING_MARK)} {escape(doc.title.get(language))}"
        for doc in documents_for(stage, deal.facts)
    ]


def summary_text(
    deal_file: DealFile,
    deal: Deal,
    states: Mapping[str, str],
    names: Mapping[int, str],
    t: Translator,
    zone: ZoneInfo,
) -> str:
    """The pinned deal summary: stage, since when and until when, owner, facts, documents."""
    language = t.language

    def when(moment: datetime) -> str:
        return escape(format_datetime(moment.astimezone(zone), "short", locale=language))

    stage = deal_file.stage(deal.stage)
    title = escape(stage_title(deal_file, deal.stage, language))
    lines = [t("deal.summary.title", id=deal.lead_id)]
    if deal.closed_at is not None:
        lines.append(t("deal.summary.closed", stage=title, when=when(deal.closed_at)))
    else:
        lines.append(t("deal.summary.stage", stage=title, since=when(deal.stage_since)))
        if deal.stage_due_at is not None:
            lines.append(t("deal.summary.due", when=when(deal.stage_due_at)))
    if stage is not None:
        role = deal_file.role(stage.owner)
        if role is not None:
            people = _people(role.people, names)
            lines.append(
                t("deal.summary.owner", role=escape(role.title.get(language)), people=people)
                if people
                else t("deal.summary.owner_nobody", role=escape(role.title.get(language)))
            )
    if deal_file.facts:
        facts = ", ".join(
            f"{'✅' if deal.facts.get(fact.id) else '▫️'} {escape(fact.title.get(language))}"
            for fact in deal_file.facts
        )
        lines.append(t("deal.summary.facts", facts=facts))
    if stage is not None and not deal.closed:
        documents = _documents(stage, deal, states, language)
        if documents:
            lines += ["", t("deal.summary.documents"), *documents]
    return "\n".join(lines)


# --- overdue notices ------------------------------------------------------------------


def overdue_text(
    deal_file: DealFile,
    stage_id: str,
    lead_id: int,
    due: datetime,
    owners: Sequence[int],
    names: Mapping[int, str],
    t: Translator,
    zone: ZoneInfo,
    *,
    head: bool,
) -> str:
    stage = deal_file.stage(stage_id)
    role = None if stage is None else deal_file.role(stage.owner)
    params = {
        "stage": escape(stage_title(deal_file, stage_id, t.language)),
        "id": lead_id,
        "due": escape(format_datetime(due.astimezone(zone), "short", locale=t.language)),
        "role": escape(role.title.get(t.language)) if role is not None else "",
        "people": _people(owners, names) or "—",
    }
    return t("deal.overdue.head" if head else "deal.overdue.owner", **params)


# --- the client's /deal ---------------------------------------------------------------


def money(amount_minor: int, currency: str, language: str) -> str:
    return format_currency(Decimal(amount_minor) / 100, currency, locale=language)


def client_deal_text(
    deal_file: DealFile,
    deal: Deal | None,
    states: Mapping[str, str],
    payment: NextPayment | None,
    names: Sequence[str],
    t: Translator,
) -> str:
    """Where the deal stands, what is still needed, the next payment, who to talk to."""
    if deal is None:
        return t("deal.client.none")
    language = t.language
    stage = deal_file.stage(deal.stage)
    title = escape(stage_title(deal_file, deal.stage, language))
    if deal.closed or stage is None:
        return t("deal.client.closed", stage=title)
    lines = [t("deal.client.where", stage=title), escape(stage.message.now.get(language))]
    needed = [
        f"• {escape(doc.title.get(language))}"
        + (t("deal.client.doc_rejected") if states.get(doc.id) == "rejected" else "")
        + (t("deal.client.doc_received") if states.get(doc.id) == "received" else "")
        + ("" if doc.required else t("deal.client.doc_optional"))
        for doc in documents_for(stage, deal.facts)
        if states.get(doc.id) != "accepted"
    ]
    lines.append("")
    lines += [t("deal.client.needed"), *needed] if needed else [t("deal.client.nothing_needed")]
    if payment is not None:
        due = format_long_date(date.fromisoformat(payment.due_on), language)
        amount = money(payment.amount_minor, payment.currency, language)
        line = t("deal.client.payment", amount=escape(amount), date=escape(due))
        if payment.status == "claimed":
            line += t("deal.client.payment_claimed")
        lines += ["", line]
    role = deal_file.role(stage.owner)
    if role is not None:
        who = escape(role.title.get(language))
        if names:
            who += " — " + ", ".join(escape(name) for name in names)
        lines += ["", t("deal.client.contact", who=who)]
    return "\n".join(lines)

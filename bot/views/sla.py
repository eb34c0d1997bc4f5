"""What a missed time limit says: the nudge in the lead's topic, the escalation to the head
of sales (with a Reassign button), and the client's "a manager will answer you by …"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.sla import DeadlineKind
from bot.i18n import Translator
from bot.keyboards.callbacks import DeskAction, DeskCb


@dataclass(frozen=True)
class Overdue:
    """A breached deadline as the texts show it."""

    lead_id: int
    kind: DeadlineKind
    due_at: datetime
    lead_name: str | None
    owner_id: int | None
    owner_name: str | None
    staff_chat_id: int | None
    thread_id: int | None


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d.%m %H:%M")


def _mention(user_id: int, name: str | None, t: Translator) -> str:
    shown = escape(name) if name else t("sla.owner_fallback", id=user_id)
    return f'<a href="tg://user?id={user_id}">{shown}</a>'


def topic_link(chat_id: int | None, thread_id: int | None) -> str | None:
    """A t.me link to the lead's topic; only supergroups (-100…) have one."""
    if chat_id is None or thread_id is None:
        return None
    text = str(chat_id)
    if not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{thread_id}"


def nudge_text(overdue: Overdue, t: Translator, zone: ZoneInfo) -> str:
    """Rung 1, in the lead's topic: the owner mentioned (no owner: nobody to mention)."""
    what = t(f"sla.kind.{overdue.kind}")
    due = _local(overdue.due_at, zone)
    if overdue.owner_id is None:
        return t("sla.nudge.nobody", id=overdue.lead_id, what=what, due=due)
    who = _mention(overdue.owner_id, overdue.owner_name, t)
    return t("sla.nudge.owner", id=overdue.lead_id, what=what, due=due, owner=who)


def escalation_text(overdue: Overdue, t: Translator, zone: ZoneInfo) -> str:
    """Rung 2, to the head of sales (or the staff group when there is none)."""
    what = t(f"sla.kind.{overdue.kind}")
    owner = (
        _mention(overdue.owner_id, overdue.owner_name, t)
        if overdue.owner_id is not None
        else t("sla.no_owner")
    )
    lines = [
        t(
            "sla.escalation",
            id=overdue.lead_id,
            what=what,
            due=_local(overdue.due_at, zone),
            owner=owner,
        )
    ]
    if overdue.lead_name:
        lines.append(t("sla.escalation.client", name=escape(overdue.lead_name)))
    link = topic_link(overdue.staff_chat_id, overdue.thread_id)
    if link is not None:
        lines.append(t("sla.escalation.topic", url=escape(link, quote=True)))
    return "\n".join(lines)


def reassign_markup(lead_id: int, t: Translator) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=t("sla.reassign"),
        callback_data=DeskCb(action=DeskAction.ASSIGN, lead_id=lead_id).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def client_wait_text(answer_by: datetime, now: datetime, t: Translator, zone: ZoneInfo) -> str:
    """ "A manager will answer you by 10:30 tomorrow", in the client's language."""
    local = answer_by.astimezone(zone)
    today = now.astimezone(zone).date()
    time = local.strftime("%H:%M")
    if local.date() == today:
        return t("sla.client.today", time=time)
    if local.date() == today + timedelta(days=1):
        return t("sla.client.tomorrow", time=time)
    return t("sla.client.on_day", time=time, date=local.strftime("%d.%m"))

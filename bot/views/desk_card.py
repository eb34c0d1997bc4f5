"""The desk's part of a lead card: who works it, what is due, what comes next, and the
buttons (with their sub-menus, which replace the card's buttons in place)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date, format_datetime

from bot.domain.checklist_text import Localized
from bot.domain.desk import (
    CLOSE_REASONS,
    CallOutcome,
    DeskLead,
    next_action,
    offered,
)
from bot.domain.documents import StoredDocument
from bot.domain.hours import WeeklySchedule
from bot.domain.leads import Lead, LeadStatus
from bot.domain.payments import Payment
from bot.domain.scoring import Verdict
from bot.domain.viewings import Manager
from bot.domain.working_time import working_between
from bot.i18n import Translator
from bot.keyboards.callbacks import DeskAction, DeskCb
from bot.storage.desk import OpenDeadline, StaffPerson
from bot.views.documents import document_lines
from bot.views.payments import payment_lines
from bot.views.privacy import erase_button
from bot.views.viewings import plain_appointment_label

LAST_MESSAGE_LIMIT = 200  # characters of the client's last message shown on the card

# Argument prefixes of DeskCb for choices inside a sub-menu.
STAFF_PREFIX = "s"  # Assign ▸ a lead-manager (Telegram id)
MANAGER_PREFIX = "m"  # Assign ▸ a sales manager (managers.id)
DAY_PREFIX = "d"  # Next call ▸ a day (YYYYMMDD)
TIME_PREFIX = "t"  # Next call ▸ a time (unix minutes)


def parse_day_arg(arg: str) -> date | None:
    """The day of a `DAY_PREFIX` argument, or None."""
    if not arg.startswith(DAY_PREFIX):
        return None
    try:
        return datetime.strptime(arg[1:], "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return None


def parse_time_arg(arg: str) -> datetime | None:
    """The moment of a `TIME_PREFIX` argument (unix minutes), or None."""
    if not arg.startswith(TIME_PREFIX) or not arg[1:].isdigit():
        return None
    return datetime.fromtimestamp(int(arg[1:]) * 60, tz=UTC)


@dataclass(frozen=True)
class CardClock:
    """What the card needs to say how much time is left, at render time."""

    now: datetime
    schedule: WeeklySchedule
    zone: ZoneInfo


def _span(minutes: int, t: Translator) -> str:
    if minutes < 60:
        return t("desk.span.minutes", minutes=minutes)
    return t("desk.span.hours", hours=minutes // 60, minutes=minutes % 60)


def _local_time(moment: datetime, clock: CardClock, language: str) -> str:
    local = moment.astimezone(clock.zone)
    if local.date() == clock.now.astimezone(clock.zone).date():
        return local.strftime("%H:%M")
    return format_datetime(local, format="short", locale=language)


def deadline_line(deadline: OpenDeadline, clock: CardClock, t: Translator) -> str:
    """ "take by 10:42 · 12 min left" or "take: overdue by 5 min" (desk hours only)."""
    kind = t(f"desk.deadline.{deadline.kind}")
    left = working_between(clock.now, deadline.due_at, clock.schedule, clock.zone)
    minutes = math.ceil(left.total_seconds() / 60)
    if minutes > 0:
        when = _local_time(deadline.due_at, clock, t.language)
        return t("desk.card.deadline_left", kind=kind, when=escape(when), left=_span(minutes, t))
    return t("desk.card.deadline_overdue", kind=kind, late=_span(max(-minutes, 0), t))


def desk_lines(
    lead: Lead,
    desk: DeskLead,
    deadlines: Sequence[OpenDeadline],
    clock: CardClock,
    t: Translator,
    payments: Sequence[Payment] = (),
    documents: Sequence[StoredDocument] = (),
) -> list[str]:
    language = t.language

    def when(moment: datetime) -> str:
        return escape(format_datetime(moment.astimezone(clock.zone), "short", locale=language))

    lines = [t("desk.card.stage", stage=t(f"desk.stage.{lead.status}"))]
    if desk.owner_id is not None:
        name = escape(desk.owner_name or str(desk.owner_id))
        owner = f'<a href="tg://user?id={desk.owner_id}">{name}</a>'
        lines.append(t("desk.card.owner", owner=owner))
    else:
        lines.append(t("desk.card.no_owner"))
    if not desk.closed:
        lines += [f"⏱ {deadline_line(deadline, clock, t)}" for deadline in deadlines]
    lines.append(t("desk.card.next", action=t(f"desk.next.{next_action(lead.status, desk)}")))
    if desk.next_call_at is not None and not desk.closed:
        lines.append(t("desk.card.next_call", when=when(desk.next_call_at)))
    lines += payment_lines(payments, clock.now.astimezone(clock.zone).date(), t)
    if desk.last_call_outcome is not None and desk.last_call_at is not None:
        outcome = t(f"desk.call.{desk.last_call_outcome}")
        lines.append(t("desk.card.last_call", outcome=outcome, when=when(desk.last_call_at)))
    if desk.override_verdict is not None:
        lines.append(
            t(
                "desk.card.override",
                verdict=t(f"staff.verdict.{desk.override_verdict}"),
                checklist=t(f"staff.verdict.{lead.verdict or Verdict.REJECT}"),
                reason=escape(desk.override_reason or ""),
            )
        )
    if desk.closed_reason is not None and desk.closed_at is not None:
        reason = t(f"desk.close.{desk.closed_reason}")
        lines.append(t("desk.card.closed", reason=reason, when=when(desk.closed_at)))
    if desk.last_client_text and desk.last_client_message_at is not None:
        text = desk.last_client_text
        if len(text) > LAST_MESSAGE_LIMIT:
            text = text[: LAST_MESSAGE_LIMIT - 1].rstrip() + "…"
        lines.append(
            t(
                "desk.card.last_message",
                when=when(desk.last_client_message_at),
                text=escape(text),
            )
        )
    lines += document_lines(documents, t)  # the deal's documents: accepted ones ticked
    return lines


def _button(text: str, action: DeskAction, lead_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=DeskCb(action=action, lead_id=lead_id, arg=arg).pack()
    )


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def desk_markup(
    lead: Lead,
    desk: DeskLead,
    t: Translator,
    more: Sequence[list[InlineKeyboardButton]] = (),
    *,
    label: Localized | None = None,
) -> InlineKeyboardMarkup:
    """The card's own buttons: what the desk rules offer for the lead's state, `more` (the
    deal's), and Erase ▸ last. `label` names what is booked (the checklist's wording)."""
    moves = offered(lead.status, desk)
    appointment = plain_appointment_label(label, t)
    buttons = [
        _button(t(f"desk.button.{move}", appointment=appointment), DeskAction(move.value), lead.id)
        for move in moves
    ]
    rows = [*_rows(buttons, 2), *more]
    # Erase ▸ on every card, a closed one too (only an administrator's press goes through,
    # on the person's request); not while the lead answers again: its card is replaced.
    if lead.status is not LeadStatus.QUALIFYING:
        rows.append([erase_button(lead.id, t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _with_back(
    buttons: list[InlineKeyboardButton], lead_id: int, t: Translator, width: int = 2
) -> InlineKeyboardMarkup:
    rows = _rows(buttons, width)
    rows.append([_button(t("desk.button.back"), DeskAction.BACK, lead_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def assign_menu(
    lead_id: int,
    people: Sequence[StaffPerson],
    managers: Sequence[Manager],
    t: Translator,
    *,
    back: bool = True,
) -> InlineKeyboardMarkup:
    """Lead-managers (👤) and, on the card, sales managers to hand the lead over to (🏠)."""
    buttons = [
        _button(
            t("desk.assign.staff", name=person.name),
            DeskAction.ASSIGN,
            lead_id,
            f"{STAFF_PREFIX}{person.telegram_id}",
        )
        for person in people
    ]
    buttons += [
        _button(
            t("desk.assign.manager", name=manager.display_name),
            DeskAction.ASSIGN,
            lead_id,
            f"{MANAGER_PREFIX}{manager.id}",
        )
        for manager in managers
    ]
    if back:
        return _with_back(buttons, lead_id, t)
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 2))


def override_menu(lead_id: int, choices: Sequence[Verdict], t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button(t(f"staff.verdict.{verdict}"), DeskAction.OVERRIDE, lead_id, verdict.value)
        for verdict in choices
    ]
    return _with_back(buttons, lead_id, t, width=3)


def call_menu(lead_id: int, t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button(t(f"desk.call.{outcome}"), DeskAction.CALL, lead_id, outcome.value)
        for outcome in CallOutcome
    ]
    return _with_back(buttons, lead_id, t, width=3)


def close_menu(lead_id: int, t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button(t(f"desk.close.{reason}"), DeskAction.CLOSE, lead_id, reason.value)
        for reason in CLOSE_REASONS
    ]
    return _with_back(buttons, lead_id, t)


def days_menu(lead_id: int, days: Sequence[date], t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            format_date(day, "EEE d MMM", locale=t.language),
            DeskAction.NEXT_CALL,
            lead_id,
            f"{DAY_PREFIX}{day:%Y%m%d}",
        )
        for day in days
    ]
    return _with_back(buttons, lead_id, t, width=3)


def times_menu(
    lead_id: int, times: Sequence[datetime], zone: ZoneInfo, t: Translator
) -> InlineKeyboardMarkup:
    buttons = [
        _button(
            moment.astimezone(zone).strftime("%H:%M"),
            DeskAction.NEXT_CALL,
            lead_id,
            f"{TIME_PREFIX}{int(moment.timestamp()) // 60}",
        )
        for moment in times
    ]
    return _with_back(buttons, lead_id, t, width=4)


def reassign_markup(lead_id: int, t: Translator) -> InlineKeyboardMarkup:
    """The button an escalation to the head of sales carries."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("desk.button.reassign"), DeskAction.ASSIGN, lead_id)]]
    )

"""Viewing screens: the day and time pickers, confirmations, reminders, manager messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date, format_time

from bot.domain.checklist_text import Localized
from bot.domain.leads import Lead
from bot.domain.reminders import ReminderKind
from bot.domain.viewings import Appointment, Manager, Outcome, Site
from bot.i18n import Translator
from bot.keyboards.callbacks import OutcomeCb, ViewingCb, ViewingDayCb, ViewingTimeCb
from bot.views import Screen

DAYS_PER_ROW = 2
TIMES_PER_ROW = 4


class ViewingAction(StrEnum):
    """What a ViewingCb button asks for."""

    BOOK = "book"
    RESCHEDULE = "move"
    CANCEL = "cancel"
    CANCEL_SURE = "cancel_yes"
    KEEP = "keep"
    CONFIRM = "confirm"
    NONE_SUIT = "none"
    DAYS = "days"


@dataclass(frozen=True)
class Picker:
    """Which viewing a picker changes (id 0: a new one) and the version it was shown for."""

    appointment_id: int
    sequence: int
    site: Site
    manager: Manager


def zone_label(zone: ZoneInfo, at: datetime) -> str:
    offset = at.astimezone(zone).strftime("%z")
    return f"{zone.key}, UTC{offset[:3]}:{offset[3:]}"


def when_text(start: datetime, zone: ZoneInfo, language: str) -> str:
    local = start.astimezone(zone)
    day = format_date(local.date(), format="EEE, d MMMM", locale=language)
    return f"{day}, {format_time(local.time(), format='HH:mm', locale=language)}"


def days_screen(
    picker: Picker, days: Sequence[tuple[date, int]], t: Translator, now: datetime
) -> Screen:
    language = t.language
    buttons = [
        InlineKeyboardButton(
            text=t(
                "viewing.day_button",
                day=format_date(day, format="EEE d MMM", locale=language),
                count=count,
            ),
            callback_data=ViewingDayCb(
                a=picker.appointment_id, s=picker.sequence, day=day.strftime("%Y%m%d")
            ).pack(),
        )
        for day, count in days
    ]
    rows = [buttons[i : i + DAYS_PER_ROW] for i in range(0, len(buttons), DAYS_PER_ROW)]
    rows.append([_action(picker, ViewingAction.NONE_SUIT, t("viewing.none_suit"))])
    text = t(
        "viewing.choose_day",
        site=escape(picker.site.name),
        address=escape(picker.site.address),
        manager=escape(picker.manager.display_name),
        zone=escape(zone_label(picker.site.zone, now)),
    )
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def times_screen(picker: Picker, day: date, starts: Sequence[datetime], t: Translator) -> Screen:
    language = t.language
    zone = picker.site.zone
    buttons = [
        InlineKeyboardButton(
            text=start.astimezone(zone).strftime("%H:%M"),
            callback_data=ViewingTimeCb(
                a=picker.appointment_id, s=picker.sequence, t=int(start.timestamp() // 60)
            ).pack(),
        )
        for start in starts
    ]
    rows = [buttons[i : i + TIMES_PER_ROW] for i in range(0, len(buttons), TIMES_PER_ROW)]
    rows.append(
        [
            _action(picker, ViewingAction.DAYS, t("viewing.other_day")),
            _action(picker, ViewingAction.NONE_SUIT, t("viewing.none_suit")),
        ]
    )
    moment = starts[0] if starts else datetime.combine(day, datetime.min.time(), zone)
    text = t(
        "viewing.choose_time",
        day=escape(format_date(day, format="EEEE, d MMMM", locale=language)),
        zone=escape(zone_label(zone, moment)),
    )
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def appointment_label(label: Localized | None, t: Translator) -> str:
    """What is booked, as the checklist calls it ("Test drive"), else the catalog's."""
    return escape(label.get(t.language)) if label is not None else t("appointment.label")


def confirmation_screen(
    appointment: Appointment,
    site: Site,
    manager: Manager,
    t: Translator,
    *,
    moved: bool,
    label: Localized | None = None,
) -> Screen:
    text = t(
        "viewing.moved" if moved else "viewing.booked",
        appointment=appointment_label(label, t),
        when=escape(when_text(appointment.start, site.zone, t.language)),
        zone=escape(zone_label(site.zone, appointment.start)),
        site=escape(site.name),
        address=escape(site.address),
        manager=escape(manager.display_name),
    )
    return Screen(text, manage_keyboard(appointment, t))


def manage_keyboard(appointment: Appointment, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _on(appointment, ViewingAction.RESCHEDULE, t("viewing.reschedule")),
                _on(appointment, ViewingAction.CANCEL, t("viewing.cancel")),
            ]
        ]
    )


def cancel_question_screen(appointment: Appointment, site: Site, t: Translator) -> Screen:
    text = t(
        "viewing.cancel_sure",
        when=escape(when_text(appointment.start, site.zone, t.language)),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _on(appointment, ViewingAction.CANCEL_SURE, t("viewing.cancel_yes")),
                _on(appointment, ViewingAction.KEEP, t("viewing.cancel_no")),
            ]
        ]
    )
    return Screen(text, markup)


def cancelled_screen(t: Translator) -> Screen:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("viewing.book_again"),
                    callback_data=ViewingCb(a=0, s=0, do=ViewingAction.BOOK).pack(),
                )
            ]
        ]
    )
    return Screen(t("viewing.cancelled"), markup)


def reminder_screen(
    kind: ReminderKind,
    appointment: Appointment,
    site: Site,
    manager: Manager,
    t: Translator,
    *,
    label: Localized | None = None,
) -> Screen:
    text = t(
        f"reminder.{kind}",
        appointment=appointment_label(label, t),
        when=escape(when_text(appointment.start, site.zone, t.language)),
        zone=escape(zone_label(site.zone, appointment.start)),
        site=escape(site.name),
        address=escape(site.address),
        manager=escape(manager.display_name),
    )
    buttons = [_on(appointment, ViewingAction.CONFIRM, t("viewing.confirm"))]
    buttons += manage_keyboard(appointment, t).inline_keyboard[0]
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=[buttons]))


def manager_event_text(
    kind: str, appointment: Appointment, lead: Lead, site: Site, manager: Manager, t: Translator
) -> str:
    """kind: booked | moved | cancelled | reminder."""
    lines = [
        t(
            f"manager.viewing.{kind}",
            when=escape(when_text(appointment.start, manager.zone, t.language)),
            zone=escape(zone_label(manager.zone, appointment.start)),
            site=escape(site.name),
        ),
        lead_line(lead, t),
    ]
    if site.zone.key != manager.zone.key:
        lines.append(
            t(
                "manager.viewing.site_time",
                when=escape(when_text(appointment.start, site.zone, t.language)),
                zone=escape(zone_label(site.zone, appointment.start)),
            )
        )
    return "\n".join(lines)


def lead_line(lead: Lead, t: Translator) -> str:
    parts = [escape(lead.name) if lead.name else t("staff.no_name")]
    if lead.phone:
        parts.append(f"<code>{escape(lead.phone)}</code>")
    if lead.username:
        parts.append(f"@{escape(lead.username)}")
    parts.append(t("manager.lead_number", id=lead.id))
    return " · ".join(parts)


def outcome_screen(appointment: Appointment, lead: Lead, manager: Manager, t: Translator) -> Screen:
    text = t(
        "manager.outcome.question",
        when=escape(when_text(appointment.start, manager.zone, t.language)),
        lead=lead_line(lead, t),
    )
    buttons = [
        InlineKeyboardButton(
            text=t(f"manager.outcome.{outcome}"),
            callback_data=OutcomeCb(a=appointment.id, o=outcome.value).pack(),
        )
        for outcome in Outcome
    ]
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=[buttons]))


def agenda_text(
    manager: Manager,
    day: date,
    items: Sequence[tuple[Appointment, Lead, Site]],
    t: Translator,
) -> str:
    heading = t(
        "manager.agenda.title",
        day=escape(format_date(day, format="EEEE, d MMMM", locale=t.language)),
        count=len(items),
    )
    if not items:
        return f"{heading}\n{t('manager.agenda.empty')}"
    lines = [heading]
    for appointment, lead, site in items:
        local = appointment.start.astimezone(manager.zone).strftime("%H:%M")
        lines.append(f"<b>{local}</b> · {escape(site.name)}\n{lead_line(lead, t)}")
    return "\n\n".join(lines)


def _action(picker: Picker, action: str, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=ViewingCb(a=picker.appointment_id, s=picker.sequence, do=action).pack(),
    )


def _on(appointment: Appointment, action: str, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=ViewingCb(a=appointment.id, s=appointment.sequence, do=action).pack(),
    )

"""What lead-managers read in the staff group: the lead card and the topic title."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from aiogram.methods import SetMyCommands
from aiogram.types import BotCommand, BotCommandScopeChat, InlineKeyboardMarkup
from babel.dates import format_datetime

from bot.domain.checklist import Checklist, QuestionKind, describe_answer
from bot.domain.checklist_text import Localized
from bot.domain.flow import relevant_answers
from bot.domain.leads import Lead, LeadStatus
from bot.domain.scoring import Reason, Verdict
from bot.domain.viewings import Appointment, Manager, Site
from bot.i18n import Translator
from bot.views.answer_words import media_words
from bot.views.team import assign_keyboard
from bot.views.viewings import appointment_label, when_text, zone_label

VERDICT_MARK: dict[Verdict, str] = {
    Verdict.TARGET: "🟢",
    Verdict.NURTURE: "🟡",
    Verdict.REJECT: "🔴",
}
TOPIC_TITLE_LIMIT = 128


def topic_title(lead: Lead, checklist: Checklist, t: Translator) -> str:
    """ "Ivan · 2-room · 8 500 000 ₽ 🟢": name, key answers, verdict mark; ≤ 128 chars."""
    language = t.language
    parts: list[str] = []
    for question_id in checklist.staff_title:
        try:
            question = checklist.question(question_id)
        except KeyError:
            continue
        answer = lead.answers.get(question_id)
        if answer is None:
            continue
        if question.kind is QuestionKind.SINGLE and isinstance(answer, str):
            try:
                parts.append(question.option(answer).short_label(language))
            except KeyError:
                continue
        else:
            shown = describe_answer(question, answer, language, media_words=media_words(t))
            if shown:
                parts.append(shown)
    if not parts:
        parts.append(t("staff.lead_number", id=lead.id))
    mark = VERDICT_MARK[lead.verdict] if lead.verdict else ""
    title = " · ".join(parts)
    room = TOPIC_TITLE_LIMIT - len(mark) - 1
    if len(title) > room:
        title = title[: room - 1].rstrip() + "…"
    return f"{title} {mark}".strip()


def reason_text(reason: Reason, t: Translator) -> str:
    said = escape(reason.text.get(t.language)) if reason.text is not None else None
    if reason.kind == "rule":
        rule = escape(reason.rule_id or "?")
        return t("staff.reason.rule", rule=rule, reason=said or t("staff.reason.unknown"))
    if reason.kind == "points":
        points = reason.points or 0
        # A typographic minus: "−5" does not read as a dash in a list.
        signed = f"+{points}" if points >= 0 else f"\u2212{-points}"
        return t(
            "staff.reason.points",
            points=signed,
            rule=escape(reason.rule_id or "?"),
            reason=said or t("staff.reason.unknown"),
        )
    if reason.score is not None and reason.threshold is not None:
        key = (
            "staff.reason.score_met"
            if reason.score >= reason.threshold
            else "staff.reason.score_missed"
        )
        return t(key, score=reason.score, threshold=reason.threshold)
    return t("staff.reason.unknown")


def reason_lines(lead: Lead, t: Translator) -> list[str]:
    """The score line and the reasons. When a rule decided, the score is information only:
    "90 ≥ threshold 70" next to a reject would read as a contradiction."""
    decided = any(reason.kind == "rule" for reason in lead.reasons)
    score = lead.score or 0
    best = lead.max_score or 0
    lines = [
        t("staff.score_rule_decided", score=score, max_score=best)
        if decided
        else t("staff.score", score=score, max_score=best)
    ]
    shown = [r for r in lead.reasons if not (decided and r.kind == "score")]
    return lines + [f"• {reason_text(reason, t)}" for reason in shown]


@dataclass(frozen=True)
class Booking:
    """Who the lead went to and their latest viewing, for the card."""

    manager: Manager | None = None
    appointment: Appointment | None = None
    site: Site | None = None


# A lead the bot could not route shows staff buttons to hand it to a manager.
_NEEDS_HANDS = frozenset({"no_eligible", "no_free_slots"})


def booking_lines(
    lead: Lead, booking: Booking, t: Translator, label: Localized | None = None
) -> list[str]:
    lines = []
    if lead.route_code is not None:
        route = t(f"staff.route.{lead.route_code}", **lead.route_params)
        if booking.manager is not None:
            name = escape(booking.manager.display_name)
            lines.append(t("staff.manager", name=name, why=route))
        else:
            lines.append(t("staff.no_manager", why=route))
    appointment, site = booking.appointment, booking.site
    if appointment is not None and site is not None:
        status = (
            "confirmed"
            if appointment.is_open and appointment.confirmed_at is not None
            else appointment.status.value
        )
        lines.append(
            t(
                "staff.viewing",
                appointment=appointment_label(label, t),
                when=escape(when_text(appointment.start, site.zone, t.language)),
                zone=escape(zone_label(site.zone, appointment.start)),
                site=escape(site.name),
                status=t(f"staff.viewing_status.{status}"),
            )
        )
    if lead.callback_note:
        lines.append(t("staff.callback", wish=escape(lead.callback_note)))
    return lines


def card_markup(
    lead: Lead,
    team: Sequence[Manager],
    t: Translator,
    desk: InlineKeyboardMarkup | None = None,
) -> InlineKeyboardMarkup | None:
    """The desk's buttons, and one-tap hand-over buttons while nobody could be routed."""
    rows = list(desk.inline_keyboard) if desk is not None else []
    if lead.manager_id is None and lead.route_code in _NEEDS_HANDS and team:
        rows += assign_keyboard(lead.id, team, t).inline_keyboard
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def lead_card(
    lead: Lead,
    checklist: Checklist,
    t: Translator,
    zone: ZoneInfo,
    booking: Booking | None = None,
    crm_id: str | None = None,
    desk_lines: Sequence[str] = (),
) -> str:
    language = t.language
    verdict = lead.verdict or Verdict.REJECT
    heading = f"<b>{t(f'staff.verdict.{verdict}')}</b> · {t('staff.lead_number', id=lead.id)}"
    lines = [
        f"{VERDICT_MARK[verdict]} {heading}",
    ]
    lines += reason_lines(lead, t)
    if desk_lines:
        lines += ["", *desk_lines]
    lines.append("")
    contact = [escape(lead.name) if lead.name else t("staff.no_name")]
    if lead.phone:
        contact.append(f"<code>{escape(lead.phone)}</code>")
    if lead.username:
        contact.append(f"@{escape(lead.username)}")
    contact.append(f'<a href="tg://user?id={lead.telegram_user_id}">{t("staff.open_chat")}</a>')
    lines.append(" · ".join(contact))
    lines.append(
        t(
            "staff.meta",
            source=escape(lead.source),
            language=escape(lead.language),
            checklist=escape(f"{lead.checklist_id} v{lead.checklist_version}"),
        )
    )
    if crm_id is not None:
        lines.append(t("staff.crm_id", id=escape(crm_id)))
    if lead.qualified_at is not None:
        when = format_datetime(lead.qualified_at.astimezone(zone), format="short", locale=language)
        lines.append(t("staff.qualified_at", when=escape(when)))
    if lead.status is LeadStatus.NURTURE and lead.follow_up_at is not None:
        follow = format_datetime(
            lead.follow_up_at.astimezone(zone), format="short", locale=language
        )
        lines.append(t("staff.follow_up", when=escape(follow)))
    if lead.unreachable_at is not None:
        lines.append(t("staff.unreachable"))
    if booking is not None:
        extra = booking_lines(lead, booking, t, checklist.wording.appointment)
        if extra:
            lines += ["", *extra]
    lines.append("")
    answers = relevant_answers(checklist, lead.answers)
    for question in checklist.questions:
        if question.id not in answers:
            continue
        shown = describe_answer(
            question, answers[question.id], language, media_words=media_words(t)
        )
        value = escape(shown) if shown is not None else t("answer.skipped")
        lines.append(f"<i>{escape(question.text.get(language))}</i>\n{value}")
    return "\n".join(lines)


# The staff group's command menu, in the order lead-managers reach for them.
STAFF_MENU = (
    "stats",
    "find",
    "export",
    "lead",
    "note",
    "kb",
    "outbox",
    "managers",
    "invite",
    "payments",
)


def staff_commands(chat_id: int, t: Translator) -> SetMyCommands:
    """The command menu of the staff group (prospects' commands do not belong there)."""
    return SetMyCommands(
        commands=[
            BotCommand(command=name, description=t(f"command.staff.{name}")) for name in STAFF_MENU
        ],
        scope=BotCommandScopeChat(chat_id=chat_id),
    )

"""Payment texts and buttons: for the client (reminders, answers), for staff (the schedule,
claims to check, overdue), and the payment lines of the lead card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date
from babel.numbers import format_decimal

from bot.domain.payments import BadLine, Payment, PaymentStatus, next_unpaid
from bot.i18n import Translator
from bot.keyboards.callbacks import PaymentPaidCb, PaymentReview, PaymentReviewCb

_SYMBOLS = {"RUB": "₽"}


def money(amount_minor: int, currency: str, t: Translator) -> str:
    """ "1 200 000 ₽", "1 200 000,50 ₽" (ru); "1,200,000.50 ₽" (en)."""
    value = Decimal(amount_minor) / 100
    pattern = "#,##0" if amount_minor % 100 == 0 else "#,##0.00"
    number = format_decimal(value, format=pattern, locale=t.language)
    return f"{number}\u00a0{_SYMBOLS.get(currency, currency)}"


def day_text(day: date, t: Translator) -> str:
    return format_date(day, "d MMMM y", locale=t.language)


def _label(payment: Payment, t: Translator) -> str:
    return t("payment.label", label=escape(payment.label)) if payment.label else ""


def _facts(payment: Payment, t: Translator) -> dict[str, str]:
    return {
        "amount": money(payment.amount_minor, payment.currency, t),
        "date": day_text(payment.due_on, t),
        "label": _label(payment, t),
    }


def _who(lead_id: int, name: str | None, t: Translator) -> dict[str, object]:
    return {"id": lead_id, "name": escape(name) if name else "—"}


# --- the client ----------------------------------------------------------------------------


def reminder_text(payment: Payment, days_before: int, t: Translator) -> str:
    key = "payment.client.remind_today" if days_before == 0 else "payment.client.remind"
    return t(key, **_facts(payment, t))


def client_overdue_text(payment: Payment, t: Translator) -> str:
    return t("payment.client.overdue", **_facts(payment, t))


def client_answer_text(payment: Payment, confirmed: bool, t: Translator) -> str:
    key = "payment.client.confirmed" if confirmed else "payment.client.not_received"
    return t(key, **_facts(payment, t))


def paid_markup(payment_id: int, t: Translator) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=t("payment.button.paid"), callback_data=PaymentPaidCb(payment_id=payment_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


# --- staff ---------------------------------------------------------------------------------


def schedule_text(
    lead_id: int, schedule: Sequence[Payment], today: date, t: Translator, *, saved: bool = False
) -> str:
    if not schedule:
        return t("payment.staff.empty", id=lead_id)
    head = t("payment.staff.saved" if saved else "payment.staff.schedule", id=lead_id)
    lines = [head]
    for payment in schedule:
        mark = _mark(payment, today)
        lines.append(t("payment.staff.line", mark=mark, **_facts(payment, t)))
    return "\n".join(lines)


def _mark(payment: Payment, today: date) -> str:
    if payment.status is PaymentStatus.PAID:
        return "✅"
    if payment.status is PaymentStatus.CLAIMED:
        return "🕓"
    return "⚠️" if payment.due_on < today else "⏳"


def problems_text(problems: Sequence[BadLine], t: Translator) -> str:
    lines = [t("payment.staff.bad_lines")]
    lines += [
        t(f"payment.problem.{bad.problem}", line=bad.number, text=escape(bad.text))
        for bad in problems
    ]
    lines.append(t("payment.staff.example"))
    return "\n".join(lines)


def claim_text(payment: Payment, lead_id: int, name: str | None, t: Translator) -> str:
    return t("payment.staff.claimed", **_who(lead_id, name, t), **_facts(payment, t))


def review_markup(payment: Payment, t: Translator) -> InlineKeyboardMarkup:
    def button(action: PaymentReview, key: str) -> InlineKeyboardButton:
        data = PaymentReviewCb(payment_id=payment.id, claim=payment.claims, action=action)
        return InlineKeyboardButton(text=t(key), callback_data=data.pack())

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(PaymentReview.CONFIRM, "payment.button.confirm"),
                button(PaymentReview.NOT_RECEIVED, "payment.button.not_received"),
            ]
        ]
    )


def answered_line(confirmed: bool, who: str, t: Translator) -> str:
    key = "payment.staff.confirmed_by" if confirmed else "payment.staff.not_received_by"
    return t(key, who=escape(who))


def topic_answer_text(payment: Payment, confirmed: bool, t: Translator) -> str:
    key = "payment.staff.topic_confirmed" if confirmed else "payment.staff.topic_not_received"
    return t(key, id=payment.lead_id, **_facts(payment, t))


def overdue_text(
    payment: Payment, rung: int, lead_id: int, name: str | None, today: date, t: Translator
) -> str:
    facts = {**_who(lead_id, name, t), **_facts(payment, t)}
    if rung <= 1:
        return t("payment.staff.overdue", **facts)
    return t("payment.staff.escalated", days=(today - payment.due_on).days, **facts)


# --- the card ------------------------------------------------------------------------------


def payment_lines(schedule: Sequence[Payment], today: date, t: Translator) -> list[str]:
    """The card's payment lines: what is overdue, else the next payment; nothing without a
    schedule. `today` is the client's local date."""
    if not schedule:
        return []
    lines = [
        t("payment.card.overdue", days=(today - p.due_on).days, **_facts(p, t))
        for p in schedule
        if p.status is PaymentStatus.DUE and p.due_on < today
    ]
    lines += [
        t("payment.card.claimed", **_facts(p, t))
        for p in schedule
        if p.status is PaymentStatus.CLAIMED
    ]
    upcoming = next_unpaid([p for p in schedule if p.due_on >= today])
    if upcoming is not None and upcoming.status is PaymentStatus.DUE:
        lines.append(t("payment.card.next", **_facts(upcoming, t)))
    if not lines:
        lines.append(t("payment.card.all_paid", count=len(schedule)))
    return lines

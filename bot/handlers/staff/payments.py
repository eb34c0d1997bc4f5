"""`/payments` in a lead's topic (show, set, clear the schedule) and the receivables'
answer to "I've paid" (in the topic or in their private chat)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.domain.payments import parse_schedule
from bot.filters import StaffMember
from bot.i18n import Translator
from bot.keyboards.callbacks import PaymentReview, PaymentReviewCb
from bot.services.notifier import Notifier
from bot.services.payments import PaymentDesk, ReviewOutcome, ScheduleOutcome
from bot.services.staff_desk import StaffDesk
from bot.views.payments import answered_line, problems_text, schedule_text

PAYMENT_COMMANDS = ("payments",)
_CLEAR_WORDS = frozenset({"clear", "очистить"})


async def payments(
    message: Message,
    command: CommandObject,
    payment_desk: PaymentDesk,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    thread_id = message.message_thread_id if message.is_topic_message else None
    lead_id = await payment_desk.lead_in_topic(message.chat.id, thread_id)
    if lead_id is None:
        text = staff_t("payment.staff.not_in_topic")
        await notifier.send(message.chat.id, text, thread_id=thread_id)
        return
    user_id = message.from_user.id if message.from_user is not None else message.chat.id
    args = (command.args or "").strip()
    today = payment_desk.today()
    if not args:
        schedule = await payment_desk.schedule(lead_id) or []
        text = schedule_text(lead_id, schedule, today, staff_t)
    elif args.lower() in _CLEAR_WORDS:
        await payment_desk.set_schedule(lead_id, [], actor=f"staff:{user_id}")
        text = staff_t("payment.staff.cleared", id=lead_id)
    else:
        parsed = parse_schedule(args, today)
        if not parsed.ok:
            text = problems_text(parsed.problems, staff_t)
        else:
            result = await payment_desk.set_schedule(
                lead_id, parsed.payments, actor=f"staff:{user_id}"
            )
            saved = result.outcome is ScheduleOutcome.SET
            text = schedule_text(lead_id, result.schedule, today, staff_t, saved=saved)
    await notifier.send(message.chat.id, text, thread_id=thread_id)


async def review(
    query: CallbackQuery,
    callback_data: PaymentReviewCb,
    payment_desk: PaymentDesk,
    staff: StaffDesk,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    message = query.message
    user_id = query.from_user.id
    in_group = message is not None and message.chat.id == staff.chat_id
    allowed = payment_desk.may_review(user_id) or (
        message is not None and in_group and await staff.is_member(message.chat.id, user_id)
    )
    if not allowed:
        await notifier.answer_callback(query.id, staff_t("payment.staff.refused"))
        return
    confirmed = callback_data.action is PaymentReview.CONFIRM
    result = await payment_desk.review(
        callback_data.payment_id,
        callback_data.claim,
        confirmed,
        staff_id=user_id,
        in_topic=in_group,
    )
    if result.outcome is ReviewOutcome.OLD:
        await notifier.answer_callback(query.id, staff_t("payment.staff.old_button"))
        if isinstance(message, Message):
            await notifier.edit_markup(message.chat.id, message.message_id, None)
        return
    key = "payment.staff.done_confirmed" if confirmed else "payment.staff.done_not_received"
    await notifier.answer_callback(query.id, staff_t(key))
    if isinstance(message, Message) and message.text is not None:
        line = answered_line(confirmed, query.from_user.full_name, staff_t)
        await notifier.edit(message.chat.id, message.message_id, f"{message.html_text}\n\n{line}")


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(payments, StaffMember(), Command(*PAYMENT_COMMANDS))
    router.callback_query.register(review, PaymentReviewCb.filter())
    return router

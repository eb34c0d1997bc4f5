"""/outbox in the staff group: the sales-desk backlog, and replaying dead letters."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.filters import StaffMember, StaffPress
from bot.i18n import Translator
from bot.keyboards.callbacks import OutboxAction, OutboxCb
from bot.services.notifier import Notifier
from bot.services.sales_desk import SalesDesk
from bot.views.sales_desk import outbox_keyboard, outbox_text

OUTBOX_COMMANDS = ("outbox",)


async def outbox(
    message: Message,
    sales_desk: SalesDesk,
    notifier: Notifier,
    staff_t: Translator,
    staff_zone: ZoneInfo,
) -> None:
    thread_id = message.message_thread_id if message.is_topic_message else None
    if not sales_desk.enabled:
        await notifier.send(message.chat.id, staff_t("desk.outbox.off"), thread_id=thread_id)
        return
    backlog, failing, disabled = await sales_desk.backlog()
    await notifier.send(
        message.chat.id,
        outbox_text(backlog, failing, disabled, staff_t, staff_zone),
        markup=outbox_keyboard(backlog, disabled is not None, staff_t),
        thread_id=thread_id,
    )


async def replay(
    query: CallbackQuery,
    callback_data: OutboxCb,
    sales_desk: SalesDesk,
    notifier: Notifier,
    staff_t: Translator,
    staff_zone: ZoneInfo,
) -> None:
    lead_id = callback_data.lead_id if callback_data.action is OutboxAction.REPLAY_LEAD else None
    count = await sales_desk.replay(lead_id)
    await notifier.answer_callback(query.id, staff_t("desk.outbox.replayed", count=count))
    if query.message is not None:
        backlog, failing, disabled = await sales_desk.backlog()
        await notifier.edit(
            query.message.chat.id,
            query.message.message_id,
            outbox_text(backlog, failing, disabled, staff_t, staff_zone),
            markup=outbox_keyboard(backlog, disabled is not None, staff_t),
        )


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(outbox, Command(*OUTBOX_COMMANDS), StaffMember())
    router.callback_query.register(replay, OutboxCb.filter(), StaffPress())
    return router

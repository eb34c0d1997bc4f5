"""Staff commands used where they do not belong get a clear refusal, nothing else."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.handlers.staff.commands import STAFF_COMMANDS
from bot.handlers.staff.outbox import OUTBOX_COMMANDS
from bot.handlers.staff.payments import PAYMENT_COMMANDS
from bot.handlers.staff.team import TEAM_COMMANDS
from bot.i18n import Translator
from bot.keyboards.callbacks import AssignCb, ManagerAdminCb, OutboxCb
from bot.services.notifier import Notifier
from bot.services.staff_desk import StaffDesk


async def bind_elsewhere(message: Message, notifier: Notifier, t: Translator) -> None:
    await notifier.send(message.chat.id, t("staff.bind.groups_only"))


async def staff_command_elsewhere(
    message: Message, staff: StaffDesk, notifier: Notifier, t: Translator
) -> None:
    in_staff_group = staff.chat_id is not None and message.chat.id == staff.chat_id
    key = "staff.refused.not_member" if in_staff_group else "staff.refused.not_staff_chat"
    thread_id = message.message_thread_id if message.is_topic_message else None
    await notifier.send(message.chat.id, t(key), thread_id=thread_id)


async def staff_button_elsewhere(query: CallbackQuery, notifier: Notifier, t: Translator) -> None:
    await notifier.answer_callback(query.id, t("staff.refused.not_member"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(bind_elsewhere, Command("bind"))
    router.message.register(
        staff_command_elsewhere,
        Command(*STAFF_COMMANDS, *TEAM_COMMANDS, *OUTBOX_COMMANDS, *PAYMENT_COMMANDS),
    )
    router.callback_query.register(staff_button_elsewhere, AssignCb.filter())
    router.callback_query.register(staff_button_elsewhere, ManagerAdminCb.filter())
    router.callback_query.register(staff_button_elsewhere, OutboxCb.filter())
    return router

"""Binding a group as the staff group (/bind <code>), and following it if it migrates."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.i18n import Translator
from bot.services.notifier import Notifier
from bot.services.staff_desk import BindResult, StaffDesk
from bot.views.staff import staff_commands


async def bind(
    message: Message,
    command: CommandObject,
    staff: StaffDesk,
    notifier: Notifier,
    staff_t: Translator,
) -> None:
    user_id = message.from_user.id if message.from_user else None
    result = await staff.bind(message.chat.id, user_id, (command.args or "").strip())
    await notifier.send(message.chat.id, staff_t(f"staff.bind.{result}"))
    if result is BindResult.BOUND:
        await notifier.call(staff_commands(message.chat.id, staff_t), None)


async def migrated(message: Message, staff: StaffDesk) -> None:
    assert message.migrate_to_chat_id is not None
    await staff.migrate(message.chat.id, message.migrate_to_chat_id)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(bind, Command("bind"), F.chat.type.in_({"group", "supergroup"}))
    router.message.register(migrated, F.migrate_to_chat_id)
    return router

"""Joining as a manager through a one-time invite link (/start mgr_<code>)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot.i18n import Translations
from bot.services.notifier import Notifier
from bot.services.team import INVITE_PREFIX, JoinResult, Team
from bot.views.manager import manager_commands


async def join(
    message: Message,
    command: CommandObject,
    team: Team,
    notifier: Notifier,
    translations: Translations,
) -> None:
    assert message.from_user is not None and command.args is not None
    user = message.from_user
    language = translations.pick_language(user.language_code)
    result, manager = await team.join(
        user.id, user.full_name, language, command.args.removeprefix(INVITE_PREFIX)
    )
    t = translations.get(manager.language if manager is not None else language)
    if result is JoinResult.INVALID:
        await notifier.send(message.chat.id, t("manager.join.invalid"))
        return
    assert manager is not None
    await notifier.call(manager_commands(manager, t), None)
    key = "manager.join.welcome" if result is JoinResult.JOINED else "manager.join.already"
    await notifier.send(message.chat.id, t(key) + "\n\n" + t("manager.help"))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        join, CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX))
    )
    return router

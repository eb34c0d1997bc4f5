"""Prospect commands: /start [source], /restart, /language, /forget."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.services.conversation import Conversation, Prospect


async def start(
    message: Message,
    command: CommandObject,
    prospect: Prospect,
    conversation: Conversation,
    state: FSMContext,
) -> None:
    await conversation.start(prospect, command.args, state)


async def restart(
    message: Message, prospect: Prospect, conversation: Conversation, state: FSMContext
) -> None:
    await conversation.restart(prospect, None, state)


async def language(
    message: Message, prospect: Prospect, conversation: Conversation, state: FSMContext
) -> None:
    await conversation.language_menu(prospect, state)


async def forget(
    message: Message, prospect: Prospect, conversation: Conversation, state: FSMContext
) -> None:
    await conversation.forget(prospect, state)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(restart, Command("restart"))
    router.message.register(language, Command("language"))
    router.message.register(forget, Command("forget"))
    return router

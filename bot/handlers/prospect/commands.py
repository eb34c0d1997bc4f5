"""Prospect commands: /start [source], /restart, /language (/forget: privacy.py)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.handlers.render import Chat, written
from bot.services.conversation import Conversation, Prospect
from bot.services.notifier import Notifier


async def start(
    message: Message,
    command: CommandObject,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    turn = await conversation.start(prospect, command.args, chat.memory)
    await chat.finish(turn)


async def restart(
    message: Message,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    turn = await conversation.restart(prospect, chat.memory, pressed=False)
    await chat.finish(turn)


async def language(
    message: Message,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    turn = await conversation.language_menu(prospect, chat.memory)
    await chat.finish(turn)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(restart, Command("restart"))
    router.message.register(language, Command("language"))
    return router

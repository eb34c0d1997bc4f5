"""Prospect commands: /start [source], /restart, /language, /forget."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.handlers.render import carry_out, memory_of, written
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
    turn = await conversation.start(prospect, command.args, await memory_of(state))
    await carry_out(turn, notifier, written(message), state)


async def restart(
    message: Message,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    turn = await conversation.restart(prospect, await memory_of(state), pressed=False)
    await carry_out(turn, notifier, written(message), state)


async def language(
    message: Message,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    turn = await conversation.language_menu(prospect, await memory_of(state))
    await carry_out(turn, notifier, written(message), state)


async def forget(
    message: Message,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    turn = await conversation.forget(prospect, await memory_of(state))
    await carry_out(turn, notifier, written(message), state)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(restart, Command("restart"))
    router.message.register(language, Command("language"))
    router.message.register(forget, Command("forget"))
    return router

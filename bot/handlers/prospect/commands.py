"""Prospect commands: /start [source], /restart, /language, /forget."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.services.conversation import Conversation, Prospect

router = Router(name=__name__)


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    prospect: Prospect,
    conversation: Conversation,
    state: FSMContext,
) -> None:
    await conversation.start(prospect, command.args, state)


@router.message(Command("restart"))
async def restart(
    message: Message, prospect: Prospect, conversation: Conversation, state: FSMContext
) -> None:
    await conversation.restart(prospect, None, state)


@router.message(Command("language"))
async def language(
    message: Message, prospect: Prospect, conversation: Conversation, state: FSMContext
) -> None:
    await conversation.language_menu(prospect, state)


@router.message(Command("forget"))
async def forget(
    message: Message, prospect: Prospect, conversation: Conversation, state: FSMContext
) -> None:
    await conversation.forget(prospect, state)

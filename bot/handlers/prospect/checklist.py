"""Answers to the checklist: buttons, typed text, shared contacts, anything else."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.consent import Purpose
from bot.handlers.render import Chat, pressed, written
from bot.keyboards.callbacks import (
    BackCb,
    ConsentCb,
    DoneCb,
    LanguageCb,
    OptionCb,
    RestartCb,
    SkipCb,
    ToggleCb,
)
from bot.services.answering import Answering
from bot.services.conversation import Conversation, Prospect
from bot.services.notifier import Notifier


async def consent(
    query: CallbackQuery,
    callback_data: ConsentCb,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    where = pressed(query)
    chat = await Chat.open(notifier, where, state)
    given = {Purpose.PROCESSING: where.message_id}  # the consent document's message
    turn = await conversation.consent(prospect, callback_data.agree, chat.memory, chat.do, given)
    await chat.finish(turn)


async def option(
    query: CallbackQuery,
    callback_data: OptionCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.choose(prospect, callback_data.q, callback_data.o, chat.memory, chat.do)
    await chat.finish(turn)


async def toggle(
    query: CallbackQuery,
    callback_data: ToggleCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.toggle(prospect, callback_data.q, callback_data.o, chat.memory)
    await chat.finish(turn)


async def done(
    query: CallbackQuery,
    callback_data: DoneCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.done(prospect, callback_data.q, chat.memory, chat.do)
    await chat.finish(turn)


async def skip(
    query: CallbackQuery,
    callback_data: SkipCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.skip(prospect, callback_data.q, chat.memory, chat.do, pressed=True)
    await chat.finish(turn)


async def back(
    query: CallbackQuery,
    callback_data: BackCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.back(prospect, callback_data.q, chat.memory, chat.do, pressed=True)
    await chat.finish(turn)


async def restart(
    query: CallbackQuery,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await conversation.restart(prospect, chat.memory, chat.do, pressed=True)
    await chat.finish(turn)


async def language(
    query: CallbackQuery,
    callback_data: LanguageCb,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await conversation.set_language(prospect, callback_data.lang, chat.memory)
    await chat.finish(turn)


async def unknown_button(
    query: CallbackQuery,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    """Buttons from an older version of the bot: harmless, answered as closed."""
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await conversation.stale_button(prospect, chat.memory)
    await chat.finish(turn)


async def contact(
    message: Message,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    assert message.contact is not None
    shared = message.contact
    chat = await Chat.open(notifier, written(message), state)
    turn = await answering.contact(prospect, shared.user_id, shared.phone_number, chat.memory)
    await chat.finish(turn)


async def text(
    message: Message,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    turn = await answering.text(prospect, message.text or "", chat.memory)
    await chat.finish(turn)


async def anything_else(
    message: Message,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    turn = await conversation.unsupported(prospect, chat.memory)
    await chat.finish(turn)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(consent, ConsentCb.filter())
    router.callback_query.register(option, OptionCb.filter())
    router.callback_query.register(toggle, ToggleCb.filter())
    router.callback_query.register(done, DoneCb.filter())
    router.callback_query.register(skip, SkipCb.filter())
    router.callback_query.register(back, BackCb.filter())
    router.callback_query.register(restart, RestartCb.filter())
    router.callback_query.register(language, LanguageCb.filter())
    router.callback_query.register(unknown_button)
    router.message.register(contact, F.contact)
    router.message.register(text, F.text)
    router.message.register(anything_else)
    return router

"""Answers to the checklist: buttons, typed text, shared contacts, anything else."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import BaseFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.checklist import MediaKind
from bot.domain.consent import Purpose
from bot.handlers.render import Chat, pressed, written
from bot.keyboards.callbacks import (
    BackCb,
    CalendarDayCb,
    CalendarIdleCb,
    CalendarMonthCb,
    ConsentCb,
    DoneCb,
    LanguageCb,
    OptionCb,
    PickCb,
    RestartCb,
    SkipCb,
    ToggleCb,
)
from bot.services.answer_media import MediaMessage
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


async def pick(
    query: CallbackQuery,
    callback_data: PickCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.kinds.pick(prospect, callback_data.q, callback_data.o, chat.memory)
    await chat.finish(turn)


async def calendar_day(
    query: CallbackQuery,
    callback_data: CalendarDayCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.kinds.pick_day(
        prospect, callback_data.q, callback_data.d, chat.memory, chat.do
    )
    await chat.finish(turn)


async def calendar_month(
    query: CallbackQuery,
    callback_data: CalendarMonthCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.kinds.turn_month(prospect, callback_data.q, callback_data.m, chat.memory)
    await chat.finish(turn)


async def calendar_idle(
    query: CallbackQuery,
    callback_data: CalendarIdleCb,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await answering.kinds.turn_month(prospect, callback_data.q, None, chat.memory)
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


class MediaExpected(BaseFilter):
    """A photo or a document while the prospect's current question takes one; adds
    `media`. Before the deal's document intake and the relay."""

    async def __call__(self, message: Message, answering: Answering) -> bool | dict[str, Any]:
        media = _media(message)
        if media is None or message.from_user is None:
            return False
        if not await answering.kinds.expects_media(message.from_user.id, media.album):
            return False
        return {"media": media}


def _media(message: Message) -> MediaMessage | None:
    group = message.media_group_id
    if message.photo:
        return MediaMessage(MediaKind.PHOTO, message.photo[-1].file_id, message.message_id, group)
    if message.document is not None:
        document = message.document
        return MediaMessage(MediaKind.DOCUMENT, document.file_id, message.message_id, group)
    return None


async def media_answer(
    message: Message,
    media: MediaMessage,
    prospect: Prospect,
    answering: Answering,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    turn = await answering.kinds.media(prospect, media, chat.memory)
    await chat.finish(turn)


def build_media_router() -> Router:
    """The checklist's photo and document answers, ahead of the deal's and the relay's."""
    router = Router(name=f"{__name__}.media")
    router.message.register(media_answer, F.photo | F.document, MediaExpected())
    return router


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


def build_buttons_router() -> Router:
    """The checklist's own buttons. Their prefixes are the checklist's alone, so this router
    may come first among the prospect's (most presses are these)."""
    router = Router(name=f"{__name__}.buttons")
    router.callback_query.register(consent, ConsentCb.filter())
    router.callback_query.register(option, OptionCb.filter())
    router.callback_query.register(toggle, ToggleCb.filter())
    router.callback_query.register(done, DoneCb.filter())
    router.callback_query.register(skip, SkipCb.filter())
    router.callback_query.register(back, BackCb.filter())
    router.callback_query.register(pick, PickCb.filter())
    router.callback_query.register(calendar_day, CalendarDayCb.filter())
    router.callback_query.register(calendar_month, CalendarMonthCb.filter())
    router.callback_query.register(calendar_idle, CalendarIdleCb.filter())
    router.callback_query.register(restart, RestartCb.filter())
    router.callback_query.register(language, LanguageCb.filter())
    return router


def build_router() -> Router:
    """Last of the prospect's: any other button, and what they type or send."""
    router = Router(name=__name__)
    router.callback_query.register(unknown_button)
    router.message.register(contact, F.contact)
    router.message.register(text, F.text)
    router.message.register(anything_else)
    return router

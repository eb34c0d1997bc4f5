"""Booking buttons in the prospect's chat, and the call-back wish they type."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.handlers.render import BookingState, Chat, pressed, written
from bot.keyboards.callbacks import ViewingCb, ViewingDayCb, ViewingTimeCb
from bot.services.booking import Booking, Tap
from bot.services.notifier import Notifier


def _tap(query: CallbackQuery) -> Tap:
    return Tap(user_id=query.from_user.id, chat_id=pressed(query).chat_id)


async def day(
    query: CallbackQuery,
    callback_data: ViewingDayCb,
    booking: Booking,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await booking.day(_tap(query), callback_data, chat.memory, chat.do)
    await chat.finish(turn)


async def time(
    query: CallbackQuery,
    callback_data: ViewingTimeCb,
    booking: Booking,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await booking.time(_tap(query), callback_data, chat.memory)
    await chat.finish(turn)


async def action(
    query: CallbackQuery,
    callback_data: ViewingCb,
    booking: Booking,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    turn = await booking.action(_tap(query), callback_data, chat.memory, chat.do)
    await chat.finish(turn)


async def wish(message: Message, booking: Booking, notifier: Notifier, state: FSMContext) -> None:
    assert message.from_user is not None and message.text is not None
    chat = await Chat.open(notifier, written(message), state)
    turn = await booking.wish(message.from_user.id, message.text, chat.memory)
    await chat.finish(turn)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(day, ViewingDayCb.filter())
    router.callback_query.register(time, ViewingTimeCb.filter())
    router.callback_query.register(action, ViewingCb.filter())
    router.message.register(wish, BookingState.wish, F.text, ~F.text.startswith("/"))
    return router

"""Booking buttons in the prospect's chat, and the call-back wish they type."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.keyboards.callbacks import ViewingCb, ViewingDayCb, ViewingTimeCb
from bot.services.booking import Booking, BookingState, Press


def _press(query: CallbackQuery) -> Press:
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    message_id = query.message.message_id if query.message is not None else None
    return Press(
        user_id=query.from_user.id, chat_id=chat_id, query_id=query.id, message_id=message_id
    )


async def day(query: CallbackQuery, callback_data: ViewingDayCb, booking: Booking) -> None:
    await booking.day(_press(query), callback_data)


async def time(query: CallbackQuery, callback_data: ViewingTimeCb, booking: Booking) -> None:
    await booking.time(_press(query), callback_data)


async def action(
    query: CallbackQuery, callback_data: ViewingCb, booking: Booking, state: FSMContext
) -> None:
    await booking.action(_press(query), callback_data, state)


async def wish(message: Message, booking: Booking, state: FSMContext) -> None:
    assert message.from_user is not None and message.text is not None
    await booking.wish(message.from_user.id, message.text, state)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(day, ViewingDayCb.filter())
    router.callback_query.register(time, ViewingTimeCb.filter())
    router.callback_query.register(action, ViewingCb.filter())
    router.message.register(wish, BookingState.wish, F.text, ~F.text.startswith("/"))
    return router

"""The prospect's nurture buttons (consent, Answer again, Stop) and /stop."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.nurture import StopVia
from bot.handlers.render import Chat, pressed, written
from bot.keyboards.callbacks import NurtureAction, NurtureCb
from bot.services.conversation import Conversation, Prospect
from bot.services.notifier import Notifier
from bot.services.nurture import Nurture


async def stop_command(
    message: Message, prospect: Prospect, nurture: Nurture, notifier: Notifier, state: FSMContext
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    turn = await nurture.stop(
        prospect.user_id, StopVia.COMMAND, chat.memory, prospect.language_code
    )
    await chat.finish(turn)


async def button(
    query: CallbackQuery,
    callback_data: NurtureCb,
    prospect: Prospect,
    nurture: Nurture,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    where = pressed(query)
    chat = await Chat.open(notifier, where, state)
    action, lead_id = callback_data.action, callback_data.lead_id
    if action is NurtureAction.STOP:
        turn = await nurture.stop(
            prospect.user_id, StopVia.BUTTON, chat.memory, prospect.language_code
        )
        await chat.finish(turn)
    elif action is NurtureAction.ANSWER:
        reopened, turn = await nurture.reopen(prospect.user_id, lead_id, chat.memory)
        await chat.finish(turn)
        if reopened:
            await chat.finish(await conversation.resume(prospect, turn.memory))
    else:
        agree = action is NurtureAction.YES
        turn = await nurture.consent(
            prospect.user_id, lead_id, agree, where.message_id, chat.memory
        )
        await chat.finish(turn)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(stop_command, Command("stop"))
    router.callback_query.register(button, NurtureCb.filter())
    return router

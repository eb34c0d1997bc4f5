"""The person's privacy: /privacy (consents, withdrawals), /mydata, /forget, and the consent
documents after the first (the CRM transfer)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.consent import Purpose
from bot.handlers.render import Chat, pressed, written
from bot.keyboards.callbacks import ConsentDocCb, PrivacyCb
from bot.services.conversation import Conversation, Prospect
from bot.services.notifier import Notifier
from bot.services.privacy import PrivacyDesk


async def show(
    message: Message,
    prospect: Prospect,
    privacy: PrivacyDesk,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    await chat.finish(await privacy.overview(prospect, chat.memory))


async def mydata(
    message: Message,
    prospect: Prospect,
    privacy: PrivacyDesk,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    await chat.finish(await privacy.export(prospect, chat.memory))


async def forget(
    message: Message,
    prospect: Prospect,
    privacy: PrivacyDesk,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, written(message), state)
    await chat.finish(await privacy.forget(prospect, chat.memory, pressed=False))


async def withdraw(
    query: CallbackQuery,
    callback_data: PrivacyCb,
    prospect: Prospect,
    privacy: PrivacyDesk,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    if callback_data.sure and callback_data.p == Purpose.PROCESSING.value:
        turn = await privacy.forget(prospect, chat.memory, pressed=True)
    elif not callback_data.p:
        turn = await privacy.keep(prospect, chat.memory)
    else:
        turn = await privacy.withdraw(prospect, callback_data.p, chat.memory)
    await chat.finish(turn)


async def consent_document(
    query: CallbackQuery,
    callback_data: ConsentDocCb,
    prospect: Prospect,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    """A further consent document before the lead exists: the processing one was accepted
    in message `m`, this one in the pressed message."""
    where = pressed(query)
    chat = await Chat.open(notifier, where, state)
    given = {
        Purpose.PROCESSING: callback_data.m or None,
        Purpose(callback_data.p): where.message_id,
    }
    turn = await conversation.consent(
        prospect, callback_data.agree, chat.memory, chat.do, given=given
    )
    await chat.finish(turn)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show, Command("privacy"))
    router.message.register(mydata, Command("mydata"))
    router.message.register(forget, Command("forget"))
    router.callback_query.register(withdraw, PrivacyCb.filter())
    router.callback_query.register(
        consent_document, ConsentDocCb.filter(F.p == Purpose.CRM_TRANSFER.value)
    )
    return router

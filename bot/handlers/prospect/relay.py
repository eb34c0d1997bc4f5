"""The prospect's side of the relay: "Ask a person", /human, and what they write to people."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import BaseFilter, Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.leads import Lead
from bot.handlers.relay_message import incoming, kind_of
from bot.handlers.render import Chat, pressed
from bot.i18n import Translations
from bot.keyboards.callbacks import HumanCb, QuestionsCb
from bot.services.conversation import Conversation, Prospect
from bot.services.notifier import Notifier
from bot.services.relay import Relay, Via


class ForRelay(BaseFilter):
    """The message belongs to the relay (the checklist is over, or they asked for a
    person); adds `relay_lead`."""

    async def __call__(self, message: Message, relay: Relay) -> bool | dict[str, Any]:
        if message.from_user is None:
            return False
        lead = await relay.lead_for(message.from_user.id, kind_of(message))
        return False if lead is None else {"relay_lead": lead}


async def human(
    message: Message,
    prospect: Prospect,
    relay: Relay,
    notifier: Notifier,
    translations: Translations,
) -> None:
    screen = await relay.ask_person(prospect.user_id, Via.COMMAND)
    if screen is None:  # no lead yet: nobody to put them through to before /start
        t = translations.get(translations.pick_language(prospect.language_code))
        await notifier.send(prospect.chat_id, t("start.hint"))
        return
    await notifier.send(prospect.chat_id, screen.text, markup=screen.markup)


async def human_button(
    query: CallbackQuery,
    callback_data: HumanCb,
    prospect: Prospect,
    relay: Relay,
    notifier: Notifier,
) -> None:
    await notifier.answer_callback(query.id)
    try:
        via = Via(callback_data.via)
    except ValueError:
        via = Via.BUTTON
    screen = await relay.ask_person(prospect.user_id, via)
    if screen is not None:
        await notifier.send(prospect.chat_id, screen.text, markup=screen.markup)


async def back_to_questions(
    query: CallbackQuery,
    prospect: Prospect,
    relay: Relay,
    conversation: Conversation,
    notifier: Notifier,
    state: FSMContext,
) -> None:
    chat = await Chat.open(notifier, pressed(query), state)
    await relay.back_to_questions(prospect.user_id)
    await chat.finish(await conversation.resume(prospect, chat.memory))


async def relayed(message: Message, relay_lead: Lead, relay: Relay, notifier: Notifier) -> None:
    screen = await relay.from_prospect(relay_lead, incoming(message))
    if screen is not None:
        await notifier.send(message.chat.id, screen.text, markup=screen.markup)


async def edited(message: Message, relay: Relay) -> None:
    await relay.prospect_edited(incoming(message))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(human, Command("human"))
    router.callback_query.register(human_button, HumanCb.filter())
    router.callback_query.register(back_to_questions, QuestionsCb.filter())
    # Commands stay commands (an unknown one is answered by the checklist as today).
    router.message.register(relayed, ~F.text.startswith("/"), ForRelay())
    router.edited_message.register(edited, F.chat.type == "private")
    return router

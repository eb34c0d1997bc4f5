"""The client's `/deal`: where the deal stands, what is still needed, the next payment,
and who to talk to."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.i18n import Translations
from bot.services.deal_card import DealCard
from bot.services.notifier import Notifier
from bot.services.standing import Prospect


async def deal(
    message: Message,
    prospect: Prospect,
    deal_card: DealCard,
    notifier: Notifier,
    translations: Translations,
) -> None:
    screen = await deal_card.client_screen(prospect.user_id)
    if screen is None:  # never started: nothing of theirs to show
        t = translations.get(translations.pick_language(prospect.language_code))
        await notifier.send(prospect.chat_id, t("deal.client.none"))
        return
    text, markup = screen
    await notifier.send(prospect.chat_id, text, markup=markup)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(deal, Command("deal"))
    return router

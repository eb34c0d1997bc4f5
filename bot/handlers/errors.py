"""Last line of defence: a failing handler is logged and the person is told, polling goes on."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.i18n import Translations
from bot.services.notifier import Notifier

logger = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, notifier: Notifier, translations: Translations) -> bool:
    update = event.update
    logger.error("update %s failed", update.update_id, exc_info=event.exception)
    user = None
    chat_id = None
    if update.message is not None:
        user, chat_id = update.message.from_user, update.message.chat.id
    elif update.callback_query is not None:
        user = update.callback_query.from_user
        message = update.callback_query.message
        chat_id = message.chat.id if message is not None else None
        await notifier.answer_callback(update.callback_query.id)
    if chat_id is not None and chat_id > 0:
        t = translations.get(translations.pick_language(user.language_code if user else None))
        await notifier.send(chat_id, t("error.generic"))
    return True


def build_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router

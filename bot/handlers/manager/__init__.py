"""What sales managers do in their private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router

from bot.handlers.manager import join, profile


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.include_routers(join.build_router(), profile.build_router(), profile.build_refusals())
    return router

"""Everything a prospect does in a private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router

from bot.handlers.prospect import checklist, commands, viewings
from bot.middlewares.prospect import ProspectMiddleware


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.middleware(ProspectMiddleware())
    router.callback_query.middleware(ProspectMiddleware())
    router.include_routers(
        commands.build_router(), viewings.build_router(), checklist.build_router()
    )
    return router

"""Everything a prospect does in a private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router

from bot.handlers.prospect import checklist, commands, deal, relay, viewings
from bot.middlewares.prospect import ProspectMiddleware


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.middleware(ProspectMiddleware())
    router.callback_query.middleware(ProspectMiddleware())
    # The relay before the checklist: after it (or once they asked for a person) what they
    # write goes to people; the booking's typed wish (viewings) comes first.
    router.include_routers(
        commands.build_router(),
        deal.build_router(),
        viewings.build_router(),
        relay.build_router(),
        checklist.build_router(),
    )
    return router

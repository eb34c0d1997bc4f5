"""Everything a prospect does in a private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router

from bot.handlers.prospect import (
    checklist,
    commands,
    deal,
    documents,
    nurture,
    payments,
    privacy,
    relay,
    viewings,
)
from bot.middlewares.prospect import ProspectMiddleware


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.middleware(ProspectMiddleware())
    router.callback_query.middleware(ProspectMiddleware())
    router.include_routers(
        # Buttons only, each prefix handled by one router here: where they stand changes no
        # press's handler (only the catch-all must stay last), so the busiest come first.
        checklist.build_buttons_router(),
        payments.build_router(),
        # From here on the order decides what a message gets.
        commands.build_router(),
        nurture.build_router(),
        privacy.build_router(),
        deal.build_router(),
        # The relay before the checklist: after it (or once they asked for a person) what
        # they write goes to people; the booking's typed wish (viewings) comes first.
        viewings.build_router(),
        # A photo or a file answering the current checklist question comes first.
        checklist.build_media_router(),
        # A deal's documents before the relay: files the deal does not want fall through.
        documents.build_router(),
        relay.build_router(),
        checklist.build_router(),
    )
    return router

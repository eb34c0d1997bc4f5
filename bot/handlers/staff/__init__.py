"""What staff do in groups: binding the staff group and the staff commands."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.staff import (
    commands,
    deal,
    desk,
    documents,
    erase,
    knowledge,
    outbox,
    payments,
    refusals,
    relay,
    setup,
    stats,
    team,
)


def build_router() -> Router:
    router = Router(name=__name__)
    # Order matters: real staff commands first, then refusals for everyone else.
    router.include_routers(
        # The desk first: a reason a staff member was asked for is not relayed elsewhere.
        desk.build_router(),
        # Review of a client's document; what to fix typed in the topic is not relayed.
        documents.build_router(),
        erase.build_router(),
        deal.build_router(),
        setup.build_router(),
        commands.build_router(),
        stats.build_router(),
        team.build_router(),
        outbox.build_router(),
        knowledge.build_router(),
        payments.build_router(),
        # Last of the staff's own: what is left in a lead's topic goes to the prospect.
        relay.build_router(),
        refusals.build_router(),
    )
    return router

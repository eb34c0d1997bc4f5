"""The routers in the order aiogram offers them an update, each behind its gate."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import errors, manager, prospect, staff
from bot.router_gates import install_gates


def include_routers(root: Router) -> None:
    """Includes every router under `root` (the dispatcher) and gives each its gate."""
    root.include_routers(
        staff.build_router(),
        manager.build_router(),
        prospect.build_router(),
        # Last: it handles errors only, which no other router does, and every update passed it.
        errors.build_router(),
    )
    install_gates(root)

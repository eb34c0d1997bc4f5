"""What a router's gate is read from, and where it cannot be read."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import TelegramObject

from bot.filters import StaffMember
from bot.keyboards.callbacks import DeskCb, OptionCb
from bot.router_gates import IN_STAFF_CHAT, Needs, install_gates, router_needs


async def handler() -> None:
    return None


class Asking(StatesGroup):
    hours = State()


class Unread:
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        return await handler(event, data)


def test_needs_are_read_from_every_handler_below() -> None:
    parent, child = Router(name="parent"), Router(name="child")
    parent.callback_query.register(handler, DeskCb.filter())
    child.callback_query.register(handler, OptionCb.filter(F.q == "budget"))
    parent.message.register(handler, Command("Stats", "lead"), StaffMember())
    child.message.register(handler, CommandStart())
    child.message.register(handler, Asking.hours, F.text)
    child.message.register(handler, F.contact)
    child.message.register(handler, StaffMember())
    parent.include_router(child)

    assert router_needs(parent, "callback_query") == Needs(
        callbacks=frozenset({(":", "dk"), (":", "op")})
    )
    assert router_needs(parent, "message") == Needs(
        command_prefixes=frozenset("/"),
        command_names=frozenset({"stats", "lead", "start"}),
        states=frozenset({"Asking:hours"}),
        attributes=frozenset({"contact"}),
        staff_chat=True,
    )
    assert router_needs(parent, "edited_message") == Needs()  # no handler: nothing passes


def test_a_handler_whose_filters_cannot_be_read_leaves_its_routers_ungated() -> None:
    parent, child = Router(name="parent"), Router(name="child")
    parent.message.register(handler, Command("stats"))
    child.message.register(handler, ~F.text.startswith("/"))
    child.callback_query.register(handler)  # any button
    parent.include_router(child)
    assert router_needs(parent, "message") is None
    assert router_needs(parent, "callback_query") is None
    assert install_gates(parent) == 1  # only edited_message on the child: nothing below reads


def test_an_outer_middleware_must_declare_what_it_looks_at() -> None:
    router = Router(name="r")
    router.message.register(handler, Command("stats"))
    router.message.outer_middleware(Unread())
    assert router_needs(router, "message") is None

    class SeesStaff(Unread):
        needs = IN_STAFF_CHAT

    declared = Router(name="d")
    declared.message.register(handler, Command("stats"))
    declared.message.outer_middleware(SeesStaff())
    needs = router_needs(declared, "message")
    assert needs is not None and needs.staff_chat and needs.command_names == frozenset({"stats"})


def test_a_router_filter_that_can_be_read_is_enough() -> None:
    router = Router(name="r")
    router.message.filter(StaffMember())
    router.message.register(handler, ~F.text.startswith("/"))
    assert router_needs(router, "message") == IN_STAFF_CHAT


def test_a_command_pattern_takes_any_name() -> None:
    router = Router(name="r")
    router.message.register(handler, Command(re.compile(r"item_\d+")))
    needs = router_needs(router, "message")
    assert needs is not None and needs.command_names is None

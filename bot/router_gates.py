"""Router-level gates: one cheap check that turns an update away from a whole router tree.

aiogram offers each update to the routers in order and, inside each, runs every handler's
filters until one matches: a prospect's button press went through about 30 routers and 60
handler checks (the staff's and the managers' first) before the checklist took it. A gate is
derived from what the handlers under a router ask for (callback-data prefixes, commands, FSM
states, a message attribute, or what our own filters and middlewares declare as `needs`), so
it never turns away an update some handler there could take. A handler, filter or middleware
it cannot read leaves that router without a gate: slower, never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.filters import BaseFilter, Command
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter.operations import GetAttributeOperation

# The events whose routers get gates: what people send and press.
GATED_EVENTS = ("message", "edited_message", "callback_query")


@dataclass(frozen=True)
class Needs:
    """What an update must show for some handler to take it: any one of these."""

    # (separator, prefix) of the CallbackData a button's data must unpack as.
    callbacks: frozenset[tuple[str, str]] = frozenset()
    # A command: text (or caption) starting with one of these characters, then one of the
    # names (casefolded; None: any name, e.g. a pattern).
    command_prefixes: frozenset[str] = frozenset()
    command_names: frozenset[str] | None = frozenset()
    states: frozenset[str | None] = frozenset()  # the conversation's raw FSM state
    attributes: frozenset[str] = frozenset()  # a message attribute that is set (`F.contact`)
    staff_chat: bool = False  # the update comes from the staff group (as StaffDesk knows it)

    def __or__(self, other: Needs) -> Needs:
        names = (
            None
            if self.command_names is None or other.command_names is None
            else self.command_names | other.command_names
        )
        return Needs(
            callbacks=self.callbacks | other.callbacks,
            command_prefixes=self.command_prefixes | other.command_prefixes,
            command_names=names,
            states=self.states | other.states,
            attributes=self.attributes | other.attributes,
            staff_chat=self.staff_chat or other.staff_chat,
        )


IN_STAFF_CHAT = Needs(staff_chat=True)


def _filter_needs(event_filter: FilterObject) -> Needs | None:
    """What one filter requires of every update it lets through, where that is readable."""
    if event_filter.magic is not None:
        operations = event_filter.magic._operations
        if len(operations) == 1 and isinstance(operations[0], GetAttributeOperation):
            return Needs(attributes=frozenset({operations[0].name}))
        return None
    callback = event_filter.callback
    if isinstance(callback, CallbackQueryFilter):
        data = callback.callback_data
        return Needs(callbacks=frozenset({(data.__separator__, data.__prefix__)}))
    if isinstance(callback, Command):
        names: frozenset[str] | None = frozenset()
        for command in callback.commands:
            if not isinstance(command, str):  # a pattern: any name may match
                names = None
                break
            assert names is not None
            names |= {command.casefold()}
        return Needs(command_prefixes=frozenset(callback.prefix), command_names=names)
    if isinstance(callback, State):
        return None if callback.state == "*" else Needs(states=frozenset({callback.state}))
    declared = getattr(callback, "needs", None)
    return declared if isinstance(declared, Needs) else None


def _handler_needs(handler: HandlerObject) -> Needs | None:
    """All of a handler's filters must pass, so what any one of them needs will do."""
    for event_filter in handler.filters or ():
        needs = _filter_needs(event_filter)
        if needs is not None:
            return needs
    return None


def router_needs(router: Router, event: str) -> Needs | None:
    """What an `event` update must show for `router` or a router under it to act on it
    (None: the router may act on any)."""
    observer = router.observers[event]
    needs = Needs()
    # Outer middlewares run as soon as the router is entered, before its own filters.
    for middleware in observer.outer_middleware:
        declared = getattr(middleware, "needs", None)
        if not isinstance(declared, Needs):
            return None
        needs |= declared
    for event_filter in observer._handler.filters or ():  # the router's own filters
        own = _filter_needs(event_filter)
        if own is not None:
            return needs | own
    for handler in observer.handlers:
        one = _handler_needs(handler)
        if one is None:
            return None
        needs |= one
    for sub_router in router.sub_routers:
        below = router_needs(sub_router, event)
        if below is None:
            return None
        needs |= below
    return needs


class Gate(BaseFilter):
    """A router-level filter: False when the update shows none of the needs."""

    def __init__(self, needs: Needs) -> None:
        self.needs = needs
        by_separator: dict[str, set[str]] = {}
        for separator, prefix in needs.callbacks:
            by_separator.setdefault(separator, set()).add(prefix)
        self._callbacks = tuple((sep, frozenset(p)) for sep, p in by_separator.items())
        self._command_prefixes = "".join(sorted(needs.command_prefixes))

    async def __call__(self, event: TelegramObject, **data: Any) -> bool:
        return self.admits(event, data)

    def admits(self, event: TelegramObject, data: dict[str, Any]) -> bool:
        needs = self.needs
        if isinstance(event, CallbackQuery):
            chat = event.message.chat if event.message is not None else None
            if event.data and self._admits_data(event.data):
                return True
        elif isinstance(event, Message):
            chat = event.chat
            if self._command_prefixes and self._admits_command(event):
                return True
            if any(getattr(event, name, None) for name in needs.attributes):
                return True
        else:
            return True  # not an update these needs describe
        # As aiogram's State reads it: no state given is the state None.
        if needs.states and data.get("raw_state") in needs.states:
            return True
        if needs.staff_chat:
            staff = data.get("staff")
            if staff is None:
                return True  # no staff desk to ask: let the handlers decide
            return chat is not None and staff.chat_id is not None and chat.id == staff.chat_id
        return False

    def _admits_data(self, data: str) -> bool:
        # CallbackData.unpack: the part before the first separator is the prefix.
        return any(data.partition(sep)[0] in prefixes for sep, prefixes in self._callbacks)

    def _admits_command(self, message: Message) -> bool:
        # As aiogram's Command reads it: the first word of the text or the caption.
        text = message.text or message.caption
        if not text:
            return False
        words = text.split(maxsplit=1)
        if not words or words[0][0] not in self._command_prefixes:
            return False
        names = self.needs.command_names
        return names is None or words[0][1:].partition("@")[0].casefold() in names


def install_gates(root: Router) -> int:
    """Puts a gate first among the own filters of every router under `root` (not `root`
    itself) whose needs can be read; returns how many were installed."""
    installed = 0
    for router in root.chain_tail:
        if router is root:
            continue
        for event in GATED_EVENTS:
            needs = router_needs(router, event)
            if needs is None:
                continue
            observer = router.observers[event]
            if observer._handler.filters is None:
                observer._handler.filters = []
            # First: it is the cheapest, and the router's other filters may ask the database.
            observer._handler.filters.insert(0, FilterObject(Gate(needs)))
            installed += 1
    return installed

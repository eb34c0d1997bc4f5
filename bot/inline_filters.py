"""Runs the routers' plain (non-async) filters in the event loop instead of a thread.

aiogram hands every filter that is not a coroutine (each `F.…` magic filter among them)
to a worker thread, several times per update. Ours are pure checks of the update that
take microseconds; the trip to the thread and back costs far more, so they run inline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject


def _inline(callback: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return call


def _make_inline(target: CallableObject) -> None:
    if not target.awaitable:
        # The parameters aiogram passes were read from the original signature; they stay.
        target.callback = _inline(target.callback)
        target.awaitable = True


def run_filters_inline(root: Router) -> int:
    """Converts the filters of `root` and every router below it; returns how many."""
    converted = 0
    for router in root.chain_tail:
        for observer in router.observers.values():
            handlers = [observer._handler, *observer.handlers]  # _handler: observer-wide filters
            for handler in handlers:
                for event_filter in handler.filters or ():
                    converted += not event_filter.awaitable
                    _make_inline(event_filter)
    return converted

"""Counting for /metrics: each update handled (an outer dispatcher middleware) and each Bot
API call with its outcome (an aiogram session request middleware)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.metrics import Metrics, TelegramOutcome

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod


class UpdateMetrics(BaseMiddleware):
    """Counts and times every update by kind; register it first, so it times the others too."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = _kind(event)
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            self._metrics.observe_update(kind, time.perf_counter() - started)


class TelegramMetrics(BaseRequestMiddleware):
    """Counts and times every Bot API call by method: ok, flood (a 429) or error."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        outcome = TelegramOutcome.ERROR
        started = time.perf_counter()
        try:
            response = await make_request(bot, method)
            outcome = TelegramOutcome.OK
            return response
        except TelegramRetryAfter:
            outcome = TelegramOutcome.FLOOD
            raise
        finally:
            self._metrics.observe_telegram(
                method.__api_method__, outcome, time.perf_counter() - started
            )


def _kind(event: TelegramObject) -> str:
    if isinstance(event, Update):
        try:
            return event.event_type
        except UpdateTypeLookupError:  # an update type this aiogram does not know
            return "unknown"
    return type(event).__name__.lower()

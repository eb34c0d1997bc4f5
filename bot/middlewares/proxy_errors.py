"""With TELEGRAM_PROXY, a proxy that is down or refuses us is Telegram being unreachable.

aiohttp-socks raises its own exceptions, which aiogram's session does not turn into
TelegramNetworkError as it does for aiohttp's; without this, the start-up check, the
notifier's retries and the error counts would treat a proxy outage as a bug in the bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import TelegramType
from aiohttp_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod


class ProxyErrors(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except (ProxyConnectionError, ProxyTimeoutError, ProxyError) as error:
            # The message names the proxy's host and port, never its credentials.
            raise TelegramNetworkError(method, f"TELEGRAM_PROXY: {error}") from error

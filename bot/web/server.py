"""The bot's own HTTP server: health check and, in webhook mode, Telegram's webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

if TYPE_CHECKING:
    from bot.app import Application

WEBHOOK_PATH = "/telegram/webhook"


def build_web_app(app: Application) -> web.Application:
    web_app = web.Application()

    async def health(request: web.Request) -> web.Response:
        async with app.db.transaction() as tx, tx.execute("SELECT 1") as cursor:
            await cursor.fetchone()
        return web.json_response({"status": "ok"})

    web_app.router.add_get("/health", health)
    if app.settings.webhook_url:
        secret = app.settings.webhook_secret
        SimpleRequestHandler(
            dispatcher=app.dispatcher,
            bot=app.bot,
            secret_token=secret.get_secret_value() if secret else None,
        ).register(web_app, path=WEBHOOK_PATH)
    return web_app

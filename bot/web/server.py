"""The bot's own HTTP server: health check, Prometheus metrics, calendar feeds, the sales
desk's API (with API_TOKEN) and, in webhook mode, Telegram's webhook."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import hdrs, web

from bot.metrics import CONTENT_TYPE
from bot.storage import gauges
from bot.storage.fsm_redis import RedisConversations
from bot.web.api import SqliteIdempotencyStore, build_api
from bot.web.api.deal_routes import DEAL_DESK

if TYPE_CHECKING:
    from bot.app import Application

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
API_PREFIX = "/api/v1"
HEALTH_TIMEOUT = 5.0  # seconds; proxies give up on a health check after about this


async def health_parts(app: Application) -> dict[str, str]:
    """ "ok" or what is wrong, for the database and (when conversations are there) Redis."""
    parts: dict[str, str] = {}
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            async with app.db.read() as conn, conn.execute("SELECT 1") as cursor:
                await cursor.fetchone()
        parts["database"] = "ok"
    except Exception as error:  # any failure is the answer
        logger.warning("health: the database does not answer: %s", error)
        parts["database"] = "unavailable"
    storage = app.dispatcher.storage
    if isinstance(storage, RedisConversations):
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                await storage.redis.ping()
            parts["redis"] = "ok"
        except Exception as error:
            logger.warning("health: Redis does not answer: %s", error)
            parts["redis"] = "unavailable"
    return parts


def build_web_app(app: Application) -> web.Application:
    web_app = web.Application()
    web_app[DEAL_DESK] = app.deal  # the API's deal routes find the use cases here

    async def health(request: web.Request) -> web.Response:
        # 503 takes a replica out of the proxy's rotation while what it needs is away.
        parts = await health_parts(app)
        ok = all(state == "ok" for state in parts.values())
        return web.json_response(
            {"status": "ok" if ok else "unavailable", **parts}, status=200 if ok else 503
        )

    async def calendar_feed(request: web.Request) -> web.Response:
        # Unknown and revoked tokens look the same: 404, nothing else to learn.
        body = await app.calendar.feed(request.match_info["token"])
        if body is None:
            raise web.HTTPNotFound
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )

    web_app.router.add_get("/health", health)
    web_app.router.add_get("/metrics", _metrics_route(app))
    web_app.router.add_get("/calendar/{token}.ics", calendar_feed)
    if app.settings.api_token is not None and app.settings.api_token.get_secret_value():
        api = build_api(
            app.lead_desk,
            token=app.settings.api_token.get_secret_value(),
            idempotency=SqliteIdempotencyStore(app.db),
            clock=app.clock,
            payments=app.payments.desk,
        )
        web_app.add_subapp(API_PREFIX, api)
    if app.settings.webhook_url:
        secret = app.settings.webhook_secret
        SimpleRequestHandler(
            dispatcher=app.dispatcher,
            bot=app.bot,
            secret_token=secret.get_secret_value() if secret else None,
        ).register(web_app, path=WEBHOOK_PATH)
    return web_app


def _metrics_route(app: Application) -> Callable[[web.Request], Awaitable[web.Response]]:
    """/metrics: open like /health, or behind `Authorization: Bearer METRICS_TOKEN`."""
    secret = app.settings.metrics_token
    token = secret.get_secret_value().encode() if secret and secret.get_secret_value() else None
    if token is None and app.settings.webhook_url:
        # In webhook mode the port is usually reachable from outside, through a proxy.
        logger.warning(
            "/metrics is open to whoever reaches the web server; set METRICS_TOKEN, or keep"
            " /metrics off the public proxy"
        )

    async def metrics(request: web.Request) -> web.Response:
        if token is not None:
            presented = request.headers.get(hdrs.AUTHORIZATION, "")
            scheme, _, value = presented.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(errors="replace"), token
            ):
                raise web.HTTPUnauthorized(
                    headers={hdrs.WWW_AUTHENTICATE: 'Bearer realm="leadsieve metrics"'}
                )
        async with app.db.transaction() as tx:
            snapshot = await gauges.read(tx, app.clock.now())
        app.metrics.set_snapshot(snapshot)
        return web.Response(body=app.metrics.render(), headers={hdrs.CONTENT_TYPE: CONTENT_TYPE})

    return metrics

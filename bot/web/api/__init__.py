"""The inbound HTTP API for the sales desk (CRM), mounted at /api/v1 of the bot's server."""

from bot.web.api.idempotency import IdempotencyStore, SqliteIdempotencyStore
from bot.web.api.routes import build_api

__all__ = ["IdempotencyStore", "SqliteIdempotencyStore", "build_api"]

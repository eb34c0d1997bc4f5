"""The inbound HTTP API the sales desk (CRM) calls: read a lead, move its status, message it.

An aiohttp sub-application, mounted with `app.add_subapp("/api/v1", build_api(...))`.
Guards run before any body is read: a bearer token (everything but openapi.json), a
token bucket per token, then size and media type. A handler validates, calls one
`LeadCommands` use case and renders its result. Use-case answers to POSTs that carry an
Idempotency-Key are stored and replayed; refusals by the guards never are.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar, assert_never

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from pydantic import BaseModel, ValidationError

from bot.clock import Clock
from bot.domain.leads import LeadStatus
from bot.services.lead_commands import (
    LeadCommands,
    MessageOutcome,
    MessageResult,
    StatusOutcome,
    StatusResult,
)
from bot.services.payments import PaymentDesk
from bot.web.api import deal_routes
from bot.web.api.idempotency import BeginOutcome, IdempotencyStore, fingerprint, scope_of
from bot.web.api.models import (
    IDEMPOTENCY_KEY_PATTERN,
    MAX_BODY_BYTES,
    NOW,
    FieldError,
    LeadSnapshot,
    MessageQueued,
    NewMessage,
    StatusChange,
    StatusChanged,
)
from bot.web.api.openapi import build_openapi
from bot.web.api.payment_routes import add_payment_routes
from bot.web.api.problems import Answer, ProblemError, invalid_body, ok, problem, problem_middleware
from bot.web.api.requests import path_lead_id, read_body

logger = logging.getLogger(__name__)

ACTOR = "api"
KNOWN_STATUSES = tuple(status.value for status in LeadStatus)
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_Body = TypeVar("_Body", bound=BaseModel)


def build_api(
    commands: LeadCommands,
    *,
    token: str,
    idempotency: IdempotencyStore,
    clock: Clock,
    rate_per_second: float = 5.0,
    burst: int = 20,
    payments: PaymentDesk | None = None,
) -> web.Application:
    if not token:
        raise ValueError("the API token must not be empty")
    scope = scope_of(token)
    handlers = _Handlers(commands, idempotency, clock, scope)
    guard = _guard(token.encode(), scope, clock, TokenBucket(rate_per_second, burst))
    # aiohttp reads bodies with the root application's client_max_size, not this one's, so
    # `_read_body` enforces the 64 KB itself (declared length first, then while reading).
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[problem_middleware, guard])
    app.router.add_get("/openapi.json", handlers.openapi, name="openapi")
    app.router.add_get("/leads/{lead_id}", handlers.get_lead)
    app.router.add_post("/leads/{lead_id}/status", handlers.change_status)
    app.router.add_post("/leads/{lead_id}/messages", handlers.send_message)
    if payments is not None:
        add_payment_routes(app, payments)
    deal_routes.register(app)
    return app


class TokenBucket:
    """Per key: `burst` requests at once, then `rate_per_second` on average."""

    def __init__(self, rate_per_second: float, burst: int) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("rate_per_second must be > 0 and burst >= 1")
        self._rate = rate_per_second
        self._burst = float(burst)
        self._buckets: dict[str, tuple[float, datetime]] = {}

    def take(self, key: str, now: datetime) -> float:
        """0 if a request may go now, else the seconds until one may."""
        tokens, since = self._buckets.get(key, (self._burst, now))
        since = min(since, now)  # a clock set back gives no credit, and no debt
        tokens = min(self._burst, tokens + (now - since).total_seconds() * self._rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self._rate


def _guard(token: bytes, scope: str, clock: Clock, bucket: TokenBucket) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.match_info.route.name == "openapi":
            return await handler(request)
        scheme, _, presented = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise ProblemError(
                problem(401, "unauthorized", "send the header Authorization: Bearer <API token>"),
                {hdrs.WWW_AUTHENTICATE: 'Bearer realm="leadsieve"'},
            )
        if not hmac.compare_digest(presented.strip().encode(errors="replace"), token):
            logger.info("API: refused a request with a wrong token")
            raise ProblemError(
                problem(401, "unauthorized", "the API token is not valid"),
                {hdrs.WWW_AUTHENTICATE: 'Bearer realm="leadsieve", error="invalid_token"'},
            )
        wait = bucket.take(scope, clock.now())
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            logger.warning("API: rate limit reached, retry in %d s", seconds)
            raise ProblemError(
                problem(429, "rate-limited", f"too many requests; retry in {seconds} s"),
                {hdrs.RETRY_AFTER: str(seconds)},
            )
        return await handler(request)

    return guard


class _Handlers:
    def __init__(
        self, commands: LeadCommands, store: IdempotencyStore, clock: Clock, scope: str
    ) -> None:
        self._commands = commands
        self._store = store
        self._clock = clock
        self._scope = scope
        self._openapi = build_openapi()

    async def openapi(self, request: web.Request) -> web.Response:
        # The servers entry follows wherever the sub-application is mounted.
        base = request.path.removesuffix("/openapi.json")
        return web.json_response({**self._openapi, "servers": [{"url": base}]})

    async def get_lead(self, request: web.Request) -> web.Response:
        lead_id = path_lead_id(request)
        snapshot = await self._commands.lead_snapshot(lead_id)
        if snapshot is None:
            return _lead_not_found(lead_id).response()
        return ok(200, LeadSnapshot(dict(snapshot))).response()

    async def change_status(self, request: web.Request) -> web.Response:
        lead_id, key = path_lead_id(request), _idempotency_key(request)
        change = self._parse(StatusChange, await read_body(request))

        async def run() -> Answer:
            result = await self._commands.change_status(
                lead_id, change.status, change.comment, actor=ACTOR
            )
            return _status_answer(lead_id, change.status, result)

        return await self._once(request, key, change, run)

    async def send_message(self, request: web.Request) -> web.Response:
        lead_id, key = path_lead_id(request), _idempotency_key(request)
        message = self._parse(NewMessage, await read_body(request))

        async def run() -> Answer:
            result = await self._commands.send_message(
                lead_id, message.text, message.send_at, actor=ACTOR
            )
            return _message_answer(lead_id, result)

        return await self._once(request, key, message, run)

    def _parse(self, model: type[_Body], raw: bytes) -> _Body:
        try:
            return model.model_validate_json(raw, context={NOW: self._clock.now()})
        except ValidationError as exc:
            raise invalid_body(exc) from None

    async def _once(
        self,
        request: web.Request,
        key: str | None,
        body: BaseModel,
        run: Callable[[], Awaitable[Answer]],
    ) -> web.Response:
        """Runs `run` at most once per key; without a key, simply runs it."""
        if key is None:
            return (await run()).response()
        signature = fingerprint(request.method, request.path, body.model_dump_json())
        begin = await self._store.begin(self._scope, key, signature, self._clock.now())
        if begin.outcome is BeginOutcome.REPLAY:
            return Answer(begin.status, begin.body).response({"Idempotent-Replayed": "true"})
        if begin.outcome is BeginOutcome.CONFLICT:
            detail = "Idempotency-Key reused with a different request"
            raise ProblemError(problem(422, "idempotency-key-reused", detail))
        if begin.outcome is BeginOutcome.IN_PROGRESS:
            detail = "a request with this key is in progress; retry once it has been answered"
            raise ProblemError(problem(409, "idempotency-key-in-progress", detail))
        try:
            answer = await run()
        except BaseException:
            await self._store.abandon(self._scope, key)
            raise
        # If storing fails the entry stays "in progress" (409 to retries) rather than
        # letting a retry act a second time.
        await self._store.finish(self._scope, key, answer.status, answer.body, self._clock.now())
        return answer.response()


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and _KEY.fullmatch(key) is None:
        detail = "Idempotency-Key must be 1 to 255 visible ASCII characters"
        raise ProblemError(problem(400, "invalid-idempotency-key", detail))
    return key


def _lead_not_found(lead_id: int) -> Answer:
    return problem(404, "lead-not-found", f"no lead with id {lead_id}")


def _status_answer(lead_id: int, wanted: str, result: StatusResult) -> Answer:
    match result.outcome:
        case StatusOutcome.MOVED:
            logger.info("API: lead %d moved to %s", lead_id, result.current)
            lead = None if result.lead is None else dict(result.lead)
            moved = StatusChanged(lead_id=lead_id, status=result.current or wanted, lead=lead)
            return ok(200, moved)
        case StatusOutcome.NOT_FOUND:
            return _lead_not_found(lead_id)
        case StatusOutcome.UNKNOWN_STATUS:
            known = ", ".join(KNOWN_STATUSES)
            error = FieldError(field="status", message=f"unknown status; known: {known}")
            detail = f"{wanted!r} is not a lead status; known statuses: {known}"
            return problem(422, "unknown-status", detail, errors=[error])
        case StatusOutcome.NOT_ALLOWED:
            allowed = ", ".join(result.allowed) or "none"
            detail = (
                f"a lead in status {result.current or 'unknown'} cannot move to {wanted}; "
                f"allowed: {allowed}"
            )
            return problem(409, "status-change-not-allowed", detail)
        case _:
            assert_never(result.outcome)


def _message_answer(lead_id: int, result: MessageResult) -> Answer:
    match result.outcome:
        case MessageOutcome.QUEUED:
            if result.message_id is None:
                raise RuntimeError("the use case queued a message without an id")
            logger.info("API: message %d queued for lead %d", result.message_id, lead_id)
            return ok(202, MessageQueued(message_id=result.message_id, send_at=result.send_at))
        case MessageOutcome.NOT_FOUND:
            return _lead_not_found(lead_id)
        case MessageOutcome.ERASED:
            # 404, not 410: to the CRM the lead is as gone as an unknown one; the type says why.
            detail = f"lead {lead_id}: the client's data was erased at their request"
            return problem(404, "lead-erased", detail)
        case _:
            assert_never(result.outcome)

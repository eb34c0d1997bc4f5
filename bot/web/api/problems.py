"""Answers as JSON, errors as RFC 9457 problem details (application/problem+json).

The CRM's integrator branches on `type` and fixes the call from `detail`, whatever went
wrong: our own refusals, aiohttp's 404/405/413, or a bug. The middleware here makes sure
every one of them has the same shape, and that nothing internal (tracebacks, SQL,
exception text) ever reaches the client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, ValidationError

from bot.web.api.models import MAX_BODY_BYTES, FieldError, Problem

logger = logging.getLogger(__name__)

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://leadsieve/problems/"


@dataclass(frozen=True)
class Answer:
    """A response as status + JSON text: what handlers build and the idempotency store keeps."""

    status: int
    body: str

    def response(self, headers: Mapping[str, str] | None = None) -> web.Response:
        content_type = PROBLEM_JSON if self.status >= 400 else JSON
        return web.Response(
            status=self.status, text=self.body, content_type=content_type, headers=headers
        )


def ok(status: int, model: BaseModel) -> Answer:
    return Answer(status, model.model_dump_json())


def problem(
    status: int, slug: str, detail: str, *, title: str = "", errors: Iterable[FieldError] = ()
) -> Answer:
    """`slug` "" gives type about:blank, whose title is the HTTP status phrase (RFC 9457)."""
    body = Problem(
        type=PROBLEM_BASE + slug if slug else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=list(errors) or None,
    )
    return Answer(status, body.model_dump_json(exclude_none=True))


class ProblemError(Exception):
    """Raised for answers that are never stored for replay: auth, limits, malformed input."""

    def __init__(self, answer: Answer, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(answer.status)
        self.answer = answer
        self.headers = dict(headers or {})


def invalid_body(error: ValidationError) -> ProblemError:
    """422 with one {field, message} per pydantic error; the rejected values are not echoed."""
    items = error.errors(include_url=False, include_input=False)
    errors = [
        FieldError(field=".".join(str(part) for part in item["loc"]) or "body", message=item["msg"])
        for item in items
    ]
    if any(item["type"] == "json_invalid" for item in items):
        return ProblemError(
            problem(422, "invalid-json", "the body is not valid JSON", errors=errors)
        )
    count = len(errors)
    detail = f"the body does not match the schema ({count} error{'s' * (count != 1)}, see errors)"
    return ProblemError(problem(422, "invalid-body", detail, errors=errors))


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProblemError as exc:
        return exc.answer.response(exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kept = {
            name: value
            for name, value in exc.headers.items()
            if name not in (hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH)
        }
        return problem(exc.status, "", _http_detail(request, exc)).response(kept)
    except Exception:
        logger.exception("API: unhandled error in %s %s", request.method, request.path)
        return problem(500, "", "the server failed to handle this request").response()


def _http_detail(request: web.Request, exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{request.method} is not allowed here; allowed: {allowed}"
    if exc.status == HTTPStatus.NOT_FOUND:
        return "no such endpoint; the API is described at openapi.json"
    if exc.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return f"the body must be at most {MAX_BODY_BYTES} bytes"
    return exc.reason

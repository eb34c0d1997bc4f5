"""What every API handler reads from a request: the lead id in the path and the JSON body,
each refused with a problem before anything is done."""

from __future__ import annotations

import re

from aiohttp import web

from bot.web.api.models import MAX_BODY_BYTES, MAX_LEAD_ID
from bot.web.api.problems import ProblemError, problem

_LEAD_ID = re.compile(r"[1-9][0-9]{0,18}")


def path_lead_id(request: web.Request) -> int:
    raw = request.match_info["lead_id"]
    if _LEAD_ID.fullmatch(raw) is None or int(raw) > MAX_LEAD_ID:
        detail = "no such lead: lead ids are positive whole numbers"
        raise ProblemError(problem(404, "lead-not-found", detail))
    return int(raw)


async def read_body(request: web.Request) -> bytes:
    """The body, refused before reading when its declared size or type is wrong."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, request.content_length or 0)
    if request.content_type != "application/json":
        detail = "send the body as JSON with Content-Type: application/json"
        raise ProblemError(problem(415, "", detail))
    body = bytearray()
    async for chunk in request.content.iter_any():  # chunked bodies declare no length
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, len(body))
    return bytes(body)

"""The `generic` sales-desk format: each event is one Standard Webhooks POST.

Any CRM or middleware that speaks Standard Webhooks (https://www.standardwebhooks.com)
can take leads this way: the body is `{"type", "timestamp", "data"}` JSON, signed with
HMAC-SHA256 over `"{webhook-id}.{webhook-timestamp}.{body}"`. The webhook-id stays the
same on every retry (the receiver's idempotency key); the timestamp is that of the
attempt, because receivers reject signatures older than five minutes.

The secret is checked strictly here, once: the `standardwebhooks` library decodes base64
leniently (it silently drops characters outside the alphabet, such as the `-` and `_` of
URL-safe base64), so a mistyped secret would otherwise sign every event with a key the
receiver does not have, and fail only as a stream of 401s.
"""

from __future__ import annotations

import base64
import binascii
import errno
import json
import logging
import re
import socket
import ssl
import time
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from .base import OutboundEvent, Outcome, Result, SalesDeskTarget, retry_after_seconds

logger = logging.getLogger(__name__)

_SECRET_PREFIX = "whsec_"
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_DIGITS = re.compile(r"[0-9]+")
_RECOMMENDED_KEY_BYTES = 24  # the spec asks for 24 to 64 random bytes
_UNAVAILABLE_STATUSES = frozenset({408, 429})
_DRAIN_LIMIT = 64 * 1024  # bytes of an answer read only to keep the connection alive


class GenericClient:
    """Delivers events to one Standard Webhooks endpoint through an `httpx.AsyncClient` the
    caller owns (timeouts, connection pool, closing)."""

    def __init__(self, target: SalesDeskTarget, http: httpx.AsyncClient) -> None:
        _check_url(target.url)
        self._url = target.url
        self._signer = Webhook(_secret_key(target.secret))
        self._http = http

    async def deliver(self, event: OutboundEvent) -> Result:
        """One signed POST; the answer (or the lack of one) comes back as a `Result`."""
        try:
            body = _body(event)
        except (TypeError, ValueError) as exc:
            # A bug on our side, not the CRM's; refusing lets the outbox dead-letter it.
            logger.error(
                "Sales desk (generic): %s %s has data that is not JSON: %s",
                event.type,
                event.webhook_id,
                type(exc).__name__,
            )
            return Result(Outcome.REFUSED, error="event data is not JSON-serialisable")
        request = self._http.build_request(
            "POST", self._url, content=body.encode("utf-8"), headers=self._headers(event, body)
        )
        try:
            # No redirects: a redirected POST would be a second request to some other place.
            response = await self._http.send(request, stream=True, follow_redirects=False)
        except httpx.TransportError as exc:
            result = Result(Outcome.UNAVAILABLE, error=_transport_error(exc))
        else:
            try:
                await _drain(response)
            finally:
                await response.aclose()
            result = _result(response)
        _log(event, result)
        return result

    async def aclose(self) -> None:
        """Nothing to release: the http client belongs to the caller."""

    def _headers(self, event: OutboundEvent, body: str) -> dict[str, str]:
        # Integer seconds of this attempt; the library floors what it signs, so sign the
        # very integer that is sent.
        timestamp = int(time.time())
        signature = self._signer.sign(
            event.webhook_id, datetime.fromtimestamp(timestamp, tz=UTC), body
        )
        return {
            "content-type": "application/json",
            "user-agent": "leadsieve",
            "webhook-id": event.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature,
        }


def _check_url(url: str) -> None:
    # The messages leave the URL out: it may carry a token in its query or userinfo.
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ValueError("the generic sales-desk URL is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("the generic sales-desk URL must be an http:// or https:// address")


def _secret_key(secret: str) -> bytes:
    """The HMAC key behind `whsec_<base64>` (the prefix is optional), checked strictly."""
    encoded = secret.removeprefix(_SECRET_PREFIX)
    if not encoded:
        raise ValueError("the generic sales-desk secret is empty; expected whsec_<base64>")
    if not _BASE64.fullmatch(encoded):
        raise ValueError(
            "the generic sales-desk secret must be whsec_ followed by standard base64 "
            "(A-Z, a-z, 0-9, + and /, no spaces)"
        )
    unpadded = encoded.rstrip("=")
    try:
        key = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(
            "the generic sales-desk secret is not valid base64 (wrong length)"
        ) from None
    if len(key) < _RECOMMENDED_KEY_BYTES:
        logger.warning(
            "Sales desk (generic): the secret is %d bytes; Standard Webhooks asks for 24 to 64",
            len(key),
        )
    return key


def _body(event: OutboundEvent) -> str:
    occurred_at = event.occurred_at
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)  # documented as UTC already
    payload = {
        "type": event.type,
        "timestamp": occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": dict(event.data),
    }
    # Serialised once: these exact characters are both signed and sent.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


async def _drain(response: httpx.Response) -> None:
    """Reads (and drops) a small answer so the connection can be reused; the status and
    headers are all we act on. A huge or broken body just closes the connection."""
    received = 0
    try:
        async for chunk in response.aiter_raw():  # raw: nothing to decompress or decode
            received += len(chunk)
            if received > _DRAIN_LIMIT:
                return
    except httpx.HTTPError:
        pass  # the answer's status line already came; the body does not change it


def _result(response: httpx.Response) -> Result:
    status = response.status_code
    if 200 <= status < 300:
        return Result(Outcome.DELIVERED, status=status)
    error = f"HTTP {status}"
    if status == 410:
        return Result(Outcome.DISABLED, status=status, error=error)
    if status in _UNAVAILABLE_STATUSES or status >= 500:
        retry_after = retry_after_seconds(response.headers.get("retry-after"), time.time())
        return Result(Outcome.UNAVAILABLE, status=status, error=error, retry_after=retry_after)
    # Other 4xx, and 3xx (a redirect is not followed: only a 2xx is a delivery).
    return Result(Outcome.REFUSED, status=status, error=error)


def _transport_error(exc: httpx.TransportError) -> str:
    """A short, fixed description: httpx's own messages can carry the host, port or URL."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return _connect_error(exc)
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection closed or broken answer"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "connection lost"
    if isinstance(exc, httpx.ProxyError):
        return "proxy error"
    return "network error"


def _connect_error(exc: BaseException) -> str:
    for cause in _chain(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "host name not resolved"
        if isinstance(cause, ssl.SSLError):
            return "TLS error"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "host unreachable"
    return "connection failed"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _log(event: OutboundEvent, result: Result) -> None:
    # Type, webhook-id and status only: the data is personal, the URL may hold a token.
    if result.outcome is Outcome.DELIVERED:
        logger.debug(
            "Sales desk (generic): %s %s delivered (HTTP %s)",
            event.type,
            event.webhook_id,
            result.status,
        )
    else:
        logger.info(
            "Sales desk (generic): %s %s %s: %s",
            event.type,
            event.webhook_id,
            result.outcome.value,
            result.error,
        )

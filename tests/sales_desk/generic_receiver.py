"""A real Standard Webhooks receiver for tests: an aiohttp server on 127.0.0.1.

    async with GenericReceiver("whsec_...") as receiver:
        client = GenericClient(SalesDeskTarget(url=receiver.url, secret=...), http)
        ...
        assert [r.type for r in receiver.deliveries] == ["lead.qualified"]

Every POST is checked with the `standardwebhooks` library, exactly as a consumer would,
and answered as the notes say (docs: crm-apis.md, section 1): 400 for a request that is
not a webhook at all (missing headers, a timestamp that is not an integer, a body that is
not UTF-8 JSON of the recommended shape), 401 for a bad or stale signature, 405 for other
methods, and 200 for a repeat of an accepted webhook-id, which is counted in `duplicates`
rather than delivered twice (an idempotent consumer).

Faults for the tests: `set_status` / `fail_next` answer without accepting, `set_delay`
answers late, and `go_down` / `come_up` really stop listening and listen again on the
same port, so a client sees a refused connection in between.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError

from tests.sales_desk.loopback import HOST as HOST
from tests.sales_desk.loopback import LoopbackServer

PATH = "/webhook"
_INTEGER = re.compile(r"[0-9]+")
# The library's messages for requests that are not webhooks at all (400); the rest of its
# verdicts are about the signature or its age (401).
_MALFORMED = ("Missing required headers", "Invalid Signature Headers")


@dataclass(frozen=True)
class Received:
    """One accepted delivery."""

    webhook_id: str
    type: str
    timestamp_header: int
    payload: dict[str, Any]
    body: bytes = field(default=b"", repr=False)  # exactly as it came
    # Request headers, names lowercased (a repeated header keeps its last value).
    headers: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Refusal:
    """A request answered with something other than 200, and why."""

    status: int
    reason: str


@dataclass
class _Fault:
    status: int
    retry_after: str | None


class GenericReceiver(LoopbackServer):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self._webhook = Webhook(secret)
        self.deliveries: list[Received] = []  # accepted, in arrival order
        self.refusals: list[Refusal] = []  # non-200 answers, in order
        self.attempts = 0  # every request, whatever the answer
        self.duplicates = 0  # repeats of an accepted webhook-id (answered 200)
        self._accepted_ids: set[str] = set()
        self._status: _Fault | None = None
        self._fail_next: list[_Fault] = []
        self._delay = 0.0
        self._arrival = asyncio.Event()  # set on every accepted delivery

    @property
    def url(self) -> str:
        return self._url(PATH)

    # ------------------------------------------------------------------ faults

    def set_status(self, code: int, retry_after: str | None = None) -> None:
        """Answer every request with `code` (and a Retry-After, if given), accepting nothing."""
        self._status = _Fault(code, retry_after)

    def fail_next(self, n: int, code: int, retry_after: str | None = None) -> None:
        """Answer the next `n` requests with `code`, accepting nothing; then as before."""
        self._fail_next.extend(_Fault(code, retry_after) for _ in range(n))

    def set_delay(self, seconds: float) -> None:
        """Wait this long before answering each request (a slow receiver)."""
        self._delay = seconds

    def set_up(self) -> None:
        """Back to normal: no forced status, no pending failures, no delay."""
        self._status = None
        self._fail_next.clear()
        self._delay = 0.0

    # ------------------------------------------------------------------ reading results

    def by_lead(self) -> dict[int, list[str]]:
        """Accepted webhook-ids grouped by `payload["data"]["lead_id"]`, in arrival order."""
        grouped: dict[int, list[str]] = {}
        for received in self.deliveries:
            data = received.payload.get("data")
            lead_id = data.get("lead_id") if isinstance(data, dict) else None
            if isinstance(lead_id, int):
                grouped.setdefault(lead_id, []).append(received.webhook_id)
        return grouped

    async def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Waits until at least `count` deliveries were accepted; TimeoutError otherwise."""
        async with asyncio.timeout(timeout):
            while len(self.deliveries) < count:
                self._arrival.clear()
                await self._arrival.wait()
        return list(self.deliveries)

    # ------------------------------------------------------------------ the endpoint

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", PATH, self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self._delay > 0 and await self._closed_while_waiting(self._delay):
            return self._refuse(503, "shutting down")
        fault = self._fail_next.pop(0) if self._fail_next else self._status
        if fault is not None:
            headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
            return self._refuse(fault.status, "forced", headers)
        if request.method != "POST":
            return self._refuse(405, "method not allowed", {"Allow": "POST"})
        return self._receive(await request.read(), dict(request.headers))

    def _receive(self, body: bytes, raw_headers: dict[str, str]) -> web.Response:
        headers = {name.lower(): value for name, value in raw_headers.items()}
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self._refuse(400, "body is not UTF-8")
        try:
            self._webhook.verify(text, headers, json_parse=False)
        except WebhookVerificationError as exc:
            return self._refuse(400 if str(exc) in _MALFORMED else 401, str(exc))
        except ValueError:  # binascii.Error included: a signature entry the library can't read
            return self._refuse(401, "malformed webhook-signature")
        timestamp = headers["webhook-timestamp"]
        if not _INTEGER.fullmatch(timestamp):
            # The library floors a fractional timestamp; the spec wants integer seconds.
            return self._refuse(400, "webhook-timestamp is not integer seconds")
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            return self._refuse(400, "body is not JSON")
        problem = _payload_problem(payload)
        if problem:
            return self._refuse(400, problem)
        webhook_id = headers["webhook-id"]
        if webhook_id in self._accepted_ids:
            self.duplicates += 1
            return web.Response(status=200, text="duplicate")
        self._accepted_ids.add(webhook_id)
        self.deliveries.append(
            Received(webhook_id, payload["type"], int(timestamp), payload, body, headers)
        )
        self._arrival.set()
        return web.Response(status=200, text="ok")

    def _refuse(
        self, status: int, reason: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        self.refusals.append(Refusal(status, reason))
        return web.Response(status=status, text=reason, headers=headers)


def _payload_problem(payload: Any) -> str:
    """What keeps `payload` from being `{"type": str, "timestamp": str, "data": {...}}`."""
    if not isinstance(payload, dict):
        return "payload is not a JSON object"
    if not isinstance(payload.get("type"), str):
        return 'payload has no string "type"'
    if not isinstance(payload.get("timestamp"), str):
        return 'payload has no string "timestamp"'
    if not isinstance(payload.get("data"), dict):
        return 'payload has no object "data"'
    return ""

"""The generic (Standard Webhooks) client against a real receiver over HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import json
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from bot.integrations.sales_desk import generic
from bot.integrations.sales_desk.base import (
    OutboundEvent,
    Outcome,
    SalesDeskTarget,
    retry_after_seconds,
)
from bot.integrations.sales_desk.generic import GenericClient
from tests.sales_desk.generic_receiver import GenericReceiver, Received, Refusal

# The Standard Webhooks test vector (libraries/python/tests/test_webhooks.py and the spec).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

SECRET = VECTOR_SECRET
OTHER_SECRET = "whsec_" + base64.b64encode(b"another endpoint's 32-byte key!!").decode()
PHONE = "+79161234567"


def event(**changes: Any) -> OutboundEvent:
    base = OutboundEvent(
        webhook_id="evt_1",
        type="lead.qualified",
        occurred_at=datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        lead_id=42,
        data={
            "lead_id": 42,
            "verdict": "target",
            "reasons": [],
            "phone": PHONE,
            "name": "Ivan",
            "change": {"verdict": "target"},
        },
        crm_id=None,
    )
    return replace(base, **changes)


def envelope_bytes(sent: OutboundEvent, timestamp: str) -> bytes:
    payload = {"type": sent.type, "timestamp": timestamp, "data": dict(sent.data)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(
    body: str | bytes, *, msg_id: str = "msg_1", timestamp: int | None = None
) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    text = body.decode() if isinstance(body, bytes) else body
    signature = Webhook(SECRET).sign(msg_id, datetime.fromtimestamp(stamp, tz=UTC), text)
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": signature}


@pytest.fixture
async def receiver() -> AsyncIterator[GenericReceiver]:
    async with GenericReceiver(SECRET) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(15.0)) as client:
        yield client


@pytest.fixture
def client(receiver: GenericReceiver, http: httpx.AsyncClient) -> GenericClient:
    return GenericClient(SalesDeskTarget(url=receiver.url, secret=SECRET), http)


# ---------------------------------------------------------------------- deliveries


async def test_a_delivery_verifies_and_arrives_exactly_as_sent(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    sent = event(webhook_id=VECTOR_ID)
    before = int(time.time())

    result = await client.deliver(sent)

    after = int(time.time())
    assert result.outcome is Outcome.DELIVERED
    assert (result.status, result.error, result.retry_after) == (200, "", None)
    [received] = receiver.deliveries
    assert received.webhook_id == VECTOR_ID
    assert received.type == "lead.qualified"
    assert before <= received.timestamp_header <= after
    assert received.headers["webhook-timestamp"] == str(received.timestamp_header)
    assert received.payload == {
        "type": "lead.qualified",
        "timestamp": "2026-11-22T09:00:00Z",
        "data": dict(sent.data),
    }
    assert received.body == envelope_bytes(sent, "2026-11-22T09:00:00Z")
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "leadsieve"
    assert receiver.refusals == []
    await client.aclose()  # a no-op: the http client stays usable
    assert (await client.deliver(event(webhook_id="evt_2"))).outcome is Outcome.DELIVERED


async def test_the_signature_is_hmac_sha256_over_id_timestamp_and_body(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    await client.deliver(event())

    [received] = receiver.deliveries
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = b"evt_1.%d." % received.timestamp_header + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert received.headers["webhook-signature"] == f"v1,{expected}"


def test_the_signing_key_reproduces_the_standard_webhooks_test_vector() -> None:
    signer = Webhook(generic._secret_key(VECTOR_SECRET))
    at = datetime.fromtimestamp(VECTOR_TIMESTAMP, tz=UTC)

    assert signer.sign(VECTOR_ID, at, VECTOR_BODY) == VECTOR_SIGNATURE
    assert generic._secret_key(VECTOR_SECRET.removeprefix("whsec_")) == generic._secret_key(
        VECTOR_SECRET
    )


async def test_the_timestamp_is_occurred_at_in_utc(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    moscow = timezone(timedelta(hours=3))
    await client.deliver(event(occurred_at=datetime(2026, 11, 22, 12, 0, tzinfo=moscow)))
    await client.deliver(
        event(webhook_id="evt_2", occurred_at=datetime(2026, 11, 22, 9, 0, 0, 250000, tzinfo=UTC))
    )

    assert [r.payload["timestamp"] for r in receiver.deliveries] == [
        "2026-11-22T09:00:00Z",
        "2026-11-22T09:00:00.250000Z",
    ]


async def test_cyrillic_data_round_trips_as_utf8(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    data = {
        "lead_id": 7,
        "name": "Иван Петров",
        "answers": {"Район": "Центр", "Бюджет": "до 10 млн ₽"},
        "change": {"verdict": "target"},
    }

    result = await client.deliver(event(data=data))

    assert result.outcome is Outcome.DELIVERED
    [received] = receiver.deliveries
    assert received.payload["data"] == data
    assert "Иван Петров".encode() in received.body  # sent as UTF-8, not \u escapes


async def test_the_same_webhook_id_again_is_a_duplicate_not_a_second_delivery(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    first = await client.deliver(event())
    again = await client.deliver(event())

    assert (first.outcome, again.outcome) == (Outcome.DELIVERED, Outcome.DELIVERED)
    assert len(receiver.deliveries) == 1
    assert (receiver.duplicates, receiver.attempts) == (1, 2)


async def test_by_lead_groups_webhook_ids_in_arrival_order(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    for webhook_id, lead_id in [("evt_1", 1), ("evt_2", 2), ("evt_3", 1), ("evt_4", 1)]:
        data = {"lead_id": lead_id, "change": {}}
        await client.deliver(event(webhook_id=webhook_id, lead_id=lead_id, data=data))

    assert receiver.by_lead() == {1: ["evt_1", "evt_3", "evt_4"], 2: ["evt_2"]}
    assert len(await receiver.wait_for_deliveries(4, timeout=1.0)) == 4


# ---------------------------------------------------------------------- answers → outcomes


async def test_a_wrong_secret_gets_401_and_is_refused(
    receiver: GenericReceiver, http: httpx.AsyncClient
) -> None:
    client = GenericClient(SalesDeskTarget(url=receiver.url, secret=OTHER_SECRET), http)

    result = await client.deliver(event())

    assert result.outcome is Outcome.REFUSED
    assert (result.status, result.error, result.retry_after) == (401, "HTTP 401", None)
    assert receiver.refusals == [Refusal(401, "No matching signature found")]
    assert receiver.deliveries == []


async def test_a_stale_clock_gets_401(
    client: GenericClient, receiver: GenericReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    class TenMinutesSlow:
        @staticmethod
        def time() -> float:
            return time.time() - 600

    monkeypatch.setattr(generic, "time", TenMinutesSlow)

    result = await client.deliver(event())

    assert (result.outcome, result.status) == (Outcome.REFUSED, 401)
    assert receiver.refusals == [Refusal(401, "Message timestamp too old")]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_busy_or_broken_receivers_are_unavailable(
    client: GenericClient, receiver: GenericReceiver, status: int
) -> None:
    receiver.set_status(status)

    result = await client.deliver(event())

    assert result.outcome is Outcome.UNAVAILABLE
    assert (result.status, result.error, result.retry_after) == (status, f"HTTP {status}", None)
    assert receiver.deliveries == []


async def test_retry_after_in_seconds(client: GenericClient, receiver: GenericReceiver) -> None:
    receiver.set_status(429, retry_after="7")

    result = await client.deliver(event())

    assert (result.outcome, result.status, result.retry_after) == (Outcome.UNAVAILABLE, 429, 7.0)


async def test_retry_after_as_an_http_date(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    receiver.set_status(429, retry_after=formatdate(time.time() + 30, usegmt=True))

    result = await client.deliver(event())

    assert result.outcome is Outcome.UNAVAILABLE
    assert result.retry_after is not None
    assert 28.0 <= result.retry_after <= 30.0


async def test_retry_after_on_a_503_and_in_the_past(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    receiver.set_status(503, retry_after=formatdate(time.time() - 60, usegmt=True))

    result = await client.deliver(event())

    assert (result.outcome, result.status, result.retry_after) == (Outcome.UNAVAILABLE, 503, 0.0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Sun, 22 Nov 2026 09:01:00 GMT", 60.0),
        ("Sun, 22 Nov 2026 09:01:00 -0000", 60.0),
        ("Sun, 22 Nov 2026 08:00:00 GMT", 0.0),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("٣", None),  # a digit, but not an ASCII one
        (None, None),
    ],
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds(header, now) == expected


async def test_410_disables(client: GenericClient, receiver: GenericReceiver) -> None:
    receiver.set_status(410)

    result = await client.deliver(event())

    assert (result.outcome, result.status, result.error) == (Outcome.DISABLED, 410, "HTTP 410")


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422, 301, 307])
async def test_other_answers_are_refusals(
    client: GenericClient, receiver: GenericReceiver, status: int
) -> None:
    receiver.set_status(status, retry_after="60")

    result = await client.deliver(event())

    assert result.outcome is Outcome.REFUSED
    assert (result.status, result.error, result.retry_after) == (status, f"HTTP {status}", None)
    assert receiver.attempts == 1  # exactly one POST: no redirect is followed


async def test_fail_next_then_back_to_normal(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    receiver.fail_next(2, 503)

    outcomes = [(await client.deliver(event())).outcome for _ in range(3)]

    assert outcomes == [Outcome.UNAVAILABLE, Outcome.UNAVAILABLE, Outcome.DELIVERED]
    assert (receiver.attempts, len(receiver.deliveries)) == (3, 1)
    receiver.set_status(500)
    assert (await client.deliver(event(webhook_id="evt_2"))).outcome is Outcome.UNAVAILABLE
    receiver.set_up()
    assert (await client.deliver(event(webhook_id="evt_2"))).outcome is Outcome.DELIVERED


# ---------------------------------------------------------------------- network failures


async def test_a_receiver_that_is_down_then_up_again_on_the_same_port(
    client: GenericClient, receiver: GenericReceiver
) -> None:
    url = receiver.url
    assert (await client.deliver(event())).outcome is Outcome.DELIVERED  # a pooled connection

    await receiver.go_down()
    down = await client.deliver(event(webhook_id="evt_2"))
    await receiver.come_up()
    up = await client.deliver(event(webhook_id="evt_2"))

    assert down.outcome is Outcome.UNAVAILABLE
    assert (down.status, down.error, down.retry_after) == (None, "connection refused", None)
    assert receiver.url == url
    assert up.outcome is Outcome.DELIVERED
    assert [r.webhook_id for r in receiver.deliveries] == ["evt_1", "evt_2"]


async def test_a_slow_receiver_times_out(receiver: GenericReceiver) -> None:
    receiver.set_delay(5.0)
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as http:
        client = GenericClient(SalesDeskTarget(url=receiver.url, secret=SECRET), http)
        started = time.monotonic()

        result = await client.deliver(event())

    assert time.monotonic() - started < 2.0
    assert (result.outcome, result.status, result.error) == (Outcome.UNAVAILABLE, None, "timeout")


def _wrapped(cause: OSError) -> httpx.ConnectError:
    """A ConnectError chained like httpx's own: httpx ← httpcore ← anyio's OSError ← cause."""
    inner = OSError("All connection attempts failed")
    inner.__cause__ = cause
    outer = httpx.ConnectError("All connection attempts failed")
    outer.__context__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectTimeout("t"), "connect timeout"),
        (httpx.ReadTimeout("t"), "timeout"),
        (httpx.PoolTimeout("t"), "timeout"),
        (_wrapped(ConnectionRefusedError(111, "Connect call failed")), "connection refused"),
        (_wrapped(socket.gaierror(-2, "Name or service not known")), "host name not resolved"),
        (_wrapped(ssl.SSLCertVerificationError("bad cert")), "TLS error"),
        (_wrapped(OSError(errno.EHOSTUNREACH, "No route to host")), "host unreachable"),
        (httpx.ConnectError("something else"), "connection failed"),
        (httpx.RemoteProtocolError("Server disconnected"), "connection closed or broken answer"),
        (httpx.ReadError("reset"), "connection lost"),
        (httpx.ProxyError("407"), "proxy error"),
        (httpx.UnsupportedProtocol("gopher"), "network error"),
    ],
)
def test_network_failures_get_short_fixed_descriptions(
    exc: httpx.TransportError, expected: str
) -> None:
    # Fixed texts: httpx's own messages name the host and port (and a URL may hold a token).
    assert generic._transport_error(exc) == expected


# ---------------------------------------------------------------------- our side


@pytest.mark.parametrize(
    "data",
    [{"when": datetime(2026, 11, 22, tzinfo=UTC)}, {"ratio": float("nan")}],
    ids=["datetime", "nan"],
)
async def test_data_that_is_not_json_is_refused_without_a_request(
    client: GenericClient,
    receiver: GenericReceiver,
    data: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger=generic.__name__):
        result = await client.deliver(event(data=data))

    assert (result.outcome, result.status) == (Outcome.REFUSED, None)
    assert result.error == "event data is not JSON-serialisable"
    assert receiver.attempts == 0
    assert "evt_1" in caplog.text


async def test_logs_and_errors_carry_no_secret_and_no_personal_data(
    receiver: GenericReceiver, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = GenericClient(SalesDeskTarget(url=receiver.url, secret=OTHER_SECRET), http)

    with caplog.at_level(logging.DEBUG, logger=generic.__name__):
        refused = await client.deliver(event())
        receiver.set_status(503)
        unavailable = await client.deliver(event())
        await receiver.go_down()
        down = await client.deliver(event())

    logged = caplog.text + " ".join(r.error for r in (refused, unavailable, down))
    assert "evt_1" in caplog.text
    for private in (PHONE, "Ivan", OTHER_SECRET.removeprefix("whsec_")):
        assert private not in logged


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "whsec_",
        "whsec_not base64!",
        "whsec_ab-_cd-_ab-_cd-_ab-_cd-_ab-_cd-_",  # URL-safe base64
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwA",  # one character too many
        "whsec_====",
    ],
)
def test_a_bad_secret_is_a_config_error(secret: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="secret") as raised:
        GenericClient(SalesDeskTarget(url="https://crm.example.com/hook", secret=secret), http)
    if secret.removeprefix("whsec_").strip():
        assert secret.removeprefix("whsec_").strip() not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    ["", "crm.example.com/hook", "ftp://crm.example.com/hook", "https://", "http://[::1/x"],
)
def test_a_bad_url_is_a_config_error(url: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="URL"):
        GenericClient(SalesDeskTarget(url=url, secret=SECRET), http)


def test_a_short_secret_works_but_is_warned_about(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    short = "whsec_" + base64.b64encode(b"sixteen byte key").decode()

    with caplog.at_level(logging.WARNING, logger=generic.__name__):
        GenericClient(SalesDeskTarget(url="https://crm.example.com/hook", secret=short), http)

    assert "16 bytes" in caplog.text
    assert short.removeprefix("whsec_") not in caplog.text


# ---------------------------------------------------------------------- the receiver itself


def _body(payload: object = None) -> str:
    envelope = {"type": "lead.qualified", "timestamp": "2026-11-22T09:00:00Z", "data": {}}
    return json.dumps(envelope if payload is None else payload)


def _now() -> int:
    return int(time.time())


def _signed(body: str | bytes, **changes: str) -> tuple[str | bytes, dict[str, str]]:
    return body, {**signed_headers(body if isinstance(body, str) else "{}"), **changes}


# Built when the test runs, not at collection: signatures are only good for five minutes.
BAD_REQUESTS: dict[str, tuple[Callable[[], tuple[str | bytes, dict[str, str]]], int, str]] = {
    "no headers": (lambda: (_body(), {}), 400, "Missing required headers"),
    "timestamp not a number": (
        lambda: _signed(_body(), **{"webhook-timestamp": "soon"}),
        400,
        "Invalid Signature Headers",
    ),
    "timestamp in milliseconds": (
        lambda: _signed(_body(), **{"webhook-timestamp": str(_now() * 1000)}),
        400,
        "Invalid Signature Headers",
    ),
    "fractional timestamp": (
        lambda: _signed(_body(), **{"webhook-timestamp": f"{_now()}.5"}),
        400,
        "webhook-timestamp is not integer seconds",
    ),
    "not UTF-8": (lambda: _signed(b"\xff\xfe{}"), 400, "body is not UTF-8"),
    "not JSON": (lambda: _signed("{not json"), 400, "body is not JSON"),
    "not an object": (lambda: _signed("[]"), 400, "payload is not a JSON object"),
    "no type": (lambda: _signed('{"type": 1}'), 400, 'payload has no string "type"'),
    "data not an object": (
        lambda: _signed(_body({"type": "a", "timestamp": "b", "data": []})),
        400,
        'payload has no object "data"',
    ),
    "wrong signature": (
        lambda: _signed(_body(), **{"webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnk="}),
        401,
        "No matching signature found",
    ),
    "signature without a comma": (
        lambda: _signed(_body(), **{"webhook-signature": "v1"}),
        401,
        "malformed webhook-signature",
    ),
    "signature not base64": (
        lambda: _signed(_body(), **{"webhook-signature": "v1,abc"}),
        401,
        "malformed webhook-signature",
    ),
    "only an asymmetric signature": (
        lambda: _signed(_body(), **{"webhook-signature": "v1a,abcd"}),
        401,
        "No matching signature found",
    ),
    "too old": (
        lambda: (_body(), signed_headers(_body(), timestamp=_now() - 600)),
        401,
        "Message timestamp too old",
    ),
    "too new": (
        lambda: (_body(), signed_headers(_body(), timestamp=_now() + 600)),
        401,
        "Message timestamp too new",
    ),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
async def test_the_receiver_refuses_what_is_not_a_valid_webhook(
    receiver: GenericReceiver, http: httpx.AsyncClient, case: str
) -> None:
    make, status, reason = BAD_REQUESTS[case]
    body, headers = make()

    response = await http.post(receiver.url, content=body, headers=headers)

    assert response.status_code == status
    assert receiver.refusals == [Refusal(status, reason)]
    assert (receiver.attempts, receiver.deliveries) == (1, [])


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_the_receiver_only_takes_posts(
    receiver: GenericReceiver, http: httpx.AsyncClient, method: str
) -> None:
    response = await http.request(method, receiver.url)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert receiver.attempts == 1


async def test_the_receiver_accepts_any_matching_signature_of_a_rotation_list(
    receiver: GenericReceiver, http: httpx.AsyncClient
) -> None:
    headers = signed_headers(_body(), msg_id=VECTOR_ID)
    rotated = f"v1a,abcd v1,K5oZfzN95Z9UVu1EsfQmfVNQhnk= {headers['webhook-signature']}"

    response = await http.post(
        receiver.url, content=_body(), headers={**headers, "webhook-signature": rotated}
    )

    assert response.status_code == 200
    stamp = int(headers["webhook-timestamp"])
    body = _body().encode()
    assert receiver.deliveries == [
        Received(VECTOR_ID, "lead.qualified", stamp, json.loads(body), body)
    ]

"""The sales desk's HTTP API over real HTTP on 127.0.0.1, mounted as in production under
/api/v1, against an in-test LeadCommands that records every call and a real SQLite store."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.domain.leads import LeadStatus
from bot.services.lead_commands import (
    MessageOutcome,
    MessageResult,
    StatusOutcome,
    StatusResult,
)
from bot.storage.db import Database
from bot.web.api import SqliteIdempotencyStore, build_api
from bot.web.api.idempotency import Begin, BeginOutcome
from tests.stores import another_connection

TOKEN = "test-api-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CREATED = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MESSAGE = {"text": "Hello! Your viewing is confirmed."}


class FakeClock:
    """Moved by hand (tests.conftest has one too, but importing it builds the whole bot)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakeCommands:
    """Leads 7 (target) and 8 (booked) exist, 9 was erased; every command call is recorded."""

    MOVES: ClassVar[dict[str, tuple[str, ...]]] = {
        "target": ("booked", "nurture", "rejected"),
        "booked": ("attended", "no_show"),
    }

    def __init__(self) -> None:
        self.statuses = {7: "target", 8: "booked"}
        self.calls: list[tuple[Any, ...]] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.fail = False

    def snapshot(self, lead_id: int) -> dict[str, Any]:
        return {"lead_id": lead_id, "status": self.statuses[lead_id], "created_at": CREATED}

    async def lead_snapshot(self, lead_id: int) -> Mapping[str, Any] | None:
        return self.snapshot(lead_id) if lead_id in self.statuses else None

    async def change_status(
        self, lead_id: int, status: str, comment: str, *, actor: str
    ) -> StatusResult:
        self.calls.append(("change_status", lead_id, status, comment, actor))
        current = self.statuses.get(lead_id)
        if current is None:
            return StatusResult(StatusOutcome.NOT_FOUND)
        allowed = self.MOVES.get(current, ())
        if status not in set(LeadStatus):
            return StatusResult(StatusOutcome.UNKNOWN_STATUS, current, allowed)
        if status not in allowed:
            return StatusResult(StatusOutcome.NOT_ALLOWED, current, allowed)
        self.statuses[lead_id] = status
        return StatusResult(StatusOutcome.MOVED, status, (), self.snapshot(lead_id))

    async def send_message(
        self, lead_id: int, text: str, send_at: datetime | None, *, actor: str
    ) -> MessageResult:
        self.calls.append(("send_message", lead_id, text, send_at, actor))
        self.entered.set()
        await self.release.wait()
        if self.fail:
            raise RuntimeError("database is locked: SELECT phone FROM leads")
        if lead_id == 9:
            return MessageResult(MessageOutcome.ERASED)
        if lead_id not in self.statuses:
            return MessageResult(MessageOutcome.NOT_FOUND)
        when = (send_at or START).astimezone(UTC)
        return MessageResult(MessageOutcome.QUEUED, message_id=100 + len(self.calls), send_at=when)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass
class Api:
    http: TestClient[web.Request, web.Application]
    commands: FakeCommands
    clock: FakeClock

    async def call(
        self, method: str, path: str, *, headers: Mapping[str, str] = AUTH, **kw: Any
    ) -> Reply:
        async with self.http.request(method, "/api/v1" + path, headers=headers, **kw) as r:
            reply = Reply(r.status, r.headers, await r.json(content_type=None))
            if r.status >= 400:  # every error, whoever raised it, is a problem document
                assert r.content_type == "application/problem+json"
                assert reply.body["status"] == r.status
                assert reply.body["title"]
                assert reply.body["detail"]
                assert reply.body["type"].startswith(("about:blank", "https://leadsieve/problems/"))
        return reply

    async def post(self, path: str, body: Any, *, key: str | None = None) -> Reply:
        headers = AUTH if key is None else {**AUTH, "Idempotency-Key": key}
        return await self.call("POST", path, json=body, headers=headers)


@pytest.fixture
def db(store: Database) -> Database:
    return store


@pytest.fixture
async def make_api(db: Database) -> AsyncIterator[Callable[..., Awaitable[Api]]]:
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(**limits: Any) -> Api:
        commands, clock = FakeCommands(), FakeClock(START)
        store = SqliteIdempotencyStore(db)
        root = web.Application()
        api = build_api(commands, token=TOKEN, idempotency=store, clock=clock, **limits)
        root.add_subapp("/api/v1", api)
        client = TestClient(TestServer(root))
        await client.start_server()
        clients.append(client)
        return Api(client, commands, clock)

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def api(make_api: Callable[..., Awaitable[Api]]) -> Api:
    return await make_api(burst=1000)


async def test_reads_a_lead(api: Api) -> None:
    reply = await api.call("GET", "/leads/7")
    assert reply.status == 200
    assert reply.body == {"lead_id": 7, "status": "target", "created_at": "2026-11-20T12:30:00Z"}


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authorization: Bearer"),
        ("Bearer wrong-token", "not valid"),
        (f"Basic {TOKEN}", "Authorization: Bearer"),
        (f"Bearer {TOKEN}x", "not valid"),
        ("Bearer", "Authorization: Bearer"),
        ("Bearer ключ", "not valid"),  # non-ASCII: compared as bytes, not a 500
    ],
)
async def test_refuses_requests_without_the_token(
    api: Api, authorization: str | None, detail: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, body in [("GET", "/leads/7", None), ("POST", "/leads/7/status", b"junk")]:
        reply = await api.call(method, path, headers=headers, data=body)
        assert reply.status == 401
        assert detail in reply.body["detail"]
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.commands.calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/leads/404",
        "/leads/abc",
        "/leads/0",
        "/leads/-1",
        "/leads/007",
        "/leads/1.5",
        "/leads/" + "9" * 20,
        "/leads/%D9%A1",  # an Arabic-Indic digit one
        "/nope",
        "/leads/7/nope",
    ],
)
async def test_unknown_leads_and_routes_are_404(api: Api, path: str) -> None:
    assert (await api.call("GET", path)).status == 404


async def test_a_bad_lead_id_in_a_post_is_404_and_does_nothing(api: Api) -> None:
    reply = await api.post("/leads/abc/status", {"status": "booked"})
    assert reply.status == 404
    assert "positive whole numbers" in reply.body["detail"]
    assert api.commands.calls == []


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/leads/7", "GET"),
        ("GET", "/leads/7/status", "POST"),
        ("PUT", "/leads/7/messages", "POST"),
    ],
)
async def test_wrong_methods_are_405(api: Api, method: str, path: str, allow: str) -> None:
    reply = await api.call(method, path)
    assert reply.status == 405
    assert allow in reply.headers["Allow"]
    assert f"{method} is not allowed here" in reply.body["detail"]


async def test_bodies_over_64_kb_are_413(api: Api) -> None:
    big = {"text": "x" * 70_000}
    assert (await api.post("/leads/7/messages", big)).status == 413

    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to check first
        yield b'{"text": "'
        for _ in range(70):
            yield b"x" * 1000
        yield b'"}'

    headers = {**AUTH, "Content-Type": "application/json"}
    reply = await api.call("POST", "/leads/7/messages", headers=headers, data=chunks())
    assert reply.status == 413
    assert "65536 bytes" in reply.body["detail"]
    assert api.commands.calls == []


async def test_a_declared_oversize_body_is_refused_before_it_arrives(api: Api) -> None:
    server = api.http.server
    assert server.port is not None
    reader, writer = await asyncio.open_connection(server.host, server.port)
    head = (
        "POST /api/v1/leads/7/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        "Content-Length: 10000000\r\n\r\n"
    )
    writer.write(head.encode())  # and not one byte of the body
    await writer.drain()
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.close()
    await writer.wait_closed()
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in answer
    assert api.commands.calls == []


@pytest.mark.parametrize(
    "headers",
    [{**AUTH, "Content-Type": "text/plain"}, AUTH, {**AUTH, "Content-Type": "application/xml"}],
)
async def test_non_json_bodies_are_415(api: Api, headers: dict[str, str]) -> None:
    reply = await api.call("POST", "/leads/7/status", headers=headers, data=b'{"status": "booked"}')
    assert reply.status == 415
    assert api.commands.calls == []


FAR = (START + timedelta(days=366)).isoformat()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("status", b"{not json", "body"),
        ("status", b"", "body"),
        ("status", b"[]", "body"),
        ("status", b'{"comment": "no status"}', "status"),
        ("status", b'{"status": ""}', "status"),
        ("status", b'{"status": "' + b"x" * 33 + b'"}', "status"),
        ("status", b'{"status": "booked", "comment": "' + b"x" * 1001 + b'"}', "comment"),
        ("status", b'{"status": "booked", "priority": 1}', "priority"),
        ("status", b'{"status": 5}', "status"),
        ("messages", b'{"send_at": "2026-12-01T10:00:00+00:00"}', "text"),
        ("messages", b'{"text": " \\n\\t "}', "text"),
        ("messages", b'{"text": "' + b"x" * 4097 + b'"}', "text"),
        ("messages", b'{"text": "hi", "send_at": "2026-12-01T10:00:00"}', "send_at"),
        ("messages", b'{"text": "hi", "send_at": "2026-12-01"}', "send_at"),
        ("messages", b'{"text": "hi", "send_at": 1790000000}', "send_at"),
        ("messages", b'{"text": "hi", "send_at": "' + FAR.encode() + b'"}', "send_at"),
    ],
)
async def test_junk_bodies_are_422_and_change_nothing(
    api: Api, path: str, body: bytes, field: str
) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    reply = await api.call("POST", f"/leads/7/{path}", headers=headers, data=body)
    assert reply.status == 422
    assert field in [error["field"] for error in reply.body["errors"]]
    assert all(error["message"] for error in reply.body["errors"])
    assert api.commands.calls == []


async def test_moves_a_lead(api: Api) -> None:
    reply = await api.post("/leads/7/status", {"status": "booked", "comment": "called back"})
    assert reply.status == 200
    assert reply.body == {
        "lead_id": 7,
        "status": "booked",
        "lead": {"lead_id": 7, "status": "booked", "created_at": "2026-11-20T12:30:00Z"},
    }
    assert api.commands.calls == [("change_status", 7, "booked", "called back", "api")]


async def test_refused_status_changes(api: Api) -> None:
    reply = await api.post("/leads/8/status", {"status": "target"})
    assert reply.status == 409
    assert reply.body["detail"] == (
        "a lead in status booked cannot move to target; allowed: attended, no_show"
    )
    reply = await api.post("/leads/7/status", {"status": "won"})
    assert reply.status == 422
    assert reply.body["type"] == "https://leadsieve/problems/unknown-status"
    assert all(status.value in reply.body["detail"] for status in LeadStatus)
    assert reply.body["errors"][0]["field"] == "status"
    assert (await api.post("/leads/404/status", {"status": "booked"})).status == 404


async def test_queues_messages(api: Api) -> None:
    send_at = "2026-11-23T12:00:00+03:00"
    reply = await api.post("/leads/7/messages", {**MESSAGE, "send_at": send_at})
    assert reply.status == 202
    assert reply.body == {"message_id": 101, "send_at": "2026-11-23T09:00:00Z"}
    assert api.commands.calls[0][3] == datetime.fromisoformat(send_at)
    assert (await api.post("/leads/404/messages", MESSAGE)).status == 404
    reply = await api.post("/leads/9/messages", MESSAGE)
    assert reply.status == 404
    assert reply.body["type"] == "https://leadsieve/problems/lead-erased"
    assert "erased" in reply.body["detail"]


async def test_a_burst_is_429_until_the_bucket_refills(
    make_api: Callable[..., Awaitable[Api]],
) -> None:
    api = await make_api(rate_per_second=0.5, burst=3)
    for _ in range(3):
        assert (await api.post("/leads/7/messages", MESSAGE)).status == 202
    reply = await api.post("/leads/7/messages", MESSAGE)
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "2"
    assert len(api.commands.calls) == 3
    assert (await api.call("GET", "/openapi.json", headers={})).status == 200  # not counted
    api.clock.advance(seconds=2)
    assert (await api.call("GET", "/leads/7")).status == 200
    assert (await api.call("GET", "/leads/7")).status == 429


async def test_a_repeated_key_replays_the_first_answer(api: Api, db: Database) -> None:
    first = await api.post("/leads/7/messages", MESSAGE, key="order-1")
    # The same request in other words (key order, spacing) is the same request.
    same = json.dumps({"send_at": None, "text": MESSAGE["text"]}, indent=2).encode()
    headers = {**AUTH, "Idempotency-Key": "order-1", "Content-Type": "application/json"}
    again = await api.call("POST", "/leads/7/messages", headers=headers, data=same)
    assert first.status == again.status == 202
    assert first.body == again.body
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(api.commands.calls) == 1
    # A refusal by the use case is an answer too, and so is replayed.
    refused = [await api.post("/leads/8/status", {"status": "target"}, key="k2") for _ in "ab"]
    assert [reply.status for reply in refused] == [409, 409]
    assert len(api.commands.calls) == 2
    async with db.read() as conn, conn.execute("SELECT * FROM api_idempotency") as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert {row[0] for row in rows} == {hashlib.sha256(TOKEN.encode()).hexdigest()}
    assert not any(TOKEN in str(value) for row in rows for value in row)


async def test_a_reused_key_with_another_body_is_422(api: Api) -> None:
    assert (await api.post("/leads/7/messages", MESSAGE, key="k")).status == 202
    reply = await api.post("/leads/7/messages", {"text": "Something else"}, key="k")
    assert reply.status == 422
    assert reply.body["detail"] == "Idempotency-Key reused with a different request"
    assert (await api.post("/leads/8/messages", MESSAGE, key="k")).status == 422  # other path
    assert len(api.commands.calls) == 1


async def test_refusals_and_failures_are_not_stored(api: Api) -> None:
    wrong = {"Authorization": "Bearer nope", "Idempotency-Key": "k"}
    assert (await api.call("POST", "/leads/7/messages", json=MESSAGE, headers=wrong)).status == 401
    assert (await api.post("/leads/7/messages", {"text": ""}, key="k")).status == 422
    api.commands.fail = True
    reply = await api.post("/leads/7/messages", MESSAGE, key="k")
    assert reply.status == 500
    assert "locked" not in json.dumps(reply.body)
    assert "SELECT" not in json.dumps(reply.body)
    api.commands.fail = False
    reply = await api.post("/leads/7/messages", MESSAGE, key="k")
    assert reply.status == 202
    assert "Idempotent-Replayed" not in reply.headers
    assert len(api.commands.calls) == 2  # the failed attempt and this one


@pytest.mark.parametrize("key", ["has space", "x" * 256, "ключ", ""])
async def test_malformed_keys_are_400(api: Api, key: str) -> None:
    reply = await api.post("/leads/7/messages", MESSAGE, key=key)
    assert reply.status == 400
    assert api.commands.calls == []


async def test_a_key_in_progress_is_409(api: Api) -> None:
    api.commands.release.clear()
    first = asyncio.create_task(api.post("/leads/7/messages", MESSAGE, key="k"))
    await asyncio.wait_for(api.commands.entered.wait(), 5)
    second = await api.post("/leads/7/messages", MESSAGE, key="k")
    assert second.status == 409
    assert second.body["detail"].startswith("a request with this key is in progress")
    api.commands.release.set()
    assert (await first).status == 202
    third = await api.post("/leads/7/messages", MESSAGE, key="k")
    assert (third.status, third.body) == (202, (await first).body)
    assert len(api.commands.calls) == 1


async def test_simultaneous_requests_with_one_key_run_once(api: Api) -> None:
    replies = await asyncio.gather(
        *(api.post("/leads/7/messages", MESSAGE, key="same") for _ in range(6))
    )
    assert len(api.commands.calls) == 1
    assert {reply.status for reply in replies} <= {202, 409}
    assert len({json.dumps(reply.body) for reply in replies if reply.status == 202}) == 1


async def test_store_scopes_conflicts_and_expiry(db: Database) -> None:
    store, later = SqliteIdempotencyStore(db), START + timedelta(hours=23)
    assert await store.begin("a", "k", "f1", START) == Begin(BeginOutcome.NEW)
    assert await store.begin("a", "k", "f1", START) == Begin(BeginOutcome.IN_PROGRESS)
    assert await store.begin("a", "k", "f2", START) == Begin(BeginOutcome.CONFLICT)
    assert await store.begin("b", "k", "f2", START) == Begin(BeginOutcome.NEW)  # another token
    await store.finish("a", "k", 202, '{"message_id": 1}', START)
    await store.abandon("a", "k")  # only unanswered entries go
    assert await store.begin("a", "k", "f1", later) == Begin(
        BeginOutcome.REPLAY, 202, '{"message_id": 1}'
    )
    assert await store.begin("a", "k", "f3", later + timedelta(hours=1)) == Begin(BeginOutcome.NEW)
    await store.abandon("a", "k")
    assert await store.begin("a", "k", "f4", later) == Begin(BeginOutcome.NEW)


async def test_openapi_describes_the_three_endpoints(api: Api) -> None:
    async with api.http.get("/api/v1/openapi.json") as response:  # no token needed
        assert response.status == 200
        assert response.content_type == "application/json"
        doc = json.loads(await response.text())
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert set(doc["paths"]) == {
        "/leads/{lead_id}",
        "/leads/{lead_id}/status",
        "/leads/{lead_id}/messages",
        "/leads/{lead_id}/payments",
        "/leads/{lead_id}/deal",
        "/leads/{lead_id}/deal/stage",
        "/leads/{lead_id}/deal/facts",
    }
    schemas = doc["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        found: dict[str, Any] = schemas[name]
        return found

    status = doc["paths"]["/leads/{lead_id}/status"]["post"]
    change = resolve(status["requestBody"]["content"]["application/json"]["schema"])
    assert change["required"] == ["status"]
    assert change["properties"]["status"]["maxLength"] == 32
    assert change["additionalProperties"] is False
    messages = doc["paths"]["/leads/{lead_id}/messages"]["post"]
    message = resolve(messages["requestBody"]["content"]["application/json"]["schema"])
    assert message["properties"]["text"]["maxLength"] == 4096
    assert {"format": "date-time", "type": "string"} in message["properties"]["send_at"]["anyOf"]
    assert "202" in messages["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in messages["parameters"])
    refs = json.dumps(doc).split('"$ref": "')[1:]
    assert refs
    assert all(ref.split('"')[0].removeprefix("#/components/schemas/") in schemas for ref in refs)


async def test_store_begins_a_key_once_across_processes(db: Database) -> None:
    # Separate connections, as two replicas behind one database would have.
    others = [another_connection(db) for _ in range(6)]
    for other in others:
        await other.connect()
    try:
        outcomes = await asyncio.gather(
            *(SqliteIdempotencyStore(other).begin("a", "k", "f", START) for other in others)
        )
    finally:
        for other in others:
            await other.close()
    assert sorted(outcome.outcome for outcome in outcomes) == sorted(
        [BeginOutcome.NEW] + [BeginOutcome.IN_PROGRESS] * 5
    )

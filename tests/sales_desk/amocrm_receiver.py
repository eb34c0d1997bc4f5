"""An amoCRM account on 127.0.0.1 for the `amocrm` sales-desk client's tests.

A real aiohttp server, so the client's real httpx requests, JSON encoding and error mapping
are exercised. It answers the few API v4 endpoints the client uses the way amoCRM does (see
the team's notes, "crm-apis.md" §3): Bearer token or 401, bare JSON arrays for the complex
add, 204 with an empty body for a contact search that found nothing, problem JSON with
`validation-errors` for a malformed body, and 429 with `retry_after` beyond 7 requests a
second. It is stricter than amoCRM where that catches client mistakes: unknown lead fields,
unknown custom field codes and unknown statuses are refused (those checks of request bodies
live in `amocrm_shapes.py`; the listening and `go_down` / `come_up` in `loopback.py`).

Everything runs on the test's event loop and handlers never await while they change state,
so no locks are needed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.sales_desk.amocrm_shapes import (
    MAX_LEADS_PER_REQUEST,
    EmptyRequest,
    Invalid,
    batch,
    check_complex_lead,
    check_note,
    check_patch,
)
from tests.sales_desk.loopback import LoopbackServer

__all__ = [
    "DEFAULT_STATUSES",
    "DEFAULT_TOKEN",
    "AmoCrmReceiver",
    "Call",
    "StoredContact",
    "StoredLead",
    "StoredNote",
]

DEFAULT_TOKEN = "amo-long-lived-token-for-tests"
# The account's one pipeline: three open statuses of our own plus the fixed won/lost ones.
DEFAULT_STATUSES = frozenset({41000001, 41000002, 41000003, 142, 143})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Call:
    """One request as the receiver saw it and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # the decoded JSON, or None for an empty or undecodable body
    at: float  # time.monotonic() on arrival
    authorized: bool
    status: int = 0


_CALL = web.RequestKey("amocrm_call", Call)


@dataclass(slots=True)
class StoredContact:
    id: int
    name: str
    first_name: str = ""
    last_name: str = ""
    custom_fields_values: list[dict[str, Any]] = field(default_factory=list)

    @property
    def phones(self) -> list[str]:
        return _field_values(self.custom_fields_values, "PHONE")

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "custom_fields_values": self.custom_fields_values or None,
            "_links": {"self": {"href": f"/api/v4/contacts/{self.id}"}},
        }


@dataclass(slots=True)
class StoredLead:
    id: int
    name: str
    status_id: int | None = None
    pipeline_id: int | None = None
    price: int | None = None
    custom_fields_values: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    contact_id: int | None = None

    def field_value(self, code: str) -> str | None:
        values = _field_values(self.custom_fields_values, code)
        return values[0] if values else None


@dataclass(slots=True)
class StoredNote:
    id: int
    entity_id: int
    note_type: str
    text: str


class AmoCrmReceiver(LoopbackServer):
    """An amoCRM account: `url` is its base (what SalesDeskTarget.url holds), `token` its key.

    State to assert on: `leads`, `contacts`, `notes`, `calls`, `rate_violations`.
    Failure controls: `set_status`, `fail_next`, `set_up`, `go_down` / `come_up`, `delay`.
    """

    _shutdown_timeout = 0.5  # `stop` cuts a `delay`ed answer short after this long

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        rate_per_second: int | None = 7,
        rate_retry_after: int = 1,
        statuses: Iterable[int] = DEFAULT_STATUSES,
        field_ids: Iterable[int] = (),
    ) -> None:
        super().__init__()
        self.token = token
        self.rate_per_second = rate_per_second  # None: no limit
        self.rate_retry_after = rate_retry_after  # amoCRM says 300; tests cannot wait that long
        self.statuses = frozenset(statuses)
        self.field_ids = frozenset(field_ids)  # custom fields addressable by field_id
        self.delay = 0.0  # seconds every answer waits first: a slow account, for timeouts
        self.leads: dict[int, StoredLead] = {}
        self.contacts: dict[int, StoredContact] = {}
        self.notes: list[StoredNote] = []
        self.calls: list[Call] = []
        self.rate_violations = 0
        self._lead_ids = itertools.count(24050975)
        self._contact_ids = itertools.count(28661273)
        self._note_ids = itertools.count(90000001)
        self._recent: deque[float] = deque()  # arrival times within the last second
        self._status: tuple[int, int | None] | None = None
        self._failures: deque[tuple[int, str | None]] = deque()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return self._url("")

    async def start(self) -> None:
        """Listens on a free port the first time, and on the same port after `stop`; does
        nothing while listening."""
        if not self.is_up:
            await super().start()

    async def go_down(self) -> None:
        await self.stop()  # unlike the base: no error when already down

    async def come_up(self) -> None:
        await self.start()  # unlike the base: a free port if never started

    def _add_routes(self, app: web.Application) -> None:
        app.middlewares.append(self._front_door)
        app.router.add_get("/api/v4/contacts", self._search_contacts)
        app.router.add_post("/api/v4/leads/complex", self._add_complex)
        app.router.add_post(r"/api/v4/leads/{lead_id:\d+}/notes", self._add_notes)
        app.router.add_patch("/api/v4/leads", self._update_leads)

    # ------------------------------------------------------------------ failure controls

    def set_status(self, code: int, retry_after: int | None = None) -> None:
        """Answer every request with `code` until `set_up()`. `retry_after` goes into the
        body of a 429 (as amoCRM does) and into a Retry-After header otherwise."""
        self._status = (code, retry_after)

    def fail_next(self, n: int, status: int, *, path_contains: str | None = None) -> None:
        """Answer the next `n` requests (only those whose path contains `path_contains`,
        if given) with `status`, then behave again."""
        self._failures.extend([(status, path_contains)] * n)

    def set_up(self) -> None:
        """Forget `set_status` and any pending `fail_next`."""
        self._status = None
        self._failures.clear()

    # ------------------------------------------------------------------ seeding and lookups

    def add_contact(self, name: str, phone: str, enum_code: str = "WORK") -> StoredContact:
        """A contact the account already had before the bot came along."""
        phone_field = {"field_code": "PHONE", "values": [{"value": phone, "enum_code": enum_code}]}
        contact = StoredContact(next(self._contact_ids), name, custom_fields_values=[phone_field])
        self.contacts[contact.id] = contact
        return contact

    def add_lead(self, name: str, status_id: int | None = None) -> StoredLead:
        lead = StoredLead(next(self._lead_ids), name, status_id=status_id)
        self.leads[lead.id] = lead
        return lead

    def notes_for(self, lead_id: int | str) -> list[str]:
        """The texts of the lead's notes, oldest first."""
        return [note.text for note in self.notes if note.entity_id == int(lead_id)]

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [call for call in self.calls if call.method == method and call.path == path]

    def max_requests_per_second(self) -> int:
        """The most requests that arrived within any one-second window."""
        times = [call.at for call in self.calls]
        return max(
            (
                sum(1 for other in times[index:] if other - start < 1.0)
                for index, start in enumerate(times)
            ),
            default=0,
        )

    # ------------------------------------------------------------------ the front door

    @web.middleware
    async def _front_door(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        call = Call(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            body=_decode(raw),
            at=time.monotonic(),
            authorized=request.headers.get("Authorization") == f"Bearer {self.token}",
        )
        self.calls.append(call)
        request[_CALL] = call
        if self.delay:
            await asyncio.sleep(self.delay)
        # Not `or`: a response is a MutableMapping, falsy while it holds no state.
        refusal = self._refusal(call)
        response = refusal if refusal is not None else await _answer(request, handler)
        call.status = response.status
        return response

    def _refusal(self, call: Call) -> web.Response | None:
        """The answer before any endpoint runs: rate limit, forced failures, the token."""
        if self._over_rate(call.at):
            self.rate_violations += 1
            return _too_many(self.rate_retry_after)
        failure = self._take_failure(call.path)
        if failure is not None:
            return _forced(failure, None)
        if self._status is not None:
            return _forced(*self._status)
        if not call.authorized:
            return _problem(401, "Unauthorized", "Invalid user name or password")
        return None

    def _over_rate(self, now: float) -> bool:
        # Every request counts, refused ones too: hammering a limited account keeps it limited.
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        self._recent.append(now)
        return self.rate_per_second is not None and len(self._recent) > self.rate_per_second

    def _take_failure(self, path: str) -> int | None:
        for index, (status, path_contains) in enumerate(self._failures):
            if path_contains is None or path_contains in path:
                del self._failures[index]
                return status
        return None

    # ------------------------------------------------------------------ endpoints

    async def _search_contacts(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "").strip()
        limit = (
            int(request.query.get("limit", "50"))
            if request.query.get("limit", "").isdigit()
            else 50
        )
        if limit > 250:
            return web.json_response("Limit 250 per page", status=422)
        found = [contact for contact in self.contacts.values() if _matches(contact, query)]
        if not found:
            return web.Response(status=204)  # amoCRM's "nothing found": no body at all
        return web.json_response(
            {
                "_page": 1,
                "_links": {"self": {"href": str(request.rel_url)}},
                "_embedded": {"contacts": [contact.to_api() for contact in found[:limit]]},
            },
            content_type="application/hal+json",
        )

    async def _add_complex(self, request: web.Request) -> web.Response:
        body = request[_CALL].body
        leads = batch(body, MAX_LEADS_PER_REQUEST)
        for index, lead in enumerate(leads):
            check_complex_lead(lead, index, self)
        answer = [self._store_complex(lead, index) for index, lead in enumerate(leads)]
        return web.json_response(answer)

    async def _add_notes(self, request: web.Request) -> web.Response:
        lead_id = int(request.match_info["lead_id"])
        if lead_id not in self.leads:
            return _problem(404, "Not Found", "Entity not found")
        notes = batch(request[_CALL].body, 250)
        for index, note in enumerate(notes):
            check_note(note, index)
        added = []
        for index, note in enumerate(notes):
            stored = StoredNote(next(self._note_ids), lead_id, "common", note["params"]["text"])
            self.notes.append(stored)
            added.append({"id": stored.id, "entity_id": lead_id, "request_id": str(index)})
        return _hal({"notes": added}, request)

    async def _update_leads(self, request: web.Request) -> web.Response:
        changes = batch(request[_CALL].body, MAX_LEADS_PER_REQUEST)
        for index, change in enumerate(changes):
            check_patch(change, index, self)
        updated = []
        for index, change in enumerate(changes):
            lead = self.leads[change["id"]]
            if "status_id" in change:
                lead.status_id = change["status_id"]
            if "name" in change:
                lead.name = change["name"]
            if "price" in change:
                lead.price = change["price"]
            updated.append(
                {
                    "id": lead.id,
                    "updated_at": int(time.time()),
                    "request_id": str(index),
                    "_links": {"self": {"href": f"/api/v4/leads/{lead.id}"}},
                }
            )
        return _hal({"leads": updated}, request)

    # ------------------------------------------------------------------ storage

    def _store_complex(self, lead: dict[str, Any], index: int) -> dict[str, Any]:
        embedded = lead.get("_embedded") or {}
        contact_id: int | None = None
        for contact in embedded.get("contacts") or []:
            contact_id = contact["id"] if "id" in contact else self._store_contact(contact).id
        stored = StoredLead(
            next(self._lead_ids),
            lead.get("name") or f"Lead #{index}",
            status_id=lead.get("status_id", min(self.statuses - {142, 143}, default=None)),
            pipeline_id=lead.get("pipeline_id"),
            price=lead.get("price"),
            custom_fields_values=list(lead.get("custom_fields_values") or []),
            tags=[tag.get("name", "") for tag in embedded.get("tags") or []],
            contact_id=contact_id,
        )
        self.leads[stored.id] = stored
        return {
            "id": stored.id,
            "contact_id": contact_id,
            "company_id": None,
            "request_id": [str(lead.get("request_id", index))],  # an array, as amoCRM answers
            "merged": False,
        }

    def _store_contact(self, contact: Mapping[str, Any]) -> StoredContact:
        first, last = contact.get("first_name", ""), contact.get("last_name", "")
        name = contact.get("name") or " ".join(part for part in (first, last) if part) or "Contact"
        stored = StoredContact(
            next(self._contact_ids),
            name,
            first,
            last,
            list(contact.get("custom_fields_values") or []),
        )
        self.contacts[stored.id] = stored
        return stored


# ---------------------------------------------------------------------- helpers


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:  # 404/405 from routing
        return _problem(exc.status, exc.reason)
    except Invalid as exc:
        return _validation_failed(exc)


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _field_values(fields: Iterable[Mapping[str, Any]], code: str) -> list[str]:
    return [
        str(value.get("value", ""))
        for item in fields
        if item.get("field_code") == code
        for value in item.get("values") or []
    ]


def _matches(contact: StoredContact, query: str) -> bool:
    """amoCRM's search, roughly: phone digits inside a stored phone, or text in the name."""
    if not query:
        return True
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 5 and any(digits in re.sub(r"\D", "", phone) for phone in contact.phones):
        return True
    return query.casefold() in contact.name.casefold()


def _problem(status: int, title: str, detail: str = "") -> web.Response:
    body = {
        "title": title,
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": detail,
    }
    return web.json_response(body, status=status, content_type="application/problem+json")


def _too_many(retry_after: int | None) -> web.Response:
    body: dict[str, Any] = {
        "title": "Too Many Requests",
        "type": "https://httpstatus.es/429",
        "status": 429,
        "detail": (
            "You have sent too many requests in a given amount of time. Please try again later."
        ),
    }
    if retry_after is not None:
        body["retry_after"] = retry_after
    return web.json_response(body, status=429, content_type="application/problem+json")


def _forced(status: int, retry_after: int | None) -> web.Response:
    if status == 429:
        return _too_many(retry_after)
    response = _problem(status, web.Response(status=status).reason or "Error")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _validation_failed(error: Invalid) -> web.Response:
    if isinstance(error, EmptyRequest):
        return _problem(400, "Bad Request", "Request data can not be empty")
    body = {
        "validation-errors": [
            {
                "request_id": error.request_id,
                "errors": [
                    {"code": code, "path": path, "detail": detail}
                    for path, code, detail in error.errors
                ],
            }
        ],
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }
    return web.json_response(body, status=400, content_type="application/problem+json")


def _hal(embedded: dict[str, Any], request: web.Request) -> web.Response:
    body = {"_links": {"self": {"href": str(request.rel_url)}}, "_embedded": embedded}
    return web.json_response(body, content_type="application/hal+json")

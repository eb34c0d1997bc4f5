"""A Bitrix24 portal's inbound-webhook REST for tests: a real aiohttp server on 127.0.0.1.

    async with Bitrix24Receiver() as portal:
        client = Bitrix24Client(SalesDeskTarget(url=portal.url, secret=""), http)
        ...
        assert portal.leads[int(result.crm_id)]["TITLE"] == "Иван — leadsieve #42"

Why a server and not a mock: the client's contract is HTTP (paths, JSON bodies, status
codes, bodies with errors at 200), and this is where the notes' facts are kept honest
(/work/shared/notes/crm-apis.md, section 2):

* `POST|GET /rest/<user>/<code>/<method>[.json]`; a wrong user or code is 401 NO_AUTH_FOUND,
  an unknown method 404 ERROR_METHOD_NOT_FOUND. Answers are `{"result": ..., "time": {...}}`
  or `{"error": ..., "error_description": ...}`.
* `crm.duplicate.findbycomm`, `crm.lead.add`, `crm.lead.update`, `crm.timeline.comment.add`,
  with the documented errors. Field names are UPPERCASE; like Bitrix, unknown or read-only
  fields (and unknown top-level parameters, such as `FIELDS`) are ignored, but each one is
  recorded in `unknown_fields` so tests can assert that none were sent.
* Stricter than Bitrix on purpose: a multifield (PHONE, EMAIL, WEB, IM) that is not a list
  of `{VALUE, VALUE_TYPE}` with a documented VALUE_TYPE, or a list or object in a plain
  field, is answered 400 (error "") instead of being half-saved.
* Multifields behave as on a real portal: stored entries get `ID` and `TYPE_ID`; on update
  an entry without `ID` is appended, one with `ID` changes it, and `ID` with an empty
  VALUE (or `DELETE: "Y"`) removes it. findbycomm compares phones by their digits.

Faults: `set_down` (503 QUERY_LIMIT_EXCEEDED for everything), `fail_next` (the next
requests, optionally of one method, get a chosen status and error code), `limit` (the
portal's leaky bucket), `set_delay` (answer late), and `go_down` / `come_up` (really stop
listening and listen again on the same port).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.sales_desk.loopback import HOST as HOST
from tests.sales_desk.loopback import LoopbackServer

USER_ID = 1
CODE = "k3y8q2n5w7z1x4c6"  # the webhook code: the secret part of the URL

MULTIFIELD_TYPES: dict[str, frozenset[str]] = {
    "PHONE": frozenset({"WORK", "MOBILE", "FAX", "HOME", "PAGER", "MAILING", "OTHER"}),
    "EMAIL": frozenset({"WORK", "HOME", "MAILING", "OTHER"}),
    "WEB": frozenset({"WORK", "HOME", "VK", "LIVEJOURNAL", "TWITTER", "OTHER"}),
    "IM": frozenset(
        {
            "TELEGRAM",
            "VK",
            "SKYPE",
            "VIBER",
            "BITRIX24",
            "OPENLINE",
            "IMOL",
            "ICQ",
            "MSN",
            "JABBER",
            "OTHER",
        }
    ),
}
LEAD_FIELDS = frozenset(
    {
        "TITLE",
        "NAME",
        "SECOND_NAME",
        "LAST_NAME",
        "HONORIFIC",
        "BIRTHDATE",
        "COMPANY_TITLE",
        "COMPANY_ID",
        "CONTACT_ID",
        "CONTACT_IDS",
        "SOURCE_ID",
        "SOURCE_DESCRIPTION",
        "STATUS_ID",
        "STATUS_DESCRIPTION",
        "POST",
        "ADDRESS",
        "ADDRESS_2",
        "ADDRESS_CITY",
        "ADDRESS_POSTAL_CODE",
        "ADDRESS_REGION",
        "ADDRESS_PROVINCE",
        "ADDRESS_COUNTRY",
        "ADDRESS_COUNTRY_CODE",
        "CURRENCY_ID",
        "OPPORTUNITY",
        "IS_MANUAL_OPPORTUNITY",
        "OPENED",
        "COMMENTS",
        "ASSIGNED_BY_ID",
        "ORIGINATOR_ID",
        "ORIGIN_ID",
        "UTM_SOURCE",
        "UTM_MEDIUM",
        "UTM_CAMPAIGN",
        "UTM_CONTENT",
        "UTM_TERM",
    }
)
READ_ONLY_FIELDS = frozenset(
    {
        "ID",
        "STATUS_SEMANTIC_ID",
        "HAS_PHONE",
        "HAS_EMAIL",
        "HAS_IMOL",
        "CREATED_BY_ID",
        "MODIFY_BY_ID",
        "MOVED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "MOVED_TIME",
        "IS_RETURN_CUSTOMER",
        "DATE_CLOSED",
        "LAST_ACTIVITY_TIME",
        "LAST_ACTIVITY_BY",
    }
)
COMMENT_FIELDS = frozenset({"ENTITY_ID", "ENTITY_TYPE", "COMMENT", "AUTHOR_ID", "FILES"})
ENTITY_TYPES = frozenset({"lead", "deal", "contact", "company"})
# Top-level parameters each method knows; anything else is ignored and recorded.
METHOD_PARAMS: dict[str, frozenset[str]] = {
    "crm.duplicate.findbycomm": frozenset({"type", "values", "entity_type"}),
    "crm.lead.add": frozenset({"fields", "params"}),
    "crm.lead.update": frozenset({"id", "fields", "params"}),
    "crm.timeline.comment.add": frozenset({"fields"}),
}
# Descriptions Bitrix gives with its system error codes (error-codes.md).
DESCRIPTIONS = {
    "QUERY_LIMIT_EXCEEDED": "Too many requests",
    "OVERLOAD_LIMIT": "REST API is blocked due to overload.",
    "OPERATION_TIME_LIMIT": "Method is blocked due to operation time limit.",
    "NO_AUTH_FOUND": "Wrong authorization data",
    "ACCESS_DENIED": "Access denied.",
    "INTERNAL_SERVER_ERROR": "Internal server error",
    "ERROR_METHOD_NOT_FOUND": "Method not found!",
}
_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class Call:
    """One request as the portal saw it, whatever the answer."""

    method: str  # without ".json"
    params: dict[str, Any]
    status: int
    error: str = ""  # the answer's error code ("" for a result, or for codeless errors)
    at: float = 0.0  # time.monotonic() on arrival


@dataclass
class _Fault:
    remaining: int
    status: int
    error: str
    description: str
    retry_after: float | None
    method: str | None  # None: any method


@dataclass(frozen=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class _Refusal(Exception):
    """Ends a method's handling with an error answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.reply = _Reply(status, {"error": error, "error_description": description})


class Bitrix24Receiver(LoopbackServer):
    """One portal with one inbound webhook (`user_id`, `code`) and an in-memory CRM."""

    def __init__(self, *, user_id: int = USER_ID, code: str = CODE) -> None:
        super().__init__()
        self.user_id = user_id
        self.code = code
        self.leads: dict[int, dict[str, Any]] = {}  # id → fields as `crm.lead.get` shows them
        self.comments: dict[int, list[dict[str, Any]]] = {}  # lead id → timeline comments
        self.calls: list[Call] = []  # every request, in arrival order
        self.unknown_fields: list[str] = []  # "crm.lead.add: fields.FOO", ignored like Bitrix
        self.limited = 0  # requests the leaky bucket refused
        self.peak_level = 0.0  # the bucket's highest level after a counted request
        self._lead_ids = itertools.count(1001)
        self._multifield_ids = itertools.count(1)
        self._comment_ids = itertools.count(501)
        self._down = False
        self._faults: list[_Fault] = []
        self._delay = 0.0
        self._bucket: tuple[float, int] | None = None  # drain per second, burst
        self._level = 0.0
        self._level_at = 0.0

    @property
    def url(self) -> str:
        """The inbound webhook base, as a portal shows it: `http://…/rest/<user>/<code>/`."""
        return self._url(f"/rest/{self.user_id}/{self.code}/")

    # ------------------------------------------------------------------ faults

    def set_down(self) -> None:
        """Every request gets 503 QUERY_LIMIT_EXCEEDED until `set_up`."""
        self._down = True

    def set_up(self) -> None:
        self._down = False

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        error_code: str = "QUERY_LIMIT_EXCEEDED",
        *,
        description: str | None = None,
        retry_after: float | None = None,
        method: str | None = None,
    ) -> None:
        """The next `n` requests (of `method`, if given) get this answer instead of a result.

        `status` may be 200: some portals report QUERY_LIMIT_EXCEEDED with HTTP 200.
        """
        if n > 0:
            text = DESCRIPTIONS.get(error_code, "") if description is None else description
            self._faults.append(_Fault(n, status, error_code, text, retry_after, method))

    def limit(self, drain_per_second: float, burst: int) -> None:
        """The portal's leaky bucket: each request adds 1, the level drains at
        `drain_per_second`, and a request that would take it above `burst` gets 503
        QUERY_LIMIT_EXCEEDED (and is not counted)."""
        self._bucket = (drain_per_second, burst)
        self._level = 0.0
        self._level_at = time.monotonic()

    def unlimit(self) -> None:
        self._bucket = None

    def set_delay(self, seconds: float) -> None:
        """Answer every request this much later (0 for at once)."""
        self._delay = seconds

    # ------------------------------------------------------------------ inspection

    def add_lead(self, fields: Mapping[str, Any]) -> int:
        """A lead that is already in the CRM (someone typed it in): its id. Not a call."""
        lead_id = next(self._lead_ids)
        self.leads[lead_id] = self._stored(lead_id, fields)
        return lead_id

    def methods(self) -> list[str]:
        """The methods called so far, in order."""
        return [call.method for call in self.calls]

    # ------------------------------------------------------------------ HTTP

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/rest/{user}/{code}/{method}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        started = time.time()
        arrived = time.monotonic()
        method = request.match_info["method"].removesuffix(".json")
        params = await _params(request)
        if self._delay > 0:
            await self._closed_while_waiting(self._delay)  # on `stop`, answer at once
        reply = self._answer(request.match_info["user"], request.match_info["code"], method, params)
        error = str(reply.body.get("error", ""))
        self.calls.append(Call(method, params, reply.status, error, arrived))
        body = reply.body if "error" in reply.body else {**reply.body, "time": _time(started)}
        return web.json_response(body, status=reply.status, headers=reply.headers)

    def _answer(self, user: str, code: str, method: str, params: dict[str, Any]) -> _Reply:
        if self._down:
            return _error(503, "QUERY_LIMIT_EXCEEDED")
        if user != str(self.user_id) or code != self.code:
            return _error(401, "NO_AUTH_FOUND")
        if not self._take_from_bucket():
            return _error(503, "QUERY_LIMIT_EXCEEDED")
        fault = self._next_fault(method)
        if fault is not None:
            return fault
        handler = {
            "crm.duplicate.findbycomm": self._find_by_comm,
            "crm.lead.add": self._lead_add,
            "crm.lead.update": self._lead_update,
            "crm.timeline.comment.add": self._comment_add,
        }.get(method)
        if handler is None:
            return _error(404, "ERROR_METHOD_NOT_FOUND")
        self._note_unknown(method, "", params, METHOD_PARAMS[method])
        try:
            return _Reply(200, {"result": handler(params)})
        except _Refusal as refusal:
            return refusal.reply

    def _take_from_bucket(self) -> bool:
        if self._bucket is None:
            return True
        drain, burst = self._bucket
        now = time.monotonic()
        self._level = max(0.0, self._level - (now - self._level_at) * drain)
        self._level_at = now
        if self._level + 1 > burst:
            self.limited += 1
            return False
        self._level += 1
        self.peak_level = max(self.peak_level, self._level)
        return True

    def _next_fault(self, method: str) -> _Reply | None:
        for fault in self._faults:
            if fault.method is None or fault.method == method:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                body = {"error": fault.error, "error_description": fault.description}
                return _Reply(fault.status, body, headers)
        return None

    # ------------------------------------------------------------------ methods

    def _find_by_comm(self, params: dict[str, Any]) -> Any:
        kind = params.get("type")
        if not kind:
            raise _Refusal(
                400, "Communication type is not defined", "Parameter 'type' is required."
            )
        if kind not in ("PHONE", "EMAIL"):
            raise _Refusal(
                400, f"Communication type '{kind}' is not supported in current context", ""
            )
        values = params.get("values")
        if not isinstance(values, list) or not values:
            raise _Refusal(400, "Communication values is not defined", "")
        if len(values) > 20:  # documented maximum; what Bitrix answers above it is not
            raise _Refusal(400, "", "Too many values (20 at most).")
        entity_type = params.get("entity_type")
        if entity_type not in (None, "LEAD", "CONTACT", "COMPANY"):
            raise _Refusal(400, "", f"Entity type '{entity_type}' is not supported.")
        if entity_type not in (None, "LEAD"):
            return []  # this portal keeps leads only
        wanted = {_comm_key(kind, str(value)) for value in values}
        found = [
            lead_id
            for lead_id, fields in self.leads.items()
            if any(_comm_key(kind, entry["VALUE"]) in wanted for entry in fields.get(kind, []))
        ]
        # PHP's empty array is `[]`, not `{}`: types with no match are absent.
        return {"LEAD": sorted(found)} if found else []

    def _lead_add(self, params: dict[str, Any]) -> Any:
        fields = self._fields("crm.lead.add", params)
        self._check_params("crm.lead.add", params)
        return self.add_lead(fields)

    def _lead_update(self, params: dict[str, Any]) -> Any:
        lead_id = _positive_int(params.get("id"))
        if lead_id is None:
            raise _Refusal(400, "", "ID is not defined or invalid.")
        fields = self._fields("crm.lead.update", params)
        self._check_params("crm.lead.update", params)
        lead = self.leads.get(lead_id)
        if lead is None:
            raise _Refusal(400, "", "Not found")
        for key, value in fields.items():
            if key in MULTIFIELD_TYPES:
                self._update_multifield(lead, key, value)
            else:
                lead[key] = value
        return True

    def _comment_add(self, params: dict[str, Any]) -> Any:
        # Since crm 23.100.0 only the lowercase key `fields` is read.
        fields = params.get("fields")
        if not isinstance(fields, dict):
            raise _Refusal(400, "100", "Required fields are not provided: fields")
        self._note_unknown("crm.timeline.comment.add", "fields.", fields, COMMENT_FIELDS)
        missing = [key for key in ("ENTITY_ID", "ENTITY_TYPE", "COMMENT") if key not in fields]
        if missing:
            raise _Refusal(400, "100", f"Required fields are not provided: {', '.join(missing)}")
        text = fields["COMMENT"]
        if not isinstance(text, str) or not text.strip():
            raise _Refusal(400, "INVALID_ARG_VALUE", "Empty comment.")
        entity_type = fields["ENTITY_TYPE"]
        if not isinstance(entity_type, str) or entity_type.lower() not in ENTITY_TYPES:
            raise _Refusal(400, "OWNER_NOT_FOUND", "Owner of the element not found.")
        entity_id = _positive_int(fields["ENTITY_ID"])
        if entity_type.lower() != "lead" or entity_id is None or entity_id not in self.leads:
            raise _Refusal(400, "NOT_FOUND", "Not found.")
        comment_id = next(self._comment_ids)
        stored = {"ID": comment_id, "ENTITY_TYPE": entity_type, "COMMENT": text}
        self.comments.setdefault(entity_id, []).append(stored)
        return comment_id

    # ------------------------------------------------------------------ helpers

    def _fields(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The `fields` Bitrix would use: known ones checked, the rest recorded and dropped."""
        fields = params.get("fields")
        if not isinstance(fields, dict):
            raise _Refusal(400, "", "Parameter 'fields' is not defined or not an object.")
        kept: dict[str, Any] = {}
        for key, value in fields.items():
            if key in MULTIFIELD_TYPES:
                _check_multifield(key, value, update=method == "crm.lead.update")
                kept[key] = value
            elif key in LEAD_FIELDS:
                if isinstance(value, dict) or (isinstance(value, list) and key != "CONTACT_IDS"):
                    raise _Refusal(400, "", f"Field '{key}' must be a single value.")
                kept[key] = value
            else:
                why = " (read-only)" if key in READ_ONLY_FIELDS else ""
                self.unknown_fields.append(f"{method}: fields.{key}{why}")
        return kept

    def _check_params(self, method: str, params: dict[str, Any]) -> None:
        options = params.get("params")
        if options is None:
            return
        if not isinstance(options, dict):
            raise _Refusal(400, "", "Parameter 'params' must be an object.")
        self._note_unknown(method, "params.", options, frozenset({"REGISTER_SONET_EVENT"}))
        if options.get("REGISTER_SONET_EVENT", "Y") not in ("Y", "N"):
            raise _Refusal(400, "", "REGISTER_SONET_EVENT must be Y or N.")

    def _note_unknown(
        self, method: str, prefix: str, given: Mapping[str, Any], known: frozenset[str]
    ) -> None:
        self.unknown_fields.extend(f"{method}: {prefix}{key}" for key in given if key not in known)

    def _stored(self, lead_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        stored: dict[str, Any] = {"ID": lead_id}
        for key, value in fields.items():
            if key in MULTIFIELD_TYPES:
                stored[key] = [self._entry(key, entry) for entry in value]
            else:
                stored[key] = value
        return stored

    def _entry(self, kind: str, entry: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "ID": str(next(self._multifield_ids)),
            "TYPE_ID": kind,
            "VALUE": entry["VALUE"],
            "VALUE_TYPE": entry["VALUE_TYPE"],
        }

    def _update_multifield(self, lead: dict[str, Any], kind: str, entries: list[Any]) -> None:
        current: list[dict[str, Any]] = lead.setdefault(kind, [])
        for entry in entries:
            if "ID" not in entry:
                current.append(self._entry(kind, entry))  # no ID: a new value, not a change
                continue
            old = next((item for item in current if item["ID"] == str(entry["ID"])), None)
            if old is None:
                continue
            if entry.get("DELETE") == "Y" or not entry.get("VALUE"):
                current.remove(old)
            else:
                old.update({key: entry[key] for key in ("VALUE", "VALUE_TYPE") if key in entry})


async def _params(request: web.Request) -> dict[str, Any]:
    """JSON body parameters; a GET's or a form's flat keys (no bracket notation) otherwise."""
    if request.content_type == "application/json":
        try:
            params = json.loads(await request.text() or "{}")
        except ValueError:
            return {}
        return params if isinstance(params, dict) else {}
    params = dict(request.query)
    if request.method == "POST":
        params.update({key: str(value) for key, value in (await request.post()).items()})
    return params


def _check_multifield(kind: str, value: Any, *, update: bool) -> None:
    allowed = {"VALUE", "VALUE_TYPE", *(("ID", "DELETE") if update else ())}
    if not isinstance(value, list):
        raise _Refusal(400, "", f"Field '{kind}' must be a list of {{VALUE, VALUE_TYPE}}.")
    for entry in value:
        if not isinstance(entry, dict) or not set(entry) <= allowed:
            raise _Refusal(400, "", f"Field '{kind}' must be a list of {{VALUE, VALUE_TYPE}}.")
        if "ID" in entry:
            continue  # a change or a removal of a stored value
        if not isinstance(entry.get("VALUE"), str) or not entry["VALUE"].strip():
            raise _Refusal(400, "", f"Field '{kind}' has an empty VALUE.")
        if entry.get("VALUE_TYPE") not in MULTIFIELD_TYPES[kind]:
            raise _Refusal(400, "", f"Field '{kind}' has an unknown VALUE_TYPE.")


def _comm_key(kind: str, value: str) -> str:
    # findbycomm ignores formatting (and extensions, which this stand-in does not model).
    return _DIGITS.sub("", value) if kind == "PHONE" else value.strip().lower()


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def _error(status: int, code: str) -> _Reply:
    return _Reply(status, {"error": code, "error_description": DESCRIPTIONS.get(code, "")})


def _time(started: float) -> dict[str, Any]:
    finished = time.time()
    return {
        "start": started,
        "finish": finished,
        "duration": finished - started,
        "processing": finished - started,
        "date_start": datetime.fromtimestamp(started).astimezone().isoformat(timespec="seconds"),
        "date_finish": datetime.fromtimestamp(finished).astimezone().isoformat(timespec="seconds"),
        "operating_reset_at": int(started) + 600,
        "operating": 0,
    }

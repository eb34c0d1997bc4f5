"""The `amocrm` sales-desk format: leads, contacts and notes through amoCRM / Kommo API v4.

A lead the CRM has not seen yet is created in one `POST /api/v4/leads/complex` together
with its contact (an existing contact found by phone is linked instead, so the desk does
not get a duplicate person), and the answers follow as a note. Once the CRM's lead id is
known, every later event is a note on that lead, and a status change the account has a
status for moves the lead in its pipeline.

The rules come from amoCRM's API (see the team's notes, "crm-apis.md" §3): a long-lived
token as a Bearer header, at most 7 requests a second per account (a 429, and later a
blocked IP, beyond that), bare JSON arrays in and out of the complex add, 204 with an
empty body for a search that found nothing, problem-JSON errors with `validation-errors`.

One `deliver` call is one attempt; the outbox owns retries. Steps are ordered so that a
retry after a partial failure does no harm: the learnt lead id is always handed back, and
the idempotent status PATCH goes before the note that a retry would repeat.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from bot.integrations.sales_desk.base import (
    OutboundEvent,
    Outcome,
    Result,
    SalesDeskTarget,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

_API = "/api/v4"
_NAME_LIMIT = 120  # of the person's part of a lead or contact name; amoCRM caps names at 255
# Requests are spaced 1/rate apart plus this much, so that network jitter (a first request
# that also opens the connection, say) never lets amoCRM count one request too many in
# its one-second window.
_JITTER_SLACK = 0.01
_UNAVAILABLE_STATUSES = frozenset({408, 429})


class RateLimiter:
    """Spaces calls evenly: at most `rate_per_second`, shared by every task of one client."""

    def __init__(self, rate_per_second: float) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._interval = 1.0 / rate_per_second + _JITTER_SLACK
        self._next_slot = 0.0

    async def wait(self) -> None:
        # No await between reading and moving the slot: concurrent callers queue up in order.
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


class _Failure(Exception):
    """A request that did not succeed, already turned into the attempt's result."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.error)
        self.result = result


class AmoCrmClient:
    """Pushes lead events to one amoCRM account through an `httpx.AsyncClient` the caller owns."""

    def __init__(
        self,
        target: SalesDeskTarget,
        http: httpx.AsyncClient,
        *,
        rate_per_second: float = 7.0,
    ) -> None:
        self._target = target
        self._base = target.url.rstrip("/") + _API
        self._http = http
        self._limiter = RateLimiter(rate_per_second)
        self._headers = {
            "Authorization": f"Bearer {target.secret}",
            "Accept": "application/json",
        }

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the caller."""

    async def deliver(self, event: OutboundEvent) -> Result:
        data = event.data
        if event.crm_id is not None:
            return await self._update(event, event.crm_id)
        phone = data.get("phone")
        if not isinstance(phone, str) or not phone:
            # Not in the CRM and nothing to reach the person by: the desk has no use for it.
            logger.debug(
                "amoCRM: %s for lead %s skipped (not in the CRM)", event.type, event.lead_id
            )
            return Result(Outcome.DELIVERED, extra={"skipped": True})
        return await self._create(event, phone)

    # ------------------------------------------------------------------ the two paths

    async def _create(self, event: OutboundEvent, phone: str) -> Result:
        try:
            contact_id = await self._find_contact(phone)
            response = await self._send(
                "POST", "/leads/complex", [self._new_lead(event, phone, contact_id)]
            )
        except _Failure as failure:
            return failure.result
        created = _created_lead(response)
        if created is None:
            return Result(
                Outcome.REFUSED, response.status_code, "the complex add answered without a lead id"
            )
        crm_id = str(created["id"])
        logger.info("amoCRM: lead %s created as %s", event.lead_id, crm_id)
        extra = {"contact_id": created.get("contact_id"), "merged": bool(created.get("merged"))}
        try:
            last = await self._add_notes(int(crm_id), [event.summary, event.details]) or response
        except _Failure as failure:
            # The lead exists now: the outbox must learn its id or a retry would add it again.
            return _with_crm_id(failure.result, crm_id)
        return Result(Outcome.DELIVERED, last.status_code, crm_id=crm_id, extra=extra)

    async def _update(self, event: OutboundEvent, crm_id: str) -> Result:
        if not crm_id.isdigit():
            return Result(Outcome.REFUSED, error="crm_id is not an amoCRM lead id")
        lead_id = int(crm_id)
        texts = [event.summary]
        if event.type == "lead.qualified":
            texts.append(event.details)  # re-qualified: the new answers
        last: httpx.Response | None = None
        try:
            status_id = self._new_status(event)
            if status_id is not None:
                # Idempotent, so it goes first: a retry after a failed note repeats no harm.
                body = [{"id": lead_id, "status_id": status_id}]
                last = await self._send("PATCH", "/leads", body)
            last = await self._add_notes(lead_id, texts) or last
        except _Failure as failure:
            return failure.result
        if last is None:
            return Result(Outcome.DELIVERED, extra={"skipped": True})
        return Result(Outcome.DELIVERED, last.status_code)

    # ------------------------------------------------------------------ requests

    async def _find_contact(self, phone: str) -> int | None:
        """The first contact amoCRM's search finds by the phone's digits, if any."""
        digits = re.sub(r"\D", "", phone) or phone
        response = await self._send("GET", "/contacts", None, params={"query": digits})
        if response.status_code == httpx.codes.NO_CONTENT:
            return None
        body = _json(response)
        embedded = body.get("_embedded") if isinstance(body, dict) else None
        contacts = embedded.get("contacts") if isinstance(embedded, dict) else None
        if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
            found = contacts[0].get("id")
            if isinstance(found, int) and not isinstance(found, bool):
                return found
        return None

    async def _add_notes(self, lead_id: int, texts: Sequence[str]) -> httpx.Response | None:
        """One request for all the non-empty texts, as common notes; None if there are none."""
        notes = [{"note_type": "common", "params": {"text": text}} for text in texts if text]
        if not notes:
            return None
        return await self._send("POST", f"/leads/{lead_id}/notes", notes)

    async def _send(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A 2xx response, or `_Failure` with the result the attempt ends with."""
        await self._limiter.wait()
        try:
            response = await self._http.request(
                method, self._base + path, headers=self._headers, json=body, params=params
            )
        except httpx.TimeoutException as exc:
            logger.warning("amoCRM: %s %s timed out (%s)", method, path, type(exc).__name__)
            raise _Failure(
                Result(Outcome.UNAVAILABLE, error=f"timeout ({type(exc).__name__})")
            ) from exc
        except httpx.TransportError as exc:
            logger.warning("amoCRM: %s %s failed (%s)", method, path, type(exc).__name__)
            raise _Failure(
                Result(Outcome.UNAVAILABLE, error=f"network ({type(exc).__name__})")
            ) from exc
        except (httpx.InvalidURL, httpx.HTTPError) as exc:
            logger.warning("amoCRM: %s %s not sent (%s)", method, path, type(exc).__name__)
            raise _Failure(
                Result(Outcome.REFUSED, error=f"cannot send ({type(exc).__name__})")
            ) from exc
        if response.is_success:
            return response
        result = _failure_result(response)
        logger.warning("amoCRM: %s %s answered %s: %s", method, path, result.status, result.error)
        raise _Failure(result)

    # ------------------------------------------------------------------ bodies

    def _new_lead(self, event: OutboundEvent, phone: str, contact_id: int | None) -> dict[str, Any]:
        data = event.data
        label = _person_label(data)
        name = f"{label} — leadsieve #{event.lead_id}" if label else f"leadsieve #{event.lead_id}"
        lead: dict[str, Any] = {"name": name, "request_id": event.webhook_id}
        verdict = data.get("verdict")
        status_id = self._status_id(verdict) if isinstance(verdict, str) else None
        if status_id is not None:
            lead["status_id"] = status_id
        source = data.get("source")
        if isinstance(source, str) and source:
            lead["custom_fields_values"] = [
                {"field_code": "UTM_SOURCE", "values": [{"value": source}]}
            ]
        tags = [{"name": tag} for tag in (verdict, source) if isinstance(tag, str) and tag]
        contact: dict[str, Any]
        if contact_id is not None:
            contact = {"id": contact_id}
        else:
            contact = {
                "name": label or phone,
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": phone, "enum_code": "MOB"}]}
                ],
            }
        embedded: dict[str, Any] = {"contacts": [contact]}
        if tags:
            embedded["tags"] = tags
        lead["_embedded"] = embedded
        return lead

    def _new_status(self, event: OutboundEvent) -> int | None:
        """The status an event moves the lead to (a status change, a viewing attended…),
        when the account maps it; a new lead's status comes from its verdict instead."""
        if event.type == "lead.qualified":
            return None
        change = event.data.get("change")
        to = change.get("to") if isinstance(change, Mapping) else None
        return self._status_id(to) if isinstance(to, str) else None

    def _status_id(self, key: str) -> int | None:
        value = self._target.status_map.get(key)
        if value is None:
            return None
        if not str(value).strip().isdigit():
            logger.warning("amoCRM: the status for %r is not a numeric status_id; left out", key)
            return None
        return int(value)


# ---------------------------------------------------------------------- answers


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # also JSONDecodeError and undecodable text
        return None


def _created_lead(response: httpx.Response) -> dict[str, Any] | None:
    """The first item of the complex add's bare-array answer, if it carries an int id."""
    body = _json(response)
    if not isinstance(body, list) or not body or not isinstance(body[0], dict):
        return None
    first: dict[str, Any] = body[0]
    lead_id = first.get("id")
    if not isinstance(lead_id, int) or isinstance(lead_id, bool):
        return None
    return first


def _failure_result(response: httpx.Response) -> Result:
    status = response.status_code
    body = _json(response)
    if status in _UNAVAILABLE_STATUSES or status >= 500:
        return Result(
            Outcome.UNAVAILABLE, status, _describe(status, body), _retry_after(response, body)
        )
    if status == httpx.codes.GONE:
        return Result(Outcome.DISABLED, status, _describe(status, body))
    return Result(Outcome.REFUSED, status, _describe(status, body))


def _describe(status: int, body: Any) -> str:
    """A short error without personal data: the first validation error's path and code,
    else the problem's title. Details are left out, as they may quote what was sent."""
    if isinstance(body, dict):
        problem = _first_validation_error(body)
        if problem:
            return f"HTTP {status}: {problem}"
        title = body.get("title")
        if isinstance(title, str) and title:
            return f"HTTP {status}: {title[:100]}"
    meaning = {401: "invalid token", 402: "payment required", 403: "forbidden (IP blocked?)"}
    return f"HTTP {status}: {meaning[status]}" if status in meaning else f"HTTP {status}"


def _first_validation_error(body: Mapping[str, Any]) -> str:
    groups = body.get("validation-errors")
    if not isinstance(groups, list):
        return ""
    for group in groups:
        errors = group.get("errors") if isinstance(group, dict) else None
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, dict):
                path, code = error.get("path", "?"), error.get("code", "?")
                return f"{str(path)[:100]}: {str(code)[:50]}"
    return ""


def _retry_after(response: httpx.Response, body: Any) -> float | None:
    """Seconds to wait: the body's `retry_after` (amoCRM's 429), else a Retry-After header."""
    if isinstance(body, dict):
        value = body.get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return retry_after_seconds(response.headers.get("Retry-After"), time.time())


def _with_crm_id(result: Result, crm_id: str) -> Result:
    return Result(
        result.outcome, result.status, result.error, result.retry_after, crm_id, result.extra
    )


def _person_label(data: Mapping[str, Any]) -> str | None:
    """How the desk sees the person: the name they gave, else their Telegram @username."""
    name = data.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:_NAME_LIMIT]
    telegram = data.get("telegram")
    username = telegram.get("username") if isinstance(telegram, Mapping) else None
    if isinstance(username, str) and username:
        return f"@{username}"[:_NAME_LIMIT]
    return None

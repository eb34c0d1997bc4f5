"""The `bitrix24` sales-desk format: leads and their history through a portal's inbound webhook.

Bitrix24 has no "receive an event" endpoint, so one event becomes a few REST calls
(`<base>/<method>.json`, a JSON body): the first event that carries a phone finds the lead
by that phone (`crm.duplicate.findbycomm`) or adds it, and every event leaves a timeline
comment on the lead, so the CRM shows what happened in the bot and when. The webhook code
in the URL is the secret: it never appears in a result or a log line, and neither do the
client's phone or name.

Facts about the API (field names, multifield types, error codes, the 2 requests per second
leaky bucket) are in /work/shared/notes/crm-apis.md, section 2.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, NamedTuple

import httpx

from bot.integrations.sales_desk.base import (
    OutboundEvent,
    Outcome,
    Result,
    SalesDeskTarget,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

ORIGINATOR_ID = "leadsieve"  # Bitrix's "identifier of the data source"
SOURCE_ID = "WEB"  # one of the default SOURCE_ID values every portal has

# Throttling answers: the portal is busy, not this event's fault. The notes report
# QUERY_LIMIT_EXCEEDED with HTTP 200 too, so the body decides, not only the status.
_BUSY_CODES = frozenset({"QUERY_LIMIT_EXCEEDED", "OVERLOAD_LIMIT", "OPERATION_TIME_LIMIT"})
# The bucket drains 2 requests per second on standard plans: one second frees a slot.
_DEFAULT_RETRY_AFTER = {"QUERY_LIMIT_EXCEEDED": 1.0}
_TITLE_LIMIT = 255  # TITLE is a short string column
_CODE_LIMIT = 64  # how much of the CRM's error code a result repeats


class _CallFailed(Exception):
    """One REST call went wrong; `result` says how, in the outbox's terms."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.error)
        self.result = result


class _Answer(NamedTuple):
    status: int
    result: Any  # the answer's "result": an id, true, a dict or a list, per method


class _Pacer:
    """Spaces requests at least 1/rate apart, across every task using the client.

    A leaky bucket one request deep: it never bursts past the portal's own bucket, which
    drains at the same rate but holds up to 50 (standard plan). The gap is measured from
    the previous request's actual start, so a stalled event loop cannot release a backlog
    of requests at once.
    """

    def __init__(self, rate_per_second: float) -> None:
        if not rate_per_second > 0:
            raise ValueError("rate_per_second must be positive")
        self._interval = 1.0 / rate_per_second
        self._last = -math.inf
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            delay = self._last + self._interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last = time.monotonic()


class Bitrix24Client:
    """Delivers outbox events to one Bitrix24 portal through an `httpx.AsyncClient` the
    caller owns (timeouts, close)."""

    def __init__(
        self,
        target: SalesDeskTarget,
        http: httpx.AsyncClient,
        *,
        rate_per_second: float = 2.0,
    ) -> None:
        self._base = target.url.rstrip("/") + "/"
        self._status_map = target.status_map
        self._http = http
        self._pacer = _Pacer(rate_per_second)

    async def deliver(self, event: OutboundEvent) -> Result:
        crm_id = event.crm_id
        try:
            if crm_id is None:
                phone = _phone(event)
                if phone is None or event.type == "lead.erased":
                    return _skipped(event)
                lead, matched = await self._find_or_add(event, phone)
                crm_id = str(lead)
            else:
                lead, matched = _lead_number(crm_id), False
                await self._update_known(event, lead)
            status = await self._comment(event, lead, with_answers=matched)
        except _CallFailed as failed:
            logger.info(
                "Bitrix24: event %s of lead %s not delivered: %s",
                event.webhook_id,
                event.lead_id,
                failed.result.error,
            )
            # A lead added before the failure is in the CRM now: the outbox keeps its id,
            # so the retry comments on it instead of adding a second one.
            return replace(failed.result, crm_id=crm_id)
        return Result(Outcome.DELIVERED, status=status, crm_id=crm_id)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the caller."""

    async def _find_or_add(self, event: OutboundEvent, phone: str) -> tuple[int, bool]:
        """The lead with this phone (True), linked to ours, or a lead added now (False)."""
        fields = _lead_fields(event, self._status_map)
        found = await self._call(
            "crm.duplicate.findbycomm",
            {"type": "PHONE", "values": [phone], "entity_type": "LEAD"},
        )
        existing = _found_leads(found.result)
        if existing:
            lead = max(existing)  # the newest, when the phone was entered more than once
            # A lead someone already works on keeps its title, comments and stage: it only
            # learns where it came from; the answers go to its timeline.
            await self._update(lead, _linking(fields))
            logger.info("Bitrix24: lead %s matched CRM lead %s by phone", event.lead_id, lead)
            return lead, True
        added = await self._call(
            "crm.lead.add", {"fields": fields, "params": {"REGISTER_SONET_EVENT": "Y"}}
        )
        if not _is_id(added.result):
            raise _CallFailed(_refused("crm.lead.add", added.status, "no lead id in the answer"))
        lead = int(added.result)
        logger.info("Bitrix24: lead %s added as CRM lead %s", event.lead_id, lead)
        return lead, False

    async def _update_known(self, event: OutboundEvent, lead: int) -> None:
        if event.type == "lead.qualified":  # qualified again: the answers or verdict changed
            await self._update(lead, _without_multifields(_lead_fields(event, self._status_map)))
        else:
            status = _changed_status(event, self._status_map)
            if status is not None:
                await self._update(lead, {"STATUS_ID": status})

    async def _update(self, lead: int, fields: Mapping[str, Any]) -> None:
        updated = await self._call("crm.lead.update", {"id": lead, "fields": dict(fields)})
        if updated.result is not True:
            raise _CallFailed(_refused("crm.lead.update", updated.status, "lead not updated"))

    async def _comment(self, event: OutboundEvent, lead: int, *, with_answers: bool) -> int:
        """Adds the event's summary to the lead's timeline; the HTTP status of the answer."""
        text = event.summary.strip() or event.type  # Bitrix refuses an empty comment
        if with_answers and event.details.strip():
            text = f"{text}\n\n{event.details.strip()}"
        added = await self._call(
            "crm.timeline.comment.add",
            {"fields": {"ENTITY_ID": lead, "ENTITY_TYPE": "lead", "COMMENT": text}},
        )
        return added.status

    async def _call(self, method: str, params: Mapping[str, Any]) -> _Answer:
        """The method's answer, or _CallFailed with the outcome for the outbox."""
        await self._pacer.wait()
        try:
            response = await self._http.post(f"{self._base}{method}.json", json=params)
        except httpx.TimeoutException as exc:
            why = f"timed out ({type(exc).__name__})"
            raise _CallFailed(_unavailable(method, None, why)) from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            # Only the type: the message of a URL error could quote the webhook code.
            raise _CallFailed(_unavailable(method, None, type(exc).__name__)) from exc
        except httpx.HTTPError as exc:  # e.g. an undecodable body
            raise _CallFailed(_refused(method, None, type(exc).__name__)) from exc
        body = _json_object(response)
        code = _error_code(body)
        logger.debug("Bitrix24: %s answered HTTP %s %s", method, response.status_code, code)
        _raise_for_answer(method, response, body, code)
        return _Answer(response.status_code, body["result"])


def _skipped(event: OutboundEvent) -> Result:
    # Not in the CRM and nothing to find it by: nothing to attach the event to. An erased
    # lead is never pushed, whatever its data says.
    logger.debug(
        "Bitrix24: event %s of lead %s skipped (not in the CRM)", event.webhook_id, event.lead_id
    )
    return Result(Outcome.DELIVERED, extra={"skipped": True})


def _raise_for_answer(
    method: str, response: httpx.Response, body: Mapping[str, Any], code: str
) -> None:
    status = response.status_code
    if status == httpx.codes.GONE:
        raise _CallFailed(
            Result(Outcome.DISABLED, status=status, error=f"{method}: gone (HTTP 410)")
        )
    if code in _BUSY_CODES or _is_busy_status(status):
        retry_after = retry_after_seconds(response.headers.get("Retry-After"), time.time())
        if retry_after is None:
            retry_after = _DEFAULT_RETRY_AFTER.get(code)
        raise _CallFailed(_unavailable(method, status, code or "busy", retry_after))
    if response.is_redirect:  # e.g. http:// for https://, or a portal that moved
        raise _CallFailed(_refused(method, status, "redirected"))
    if not response.is_success:
        raise _CallFailed(_refused(method, status, code or _description(body) or "refused"))
    if code:
        raise _CallFailed(_refused(method, status, code))
    if "result" not in body:
        raise _CallFailed(_refused(method, status, "not a Bitrix24 answer"))


def _is_busy_status(status: int) -> bool:
    return status >= 500 or status in (httpx.codes.REQUEST_TIMEOUT, httpx.codes.TOO_MANY_REQUESTS)


def _unavailable(
    method: str, status: int | None, why: str, retry_after: float | None = None
) -> Result:
    return Result(
        Outcome.UNAVAILABLE,
        status=status,
        error=_error(method, status, why),
        retry_after=retry_after,
    )


def _refused(method: str, status: int | None, why: str) -> Result:
    return Result(Outcome.REFUSED, status=status, error=_error(method, status, why))


def _error(method: str, status: int | None, why: str) -> str:
    return f"{method}: {why}" if status is None else f"{method}: {why} (HTTP {status})"


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or {} when it is not one (an HTML error page, a proxy)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_code(body: Mapping[str, Any]) -> str:
    code = body.get("error")
    if code is None or code == "":
        return ""
    return str(code)[:_CODE_LIMIT]


def _description(body: Mapping[str, Any]) -> str:
    # Some methods answer with an empty code and the reason in the description
    # ("Not found", "Access denied."); those texts name no client data.
    description = body.get("error_description")
    return str(description)[:_CODE_LIMIT] if description else ""


def _found_leads(found: Any) -> list[int]:
    """Lead ids from findbycomm: `{"LEAD": [ids], ...}`, or `[]` (PHP's empty array)."""
    if not isinstance(found, Mapping):
        return []
    ids = found.get("LEAD")
    if not isinstance(ids, list):
        return []
    return [int(lead) for lead in ids if _is_id(lead)]


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isdigit() and int(value) > 0


def _lead_number(crm_id: str) -> int:
    if not _is_id(crm_id.strip()):
        raise _CallFailed(
            Result(Outcome.REFUSED, error="the stored crm_id is not a Bitrix24 lead id")
        )
    return int(crm_id.strip())


def _phone(event: OutboundEvent) -> str | None:
    phone = event.data.get("phone")
    return (phone.strip() or None) if isinstance(phone, str) else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _lead_fields(event: OutboundEvent, status_map: Mapping[str, str]) -> dict[str, Any]:
    """The lead as Bitrix stores it: UPPERCASE field names, contacts as multifields."""
    data = event.data
    name = _text(data.get("name"))
    title = f"{name} — leadsieve #{event.lead_id}" if name else f"leadsieve #{event.lead_id}"
    fields: dict[str, Any] = {
        "TITLE": title[:_TITLE_LIMIT],
        "SOURCE_ID": SOURCE_ID,
        "ORIGINATOR_ID": ORIGINATOR_ID,
        "ORIGIN_ID": str(event.lead_id),
    }
    if name:
        fields["NAME"] = name
    phone = _phone(event)
    if phone:
        fields["PHONE"] = [{"VALUE": phone, "VALUE_TYPE": "MOBILE"}]
    telegram = _telegram(data.get("telegram"))
    if telegram:
        fields["IM"] = [{"VALUE": telegram, "VALUE_TYPE": "TELEGRAM"}]
    source = _text(data.get("source"))
    if source:
        fields["SOURCE_DESCRIPTION"] = source
        fields["UTM_SOURCE"] = source
    comments = event.details.strip() or _answers_text(data.get("answers"))
    if comments:
        fields["COMMENTS"] = comments
    status = _status_id(event, status_map)
    if status is not None:
        fields["STATUS_ID"] = status
    return fields


def _linking(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What a lead found by phone learns from us: our id for it and the lead source."""
    kept = ("ORIGINATOR_ID", "ORIGIN_ID", "SOURCE_DESCRIPTION", "UTM_SOURCE")
    return {key: fields[key] for key in kept if key in fields}


def _without_multifields(fields: Mapping[str, Any]) -> dict[str, Any]:
    # On update Bitrix appends every multifield entry that has no ID, so sending PHONE and
    # IM again would list the same phone twice; the lead already has them (it was found by
    # that phone, or added by us).
    return {key: value for key, value in fields.items() if key not in ("PHONE", "IM")}


def _telegram(value: Any) -> str:
    """ "@username", or the numeric user id for users without one."""
    if not isinstance(value, Mapping):
        return ""
    username = _text(value.get("username")).lstrip("@")
    if username:
        return f"@{username}"
    user_id = value.get("user_id")
    return str(user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else ""


def _answers_text(answers: Any) -> str:
    """ "label: answer" lines, for events that come without `details`."""
    if not isinstance(answers, list):
        return ""
    lines = []
    for answer in answers:
        if not isinstance(answer, Mapping):
            continue
        label = _text(answer.get("label")) or _text(answer.get("question_id"))
        text = _text(answer.get("text")) or str(answer.get("value") or "")
        if label or text:
            lines.append(f"{label}: {text}")
    return "\n".join(lines)


def _status_id(event: OutboundEvent, status_map: Mapping[str, str]) -> str | None:
    """The CRM status for the lead: a mapped status change, else the mapped verdict."""
    changed = _changed_status(event, status_map)
    if changed is not None:
        return changed
    verdict = event.data.get("verdict")
    return (status_map.get(verdict) or None) if isinstance(verdict, str) else None


def _changed_status(event: OutboundEvent, status_map: Mapping[str, str]) -> str | None:
    """The mapped `change.to` of an event that moved the lead (a status change, a viewing
    attended…); None for a qualification (its verdict is mapped) or an unmapped status."""
    change = event.data.get("change")
    if event.type == "lead.qualified" or not isinstance(change, Mapping):
        return None
    return status_map.get(str(change.get("to"))) or None

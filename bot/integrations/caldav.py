"""A small CalDAV client (RFC 4791): check a calendar, put and delete viewings, read busy time.

Basic auth only, one calendar collection per account. Every failure comes out as a
`CalDavError` whose `kind` says what to tell the manager; the password never appears in
an error or a log line.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from icalendar import Calendar, Event

logger = logging.getLogger(__name__)

_DAV = "DAV:"
_CALDAV = "urn:ietf:params:xml:ns:caldav"
_XML = {"Content-Type": "application/xml; charset=utf-8"}
_UTC_FORMAT = "%Y%m%dT%H%M%SZ"

_PROPFIND = b"""<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:displayname/></D:prop></D:propfind>
"""

_BUSY_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop>
    <C:calendar-data><C:expand start="{start}" end="{end}"/></C:calendar-data>
  </D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>
"""


@dataclass(frozen=True)
class CalDavAccount:
    url: str  # the calendar collection; a missing trailing "/" is added on use
    username: str
    password: str = field(repr=False)


class CalDavErrorKind(StrEnum):
    AUTH = "auth"  # 401/403: wrong login or password, or no access to this calendar
    NOT_FOUND = "not_found"  # 404: no such collection
    NOT_A_CALENDAR = "not_a_calendar"  # it exists, but is not a calendar collection
    UNREACHABLE = "unreachable"  # DNS, refused connection, TLS, timeout, a malformed URL
    REFUSED = "refused"  # any other non-2xx answer, or an answer we cannot use


class CalDavError(Exception):
    """`status` is the HTTP status when the server answered; `detail` is safe to log."""

    def __init__(self, kind: CalDavErrorKind, status: int | None, detail: str) -> None:
        prefix = kind.value if status is None else f"{kind.value} (HTTP {status})"
        super().__init__(f"{prefix}: {detail}")
        self.kind = kind
        self.status = status
        self.detail = detail


class CalDavClient:
    """Talks to CalDAV servers through an `httpx.AsyncClient` the caller owns (timeouts, close)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def check(self, account: CalDavAccount) -> str:
        """The calendar's display name ("" if it has none), once the URL and login are proven."""
        response = await self._send(
            account, "PROPFIND", _collection(account), {**_XML, "Depth": "0"}, _PROPFIND
        )
        if response.status_code == httpx.codes.METHOD_NOT_ALLOWED:
            # A plain web page refuses PROPFIND: the URL is not a WebDAV collection at all.
            raise CalDavError(CalDavErrorKind.NOT_A_CALENDAR, 405, "not a WebDAV resource")
        _raise_for_status(response)
        if response.status_code != httpx.codes.MULTI_STATUS:
            raise CalDavError(
                CalDavErrorKind.NOT_A_CALENDAR,
                response.status_code,
                "not a WebDAV resource (no multistatus answer)",
            )
        props = list(_found_props(_xml(response, CalDavErrorKind.NOT_A_CALENDAR)))
        resourcetype = _find(props, f"{{{_DAV}}}resourcetype")
        if resourcetype is None or resourcetype.find(f"{{{_CALDAV}}}calendar") is None:
            raise CalDavError(
                CalDavErrorKind.NOT_A_CALENDAR, response.status_code, "not a calendar collection"
            )
        name = _find(props, f"{{{_DAV}}}displayname")
        return "" if name is None else (name.text or "").strip()

    async def put_event(self, account: CalDavAccount, uid: str, body: bytes) -> None:
        """Creates or overwrites the event stored under `uid` (no ETag preconditions)."""
        response = await self._send(
            account,
            "PUT",
            _event_url(account, uid),
            {"Content-Type": "text/calendar; charset=utf-8"},
            body,
        )
        _raise_for_status(response)

    async def delete_event(self, account: CalDavAccount, uid: str) -> None:
        """Deletes the event stored under `uid`; an event that is already gone is fine."""
        response = await self._send(account, "DELETE", _event_url(account, uid), {}, None)
        if response.status_code in (httpx.codes.NOT_FOUND, httpx.codes.GONE):
            return
        _raise_for_status(response)

    async def busy(
        self,
        account: CalDavAccount,
        start: datetime,
        end: datetime,
        *,
        default_zone: ZoneInfo,
        ignore_uids: Collection[str] = (),
    ) -> list[tuple[datetime, datetime]]:
        """Busy intervals in [start, end): aware UTC, clipped to the window, sorted, not merged.

        The server expands recurring events (<C:expand>); one that ignores it and returns a
        series as such gets CalDavError(REFUSED) rather than a half-empty week.
        Free time is not busy: events marked TRANSP:TRANSPARENT or STATUS:CANCELLED are
        skipped, and so are `ignore_uids` (our own viewings, which the caller accounts for
        itself). TENTATIVE counts as busy.
        Floating times and all-day dates have no zone of their own: they are read in
        `default_zone` (the site's), so an all-day event blocks that local day.
        """
        if start.utcoffset() is None or end.utcoffset() is None:
            raise ValueError("start and end must be timezone-aware")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return []
        query = _BUSY_QUERY.format(start=start.strftime(_UTC_FORMAT), end=end.strftime(_UTC_FORMAT))
        response = await self._send(
            account, "REPORT", _collection(account), {**_XML, "Depth": "1"}, query.encode()
        )
        _raise_for_status(response)
        if response.status_code != httpx.codes.MULTI_STATUS:
            raise CalDavError(
                CalDavErrorKind.REFUSED, response.status_code, "no multistatus answer to REPORT"
            )
        intervals: list[tuple[datetime, datetime]] = []
        for href, data in _calendar_data(_xml(response, CalDavErrorKind.REFUSED)):
            try:
                calendar = Calendar.from_ical(data)
            except ValueError:
                # One broken item from some other app should not hide the rest of the week.
                logger.warning("CalDAV: skipping an unreadable calendar object %s", href)
                continue
            for vevent in calendar.events:
                if _is_free(vevent, ignore_uids):
                    continue
                if "RRULE" in vevent or "RDATE" in vevent:
                    # Only the first occurrence would be read: free time that is not free.
                    raise CalDavError(
                        CalDavErrorKind.REFUSED, None, "the server did not expand a recurring event"
                    )
                try:
                    event_start, event_end = _utc_span(vevent, default_zone)
                except ValueError:
                    logger.warning("CalDAV: skipping an event without usable times in %s", href)
                    continue
                clipped = (max(event_start, start), min(event_end, end))
                if clipped[0] < clipped[1]:
                    intervals.append(clipped)
        return sorted(intervals)

    async def _send(
        self,
        account: CalDavAccount,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | None,
    ) -> httpx.Response:
        try:
            return await self._http.request(
                method,
                url,
                headers=headers,
                content=content,
                auth=httpx.BasicAuth(account.username, account.password),
            )
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            if account.password:
                # A password pasted into the URL's userinfo could surface in httpx's message.
                detail = detail.replace(account.password, "***")
            raise CalDavError(CalDavErrorKind.UNREACHABLE, None, detail) from exc
        except httpx.HTTPError as exc:  # too many redirects, undecodable body
            raise CalDavError(CalDavErrorKind.REFUSED, None, type(exc).__name__) from exc


def _collection(account: CalDavAccount) -> str:
    return account.url if account.url.endswith("/") else account.url + "/"


def _event_url(account: CalDavAccount, uid: str) -> str:
    # Quoting everything (even "@") keeps odd UIDs inside one path segment.
    return f"{_collection(account)}{quote(uid, safe='')}.ics"


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if response.is_success:
        return
    if status in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
        raise CalDavError(CalDavErrorKind.AUTH, status, "login refused or no access")
    if status == httpx.codes.NOT_FOUND:
        raise CalDavError(CalDavErrorKind.NOT_FOUND, status, "no such collection or resource")
    detail = response.reason_phrase or "error"
    if response.is_redirect:
        # Usually http:// instead of https:// or a moved calendar: the new place helps.
        detail = f"redirected to {response.headers.get('Location', '?')}"
    raise CalDavError(CalDavErrorKind.REFUSED, status, detail)


def _xml(response: httpx.Response, kind: CalDavErrorKind) -> ET.Element:
    # ElementTree resolves no external entities, and expat >= 2.4.1 caps entity expansion.
    try:
        return ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise CalDavError(kind, response.status_code, "the answer is not XML") from exc


def _found_props(root: ET.Element) -> Iterator[ET.Element]:
    """The <prop> elements of each propstat that says 200 OK, in document order."""
    for propstat in root.iter(f"{{{_DAV}}}propstat"):
        status = propstat.findtext(f"{{{_DAV}}}status", default="")
        prop = propstat.find(f"{{{_DAV}}}prop")
        if prop is not None and (not status or " 200 " in f"{status} "):
            yield prop


def _find(props: list[ET.Element], tag: str) -> ET.Element | None:
    return next((found for prop in props if (found := prop.find(tag)) is not None), None)


def _calendar_data(root: ET.Element) -> Iterator[tuple[str, str]]:
    for response in root.iter(f"{{{_DAV}}}response"):
        href = response.findtext(f"{{{_DAV}}}href", default="?")
        for prop in _found_props(response):
            data = prop.findtext(f"{{{_CALDAV}}}calendar-data", default="")
            if data.strip():
                yield href, data


def _is_free(vevent: Event, ignore_uids: Collection[str]) -> bool:
    if str(vevent.get("UID", "")) in ignore_uids:
        return True
    if str(vevent.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return True
    return str(vevent.get("STATUS", "")).upper() == "CANCELLED"


def _utc_span(vevent: Event, default_zone: ZoneInfo) -> tuple[datetime, datetime]:
    """DTSTART and DTEND (or DURATION, or the RFC 5545 defaults) in UTC; ValueError if broken."""
    return _to_utc(vevent.start, default_zone), _to_utc(vevent.end, default_zone)


def _to_utc(value: date | datetime, default_zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), default_zone)  # an all-day date
    elif value.tzinfo is None:
        value = value.replace(tzinfo=default_zone)  # floating time
    return value.astimezone(UTC)

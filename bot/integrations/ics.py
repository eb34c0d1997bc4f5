"""iCalendar (RFC 5545) files for viewings: invitations, "add to calendar" files, feeds.

A viewing keeps one UID for its whole life; a reschedule or a cancellation is the same UID
with a higher SEQUENCE, so calendar apps update the entry they already hold (RFC 5546)
instead of adding a second one.

Who gets what:

- `event_file(REQUEST | CANCEL)`: ORGANIZER and ATTENDEEs, which a manager's mail client
  needs to file the update under the entry it already has;
- `event_file(PUBLISH)`: ORGANIZER only. RFC 5546 leaves ATTENDEE out of PUBLISH, and with
  attendees apps offer the prospect to "accept" an invitation nobody would read;
- `feed()`: the same as PUBLISH. Cancelled viewings are left out: a subscribed calendar
  mirrors the feed, so a missing event disappears everywhere, while STATUS:CANCELLED is
  struck through by some apps and shown as a normal event by others;
- `event_for_caldav()`: no METHOD (RFC 4791) and no ORGANIZER/ATTENDEE. A server with
  implicit scheduling (RFC 6638) may otherwise e-mail the attendees itself, or treat the
  entry as someone else's meeting that the manager cannot edit.

Every file carries a VTIMEZONE for each zone its times are written in: icalendar's table of
real transitions for 1970-2038 (2-3 KB for a zone with DST), one RDATE per line. Most apps
resolve a known TZID from their own database; the rest read the VTIMEZONE, and vobject
(hence Radicale) reads only part of an RDATE list with several values. Radicale also keeps
the first VTIMEZONE it sees for a TZID for every later item of every user, so a short or
misread one would shift other people's recurring meetings across DST.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vDuration, vGeo

PRODID = "-//leadsieve//viewings//EN"
# ORGANIZER must be an address (RFC 5545). `.invalid` never resolves (RFC 2606): a reply
# from a calendar app bounces instead of reaching a stranger's mailbox.
PLACEHOLDER_EMAIL = "noreply@leadsieve.invalid"
ALARM_BEFORE = timedelta(hours=1)

# RFC 5545 TEXT allows no control characters except HTAB; newlines are escaped as "\n".
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None = None

    def __post_init__(self) -> None:
        if self.email is not None and (
            "@" not in self.email or any(ch.isspace() or ch == ":" for ch in self.email)
        ):
            raise ValueError("not an e-mail address")


@dataclass(frozen=True)
class CalendarEvent:
    """One version of one viewing, as calendars should see it."""

    uid: str  # stable across every change of one viewing, e.g. "viewing-42@leadsieve"
    sequence: int  # bumped on each reschedule/cancel
    start: datetime  # aware; written in `zone`
    end: datetime
    zone: ZoneInfo  # the site's zone: DTSTART/DTEND carry its TZID and a VTIMEZONE
    summary: str
    description: str
    location: str  # the address
    geo: tuple[float, float] | None  # (latitude, longitude)
    organizer: Person  # the company
    stamp: datetime  # DTSTAMP and LAST-MODIFIED: when this version was made
    attendees: tuple[Person, ...] = ()
    cancelled: bool = False

    def __post_init__(self) -> None:
        for value in (self.start, self.end, self.stamp):
            if value.utcoffset() is None:
                raise ValueError("start, end and stamp must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        if not self.uid or _CONTROL_RE.search(self.uid) or "\n" in self.uid:
            raise ValueError("uid must be a non-empty single line")
        if not self.zone.key:
            raise ValueError("zone must be a named zone (its key becomes the TZID)")


class Method(StrEnum):
    PUBLISH = "PUBLISH"  # the prospect's "add to my calendar" file
    REQUEST = "REQUEST"  # a new or moved viewing, to the manager
    CANCEL = "CANCEL"  # a cancelled viewing, to the manager


def event_file(event: CalendarEvent, method: Method) -> bytes:
    """A calendar file with one viewing, to attach to a message.

    CANCEL always writes STATUS:CANCELLED; PUBLISH does so when the event is cancelled.
    A cancelled event cannot go out as REQUEST: that would re-invite to a cancelled viewing.
    """
    if event.cancelled and method is Method.REQUEST:
        raise ValueError("a cancelled viewing is sent with Method.CANCEL")
    calendar = _calendar()
    calendar.add("method", method.value)
    calendar.add_component(
        _vevent(
            event,
            cancelled=event.cancelled or method is Method.CANCEL,
            organizer=True,
            attendees=method is not Method.PUBLISH,
        )
    )
    _add_timezones(calendar, [event])
    return bytes(calendar.to_ical())


def feed(
    events: Iterable[CalendarEvent],
    *,
    name: str,
    refresh: timedelta = timedelta(minutes=15),
    zone: ZoneInfo | None = None,
) -> bytes:
    """A calendar to subscribe to (webcal): every viewing that is not cancelled.

    When `events` holds several versions of one UID, the highest SEQUENCE (then the latest
    stamp) wins; if that version is cancelled the viewing is left out.
    `zone` (the site's zone) is always given a VTIMEZONE and named in X-WR-TIMEZONE. Either
    way the feed holds at least one component, which RFC 5545 requires even of an empty
    calendar (UTC when there is nothing else to go on).
    """
    if refresh <= timedelta(0):
        raise ValueError("refresh must be positive")
    latest: dict[str, CalendarEvent] = {}
    for event in events:
        known = latest.get(event.uid)
        if known is None or (event.sequence, event.stamp) > (known.sequence, known.stamp):
            latest[event.uid] = event
    shown = sorted(
        (event for event in latest.values() if not event.cancelled),
        key=lambda event: (event.start, event.uid),
    )

    calendar = _calendar()
    calendar.calendar_name = _text(name)  # NAME (RFC 7986) and X-WR-CALNAME
    # RFC 7986 requires VALUE=DURATION here; icalendar's refresh_interval setter leaves it out.
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    # The older spelling of the same hint (Outlook's). An X- property needs its type spelled
    # out, or icalendar writes str(timedelta): "0:15:00".
    calendar.add("x-published-ttl", vDuration(refresh))
    if zone is not None:
        calendar.add("x-wr-timezone", zone.key)
    for event in shown:
        calendar.add_component(_vevent(event, cancelled=False, organizer=True, attendees=False))
    fallback = zone if zone is not None else (None if shown else ZoneInfo("UTC"))
    _add_timezones(calendar, shown, always=fallback)
    return bytes(calendar.to_ical())


def event_for_caldav(event: CalendarEvent) -> bytes:
    """The calendar object resource to PUT into a manager's CalDAV calendar."""
    calendar = _calendar()
    calendar.add_component(
        _vevent(event, cancelled=event.cancelled, organizer=False, attendees=False)
    )
    _add_timezones(calendar, [event])
    return bytes(calendar.to_ical())


class _Geo(vGeo):
    """GEO in fixed-point notation: Python would write 5e-05, which is not an iCalendar FLOAT."""

    def to_ical(self) -> str:
        return f"{self.latitude:.6f};{self.longitude:.6f}"


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    return calendar


def _vevent(event: CalendarEvent, *, cancelled: bool, organizer: bool, attendees: bool) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamp.astimezone(UTC))
    vevent.add("last-modified", event.stamp.astimezone(UTC))
    vevent.add("dtstart", event.start.astimezone(event.zone))
    vevent.add("dtend", event.end.astimezone(event.zone))
    vevent.add("summary", _text(event.summary))
    if event.description:
        vevent.add("description", _text(event.description))
    if event.location:
        vevent.add("location", _text(event.location))
    if event.geo is not None:
        vevent["GEO"] = _Geo(event.geo)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organizer:
        vevent.add("organizer", _address(event.organizer, PLACEHOLDER_EMAIL))
    if attendees:
        for person in event.attendees:
            if person.email is None:
                continue  # an ATTENDEE is an address; a name alone means nothing to an app
            attendee = _address(person, person.email)
            attendee.params["CUTYPE"] = "INDIVIDUAL"
            attendee.params["ROLE"] = "REQ-PARTICIPANT"
            attendee.params["PARTSTAT"] = "NEEDS-ACTION"
            attendee.params["RSVP"] = "FALSE"  # nobody reads replies: the bot books the slot
            vevent.add("attendee", attendee)
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _text(event.summary))
        alarm.add("trigger", -ALARM_BEFORE)
        vevent.add_component(alarm)
    return vevent


def _address(person: Person, fallback_email: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email or fallback_email}")
    if person.name:
        address.params["CN"] = _text(person.name).replace("\n", " ")
    return address


def _text(value: str) -> str:
    return _CONTROL_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _add_timezones(
    calendar: Calendar, events: list[CalendarEvent], *, always: ZoneInfo | None = None
) -> None:
    """A VTIMEZONE for each TZID the calendar uses (UTC is written as "Z" and needs none)."""
    zones = {event.zone.key: event.zone for event in events}
    tzids = set(calendar.get_missing_tzids())
    if always is not None:
        zones.setdefault(always.key, always)
        tzids.add(always.key)
    for position, tzid in enumerate(sorted(tzids)):
        calendar.subcomponents.insert(position, _vtimezone(zones[tzid]))


def _vtimezone(zone: ZoneInfo) -> Timezone:
    timezone = Timezone.from_tzinfo(zone, zone.key)
    for observance in timezone.subcomponents:
        rdates = observance.pop("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            for value in rdate.dts:
                observance.add("RDATE", value.dt)
    return timezone

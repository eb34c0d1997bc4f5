from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar, Event

from bot.integrations.caldav import CalDavAccount, CalDavClient, CalDavError, CalDavErrorKind
from bot.integrations.ics import CalendarEvent, Person, event_for_caldav
from tests.integrations.conftest import PASSWORD, USER
from tests.radicale_server import RadicaleServer, free_port, start_radicale

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
# Two weeks of the site's local time, well after the spring DST change.
WINDOW_START = datetime(2026, 4, 6, 0, 0, tzinfo=BERLIN)  # 2026-04-05 22:00Z
WINDOW_END = datetime(2026, 4, 20, 0, 0, tzinfo=BERLIN)  # 2026-04-19 22:00Z


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def viewing(**changes: object) -> CalendarEvent:
    base = CalendarEvent(
        uid="viewing-42@leadsieve",
        sequence=0,
        start=datetime(2026, 4, 10, 10, 0, tzinfo=BERLIN),
        end=datetime(2026, 4, 10, 11, 0, tzinfo=BERLIN),
        zone=BERLIN,
        summary="Просмотр: ЖК «Север», кв. 12",
        description="Клиент: Иван",
        location="Москва, ул. Тверская, д. 7",
        geo=None,
        organizer=Person("ООО «Дом»", "sales@example.com"),
        stamp=datetime(2026, 4, 1, 12, 0, tzinfo=UTC),
        attendees=(Person("Анна", "anna@example.com"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# What Apple Calendar, Thunderbird and Google write for Europe/Berlin: rules, not a table.
BERLIN_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def own_meeting(uid: str, start: datetime, end: datetime, **properties: str) -> str:
    """A manager's own event in Berlin time, stored the way calendar apps store it."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utc(2026, 4, 1, 0, 0))
    event.add("dtstart", start.astimezone(BERLIN))
    event.add("dtend", end.astimezone(BERLIN))
    event.add("summary", "Своё")
    for name, value in properties.items():
        event.add(name.replace("_", "-"), value)
    vevent = event.to_ical().decode().replace("\r\n", "\n")
    return (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//manager//EN\n"
        f"{BERLIN_VTIMEZONE}{vevent}END:VCALENDAR\n"
    )


def raw(uid: str, *lines: str) -> str:
    body = "\r\n".join(lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//raw//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260401T000000Z\r\nSUMMARY:Своё\r\n{body}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def stored(radicale: RadicaleServer, account: CalDavAccount) -> dict[str, Event]:
    found = await radicale.events(account.url, USER, PASSWORD)
    return {uid: Calendar.from_ical(text).events[0] for uid, text in found.items()}


# --- check -------------------------------------------------------------------------------


async def test_check_returns_display_name(radicale: RadicaleServer, caldav: CalDavClient) -> None:
    url = await radicale.make_calendar(USER, PASSWORD, "named", display_name="Работа & встречи")

    name = await caldav.check(CalDavAccount(url, USER, PASSWORD))

    assert name == "Работа & встречи"


async def test_check_accepts_url_without_trailing_slash(
    caldav: CalDavClient, account: CalDavAccount
) -> None:
    await caldav.check(replace(account, url=account.url.rstrip("/")))


async def test_check_wrong_password_is_auth(caldav: CalDavClient, account: CalDavAccount) -> None:
    wrong = replace(account, password="not-the-Secret-42")

    with pytest.raises(CalDavError) as raised:
        await caldav.check(wrong)

    assert raised.value.kind is CalDavErrorKind.AUTH
    assert raised.value.status == 401
    assert "not-the-Secret-42" not in str(raised.value)
    assert "not-the-Secret-42" not in repr(wrong)


async def test_check_someone_elses_calendar_is_auth(
    radicale: RadicaleServer, caldav: CalDavClient
) -> None:
    account = CalDavAccount(radicale.calendar_url("boris"), USER, PASSWORD)

    with pytest.raises(CalDavError) as raised:
        await caldav.check(account)

    assert raised.value.kind is CalDavErrorKind.AUTH
    assert raised.value.status == 403


async def test_check_missing_collection_is_not_found(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    missing = replace(account, url=radicale.calendar_url(USER, "no-such-calendar"))

    with pytest.raises(CalDavError) as raised:
        await caldav.check(missing)

    assert raised.value.kind is CalDavErrorKind.NOT_FOUND
    assert raised.value.status == 404


async def test_check_principal_collection_is_not_a_calendar(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    principal = replace(account, url=f"{radicale.base_url}/{USER}/")

    with pytest.raises(CalDavError) as raised:
        await caldav.check(principal)

    assert raised.value.kind is CalDavErrorKind.NOT_A_CALENDAR


async def test_check_closed_port_is_unreachable(caldav: CalDavClient) -> None:
    account = CalDavAccount(f"http://127.0.0.1:{free_port()}/anna/work/", USER, PASSWORD)

    with pytest.raises(CalDavError) as raised:
        await caldav.check(account)

    assert raised.value.kind is CalDavErrorKind.UNREACHABLE
    assert raised.value.status is None


# --- put / delete ------------------------------------------------------------------------


async def test_put_stores_the_event(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    await caldav.put_event(account, "viewing-42@leadsieve", event_for_caldav(viewing()))

    events = await stored(radicale, account)
    assert list(events) == ["viewing-42@leadsieve"]
    event = events["viewing-42@leadsieve"]
    assert event.get("DTSTART").params["TZID"] == "Europe/Berlin"
    assert event.start == datetime(2026, 4, 10, 10, 0, tzinfo=BERLIN)
    assert event.sequence == 0
    assert event.summary == "Просмотр: ЖК «Север», кв. 12"


async def test_put_again_overwrites_the_same_event(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    await caldav.put_event(account, "viewing-42@leadsieve", event_for_caldav(viewing()))
    moved = viewing(
        sequence=1,
        start=datetime(2026, 4, 11, 16, 0, tzinfo=BERLIN),
        end=datetime(2026, 4, 11, 17, 0, tzinfo=BERLIN),
    )

    await caldav.put_event(account, "viewing-42@leadsieve", event_for_caldav(moved))

    events = await stored(radicale, account)
    assert list(events) == ["viewing-42@leadsieve"]
    assert events["viewing-42@leadsieve"].start == datetime(2026, 4, 11, 16, 0, tzinfo=BERLIN)
    assert events["viewing-42@leadsieve"].sequence == 1


async def test_delete_removes_and_tolerates_repeats(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    await caldav.put_event(account, "viewing-42@leadsieve", event_for_caldav(viewing()))
    await caldav.put_event(
        account, "viewing-43@leadsieve", event_for_caldav(viewing(uid="viewing-43@leadsieve"))
    )

    await caldav.delete_event(account, "viewing-42@leadsieve")
    await caldav.delete_event(account, "viewing-42@leadsieve")

    assert list(await stored(radicale, account)) == ["viewing-43@leadsieve"]


async def test_put_with_wrong_password_is_auth(
    caldav: CalDavClient, account: CalDavAccount
) -> None:
    with pytest.raises(CalDavError) as raised:
        await caldav.put_event(
            replace(account, password="nope"), "viewing-42@leadsieve", event_for_caldav(viewing())
        )

    assert raised.value.kind is CalDavErrorKind.AUTH


async def test_put_into_missing_calendar_is_an_error(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    missing = replace(account, url=radicale.calendar_url(USER, "no-such-calendar"))

    with pytest.raises(CalDavError) as raised:
        await caldav.put_event(missing, "viewing-42@leadsieve", event_for_caldav(viewing()))

    # Radicale answers 409 Conflict (RFC 4918: the parent collection does not exist).
    assert raised.value.kind is CalDavErrorKind.REFUSED
    assert raised.value.status == 409


# --- busy --------------------------------------------------------------------------------


async def busy(
    caldav: CalDavClient,
    account: CalDavAccount,
    *,
    zone: ZoneInfo = BERLIN,
    ignore: tuple[str, ...] = (),
) -> list[tuple[datetime, datetime]]:
    found = await caldav.busy(
        account, WINDOW_START, WINDOW_END, default_zone=zone, ignore_uids=ignore
    )
    assert all(start.tzinfo is UTC and end.tzinfo is UTC for start, end in found)
    return found


async def test_busy_counts_own_meetings_and_skips_free_time(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    def add(uid: str, day: int, hours: tuple[int, int], **properties: str) -> str:
        start = datetime(2026, 4, day, hours[0], 0, tzinfo=BERLIN)
        end = datetime(2026, 4, day, hours[1], 0, tzinfo=BERLIN)
        return own_meeting(uid, start, end, **properties)

    for uid, ics in {
        "meeting": add("meeting", 7, (14, 15)),
        "focus-time": add("focus-time", 8, (9, 18), transp="TRANSPARENT"),
        "called-off": add("called-off", 9, (10, 11), status="CANCELLED"),
        "maybe": add("maybe", 9, (16, 17), status="TENTATIVE"),
    }.items():
        await radicale.add_event(account.url, USER, PASSWORD, ics, uid)
    await caldav.put_event(account, "viewing-42@leadsieve", event_for_caldav(viewing()))

    ours_ignored = await busy(caldav, account, ignore=("viewing-42@leadsieve",))
    ours_counted = await busy(caldav, account)

    meeting = (utc(2026, 4, 7, 12, 0), utc(2026, 4, 7, 13, 0))
    tentative = (utc(2026, 4, 9, 14, 0), utc(2026, 4, 9, 15, 0))
    ours = (utc(2026, 4, 10, 8, 0), utc(2026, 4, 10, 9, 0))
    assert ours_ignored == [meeting, tentative]
    assert ours_counted == [meeting, tentative, ours]


async def test_busy_expands_weekly_recurring_event(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    weekly = own_meeting(
        "weekly",
        datetime(2026, 4, 1, 9, 0, tzinfo=BERLIN),  # a Wednesday, summer time
        datetime(2026, 4, 1, 10, 0, tzinfo=BERLIN),
        rrule="FREQ=WEEKLY;COUNT=10",
    )
    await radicale.add_event(account.url, USER, PASSWORD, weekly, "weekly")

    assert await busy(caldav, account) == [
        (utc(2026, 4, 8, 7, 0), utc(2026, 4, 8, 8, 0)),
        (utc(2026, 4, 15, 7, 0), utc(2026, 4, 15, 8, 0)),
    ]


async def test_busy_recurring_series_that_started_before_dst(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    weekly = own_meeting(
        "weekly-winter",
        datetime(2026, 3, 4, 9, 0, tzinfo=BERLIN),  # winter time: 08:00Z
        datetime(2026, 3, 4, 10, 0, tzinfo=BERLIN),
        rrule="FREQ=WEEKLY;COUNT=10",
    )
    await radicale.add_event(account.url, USER, PASSWORD, weekly, "weekly-winter")

    assert await busy(caldav, account) == [
        (utc(2026, 4, 8, 7, 0), utc(2026, 4, 8, 8, 0)),
        (utc(2026, 4, 15, 7, 0), utc(2026, 4, 15, 8, 0)),
    ]


async def test_busy_clips_to_the_window(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    for uid, start, end in [
        ("overnight-in", datetime(2026, 4, 5, 23, 0), datetime(2026, 4, 6, 1, 0)),
        ("overnight-out", datetime(2026, 4, 19, 23, 0), datetime(2026, 4, 20, 1, 0)),
        ("later", datetime(2026, 4, 25, 10, 0), datetime(2026, 4, 25, 11, 0)),
        ("earlier", datetime(2026, 4, 1, 10, 0), datetime(2026, 4, 1, 11, 0)),
    ]:
        ics = own_meeting(uid, start.replace(tzinfo=BERLIN), end.replace(tzinfo=BERLIN))
        await radicale.add_event(account.url, USER, PASSWORD, ics, uid)

    assert await busy(caldav, account) == [
        (WINDOW_START.astimezone(UTC), utc(2026, 4, 5, 23, 0)),
        (utc(2026, 4, 19, 21, 0), WINDOW_END.astimezone(UTC)),
    ]


async def test_busy_reads_dates_and_floating_times_in_the_default_zone(
    radicale: RadicaleServer, caldav: CalDavClient, account: CalDavAccount
) -> None:
    events = {
        "day-off": raw("day-off", "DTSTART;VALUE=DATE:20260417", "DTEND;VALUE=DATE:20260418"),
        "floating": raw("floating", "DTSTART:20260414T120000", "DTEND:20260414T130000"),
        "utc-duration": raw("utc-duration", "DTSTART:20260413T080000Z", "DURATION:PT30M"),
    }
    for uid, ics in events.items():
        await radicale.add_event(account.url, USER, PASSWORD, ics, uid)

    assert await busy(caldav, account, zone=BERLIN) == [
        (utc(2026, 4, 13, 8, 0), utc(2026, 4, 13, 8, 30)),
        (utc(2026, 4, 14, 10, 0), utc(2026, 4, 14, 11, 0)),
        (utc(2026, 4, 16, 22, 0), utc(2026, 4, 17, 22, 0)),
    ]
    assert await busy(caldav, account, zone=MOSCOW) == [
        (utc(2026, 4, 13, 8, 0), utc(2026, 4, 13, 8, 30)),
        (utc(2026, 4, 14, 9, 0), utc(2026, 4, 14, 10, 0)),
        (utc(2026, 4, 16, 21, 0), utc(2026, 4, 17, 21, 0)),
    ]


async def test_busy_on_an_empty_calendar(caldav: CalDavClient, account: CalDavAccount) -> None:
    assert await busy(caldav, account) == []


async def test_busy_needs_aware_times_and_a_real_window(
    caldav: CalDavClient, account: CalDavAccount
) -> None:
    with pytest.raises(ValueError, match="aware"):
        await caldav.busy(account, datetime(2026, 4, 6), datetime(2026, 4, 7), default_zone=BERLIN)
    assert await caldav.busy(account, WINDOW_END, WINDOW_START, default_zone=BERLIN) == []


async def test_radicale_reads_our_vtimezone_right_for_other_years(tmp_path: Path) -> None:
    # Radicale (vobject) keeps the first VTIMEZONE it parses for a TZID and applies it to
    # every later item of every user, even those without a VTIMEZONE. Ours must hold up.
    with start_radicale(tmp_path, {USER: PASSWORD}) as fresh:
        url = await fresh.make_calendar(USER, PASSWORD)
        account = CalDavAccount(url, USER, PASSWORD)
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
            caldav = CalDavClient(http)
            await caldav.put_event(account, "viewing-42@leadsieve", event_for_caldav(viewing()))
            series = raw(
                "weekly-2031",
                "DTSTART;TZID=Europe/Berlin:20310305T090000",
                "DTEND;TZID=Europe/Berlin:20310305T100000",
                "RRULE:FREQ=WEEKLY;COUNT=10",
            )
            await fresh.add_event(url, USER, PASSWORD, series, "weekly-2031")

            found = await caldav.busy(
                account,
                datetime(2031, 3, 1, tzinfo=UTC),
                datetime(2031, 4, 6, tzinfo=UTC),
                default_zone=BERLIN,
            )

    # Winter mornings at 08:00Z, summer ones (from 30 March 2031) at 07:00Z.
    assert [start for start, _ in found] == [
        utc(2031, 3, 5, 8, 0),
        utc(2031, 3, 12, 8, 0),
        utc(2031, 3, 19, 8, 0),
        utc(2031, 3, 26, 8, 0),
        utc(2031, 4, 2, 7, 0),
    ]


# --- what Radicale will not do: answers from a scripted server ----------------------------

ACCOUNT = CalDavAccount("https://dav.example.com/cal/work/", "anna", "hunter2-Secret")
Handler = Callable[[httpx.Request], httpx.Response]


Scripted = Callable[[Handler], CalDavClient]


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    """Makes clients whose server is a function; closes them after the test."""
    clients: list[httpx.AsyncClient] = []

    def make(handler: Handler) -> CalDavClient:
        clients.append(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        return CalDavClient(clients[-1])

    yield make
    for http in clients:
        await http.aclose()


async def test_requests_carry_auth_depth_and_expand(scripted: Scripted) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(207, content=b'<multistatus xmlns="DAV:"/>')

    await scripted(handler).busy(ACCOUNT, WINDOW_START, WINDOW_END, default_zone=BERLIN)

    [request] = seen
    assert request.method == "REPORT"
    assert request.headers["Depth"] == "1"
    assert request.headers["Authorization"].startswith("Basic ")
    body = request.content.decode()
    assert '<C:expand start="20260405T220000Z" end="20260419T220000Z"/>' in body
    assert '<C:time-range start="20260405T220000Z" end="20260419T220000Z"/>' in body


async def test_event_href_quotes_the_uid(scripted: Scripted) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201)

    await scripted(handler).put_event(ACCOUNT, "viewing 42/a@leadsieve", b"BEGIN:VCALENDAR")

    [request] = seen
    assert request.method == "PUT"
    assert request.url.raw_path == b"/cal/work/viewing%2042%2Fa%40leadsieve.ics"
    assert request.headers["Content-Type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize(
    ("response", "kind", "status"),
    [
        (httpx.Response(405), CalDavErrorKind.NOT_A_CALENDAR, 405),
        (httpx.Response(200, text="<html>hello</html>"), CalDavErrorKind.NOT_A_CALENDAR, 200),
        (httpx.Response(207, text="not xml"), CalDavErrorKind.NOT_A_CALENDAR, 207),
        (httpx.Response(500), CalDavErrorKind.REFUSED, 500),
        (httpx.Response(403), CalDavErrorKind.AUTH, 403),
        (httpx.Response(410), CalDavErrorKind.REFUSED, 410),
    ],
)
async def test_check_maps_answers(
    scripted: Scripted, response: httpx.Response, kind: CalDavErrorKind, status: int
) -> None:
    with pytest.raises(CalDavError) as raised:
        await scripted(lambda _: response).check(ACCOUNT)

    assert raised.value.kind is kind
    assert raised.value.status == status


async def test_redirect_says_where_to(scripted: Scripted) -> None:
    moved = httpx.Response(301, headers={"Location": "https://dav.example.com/new/"})

    with pytest.raises(CalDavError) as raised:
        await scripted(lambda _: moved).check(ACCOUNT)

    assert raised.value.kind is CalDavErrorKind.REFUSED
    assert "https://dav.example.com/new/" in raised.value.detail


async def test_timeout_is_unreachable_and_never_shows_the_password(scripted: Scripted) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out hunter2-Secret", request=request)

    with pytest.raises(CalDavError) as raised:
        await scripted(handler).delete_event(ACCOUNT, "viewing-42@leadsieve")

    assert raised.value.kind is CalDavErrorKind.UNREACHABLE
    assert "hunter2-Secret" not in str(raised.value)


async def test_delete_of_a_gone_event_is_fine(scripted: Scripted) -> None:
    await scripted(lambda _: httpx.Response(410)).delete_event(ACCOUNT, "viewing-42@leadsieve")


async def test_unexpanded_recurring_event_is_refused_not_undercounted(scripted: Scripted) -> None:
    ics = raw(
        "weekly",
        "DTSTART:20260401T070000Z",
        "DTEND:20260401T080000Z",
        "RRULE:FREQ=WEEKLY;COUNT=10",
    )
    body = (
        '<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response>'
        "<href>/cal/work/weekly.ics</href><propstat><prop><C:calendar-data>"
        f"{ics}</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat>"
        "</response></multistatus>"
    )

    with pytest.raises(CalDavError) as raised:
        await scripted(lambda _: httpx.Response(207, text=body)).busy(
            ACCOUNT, WINDOW_START, WINDOW_END, default_zone=BERLIN
        )

    assert raised.value.kind is CalDavErrorKind.REFUSED

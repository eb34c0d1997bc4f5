from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Alarm, Calendar, Event, Timezone

from bot.integrations.ics import (
    PLACEHOLDER_EMAIL,
    PRODID,
    CalendarEvent,
    Method,
    Person,
    event_file,
    event_for_caldav,
    feed,
)

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
STAMP = datetime(2026, 3, 20, 12, 30, tzinfo=UTC)
ADDRESS = "Москва, ул. Тверская, д. 7; подъезд 2, офис «Север»"
COMPANY = Person("ООО «Дом, милый дом»", "sales@example.com")
MANAGER = Person("Анна Петрова", "anna@example.com")


def viewing(**changes: object) -> CalendarEvent:
    # 2026-03-29 is the day Berlin moves to summer time (02:00 -> 03:00): 10:00 CEST = 08:00Z.
    base = CalendarEvent(
        uid="viewing-42@leadsieve",
        sequence=0,
        start=datetime(2026, 3, 29, 8, 0, tzinfo=UTC),
        end=datetime(2026, 3, 29, 9, 0, tzinfo=UTC),
        zone=BERLIN,
        summary="Просмотр: ЖК «Север», кв. 12",
        description="Клиент: Иван\nТелефон: +7 900 000-00-00",
        location=ADDRESS,
        geo=(55.764, 37.6055),
        organizer=COMPANY,
        stamp=STAMP,
        attendees=(MANAGER, Person("Иван (без почты)")),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def only_event(calendar: Calendar) -> Event:
    events = calendar.events
    assert len(events) == 1
    return events[0]


def unfolded(data: bytes) -> str:
    return data.decode().replace("\r\n ", "")


def test_request_carries_what_a_calendar_app_needs() -> None:
    data = event_file(viewing(), Method.REQUEST)
    calendar = parse(data)
    event = only_event(calendar)

    assert calendar.prodid == PRODID
    assert calendar.version == "2.0"
    assert calendar.method == "REQUEST"
    assert event.uid == "viewing-42@leadsieve"
    assert event.sequence == 0
    assert event.status == "CONFIRMED"
    assert event.DTSTAMP == STAMP
    assert event.LAST_MODIFIED == STAMP
    assert event.summary == "Просмотр: ЖК «Север», кв. 12"
    assert event.description == "Клиент: Иван\nТелефон: +7 900 000-00-00"
    assert event.location == ADDRESS
    assert event.decoded("GEO") == (55.764, 37.6055)


def test_start_is_site_wall_time_with_tzid_right_after_dst() -> None:
    data = event_file(viewing(), Method.REQUEST)
    event = only_event(parse(data))

    assert event.get("DTSTART").params["TZID"] == "Europe/Berlin"
    assert event.get("DTEND").params["TZID"] == "Europe/Berlin"
    assert event.start == datetime(2026, 3, 29, 10, 0, tzinfo=BERLIN)
    assert event.end == datetime(2026, 3, 29, 11, 0, tzinfo=BERLIN)
    assert event.start == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # the same instant
    text = unfolded(data)
    assert "DTSTART;TZID=Europe/Berlin:20260329T100000\r\n" in text
    assert "DTEND;TZID=Europe/Berlin:20260329T110000\r\n" in text


def test_vtimezone_itself_gives_summer_time_on_that_day() -> None:
    calendar = parse(event_file(viewing(), Method.REQUEST))

    [timezone] = calendar.timezones
    assert timezone.tz_name == "Europe/Berlin"
    # Built from the VTIMEZONE rules, not looked up by name: what an app without tzdata sees.
    from_file = timezone.to_tz(lookup_tzid=False)
    local = datetime(2026, 3, 29, 10, 0, tzinfo=from_file)
    assert local.astimezone(UTC) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    winter = datetime(2026, 3, 28, 10, 0, tzinfo=from_file)
    assert winter.astimezone(UTC) == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert calendar.get_missing_tzids() == set()
    # VTIMEZONE first: some parsers need it before the first TZID that refers to it.
    assert isinstance(calendar.subcomponents[0], Timezone)


def test_alarm_one_hour_before() -> None:
    event = only_event(parse(event_file(viewing(), Method.REQUEST)))

    [alarm] = event.subcomponents
    assert isinstance(alarm, Alarm)
    assert alarm.ACTION == "DISPLAY"
    assert timedelta(hours=-1) == alarm.TRIGGER
    assert alarm.description == "Просмотр: ЖК «Север», кв. 12"


def test_organizer_and_attendees_with_email() -> None:
    event = only_event(parse(event_file(viewing(), Method.REQUEST)))

    organizer = event.organizer
    assert organizer is not None
    assert organizer == "mailto:sales@example.com"
    assert organizer.params["CN"] == "ООО «Дом, милый дом»"
    [attendee] = event.attendees  # the one without an e-mail is left out
    assert attendee == "mailto:anna@example.com"
    assert attendee.params["CN"] == "Анна Петрова"
    assert attendee.params["RSVP"] == "FALSE"


def test_organizer_without_email_gets_a_placeholder_address() -> None:
    data = event_file(viewing(organizer=Person('ЖК "Север"')), Method.PUBLISH)
    organizer = only_event(parse(data)).organizer

    assert organizer is not None
    assert organizer == f"mailto:{PLACEHOLDER_EMAIL}"
    assert organizer.params["CN"] == 'ЖК "Север"'  # RFC 6868 escaping round-trips


def test_publish_is_for_the_prospect_without_attendees() -> None:
    calendar = parse(event_file(viewing(), Method.PUBLISH))
    event = only_event(calendar)

    assert calendar.method == "PUBLISH"
    assert "ATTENDEE" not in event
    assert event.organizer == "mailto:sales@example.com"
    assert event.status == "CONFIRMED"
    assert event.walk("VALARM")


def test_reschedule_keeps_uid_and_raises_sequence() -> None:
    first = only_event(parse(event_file(viewing(), Method.REQUEST)))
    moved = viewing(
        sequence=1,
        start=datetime(2026, 3, 30, 13, 0, tzinfo=UTC),
        end=datetime(2026, 3, 30, 14, 0, tzinfo=UTC),
        stamp=STAMP + timedelta(days=1),
    )
    second = only_event(parse(event_file(moved, Method.REQUEST)))

    assert second.uid == first.uid
    assert second.sequence > first.sequence
    assert second.start == datetime(2026, 3, 30, 15, 0, tzinfo=BERLIN)
    assert second.DTSTAMP > first.DTSTAMP


def test_cancel_has_method_and_status_cancelled_and_no_alarm() -> None:
    cancelled = viewing(sequence=2, cancelled=True, stamp=STAMP + timedelta(days=2))
    calendar = parse(event_file(cancelled, Method.CANCEL))
    event = only_event(calendar)

    assert calendar.method == "CANCEL"
    assert event.status == "CANCELLED"
    assert event.uid == "viewing-42@leadsieve"
    assert event.sequence == 2
    assert not event.walk("VALARM")
    assert "ATTENDEE" in event  # RFC 5546: a CANCEL names who is affected


def test_cancel_method_marks_cancelled_even_if_the_flag_is_not_set() -> None:
    event = only_event(parse(event_file(viewing(sequence=1), Method.CANCEL)))

    assert event.status == "CANCELLED"


def test_cancelled_viewing_cannot_go_out_as_request() -> None:
    with pytest.raises(ValueError, match="CANCEL"):
        event_file(viewing(cancelled=True), Method.REQUEST)


def test_crlf_line_endings_everywhere() -> None:
    for data in (
        event_file(viewing(), Method.REQUEST),
        event_file(viewing(), Method.PUBLISH),
        event_for_caldav(viewing()),
        feed([viewing()], name="Просмотры"),
        feed([], name="Пусто"),
    ):
        assert data.endswith(b"END:VCALENDAR\r\n")
        assert data.count(b"\n") == data.count(b"\r\n")
        assert b"\r\r" not in data


def test_long_russian_description_folds_and_round_trips() -> None:
    description = (
        "Первая строка; с точкой с запятой, запятыми и обратной косой \\ чертой.\n"
        + "Очень длинный текст о квартире с видом на парк и пешей доступностью метро. " * 12
        + "\nПоследняя строка 🙂"
    )
    data = event_file(viewing(description=description), Method.REQUEST)

    lines = data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75  # octets, RFC 5545 3.1
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    assert sum(line.startswith(b" ") for line in lines) > 10
    assert only_event(parse(data)).description == description


def test_control_characters_are_dropped_and_newlines_normalised() -> None:
    data = event_file(viewing(summary="Про\x00смотр\x07", description="а\r\nб\rв"), Method.PUBLISH)
    event = only_event(parse(data))

    assert event.summary == "Просмотр"
    assert event.description == "а\nб\nв"


def test_geo_is_optional_and_written_in_fixed_point() -> None:
    assert "GEO" not in only_event(parse(event_file(viewing(geo=None), Method.PUBLISH)))
    data = event_file(viewing(geo=(51.47783, -0.00005)), Method.PUBLISH)
    assert "GEO:51.477830;-0.000050\r\n" in unfolded(data)
    event = only_event(parse(data))
    assert event.decoded("GEO") == (51.47783, -0.00005)


def test_caldav_body_has_no_method_and_no_scheduling_properties() -> None:
    calendar = parse(event_for_caldav(viewing()))
    event = only_event(calendar)

    assert "METHOD" not in calendar
    assert "ORGANIZER" not in event
    assert "ATTENDEE" not in event
    assert event.uid == "viewing-42@leadsieve"
    assert event.get("DTSTART").params["TZID"] == "Europe/Berlin"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Berlin"]
    assert event.walk("VALARM")


def test_feed_with_two_zones() -> None:
    in_berlin = viewing()
    in_moscow = viewing(
        uid="viewing-43@leadsieve",
        zone=MOSCOW,
        start=datetime(2026, 4, 2, 7, 0, tzinfo=UTC),
        end=datetime(2026, 4, 2, 8, 0, tzinfo=UTC),
    )
    data = feed([in_moscow, in_berlin], name="Просмотры: ЖК «Север»")
    calendar = parse(data)

    assert "METHOD" not in calendar
    assert calendar.get("X-WR-CALNAME") == "Просмотры: ЖК «Север»"
    assert calendar.calendar_name == "Просмотры: ЖК «Север»"
    text = unfolded(data)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in text
    assert "X-PUBLISHED-TTL:PT15M\r\n" in text
    assert calendar.refresh_interval == timedelta(minutes=15)
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["Europe/Berlin", "Europe/Moscow"]
    assert calendar.get_missing_tzids() == set()
    events = {event.uid: event for event in calendar.events}
    assert events["viewing-43@leadsieve"].start == datetime(2026, 4, 2, 10, 0, tzinfo=MOSCOW)
    assert events["viewing-42@leadsieve"].start == datetime(2026, 3, 29, 10, 0, tzinfo=BERLIN)
    assert all("ATTENDEE" not in event for event in calendar.events)


def test_feed_leaves_out_cancelled_and_keeps_the_latest_version() -> None:
    old = viewing(uid="a@leadsieve")
    day = timedelta(days=1)
    moved = replace(old, sequence=1, start=old.start + day, end=old.end + day)
    dropped = viewing(uid="b@leadsieve")
    dropped_later = replace(dropped, sequence=1, cancelled=True)
    calendar = parse(
        feed([moved, old, dropped, dropped_later], name="Просмотры", refresh=timedelta(hours=1))
    )

    [event] = calendar.events
    assert event.uid == "a@leadsieve"
    assert event.sequence == 1
    assert event.start == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)
    assert calendar.refresh_interval == timedelta(hours=1)


@pytest.mark.parametrize("zone", [None, MOSCOW])
def test_empty_feed_is_still_a_valid_calendar(zone: ZoneInfo | None) -> None:
    data = feed([], name="Просмотры", zone=zone)
    calendar = parse(data)

    # RFC 5545: PRODID, VERSION and at least one component, even with nothing to show.
    assert calendar.prodid == PRODID
    assert calendar.version == "2.0"
    assert calendar.subcomponents
    assert calendar.events == []
    assert calendar.get("X-WR-CALNAME") == "Просмотры"
    assert [tz.tz_name for tz in calendar.timezones] == ["UTC" if zone is None else "Europe/Moscow"]


def test_feed_names_the_site_zone() -> None:
    calendar = parse(feed([viewing()], name="Просмотры", zone=MOSCOW))

    assert calendar.get("X-WR-TIMEZONE") == "Europe/Moscow"
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["Europe/Berlin", "Europe/Moscow"]


def test_vtimezone_has_one_rdate_per_line_and_covers_other_years() -> None:
    data = event_file(viewing(), Method.REQUEST)
    [timezone] = parse(data).timezones

    # vobject (Radicale) reads only part of a comma-separated RDATE list.
    rdates = [line for line in data.split(b"\r\n") if line.startswith(b"RDATE")]
    assert len(rdates) > 50
    assert not [line for line in rdates if b"," in line]
    from_file = timezone.to_tz(lookup_tzid=False)
    for year in (1999, 2026, 2031, 2037):
        summer = datetime(year, 7, 1, 12, 0, tzinfo=from_file)
        winter = datetime(year, 1, 15, 12, 0, tzinfo=from_file)
        assert summer.utcoffset() == timedelta(hours=2)
        assert winter.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "changes",
    [
        {"start": datetime(2026, 3, 29, 10, 0)},
        {"stamp": datetime(2026, 3, 29, 10, 0)},
        {"end": datetime(2026, 3, 29, 8, 0, tzinfo=UTC)},
        {"sequence": -1},
        {"uid": "two\nlines"},
    ],
)
def test_bad_events_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one contract
        viewing(**changes)


def test_person_email_must_look_like_an_address() -> None:
    with pytest.raises(ValueError, match="e-mail"):
        Person("Анна", "anna example.com")

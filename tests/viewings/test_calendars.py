"""The manager's calendar shows the truth: CalDAV (a real Radicale server), the ICS feed
over the bot's own web server, and the team commands that set a manager up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from bot.services.calendar import PUSH_LEASE
from bot.services.leases import Leases
from tests.conftest import MANAGER_ID, STAFF_CHAT, Harness, free_port
from tests.handlers.flows import serious_buyer
from tests.radicale_server import RadicaleServer, start_radicale
from tests.viewings.conftest import ANNA, write_sites
from tests.viewings.test_booking import booked_lead, buttons_starting, pick

PASSWORD = "app-pass-123"

OWN_MEETING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//manager//EN
BEGIN:VEVENT
UID:dentist@anna
DTSTAMP:20261120T090000Z
DTSTART:20261123T070000Z
DTEND:20261123T090000Z
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[RadicaleServer]:
    with start_radicale(tmp_path, {"anna": PASSWORD}) as server:
        yield server


def starts(ics_by_uid: dict[str, str]) -> dict[str, str]:
    result = {}
    for uid, text in ics_by_uid.items():
        [event] = Calendar.from_ical(text).walk("VEVENT")
        result[uid] = event.decoded("DTSTART").isoformat()
    return result


async def test_caldav_follows_booking_moving_and_cancelling(
    office: Harness, radicale: RadicaleServer
) -> None:
    url = await radicale.make_calendar("anna", PASSWORD)
    manager = office.telegram.user(ANNA, language_code="en", deliver=office.feed)
    await manager.send(f"/caldav {url} anna wrong-password")
    assert "login or app password was not accepted" in (manager.last_text() or "")
    command = await manager.send(f"/caldav {url} anna {PASSWORD}")
    assert "Connected to the calendar" in (manager.last_text() or "")
    assert command.deleted  # the password does not stay in the chat

    # Her own 10:00-12:00 Moscow meeting blocks those slots once pulled.
    await radicale.add_event(url, "anna", PASSWORD, OWN_MEETING, "dentist@anna")
    await office.app.calendar.pull_busy()
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    [monday] = buttons_starting(user, "Mon 23")
    await user.click(monday)
    # The morning is gone: the meeting plus the 15-minute buffer ends at 12:15.
    assert user.buttons()[0] == "14:00"
    await user.click("14:00")

    stored = starts(await radicale.events(url, "anna", PASSWORD))
    ours = {uid: start for uid, start in stored.items() if uid != "dentist@anna"}
    assert list(ours.values()) == ["2026-11-23T14:00:00+03:00"]

    await user.click("Reschedule")
    await pick(user, "Tue 24", "15:00")
    stored = starts(await radicale.events(url, "anna", PASSWORD))
    assert stored[next(iter(ours))] == "2026-11-24T15:00:00+03:00"

    await user.click("Cancel")
    await user.click("Yes, cancel")
    assert set(await radicale.events(url, "anna", PASSWORD)) == {"dentist@anna"}


async def connected_calendar(office: Harness, radicale: RadicaleServer) -> str:
    """Anna's calendar on the server, connected with /caldav; its URL."""
    url = await radicale.make_calendar("anna", PASSWORD)
    manager = office.telegram.user(ANNA, language_code="en", deliver=office.feed)
    await manager.send(f"/caldav {url} anna {PASSWORD}")
    assert "Connected to the calendar" in (manager.last_text() or "")
    return url


async def test_caldav_down_for_hours_catches_up(office: Harness, radicale: RadicaleServer) -> None:
    url = await connected_calendar(office, radicale)
    manager = office.telegram.user(ANNA, language_code="en", deliver=office.feed)
    # The server goes away: its address now answers nothing.
    dead = f"http://127.0.0.1:{free_port()}/anna/work/"
    async with office.app.db.transaction() as tx:
        await tx.execute(
            "UPDATE managers SET caldav_url = ? WHERE telegram_user_id = ?", (dead, ANNA)
        )
    user = await booked_lead(office)
    assert any("You are booked" in text for text in user.messages())  # booking unaffected
    await manager.send("/calendar")
    assert "cannot be reached" in (manager.last_text() or "")

    # Hours later it is back; the next push brings the calendar up to date.
    async with office.app.db.transaction() as tx:
        await tx.execute(
            "UPDATE managers SET caldav_url = ? WHERE telegram_user_id = ?", (url, ANNA)
        )
    office.clock.advance(hours=3)
    await office.app.calendar.push_pending()
    assert list(starts(await radicale.events(url, "anna", PASSWORD)).values()) == [
        "2026-11-23T10:00:00+03:00"
    ]


async def test_ics_feed_over_http_and_revocation(office: Harness) -> None:
    await booked_lead(office)
    manager = office.telegram.user(ANNA, language_code="en", deliver=office.feed)
    await manager.send("/calendar")
    text = manager.last_text() or ""
    assert "https://bot.example.com/calendar/" in text
    token = text.split("/calendar/")[1].split(".ics")[0]

    office.app.settings = office.app.settings.model_copy(update={"web_port": free_port()})
    await office.app.start_web()
    base = f"http://127.0.0.1:{office.app.settings.web_port}"
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{base}/calendar/{token}.ics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        [event] = Calendar.from_ical(response.content).walk("VEVENT")
        assert event.decoded("DTSTART").isoformat() == "2026-11-23T10:00:00+03:00"

        await manager.send("/calendar new")
        assert "no longer works" in " ".join(manager.messages()[-2:])
        assert (await http.get(f"{base}/calendar/{token}.ics")).status_code == 404


async def test_invite_join_hours_and_pause(office: Harness) -> None:
    staff = office.staff_member()
    await staff.send("/invite")
    link = office.telegram.bot_messages(STAFF_CHAT)[-1].visible_text
    code = link.split("?start=")[1].split()[0]

    newcomer = office.telegram.user(
        7100, first_name="Vera", language_code="en", deliver=office.feed
    )
    await newcomer.send(f"/start {code}")
    assert "Welcome to the sales team" in (newcomer.last_text() or "")
    other = office.telegram.user(7101, language_code="en", deliver=office.feed)
    await other.send(f"/start {code}")
    assert "not valid" in (other.last_text() or "")  # one person per link

    await newcomer.send("/hours")
    assert "Mon–Fri 10:00–13:00, 14:00–19:00" in (newcomer.last_text() or "")
    await newcomer.send("mon-fri 9-18\nsun 10-12 break 25:00")
    assert "Line 2" in (newcomer.last_text() or "")
    await newcomer.send("mon-fri 9-18 break 13-14\nsat 10-15")
    reply = newcomer.last_text() or ""
    assert "Saved" in reply and "Sat 10:00–15:00" in reply

    await staff.send("/managers")
    listing = office.telegram.bot_messages(STAFF_CHAT)[-1].visible_text
    assert "Vera" in listing and "Anna Petrova" in listing
    await staff.click("Пауза: Vera")
    listing = office.telegram.bot_messages(STAFF_CHAT)[-1].visible_text
    assert "на паузе" in listing
    # A prospect or stranger cannot use manager commands.
    stranger = office.prospect(1500, language_code="en")
    await stranger.send("/hours")
    assert "for sales managers" in (stranger.last_text() or "")


async def test_with_admin_ids_only_admins_manage_the_team(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path), admin_ids=(MANAGER_ID + 1,)
    )
    staff = harness.staff_member()  # a member of the group, not an administrator
    for command in ("/invite", "/manager 1 cap 3"):
        await staff.send(command)
        refusal = harness.telegram.bot_messages(STAFF_CHAT)[-1].visible_text
        assert "только администраторы бота" in refusal


async def test_a_booking_leaves_the_push_to_the_replica_already_pushing(
    office: Harness, radicale: RadicaleServer
) -> None:
    url = await radicale.make_calendar("anna", PASSWORD)
    manager = office.telegram.user(ANNA, language_code="en", deliver=office.feed)
    await manager.send(f"/caldav {url} anna {PASSWORD}")
    other_replica = Leases(office.app.db, office.clock, "replica-b")

    async with other_replica.hold(PUSH_LEASE) as held:
        assert held
        user = await booked_lead(office)
        assert any("You are booked" in text for text in user.messages())
        assert await radicale.events(url, "anna", PASSWORD) == {}  # not pushed from here

    await office.app.calendar.push_now()  # the next pass, once the lease is free
    assert list(starts(await radicale.events(url, "anna", PASSWORD)).values()) == [
        "2026-11-23T10:00:00+03:00"
    ]

"""A target lead books, moves and cancels a viewing in the chat; the manager's
calendar follows every change."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from bot.domain.leads import LeadStatus
from bot.domain.viewings import AppointmentStatus
from bot.storage import appointments, leads
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import TelegramUser
from tests.fakegram.server import StoredMessage
from tests.handlers.flows import serious_buyer
from tests.viewings.conftest import ANNA, write_sites


def buttons_starting(user: TelegramUser, prefix: str) -> list[str]:
    return [label for label in user.buttons() if label.startswith(prefix)]


async def pick(user: TelegramUser, day: str, time: str) -> None:
    """Chooses a day (button starting with `day`, e.g. "Mon 23") and a time."""
    [label] = buttons_starting(user, day)
    await user.click(label)
    await user.click(time)


def documents(harness: Harness, chat_id: int) -> list[StoredMessage]:
    return [m for m in harness.telegram.bot_messages(chat_id) if m.upload is not None]


def parse_ics(message: StoredMessage) -> Any:
    assert message.upload is not None
    calendar = Calendar.from_ical(message.upload.data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


async def booked_lead(harness: Harness, user_id: int = 1001) -> TelegramUser:
    user = harness.prospect(user_id, language_code="en")
    await serious_buyer(user)
    await pick(user, "Mon 23", "10:00")
    return user


@pytest.mark.both_stores  # a central journey: on PostgreSQL too
async def test_target_lead_books_a_viewing(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)

    offer = user.last_text() or ""
    assert "Sales office" in offer and "Anna Petrova" in offer
    assert "Europe/Moscow, UTC+03:00" in offer
    # Sunday noon + 2 h notice: Monday is the first day; weekends are days off.
    days = [label for label in user.buttons() if "·" in label]
    assert days[0] == "Mon 23 Nov · 14"
    assert not any(label.startswith(("Sat", "Sun")) for label in days)

    await user.click(days[0])
    assert user.buttons()[:5] == ["10:00", "10:30", "11:00", "11:30", "12:00"]
    assert "13:00" not in user.buttons()  # the 13-14 break
    await user.click("10:00")

    confirmation = [m for m in user.messages() if "You are booked" in m]
    assert len(confirmation) == 1
    assert "Mon, 23 November, 10:00" in confirmation[0]
    # The bundled checklist's wording names what is booked; the catalog's label otherwise.
    label = office.app.checklist.wording.appointment
    shown = "Appointment" if label is None else label.get("en")
    assert f"🗓 {shown}: Mon, 23 November, 10:00" in confirmation[0]
    assert "12 Embankment St" in confirmation[0] and "Anna Petrova" in confirmation[0]
    assert user.buttons() == ["Reschedule", "Cancel"]
    venue = [m for m in office.telegram.bot_messages(1001) if "venue" in m.content]
    assert venue and venue[0].content["venue"]["address"] == "12 Embankment St"

    calendar, event = parse_ics(documents(office, 1001)[-1])
    assert calendar["METHOD"] == "PUBLISH"
    assert event.decoded("DTSTART").isoformat() == "2026-11-23T10:00:00+03:00"
    assert str(event["DTSTART"].params["TZID"]) == "Europe/Moscow"

    [to_manager] = documents(office, ANNA)
    assert "New booking" in to_manager.visible_text
    assert "+79161234567" in to_manager.visible_text
    manager_calendar, manager_event = parse_ics(to_manager)
    assert manager_calendar["METHOD"] == "REQUEST"
    assert manager_event["UID"] == event["UID"]
    assert int(manager_event["SEQUENCE"]) == 0

    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.BOOKED
    async with office.app.db.read() as conn:
        history = await leads.events(conn, lead.id)
    assert history[-1].from_status is LeadStatus.TARGET
    assert history[-1].to_status is LeadStatus.BOOKED

    # The staff card was edited in place: one card, now with the booking and the route.
    # (The staff group reads Russian, the default language.)
    cards = [m for m in office.telegram.bot_messages(STAFF_CHAT) if "лид #" in (m.text or "")]
    assert len(cards) == 1
    assert cards[0].edit_date is not None
    card = cards[0].text or ""
    assert "Просмотр: пн, 23 ноября, 10:00" in card and "записан" in card
    assert "Менеджер: Anna Petrova (по очереди" in card


async def test_reschedule_keeps_the_uid_and_old_buttons_are_refused(office: Harness) -> None:
    user = await booked_lead(office)
    first = next(
        m for m in office.telegram.bot_messages(1001) if "You are booked" in (m.text or "")
    )

    await user.click("Reschedule", first)
    await pick(user, "Tue 24", "11:30")
    assert any("has been moved" in m and "Tue, 24 November, 11:30" in m for m in user.messages())

    moved_file = documents(office, ANNA)[-1]
    assert "Booking moved" in moved_file.visible_text
    _, moved = parse_ics(moved_file)
    _, original = parse_ics(documents(office, ANNA)[0])
    assert moved["UID"] == original["UID"]
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART").isoformat() == "2026-11-24T11:30:00+03:00"

    # The first confirmation's Cancel belongs to the old version: nothing is cancelled.
    answer = await user.click("Cancel", first)
    assert answer is not None and "changed" in (answer.text or "")
    lead = await office.lead()
    assert lead is not None
    async with office.app.db.read() as conn:
        current = await appointments.open_for_lead(conn, lead.id)
    assert current is not None and current.sequence == 1
    # Monday 10:00 is free again for everyone else.
    other = office.prospect(1002, language_code="en")
    await serious_buyer(other)
    assert buttons_starting(other, "Mon 23") == ["Mon 23 Nov · 14"]


async def test_cancel_sends_a_cancel_and_frees_the_slot(office: Harness) -> None:
    user = await booked_lead(office)
    await user.click("Cancel")
    await user.click("Yes, cancel")
    assert "Your appointment is cancelled" in (user.last_text() or "")
    assert user.buttons() == ["Book a time"]

    cancel_file = documents(office, ANNA)[-1]
    assert "Booking cancelled" in cancel_file.visible_text
    calendar, event = parse_ics(cancel_file)
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.CANCELLED

    token = await _feed_token(office)
    feed = await office.app.calendar.feed(token)
    assert feed is not None and b"VEVENT" not in feed

    # "Book a time" brings the days back, Monday 10:00 included.
    await user.click("Book a time")
    await pick(user, "Mon 23", "10:00")
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.BOOKED


@pytest.mark.both_stores  # a central journey: on PostgreSQL too
async def test_two_prospects_pressing_one_slot_get_one_booking(
    make_harness: Any, tmp_path: Path
) -> None:
    harness: Harness = await make_harness(sites_path=write_sites(tmp_path, boris=False))
    users = []
    for user_id in range(1101, 1106):
        user = harness.prospect(user_id, language_code="en")
        await serious_buyer(user, source=None)
        [label] = buttons_starting(user, "Mon 23")
        await user.click(label)
        users.append(user)

    await asyncio.gather(*(user.click("10:00") for user in users))

    async with harness.app.db.read() as conn:
        booked = [
            a
            for user in users
            if (lead := await leads.get_by_user(conn, user.user_id)) is not None
            and (a := await appointments.open_for_lead(conn, lead.id)) is not None
        ]
    assert len(booked) == 1
    assert booked[0].status is AppointmentStatus.BOOKED
    losers = [u for u in users if not any("You are booked" in m for m in u.messages())]
    assert len(losers) == 4
    for user in losers:
        # Told, and shown the times still free (10:00 is gone, 11:30 is not).
        assert "10:00" not in user.buttons() and "11:30" in user.buttons()


async def test_none_of_these_suit_me_flags_a_call_back(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    await user.click("None of these suit me")
    await user.send("Saturday after 2 pm")
    assert "A manager will call you" in (user.last_text() or "")
    lead = await office.lead()
    assert lead is not None and lead.callback_note == "Saturday after 2 pm"
    to_manager = [m.text or "" for m in office.telegram.bot_messages(ANNA)]
    assert any("Saturday after 2 pm" in text for text in to_manager)
    cards = [m.text or "" for m in office.telegram.bot_messages(STAFF_CHAT)]
    assert any("Просит позвонить: Saturday after 2 pm" in card for card in cards)


async def _feed_token(harness: Harness) -> str:
    async with (
        harness.app.db.read() as conn,
        conn.execute(
            "SELECT feed_token FROM managers WHERE telegram_user_id = ?", (ANNA,)
        ) as cursor,
    ):
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0])

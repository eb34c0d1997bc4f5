"""Reminders at the right local time, surviving a restart, never stale; the manager's
report after the slot moves the lead on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.leads import LeadStatus
from bot.storage import leads, reminders
from tests.conftest import STAFF_CHAT, Harness
from tests.handlers.flows import serious_buyer
from tests.viewings.conftest import ANNA, write_sites
from tests.viewings.test_booking import booked_lead, pick


def texts(harness: Harness, chat_id: int) -> list[str]:
    return [m.visible_text for m in harness.telegram.bot_messages(chat_id)]


async def test_reminders_arrive_at_local_times_outside_quiet_hours(office: Harness) -> None:
    # Booked on Sunday 12:00 Moscow time for Monday 10:00: too late for a 24 h reminder.
    user = await booked_lead(office)
    office.clock.advance(hours=17, minutes=59)  # Monday 05:59 Moscow, quiet hours
    await office.app.reminders.run_due()
    assert not any("in 2 hours" in text for text in user.messages())

    # 2 h before is 08:00, inside quiet hours (21-09): it waits for 09:00.
    office.clock.advance(hours=3, minutes=1)  # Monday 09:00
    await office.app.reminders.run_due()
    [reminder] = [text for text in user.messages() if "in 2 hours" in text]
    assert "Mon, 23 November, 10:00" in reminder
    assert user.buttons() == ["I'll be there", "Reschedule", "Cancel"]
    assert any("Viewing in 1 hour" in text for text in texts(office, ANNA))
    # The morning agenda goes out half an hour before the working day.
    assert not any("Your viewings for" in text for text in texts(office, ANNA))
    office.clock.advance(minutes=30)
    await office.app.reminders.run_due()
    [agenda] = [text for text in texts(office, ANNA) if "Your viewings for" in text]
    assert "Monday, 23 November: 1" in agenda and "10:00 · Sales office" in agenda

    answer = await user.click("I'll be there")
    assert answer is not None and "see you there" in (answer.text or "")
    staff_card = office.telegram.bot_messages(STAFF_CHAT)[-1].visible_text
    assert "клиент подтвердил" in staff_card
    sent = len(user.messages())
    await office.app.reminders.run_due()  # nothing is sent twice
    assert len(user.messages()) == sent


async def test_pending_reminders_survive_a_restart(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    sites = write_sites(tmp_path)
    first: Harness = await make_harness(sites_path=sites)
    user = await booked_lead(first)
    await first.app.close()

    # A new process on the same database, at 09:00 Monday.
    second: Harness = await make_harness(sites_path=sites)
    second.clock.advance(hours=21)
    await second.app.reminders.run_due()
    assert any("in 2 hours" in text for text in user.messages())


async def test_a_reminder_missed_while_down_is_dropped_when_useless(office: Harness) -> None:
    user = await booked_lead(office)
    office.clock.advance(hours=22, minutes=50)  # Monday 10:50: the viewing is under way
    await office.app.reminders.run_due()
    assert not any("in 2 hours" in text for text in user.messages())
    assert not any("Viewing in 1 hour" in text for text in texts(office, ANNA))
    lead = await office.lead()
    assert lead is not None
    async with office.app.db.read() as conn:
        planned = await reminders.for_appointment(conn, 1)
    states = {r.kind.value: r.state.value for r in planned}
    assert states["prospect_2h"] == "dropped" and states["manager_1h"] == "dropped"
    assert states["outcome"] == "pending"


async def test_no_show_is_recorded_and_the_prospect_books_again(office: Harness) -> None:
    user = await booked_lead(office)
    office.clock.advance(hours=23, minutes=20)  # Monday 11:20, after the slot
    await office.app.reminders.run_due()
    manager = office.telegram.user(ANNA, language_code="en", deliver=office.feed)
    question = [
        m for m in office.telegram.bot_messages(ANNA) if "How did the viewing" in m.visible_text
    ]
    assert len(question) == 1
    assert manager.buttons() == ["Attended", "No-show", "Moved"]

    await manager.click("No-show")
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.NO_SHOW
    assert any("We missed you" in text for text in user.messages())
    # The report is final: its buttons are gone.
    assert manager.buttons() == []

    await pick(user, "Tue 24", "14:00")
    lead = await office.lead()
    assert lead is not None and lead.status is LeadStatus.BOOKED
    async with office.app.db.read() as conn:
        history = await leads.events(conn, lead.id)
    assert [(e.from_status, e.to_status) for e in history[-2:]] == [
        (LeadStatus.BOOKED, LeadStatus.NO_SHOW),
        (LeadStatus.NO_SHOW, LeadStatus.BOOKED),
    ]
    assert history[-2].actor.startswith("manager:")


async def test_day_before_reminder_for_a_later_viewing(office: Harness) -> None:
    user = office.prospect(language_code="en")
    await serious_buyer(user)
    await pick(user, "Wed 25", "15:00")
    office.clock.advance(days=2, hours=2, minutes=59)  # Tuesday 14:59 Moscow
    await office.app.reminders.run_due()
    assert not any("Reminder: tomorrow" in text for text in user.messages())
    office.clock.advance(minutes=1)  # Tuesday 15:00, 24 h before
    await office.app.reminders.run_due()
    [reminder] = [text for text in user.messages() if "Reminder: tomorrow" in text]
    assert "Wed, 25 November, 15:00" in reminder and "Europe/Moscow, UTC+03:00" in reminder

"""The sales desk bench_reminders.py sends reminders for: managers in a sites file and their
viewings, booked through the storage layer as Booking does, whose reminders are due at NOW.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import Application
from bot.domain.events import EventType, viewing_facts
from bot.domain.hours import WeeklySchedule
from bot.domain.leads import LeadStatus
from bot.domain.reminders import Delivery, ReminderKind, delivery
from bot.domain.slots import (
    ManagerAvailability,
    SiteAvailability,
    SlotPolicy,
    free_slots,
    manager_claim,
    site_claim,
)
from bot.domain.viewings import Manager, Site
from bot.services.booking import add_viewing_reminders
from bot.storage import appointments, leads, managers, reminders, sites
from bot.storage.appointments import Claim
from bot.storage.db import Connection

ZONE = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 23, 14, 5, tzinfo=ZONE)  # a Monday; the run's clock starts here
BOOKED_TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)  # today's viewings were booked
BOOKED_AHEAD = datetime(2026, 11, 22, 12, 0, tzinfo=ZONE)  # tomorrow's, the day before
TODAY_START = datetime(2026, 11, 23, 15, 0, tzinfo=ZONE)
PER_SITE = 100  # a site holds at most 100 viewings at once (sites file limit)
PER_MANAGER = 5  # today's: the prospect's 2 h and the manager's 1 h; tomorrow's: 3 day-before
# Ids far apart per mode, so both modes can share one database (--database-url).
MANAGER_IDS = 60_000_000
PROSPECT_IDS = 400_000_000
MODE_STRIDE = 10_000_000


@dataclass(frozen=True)
class Seeded:
    chats: frozenset[int]  # one due reminder each
    appointments: tuple[int, int]  # the first and last appointment id of this run
    managers: int
    prospects: int


def write_sites(path: Path, mode: int, managers_count: int) -> None:
    offices = math.ceil(managers_count / PER_SITE)
    lines = ["sites:"]
    for office in range(offices):
        lines += [
            f"  - code: bench_{mode}_{office}",
            f"    name: Office {office}",
            f"    address: {office + 1} Main St",
            "    timezone: Europe/Moscow",
            f"    capacity: {PER_SITE}",
        ]
    lines.append("managers:")
    for number in range(managers_count):
        lines += [
            f"  - telegram_id: {MANAGER_IDS + mode * MODE_STRIDE + number}",
            f"    name: Manager {number}",
            f"    site: bench_{mode}_{number // PER_SITE}",
            f"    language: {'en' if number % 2 else 'ru'}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _starts(policy: SlotPolicy) -> tuple[list[datetime], list[datetime]]:
    """Free starts of a manager with the default hours: (today's, tomorrow's) whose
    reminders are due at NOW and still useful then, tomorrow's not overlapping."""
    free = ManagerAvailability(1, ZONE, WeeklySchedule.DEFAULT, None, 1, ())
    office = SiteAvailability(1, ZONE, PER_SITE, ())
    today = [s for s in free_slots(free, office, policy, BOOKED_TODAY) if s == TODAY_START]
    tomorrow: list[datetime] = []
    for start in free_slots(free, office, policy, BOOKED_AHEAD):
        local = start.astimezone(ZONE)
        if local.date() != NOW.date() + timedelta(days=1) or start - timedelta(days=1) > NOW:
            continue
        if not tomorrow or start >= manager_claim(tomorrow[-1], policy).end:
            tomorrow.append(start)
    assert today and len(tomorrow) == PER_MANAGER - 2, (today, tomorrow)
    return today, tomorrow


def _plan(
    team: list[Manager], count: int, policy: SlotPolicy
) -> Iterator[tuple[Manager, datetime]]:
    """(manager, start) of each viewing, until `count` reminders are due."""
    today, tomorrow = _starts(policy)
    left = count
    for manager in team:
        for start in today:
            if left >= 2:
                left -= 2
                yield manager, start
        for start in tomorrow:
            if left >= 1:
                left -= 1
                yield manager, start
        if not left:
            return


async def _book(
    tx: Connection, app: Application, manager: Manager, site: Site, start: datetime, user_id: int
) -> int:
    """One prospect, target and booked as Booking does it; returns the appointment id."""
    policy = app.settings.slot_policy
    booked_at = BOOKED_TODAY if start.date() == NOW.date() else BOOKED_AHEAD
    lead_id = await leads.create(
        tx,
        telegram_user_id=user_id,
        chat_id=user_id,
        username=None,
        language="en" if user_id % 2 else "ru",
        source="bench",
        checklist_id=app.checklist.id,
        checklist_version=app.checklist.version,
        consent_version=app.settings.consent_version,
        at=booked_at,
    )
    lead = await leads.get(tx, lead_id)
    assert lead is not None
    await leads.set_status(tx, lead, LeadStatus.TARGET, at=booked_at, actor="bot", reason="bench")
    claim = Claim(
        start=start,
        end=start + policy.length,
        manager_day=start.astimezone(manager.zone).date(),
        manager_cells=manager_claim(start, policy),
        site_cells=site_claim(start, policy),
    )
    booked = await appointments.book(
        tx, lead_id=lead_id, manager_id=manager.id, site_id=site.id, claim=claim, at=booked_at
    )
    await leads.set_status(
        tx,
        dataclasses.replace(lead, status=LeadStatus.TARGET),
        LeadStatus.BOOKED,
        at=booked_at,
        actor="prospect",
        reason=f"viewing {booked.id}",
        event=EventType.VIEWING_BOOKED,
        data=viewing_facts(booked, site),
    )
    await add_viewing_reminders(tx, booked, manager, site, booked_at, app.settings.quiet)
    return booked.id


async def seed(app: Application, mode: int, count: int) -> Seeded:
    """Viewings whose reminders are due at NOW: `count` of them, each to its own chat."""
    first_manager = MANAGER_IDS + mode * MODE_STRIDE
    async with app.db.read() as conn:
        team = [
            m
            for m in await managers.listed(conn)
            if first_manager <= m.telegram_user_id < first_manager + MODE_STRIDE
        ]
        offices = {s.id: s for s in await sites.all_sites(conn)}
    team.sort(key=lambda m: m.telegram_user_id)
    plan = list(_plan(team, count, app.settings.slot_policy))
    ids: list[int] = []
    for chunk in range(0, len(plan), 250):  # a few hundred viewings per transaction
        async with app.db.transaction() as tx:
            for number, (manager, start) in enumerate(plan[chunk : chunk + 250], start=chunk):
                assert manager.site_id is not None
                user_id = PROSPECT_IDS + mode * MODE_STRIDE + number
                ids.append(await _book(tx, app, manager, offices[manager.site_id], start, user_id))
    chats: list[int] = []
    async with app.db.read() as conn:
        for reminder in await reminders.due(conn, NOW, limit=4 * count + 100):
            if reminder.appointment_id is None or not ids[0] <= reminder.appointment_id <= ids[-1]:
                continue
            if delivery(reminder.due_at, reminder.not_after, NOW) is not Delivery.SEND:
                raise RuntimeError(f"the seed planned a stale reminder: {reminder}")
            appointment = await appointments.get(conn, reminder.appointment_id)
            assert appointment is not None
            if reminder.kind is ReminderKind.MANAGER_HOUR:
                person = await managers.get(conn, appointment.manager_id)
                assert person is not None
                chats.append(person.chat_id)
            else:
                lead = await leads.get(conn, appointment.lead_id)
                assert lead is not None
                chats.append(lead.chat_id)
    if len(chats) != count or len(set(chats)) != count:
        raise RuntimeError(f"the seed made {len(chats)} due reminders to {len(set(chats))} chats")
    return Seeded(frozenset(chats), (ids[0], ids[-1]), len(team), len(plan))

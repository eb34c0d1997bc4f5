"""Sends the reminders that are due: the prospect's, the manager's and the morning agenda.

A reminder whose moment passed while the bot was down is sent late only while it is
still useful (its `not_after`); a viewing that moved or was cancelled takes its
reminders with it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from bot.clock import Clock
from bot.domain.checklist_text import Localized
from bot.domain.reminders import (
    Delivery,
    QuietHours,
    ReminderKind,
    delivery,
    next_agenda_at,
    outside_quiet,
)
from bot.domain.viewings import Manager
from bot.i18n import Translations
from bot.services.leases import still_held
from bot.services.notifier import Notifier
from bot.storage import appointments, leads, managers, reminders, sites
from bot.storage.db import Database
from bot.storage.reminders import Reminder, ReminderState
from bot.views.viewings import agenda_text, manager_event_text, outcome_screen, reminder_screen

logger = logging.getLogger(__name__)

AGENDA_LEAD = timedelta(minutes=30)
AGENDA_USEFUL_FOR = timedelta(hours=3)
RETRY_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 5
_PROSPECT_KINDS = frozenset({ReminderKind.PROSPECT_DAY_BEFORE, ReminderKind.PROSPECT_TWO_HOURS})


class ReminderDesk:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        translations: Translations,
        clock: Clock,
        *,
        quiet: QuietHours,
        label: Localized | None = None,  # what is booked, in the checklist's words
    ) -> None:
        self._label = label
        self._db = db
        self._notifier = notifier
        self._translations = translations
        self._clock = clock
        self._quiet = quiet

    async def run_due(self) -> int:
        """Plans the next agendas, then sends (or drops) what is due; returns how many were sent."""
        now = self._clock.now()
        await self.plan_agendas(now)
        async with self._db.read() as conn:
            due = await reminders.due(conn, now)
        sent = 0
        for reminder in due:
            if not still_held():  # another replica took the job over: it sends the rest
                break
            decision = delivery(reminder.due_at, reminder.not_after, now)
            if decision is Delivery.WAIT:
                continue
            if decision is Delivery.DROP:
                logger.info("reminder %s (%s) is stale, dropped", reminder.id, reminder.kind)
                await self._finish(reminder, ReminderState.DROPPED, now)
                continue
            outcome = await self._send(reminder, now)
            if outcome is None:
                await self._finish(reminder, ReminderState.CANCELLED, now)
            elif outcome:
                sent += 1
                await self._finish(reminder, ReminderState.SENT, now)
            elif reminder.attempts + 1 >= MAX_ATTEMPTS:
                logger.warning("reminder %s could not be delivered; giving up", reminder.id)
                await self._finish(reminder, ReminderState.DROPPED, now)
            else:
                async with self._db.transaction() as tx:
                    await reminders.retry_at(tx, reminder.id, now + RETRY_AFTER)
        return sent

    async def plan_agendas(self, now: datetime) -> None:
        """Each active manager has their next working morning's agenda planned."""
        async with self._db.read() as conn:
            team = [m for m in await managers.listed(conn) if m.active]
        async with self._db.transaction() as tx:
            for manager in team:
                planned = next_agenda_at(manager.schedule, manager.zone, now, AGENDA_LEAD)
                if planned is None:
                    continue
                # The working day it covers starts AGENDA_LEAD after it.
                day = (planned + AGENDA_LEAD).astimezone(manager.zone).date()
                latest = planned + AGENDA_USEFUL_FOR
                due = outside_quiet(planned, manager.zone, self._quiet, now, latest) or planned
                await reminders.add(
                    tx,
                    ReminderKind.AGENDA,
                    due,
                    due + AGENDA_USEFUL_FOR,
                    manager_id=manager.id,
                    for_day=day,
                )

    async def _send(self, reminder: Reminder, now: datetime) -> bool | None:
        """True: delivered; False: try again later; None: no longer applies."""
        if reminder.kind is ReminderKind.AGENDA:
            return await self._agenda(reminder)
        async with self._db.read() as conn:
            appointment = (
                None
                if reminder.appointment_id is None
                else await appointments.get(conn, reminder.appointment_id)
            )
            if appointment is None or not appointment.is_open:
                return None
            lead = await leads.get(conn, appointment.lead_id)
            site = await sites.get(conn, appointment.site_id)
            manager = await managers.get(conn, appointment.manager_id)
        if lead is None or site is None or manager is None:
            return None
        if reminder.kind in _PROSPECT_KINDS:
            t = self._translations.get(lead.language)
            screen = reminder_screen(
                reminder.kind, appointment, site, manager, t, label=self._label
            )
            message = await self._notifier.send(lead.chat_id, screen.text, markup=screen.markup)
            return message is not None
        t = self._translations.get(manager.language)
        if reminder.kind is ReminderKind.OUTCOME:
            screen = outcome_screen(appointment, lead, manager, t)
            message = await self._notifier.send(manager.chat_id, screen.text, markup=screen.markup)
        else:
            text = manager_event_text("reminder", appointment, lead, site, manager, t)
            message = await self._notifier.send(manager.chat_id, text)
        return message is not None

    async def agenda_for_today(self, manager: Manager) -> str:
        return await self._agenda_text(manager, self._clock.now().astimezone(manager.zone).date())

    async def _agenda(self, reminder: Reminder) -> bool | None:
        if reminder.manager_id is None or reminder.for_day is None:
            return None
        async with self._db.read() as conn:
            manager = await managers.get(conn, reminder.manager_id)
        if manager is None or not manager.active:
            return None
        text = await self._agenda_text(manager, reminder.for_day)
        return await self._notifier.send(manager.chat_id, text) is not None

    async def _agenda_text(self, manager: Manager, day: date) -> str:
        start = datetime.combine(day, time(), manager.zone)
        items = []
        async with self._db.read() as conn:
            for appointment in await appointments.for_manager(
                conn, manager.id, start, start + timedelta(days=1)
            ):
                lead = await leads.get(conn, appointment.lead_id)
                site = await sites.get(conn, appointment.site_id)
                if appointment.is_open and lead is not None and site is not None:
                    items.append((appointment, lead, site))
        return agenda_text(manager, day, items, self._translations.get(manager.language))

    async def _finish(self, reminder: Reminder, state: ReminderState, now: datetime) -> None:
        async with self._db.transaction() as tx:
            await reminders.finish(tx, reminder.id, state, now)

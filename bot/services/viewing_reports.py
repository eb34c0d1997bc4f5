"""The manager's report after a viewing's slot: attended, no-show, or moved.

Each answer settles the viewing and moves the lead in one transaction; a no-show or a
move offers the prospect new times.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.events import EventType, viewing_facts
from bot.domain.leads import LeadStatus
from bot.domain.viewings import AppointmentStatus, Outcome
from bot.i18n import Translations
from bot.keyboards.callbacks import OutcomeCb
from bot.services.availability import Availability
from bot.services.booking import Booking
from bot.services.calendar import CalendarDesk, ChangeKind
from bot.services.replies import Keyboard, Plan, Send, Toast, Turn
from bot.storage import appointments, leads, managers, reminders
from bot.storage.db import Database
from bot.views import Screen

# What each answer makes of the viewing and the lead, and the event it is recorded as.
_SETTLED = {
    Outcome.ATTENDED: (AppointmentStatus.ATTENDED, LeadStatus.ATTENDED, EventType.VIEWING_ATTENDED),
    Outcome.NO_SHOW: (AppointmentStatus.NO_SHOW, LeadStatus.NO_SHOW, EventType.VIEWING_NO_SHOW),
    # It did not happen as booked: the prospect picks a new time.
    Outcome.MOVED: (AppointmentStatus.MOVED, LeadStatus.TARGET, EventType.VIEWING_CANCELLED),
}


class ViewingReports:
    def __init__(
        self,
        db: Database,
        translations: Translations,
        clock: Clock,
        availability: Availability,
        calendar: CalendarDesk,
        booking: Booking,
    ) -> None:
        self._db = db
        self._translations = translations
        self._clock = clock
        self._availability = availability
        self._calendar = calendar
        self._booking = booking

    async def outcome(self, manager_user_id: int, cb: OutcomeCb) -> Turn:
        """Replies go to the manager's chat (the press) and to the prospect's."""
        plan = Plan()
        now = self._clock.now()
        outcome = Outcome(cb.o)
        async with self._db.read() as conn:
            manager = await managers.by_user(conn, manager_user_id)
            current = await appointments.get(conn, cb.a)
            lead = None if current is None else await leads.get(conn, current.lead_id)
        t = self._translations.get(None if manager is None else manager.language)
        if manager is None or current is None or lead is None or current.manager_id != manager.id:
            plan.add(Toast(t("question.closed")))
            return plan.turn()
        if current.status is not AppointmentStatus.BOOKED:
            plan.add(Toast(t(f"manager.outcome.recorded.{current.status}")))
            return plan.turn()
        status, lead_status, event = _SETTLED[outcome]
        site, _ = await self._availability.place(current)
        async with self._db.transaction() as tx:
            changed = await appointments.set_status(tx, current, status, now)
            await reminders.cancel_for_appointment(tx, current.id, now)
            await leads.set_status(
                tx,
                lead,
                lead_status,
                at=now,
                actor=f"manager:{manager.id}",
                reason=f"viewing {current.id}: {outcome}",
                event=event,
                data={**viewing_facts(current, site), "outcome": outcome.value},
            )
            updated = await leads.get(tx, lead.id)
        assert updated is not None
        recorded = t(f"manager.outcome.recorded.{status}")
        plan.add(Toast(recorded), Keyboard(None), Send(manager.chat_id, Screen(recorded)))
        if outcome is Outcome.MOVED:
            await self._calendar.tell_manager(ChangeKind.CANCELLED, changed)
        if outcome in (Outcome.NO_SHOW, Outcome.MOVED):
            prospect_t = self._translations.get(updated.language)
            plan.add(Send(updated.chat_id, Screen(prospect_t(f"viewing.after_{outcome}"))))
            await self._booking.show_days(plan, updated, None, prospect_t, replace=False)
        return plan.turn()

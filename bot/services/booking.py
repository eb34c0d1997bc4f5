"""Booking viewings in the chat: routing a target lead, the slot pickers, booking,
moving and cancelling. Who has free time when is read by bot/services/availability.py;
the manager's report after the slot is bot/services/viewing_reports.py.

Every button carries the viewing it was shown for and that viewing's version
(SEQUENCE); a press on anything older is answered "this has changed" and the
current state is shown instead. Each step returns a `Turn` for the chat adapter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.clock import Clock
from bot.domain.checklist_text import Localized
from bot.domain.events import EventType, viewing_facts
from bot.domain.leads import Lead, LeadId, LeadStatus, check_transition
from bot.domain.reminders import QuietHours, ReminderKind, plan_viewing_reminders
from bot.domain.slots import (
    SlotPolicy,
    manager_claim,
    site_claim,
)
from bot.domain.viewings import (
    Appointment,
    AppointmentStatus,
    Manager,
    Site,
)
from bot.i18n import Translations, Translator
from bot.keyboards.callbacks import ViewingCb, ViewingDayCb, ViewingTimeCb
from bot.services.availability import Availability
from bot.services.calendar import CalendarDesk, ChangeKind
from bot.services.replies import (
    Document,
    Memory,
    Plan,
    Replace,
    Send,
    Sink,
    Stage,
    Toast,
    Turn,
    Venue,
)
from bot.storage import appointments, events, leads, managers, reminders
from bot.storage.appointments import Claim, SlotTaken
from bot.storage.db import Connection, Database
from bot.views import Screen
from bot.views.viewings import (
    ViewingAction,
    cancel_question_screen,
    cancelled_screen,
    confirmation_screen,
    days_screen,
    times_screen,
)

logger = logging.getLogger(__name__)

MAX_WISH_LENGTH = 300
# Statuses from which a lead may book a new viewing.
_CAN_BOOK = frozenset({LeadStatus.TARGET, LeadStatus.NO_SHOW, LeadStatus.CANCELLED})


@dataclass(frozen=True)
class BookingConfig:
    policy: SlotPolicy
    quiet: QuietHours
    label: Localized | None = None  # what is booked, in the checklist's words


@dataclass(frozen=True)
class Tap:
    """A prospect pressed a booking button: who, in which chat."""

    user_id: int
    chat_id: int


class Booking:
    def __init__(
        self,
        db: Database,
        translations: Translations,
        clock: Clock,
        availability: Availability,
        calendar: CalendarDesk,
        config: BookingConfig,
    ) -> None:
        self._db = db
        self._translations = translations
        self._clock = clock
        self._availability = availability
        self._calendar = calendar
        self._config = config

    # --- routing ------------------------------------------------------------------------

    async def offer(self, lead: Lead, memory: Memory) -> Turn:
        """A lead just became target: pick their manager and show free days."""
        async with self._db.transaction() as tx:
            routed = await self.route(tx, lead, self._clock.now())
        return await self.offer_days(routed, memory)

    async def route(self, tx: Connection, lead: Lead, at: datetime) -> Lead:
        """Picks a target lead's manager (in the caller's transaction, so a lead qualified
        and routed is one commit); returns the lead as routed."""
        decision = await self._availability.route(tx, lead, at)
        await leads.set_route(
            tx,
            lead.id,
            manager_id=decision.manager_id,
            code=decision.code.value,
            params=decision.params,
            at=at,
        )
        if decision.manager_id is not None and decision.manager_id != lead.manager_id:
            await managers.note_assigned(tx, decision.manager_id, at)
        routed = await leads.get(tx, lead.id)
        assert routed is not None
        logger.info("lead %s routed: %s %s", lead.id, decision.code, decision.manager_id)
        return routed

    async def offer_days(self, routed: Lead, memory: Memory) -> Turn:
        """What a routed lead is shown: free days, or that the manager will call."""
        plan = Plan(memory)
        t = self._t(routed.language)
        if routed.manager_id is None:
            plan.add(Send(routed.chat_id, Screen(t("viewing.manager_will_call"))))
        else:
            await self.show_days(plan, routed, None, t, replace=False)
        return plan.turn()

    async def assign(
        self, lead_id: int, manager_id: int, *, actor: str = "staff"
    ) -> tuple[Lead | None, Turn]:
        """Staff hands a lead to a manager: the manager is told, the prospect is offered days
        (the turn's replies go to the prospect's chat)."""
        plan = Plan()
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            manager = await managers.get(tx, manager_id)
            if lead is None or manager is None or not manager.active:
                return None, plan.turn()
            await leads.set_route(
                tx, lead.id, manager_id=manager.id, code="manual", params={}, at=now, actor=actor
            )
            await managers.note_assigned(tx, manager.id, now)
            assigned = await leads.get(tx, lead.id)
        assert assigned is not None
        await self._calendar.tell_assigned(manager, assigned)
        if assigned.status in _CAN_BOOK:
            t = self._t(assigned.language)
            await self.show_days(plan, assigned, None, t, replace=False)
        return assigned, plan.turn()

    # --- the pickers --------------------------------------------------------------------

    async def show_current(self, lead: Lead, memory: Memory) -> Turn:
        """A returning prospect sees their viewing, or free days if they may book."""
        plan = Plan(memory)
        t = self._t(lead.language)
        async with self._db.read() as conn:
            current = await appointments.open_for_lead(conn, lead.id)
        if current is not None:
            await self._send_confirmation(plan, lead, current, t, moved=False, fresh=False)
        elif lead.status in _CAN_BOOK and lead.manager_id is not None:
            await self.show_days(plan, lead, None, t, replace=False)
        return plan.turn()

    async def day(
        self, tap: Tap, cb: ViewingDayCb, memory: Memory, sink: Sink | None = None
    ) -> Turn:
        plan = Plan(memory, sink)
        found = await self._picker_lead(plan, tap, cb.a, cb.s)
        if found is None:
            return plan.turn()
        lead, moving = found
        t = self._t(lead.language)
        plan.add(Toast())
        await plan.flush()
        picker, team = await self._availability.picker(lead, moving)
        if picker is None:
            plan.add(Send(lead.chat_id, Screen(t("viewing.manager_will_call"))))
            return plan.turn()
        day = datetime.strptime(cb.day, "%Y%m%d").date()
        starts = self._availability.free_on(picker, team, day)
        if not starts:
            plan.add(Send(lead.chat_id, Screen(t("viewing.day_full"))))
            await self.show_days(plan, lead, moving, t, replace=True)
            return plan.turn()
        plan.add(Replace(times_screen(picker, day, starts, t)))
        return plan.turn()

    async def time(self, tap: Tap, cb: ViewingTimeCb, memory: Memory) -> Turn:
        plan = Plan(memory)
        found = await self._picker_lead(plan, tap, cb.a, cb.s)
        if found is None:
            return plan.turn()
        lead, moving = found
        t = self._t(lead.language)
        picker, team = await self._availability.picker(lead, moving)
        start = datetime.fromtimestamp(cb.t * 60, UTC)
        if picker is None or start not in self._availability.free(picker, team):
            plan.add(Toast(t("viewing.taken")))
            await self._show_fresh_times(plan, lead, moving, start, t)
            return plan.turn()
        now = self._clock.now()
        manager, site = picker.manager, picker.site
        try:
            async with self._db.transaction() as tx:
                booked = await self._book(tx, lead, moving, manager, site, start, now)
        except SlotTaken as taken:
            logger.info("slot %s for lead %s refused: %s", start, lead.id, taken.reason)
            plan.add(Toast(t("viewing.taken")))
            await self._show_fresh_times(plan, lead, moving, start, t)
            return plan.turn()
        plan.add(Toast())
        moved = moving is not None
        await self._send_confirmation(plan, lead, booked, t, moved=moved, fresh=True)
        await self._calendar.tell_manager(ChangeKind.MOVED if moved else ChangeKind.BOOKED, booked)
        return plan.turn()

    async def _book(
        self,
        tx: Connection,
        lead: Lead,
        moving: Appointment | None,
        manager: Manager,
        site: Site,
        start: datetime,
        now: datetime,
    ) -> Appointment:
        policy = self._config.policy
        claim = Claim(
            start=start,
            end=start + policy.length,
            manager_day=start.astimezone(manager.zone).date(),
            manager_cells=manager_claim(start, policy),
            site_cells=site_claim(start, policy),
        )
        if moving is None:
            check_transition(lead.status, LeadStatus.BOOKED)
            booked = await appointments.book(
                tx, lead_id=lead.id, manager_id=manager.id, site_id=site.id, claim=claim, at=now
            )
            reason, event = f"viewing {booked.id}", EventType.VIEWING_BOOKED
        else:
            booked = await appointments.move(tx, moving, claim, now)
            await reminders.cancel_for_appointment(tx, booked.id, now)
            reason, event = f"viewing {booked.id} moved", EventType.VIEWING_MOVED
        await leads.set_status(
            tx,
            lead,
            LeadStatus.BOOKED,
            at=now,
            actor="prospect",
            reason=reason,
            event=event,
            data=viewing_facts(booked, site),
        )
        await leads.set_callback(tx, lead.id, None, now)
        await add_viewing_reminders(tx, booked, manager, site, now, self._config.quiet)
        return booked

    # --- actions on a viewing -----------------------------------------------------------

    async def action(
        self, tap: Tap, cb: ViewingCb, memory: Memory, sink: Sink | None = None
    ) -> Turn:
        plan = Plan(memory, sink)
        found = await self._picker_lead(plan, tap, cb.a, cb.s)
        if found is None:
            return plan.turn()
        lead, current = found
        t = self._t(lead.language)
        if cb.do in (ViewingAction.BOOK, ViewingAction.DAYS, ViewingAction.RESCHEDULE):
            plan.add(Toast())
            await plan.flush()
            # A reschedule opens a new picker below the confirmation, which stays as it is.
            replace = cb.do != ViewingAction.RESCHEDULE
            await self.show_days(plan, lead, current, t, replace=replace)
            return plan.turn()
        if cb.do == ViewingAction.NONE_SUIT:
            plan.add(Toast(), Replace(Screen(t("viewing.wish_question"))))
            plan.remember(stage=Stage.WISH)
            return plan.turn()
        if current is None:
            plan.add(Toast(t("viewing.changed")))
            return plan.turn()
        site, manager = await self._availability.place(current)
        if cb.do == ViewingAction.CANCEL:
            plan.add(Toast(), Send(lead.chat_id, cancel_question_screen(current, site, t)))
        elif cb.do == ViewingAction.KEEP:
            plan.add(Toast(t("viewing.kept")), Replace(Screen(t("viewing.kept"))))
        elif cb.do == ViewingAction.CANCEL_SURE:
            await self._cancel(lead, current, actor="prospect")
            plan.add(Toast(), Replace(cancelled_screen(t)))
        elif cb.do == ViewingAction.CONFIRM:
            now = self._clock.now()
            async with self._db.transaction() as tx:
                await appointments.confirm(tx, current.id, now)
                await events.append(
                    tx,
                    lead.id,
                    EventType.VIEWING_CONFIRMED,
                    at=now,
                    actor="prospect",
                    data=viewing_facts(current, site),
                )
            confirmed = confirmation_screen(
                current, site, manager, t, moved=False, label=self._config.label
            )
            plan.add(Toast(t("viewing.confirmed")), Replace(confirmed))
        else:
            plan.add(Toast(t("question.closed")))
        return plan.turn()

    async def wish(self, user_id: int, text: str, memory: Memory) -> Turn:
        """What the prospect typed after "none of these suit me": a call-back request."""
        plan = Plan(memory)
        plan.remember(stage=None)
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, user_id)
        if lead is None:
            return plan.turn()
        t = self._t(lead.language)
        note = " ".join(text.split())[:MAX_WISH_LENGTH]
        if not note:
            plan.add(Send(lead.chat_id, Screen(t("viewing.wish_question"))))
            plan.remember(stage=Stage.WISH)
            return plan.turn()
        async with self._db.transaction() as tx:
            await leads.set_callback(tx, lead.id, note, self._clock.now())
        plan.add(Send(lead.chat_id, Screen(t("viewing.wish_saved"))))
        await self._calendar.tell_callback(lead.id)
        return plan.turn()

    async def cancel_for_erasure(self, lead_id: LeadId) -> None:
        """The prospect erases their data: their manager's calendar must drop the viewing."""
        async with self._db.read() as conn:
            lead = await leads.get(conn, lead_id)
            current = await appointments.open_for_lead(conn, lead_id)
        if lead is not None and current is not None:
            await self._cancel(lead, current, actor="prospect")
            await self._calendar.push_now()

    async def _cancel(self, lead: Lead, current: Appointment, *, actor: str) -> Appointment:
        now = self._clock.now()
        site, _ = await self._availability.place(current)
        async with self._db.transaction() as tx:
            cancelled = await appointments.set_status(tx, current, AppointmentStatus.CANCELLED, now)
            await reminders.cancel_for_appointment(tx, current.id, now)
            await leads.set_status(
                tx,
                lead,
                LeadStatus.CANCELLED,
                at=now,
                actor=actor,
                reason=f"viewing {current.id} cancelled",
                event=EventType.VIEWING_CANCELLED,
                data=viewing_facts(current, site),
            )
        await self._calendar.tell_manager(ChangeKind.CANCELLED, cancelled)
        return cancelled

    # --- helpers ------------------------------------------------------------------------

    async def _picker_lead(
        self, plan: Plan, tap: Tap, appointment_id: int, sequence: int
    ) -> tuple[Lead, Appointment | None] | None:
        """The lead and the viewing a picker button is for, if the button is still current."""
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, tap.user_id)
            current = None if lead is None else await appointments.open_for_lead(conn, lead.id)
        if lead is None:
            plan.add(Toast(self._t(None)("question.closed")))
            return None
        if appointment_id == 0:
            fresh = current is None and lead.status in _CAN_BOOK and lead.manager_id is not None
        else:
            fresh = (
                current is not None
                and current.id == appointment_id
                and current.sequence == sequence
            )
        if fresh:
            return lead, current
        t = self._t(lead.language)
        plan.add(Toast(t("viewing.changed")))
        if current is not None:
            await self._send_confirmation(plan, lead, current, t, moved=False, fresh=False)
        elif lead.status in _CAN_BOOK and lead.manager_id is not None:
            await self.show_days(plan, lead, None, t, replace=False)
        return None

    async def show_days(
        self, plan: Plan, lead: Lead, moving: Appointment | None, t: Translator, *, replace: bool
    ) -> None:
        picker, team = await self._availability.picker(lead, moving)
        if picker is None:
            self._put(plan, lead, Screen(t("viewing.manager_will_call")), replace=replace)
            return
        counts: dict[date, int] = {}
        for start in self._availability.free(picker, team):
            day = start.astimezone(picker.site.zone).date()
            counts[day] = counts.get(day, 0) + 1
        if not counts:
            self._put(plan, lead, Screen(t("viewing.no_slots")), replace=replace)
            return
        screen = days_screen(picker, sorted(counts.items()), t, self._clock.now())
        self._put(plan, lead, screen, replace=replace)

    async def _show_fresh_times(
        self, plan: Plan, lead: Lead, moving: Appointment | None, wanted: datetime, t: Translator
    ) -> None:
        """After a time was taken: the times still free that day, on the picker message."""
        picker, team = await self._availability.picker(lead, moving)
        if picker is None:
            plan.add(Replace(Screen(t("viewing.manager_will_call"))))
            return
        day = wanted.astimezone(picker.site.zone).date()
        starts = self._availability.free_on(picker, team, day)
        if starts:
            plan.add(Replace(times_screen(picker, day, starts, t)))
        else:
            await self.show_days(plan, lead, moving, t, replace=True)

    async def _send_confirmation(
        self,
        plan: Plan,
        lead: Lead,
        appointment: Appointment,
        t: Translator,
        *,
        moved: bool,
        fresh: bool,
    ) -> None:
        """The viewing's details; a fresh booking or move replaces the picker and also brings
        the pin and a file for the prospect's calendar."""
        site, manager = await self._availability.place(appointment)
        screen = confirmation_screen(
            appointment, site, manager, t, moved=moved, label=self._config.label
        )
        self._put(plan, lead, screen, replace=fresh)
        if not fresh:
            return
        if site.latitude is not None and site.longitude is not None:
            plan.add(Venue(lead.chat_id, site.latitude, site.longitude, site.name, site.address))
        ics = await self._calendar.prospect_file(appointment)
        plan.add(Document(lead.chat_id, t("viewing.ics_filename"), ics, t("viewing.ics_caption")))

    @staticmethod
    def _put(plan: Plan, lead: Lead, screen: Screen, *, replace: bool) -> None:
        """On the picker message the button was on, or as a new message."""
        plan.add(Replace(screen) if replace else Send(lead.chat_id, screen))

    def _t(self, language: str | None) -> Translator:
        return self._translations.get(language)


async def add_viewing_reminders(
    tx: Connection,
    booked: Appointment,
    manager: Manager,
    site: Site,
    now: datetime,
    quiet: QuietHours,
) -> None:
    """The reminders of a viewing just booked, in the booking's transaction."""
    planned = plan_viewing_reminders(booked.start, booked.end, now, site.zone, manager.zone, quiet)
    for item in planned:
        for_manager = item.kind in (ReminderKind.MANAGER_HOUR, ReminderKind.OUTCOME)
        await reminders.add(
            tx,
            item.kind,
            item.due_at,
            item.not_after,
            appointment_id=booked.id,
            manager_id=manager.id if for_manager else None,
        )

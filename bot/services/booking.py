"""Booking viewings in the chat: routing a target lead, the slot pickers, booking,
moving and cancelling, the manager's report after the slot.

Every button carries the viewing it was shown for and that viewing's version
(SEQUENCE); a press on anything older is answered "this has changed" and the
current state is shown instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.clock import Clock
from bot.domain.checklist import Checklist
from bot.domain.events import EventType, viewing_facts
from bot.domain.leads import Lead, LeadId, LeadStatus, check_transition
from bot.domain.reminders import QuietHours, ReminderKind, plan_viewing_reminders
from bot.domain.routing import Candidate, RouteDecision, RoutingRule, route
from bot.domain.slots import (
    Busy,
    ManagerAvailability,
    SiteAvailability,
    SlotPolicy,
    free_slots,
    manager_claim,
    search,
    site_claim,
)
from bot.domain.viewings import (
    Appointment,
    AppointmentStatus,
    Manager,
    Outcome,
    Site,
)
from bot.i18n import Translations, Translator
from bot.keyboards.callbacks import OutcomeCb, ViewingCb, ViewingDayCb, ViewingTimeCb
from bot.services.calendar import CalendarDesk, ChangeKind
from bot.services.notifier import Notifier
from bot.storage import appointments, events, leads, managers, reminders, sites
from bot.storage.appointments import Claim, SlotTaken
from bot.storage.db import Connection, Database
from bot.views import Screen
from bot.views.viewings import (
    Picker,
    ViewingAction,
    cancel_question_screen,
    cancelled_screen,
    confirmation_screen,
    days_screen,
    times_screen,
)

logger = logging.getLogger(__name__)

MAX_WISH_LENGTH = 300
_OUTCOME_EVENT = {
    Outcome.ATTENDED: EventType.VIEWING_ATTENDED,
    Outcome.NO_SHOW: EventType.VIEWING_NO_SHOW,
    # The manager says it did not happen as booked: the prospect picks a new time.
    Outcome.MOVED: EventType.VIEWING_CANCELLED,
}
# Statuses from which a lead may book a new viewing.
_CAN_BOOK = frozenset({LeadStatus.TARGET, LeadStatus.NO_SHOW, LeadStatus.CANCELLED})


class BookingState(StatesGroup):
    wish = State()  # typing when they would like a call instead


@dataclass(frozen=True)
class BookingConfig:
    policy: SlotPolicy
    rule: RoutingRule
    quiet: QuietHours


@dataclass(frozen=True)
class Press:
    """A button press in a chat: who, where, which message, the query to answer."""

    user_id: int
    chat_id: int
    query_id: str
    message_id: int | None


@dataclass(frozen=True)
class _Team:
    """Managers and sites with the time they already hold, read in one go."""

    managers: Mapping[int, Manager]
    sites: Mapping[int, Site]
    availability: Mapping[int, ManagerAvailability]
    site_availability: Mapping[int, SiteAvailability]


class Booking:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        translations: Translations,
        clock: Clock,
        checklist: Checklist,
        calendar: CalendarDesk,
        config: BookingConfig,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._translations = translations
        self._clock = clock
        self._checklist = checklist
        self._calendar = calendar
        self._config = config

    # --- routing ------------------------------------------------------------------------

    async def offer(self, lead: Lead) -> None:
        """A lead just became target: pick their manager and show free days."""
        now = self._clock.now()
        decision = await self._route(lead, now)
        async with self._db.transaction() as tx:
            await leads.set_route(
                tx,
                lead.id,
                manager_id=decision.manager_id,
                code=decision.code.value,
                params=decision.params,
                at=now,
            )
            if decision.manager_id is not None and decision.manager_id != lead.manager_id:
                await managers.note_assigned(tx, decision.manager_id, now)
            routed = await leads.get(tx, lead.id)
        assert routed is not None
        logger.info("lead %s routed: %s %s", lead.id, decision.code, decision.manager_id)
        t = self._t(routed.language)
        if decision.manager_id is None:
            await self._notifier.send(routed.chat_id, t("viewing.manager_will_call"))
            return
        await self._show_days(routed, None, t, message_id=None)

    async def assign(self, lead_id: int, manager_id: int, *, actor: str = "staff") -> Lead | None:
        """Staff hands a lead to a manager: the manager is told, the prospect is offered days."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            manager = await managers.get(tx, manager_id)
            if lead is None or manager is None or not manager.active:
                return None
            await leads.set_route(
                tx, lead.id, manager_id=manager.id, code="manual", params={}, at=now, actor=actor
            )
            await managers.note_assigned(tx, manager.id, now)
            assigned = await leads.get(tx, lead.id)
        assert assigned is not None
        await self._calendar.tell_assigned(manager, assigned)
        if assigned.status in _CAN_BOOK:
            await self._show_days(assigned, None, self._t(assigned.language), message_id=None)
        return assigned

    async def _route(self, lead: Lead, now: datetime) -> RouteDecision:
        async with self._db.read() as conn:
            team = await self._team(conn, now, ignore=None)
            upcoming = await appointments.upcoming_count(conn, now)
        searchable = [team.availability[m] for m in team.availability]
        free = {
            manager_id
            for slot in search(searchable, team.site_availability, self._config.policy, now)
            for manager_id in slot.manager_ids
        }
        candidates = [
            Candidate(
                manager_id=manager.id,
                covers=manager.covers,
                weight=manager.weight,
                active=manager.active and manager.id in team.availability,
                assigned=manager.assigned,
                last_assigned_at=manager.last_assigned_at,
                upcoming=upcoming.get(manager.id, 0),
                has_free_slot=manager.id in free,
            )
            for manager in team.managers.values()
        ]
        wanted = self._checklist.routing_wanted(lead.answers)
        return route(wanted, candidates, self._config.rule, lead.manager_id)

    # --- the pickers --------------------------------------------------------------------

    async def show_current(self, lead: Lead) -> bool:
        """A returning prospect sees their viewing, or free days if they may book (else False)."""
        t = self._t(lead.language)
        async with self._db.read() as conn:
            current = await appointments.open_for_lead(conn, lead.id)
        if current is not None:
            await self._send_confirmation(lead, current, t, moved=False, message_id=None)
            return True
        if lead.status in _CAN_BOOK and lead.manager_id is not None:
            await self._show_days(lead, None, t, message_id=None)
            return True
        return False

    async def day(self, press: Press, cb: ViewingDayCb) -> None:
        found = await self._picker_lead(press, cb.a, cb.s)
        if found is None:
            return
        lead, moving = found
        t = self._t(lead.language)
        picker, team = await self._picker(lead, moving)
        if picker is None:
            await self._notifier.answer_callback(press.query_id)
            await self._notifier.send(lead.chat_id, t("viewing.manager_will_call"))
            return
        await self._notifier.answer_callback(press.query_id)
        day = datetime.strptime(cb.day, "%Y%m%d").date()
        starts = self._free_on(picker, team, day)
        if not starts:
            await self._notifier.send(lead.chat_id, t("viewing.day_full"))
            await self._show_days(lead, moving, t, message_id=press.message_id)
            return
        await self._put(lead.chat_id, press.message_id, times_screen(picker, day, starts, t))

    async def time(self, press: Press, cb: ViewingTimeCb) -> None:
        found = await self._picker_lead(press, cb.a, cb.s)
        if found is None:
            return
        lead, moving = found
        t = self._t(lead.language)
        picker, team = await self._picker(lead, moving)
        start = datetime.fromtimestamp(cb.t * 60, UTC)
        if picker is None or start not in self._free(picker, team):
            await self._notifier.answer_callback(press.query_id, t("viewing.taken"))
            await self._show_fresh_times(lead, moving, start, t, press.message_id)
            return
        now = self._clock.now()
        manager, site = picker.manager, picker.site
        try:
            async with self._db.transaction() as tx:
                booked = await self._book(tx, lead, moving, manager, site, start, now)
        except SlotTaken as taken:
            logger.info("slot %s for lead %s refused: %s", start, lead.id, taken.reason)
            await self._notifier.answer_callback(press.query_id, t("viewing.taken"))
            await self._show_fresh_times(lead, moving, start, t, press.message_id)
            return
        await self._notifier.answer_callback(press.query_id)
        moved = moving is not None
        await self._send_confirmation(lead, booked, t, moved=moved, message_id=press.message_id)
        await self._calendar.tell_manager(ChangeKind.MOVED if moved else ChangeKind.BOOKED, booked)

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
        await self._plan_reminders(tx, booked, manager, site, now)
        return booked

    async def _plan_reminders(
        self, tx: Connection, booked: Appointment, manager: Manager, site: Site, now: datetime
    ) -> None:
        planned = plan_viewing_reminders(
            booked.start, booked.end, now, site.zone, manager.zone, self._config.quiet
        )
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

    # --- actions on a viewing -----------------------------------------------------------

    async def action(self, press: Press, cb: ViewingCb, state: FSMContext) -> None:
        found = await self._picker_lead(press, cb.a, cb.s)
        if found is None:
            return
        lead, current = found
        t = self._t(lead.language)
        if cb.do in (ViewingAction.BOOK, ViewingAction.DAYS, ViewingAction.RESCHEDULE):
            await self._notifier.answer_callback(press.query_id)
            # A reschedule opens a new picker below the confirmation, which stays as it is.
            message_id = None if cb.do == ViewingAction.RESCHEDULE else press.message_id
            await self._show_days(lead, current, t, message_id=message_id)
            return
        if cb.do == ViewingAction.NONE_SUIT:
            await self._notifier.answer_callback(press.query_id)
            await self._put(lead.chat_id, press.message_id, Screen(t("viewing.wish_question")))
            await state.set_state(BookingState.wish)
            return
        if current is None:
            await self._notifier.answer_callback(press.query_id, t("viewing.changed"))
            return
        site, manager = await self._place(current)
        if cb.do == ViewingAction.CANCEL:
            await self._notifier.answer_callback(press.query_id)
            screen = cancel_question_screen(current, site, t)
            await self._notifier.send(lead.chat_id, screen.text, markup=screen.markup)
        elif cb.do == ViewingAction.KEEP:
            await self._notifier.answer_callback(press.query_id, t("viewing.kept"))
            await self._put(lead.chat_id, press.message_id, Screen(t("viewing.kept")))
        elif cb.do == ViewingAction.CANCEL_SURE:
            await self._cancel(lead, current, actor="prospect")
            await self._notifier.answer_callback(press.query_id)
            await self._put(lead.chat_id, press.message_id, cancelled_screen(t))
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
            await self._notifier.answer_callback(press.query_id, t("viewing.confirmed"))
            confirmed = confirmation_screen(current, site, manager, t, moved=False)
            await self._put(lead.chat_id, press.message_id, confirmed)
        else:
            await self._notifier.answer_callback(press.query_id, t("question.closed"))

    async def wish(self, user_id: int, text: str, state: FSMContext) -> None:
        """What the prospect typed after "none of these suit me": a call-back request."""
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, user_id)
        await state.set_state(None)
        if lead is None:
            return
        t = self._t(lead.language)
        note = " ".join(text.split())[:MAX_WISH_LENGTH]
        if not note:
            await self._notifier.send(lead.chat_id, t("viewing.wish_question"))
            await state.set_state(BookingState.wish)
            return
        async with self._db.transaction() as tx:
            await leads.set_callback(tx, lead.id, note, self._clock.now())
        await self._notifier.send(lead.chat_id, t("viewing.wish_saved"))
        await self._calendar.tell_callback(lead.id)

    async def cancel_for_erasure(self, lead_id: LeadId) -> None:
        """The prospect erases their data: their manager's calendar must drop the viewing."""
        async with self._db.read() as conn:
            lead = await leads.get(conn, lead_id)
            current = await appointments.open_for_lead(conn, lead_id)
        if lead is not None and current is not None:
            await self._cancel(lead, current, actor="prospect")
            await self._calendar.push_pending()

    async def _cancel(
        self, lead: Lead, current: Appointment, *, actor: str, comment: str = ""
    ) -> Appointment:
        now = self._clock.now()
        site, _ = await self._place(current)
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
                data={**viewing_facts(current, site), "comment": comment},
            )
        await self._calendar.tell_manager(ChangeKind.CANCELLED, cancelled)
        return cancelled

    # --- after the slot -----------------------------------------------------------------

    async def outcome(
        self, manager_user_id: int, cb: OutcomeCb, query_id: str, message_id: int | None
    ) -> None:
        now = self._clock.now()
        outcome = Outcome(cb.o)
        async with self._db.read() as conn:
            manager = await managers.by_user(conn, manager_user_id)
            current = await appointments.get(conn, cb.a)
            lead = None if current is None else await leads.get(conn, current.lead_id)
        t = self._t(None if manager is None else manager.language)
        if manager is None or current is None or lead is None or current.manager_id != manager.id:
            await self._notifier.answer_callback(query_id, t("question.closed"))
            return
        if current.status is not AppointmentStatus.BOOKED:
            recorded = t(f"manager.outcome.recorded.{current.status}")
            await self._notifier.answer_callback(query_id, recorded)
            return
        status, lead_status = {
            Outcome.ATTENDED: (AppointmentStatus.ATTENDED, LeadStatus.ATTENDED),
            Outcome.NO_SHOW: (AppointmentStatus.NO_SHOW, LeadStatus.NO_SHOW),
            Outcome.MOVED: (AppointmentStatus.MOVED, LeadStatus.TARGET),
        }[outcome]
        site, _ = await self._place(current)
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
                event=_OUTCOME_EVENT[outcome],
                data={**viewing_facts(current, site), "outcome": outcome.value},
            )
            updated = await leads.get(tx, lead.id)
        assert updated is not None
        await self._notifier.answer_callback(query_id, t(f"manager.outcome.recorded.{status}"))
        if message_id is not None:
            await self._notifier.edit_markup(manager.chat_id, message_id, None)
        await self._notifier.send(manager.chat_id, t(f"manager.outcome.recorded.{status}"))
        if outcome is Outcome.MOVED:
            await self._calendar.tell_manager(ChangeKind.CANCELLED, changed)
        if outcome in (Outcome.NO_SHOW, Outcome.MOVED):
            prospect_t = self._t(updated.language)
            await self._notifier.send(updated.chat_id, prospect_t(f"viewing.after_{outcome}"))
            await self._show_days(updated, None, prospect_t, message_id=None)

    # --- helpers ------------------------------------------------------------------------

    async def _picker_lead(
        self, press: Press, appointment_id: int, sequence: int
    ) -> tuple[Lead, Appointment | None] | None:
        """The lead and the viewing a picker button is for, if the button is still current."""
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, press.user_id)
            current = None if lead is None else await appointments.open_for_lead(conn, lead.id)
        if lead is None:
            await self._notifier.answer_callback(press.query_id, self._t(None)("question.closed"))
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
        await self._notifier.answer_callback(press.query_id, t("viewing.changed"))
        if current is not None:
            await self._send_confirmation(lead, current, t, moved=False, message_id=None)
        elif lead.status in _CAN_BOOK and lead.manager_id is not None:
            await self._show_days(lead, None, t, message_id=None)
        return None

    async def _picker(self, lead: Lead, moving: Appointment | None) -> tuple[Picker | None, _Team]:
        """The manager and site slots are offered for: a moved viewing keeps both."""
        now = self._clock.now()
        async with self._db.read() as conn:
            team = await self._team(conn, now, ignore=moving)
        manager_id = moving.manager_id if moving is not None else lead.manager_id
        manager = team.managers.get(manager_id) if manager_id is not None else None
        if manager is None or manager.id not in team.availability:
            return None, team
        site = team.sites[team.availability[manager.id].site_id]
        picker = Picker(
            appointment_id=0 if moving is None else moving.id,
            sequence=0 if moving is None else moving.sequence,
            site=site,
            manager=manager,
        )
        return picker, team

    def _free(self, picker: Picker, team: _Team) -> list[datetime]:
        return free_slots(
            team.availability[picker.manager.id],
            team.site_availability[picker.site.id],
            self._config.policy,
            self._clock.now(),
        )

    def _free_on(self, picker: Picker, team: _Team, day: date) -> list[datetime]:
        """Free starts on one day of the site's calendar."""
        return [s for s in self._free(picker, team) if s.astimezone(picker.site.zone).date() == day]

    async def _show_days(
        self, lead: Lead, moving: Appointment | None, t: Translator, *, message_id: int | None
    ) -> None:
        picker, team = await self._picker(lead, moving)
        if picker is None:
            await self._put(lead.chat_id, message_id, Screen(t("viewing.manager_will_call")))
            return
        counts: dict[date, int] = {}
        for start in self._free(picker, team):
            day = start.astimezone(picker.site.zone).date()
            counts[day] = counts.get(day, 0) + 1
        if not counts:
            await self._put(lead.chat_id, message_id, Screen(t("viewing.no_slots")))
            return
        screen = days_screen(picker, sorted(counts.items()), t, self._clock.now())
        await self._put(lead.chat_id, message_id, screen)

    async def _show_fresh_times(
        self,
        lead: Lead,
        moving: Appointment | None,
        wanted: datetime,
        t: Translator,
        message_id: int | None,
    ) -> None:
        picker, team = await self._picker(lead, moving)
        if picker is None:
            await self._put(lead.chat_id, message_id, Screen(t("viewing.manager_will_call")))
            return
        day = wanted.astimezone(picker.site.zone).date()
        starts = self._free_on(picker, team, day)
        if starts:
            await self._put(lead.chat_id, message_id, times_screen(picker, day, starts, t))
        else:
            await self._show_days(lead, moving, t, message_id=message_id)

    async def _send_confirmation(
        self,
        lead: Lead,
        appointment: Appointment,
        t: Translator,
        *,
        moved: bool,
        message_id: int | None,
    ) -> None:
        site, manager = await self._place(appointment)
        await self._put(
            lead.chat_id,
            message_id,
            confirmation_screen(appointment, site, manager, t, moved=moved),
        )
        if message_id is None:
            return
        # A fresh booking or move also brings the pin and a file for the prospect's calendar.
        if site.latitude is not None and site.longitude is not None:
            await self._notifier.send_venue(
                lead.chat_id, site.latitude, site.longitude, site.name, site.address
            )
        await self._notifier.send_document(
            lead.chat_id,
            t("viewing.ics_filename"),
            await self._calendar.prospect_file(appointment),
            caption=t("viewing.ics_caption"),
        )

    async def _place(self, appointment: Appointment) -> tuple[Site, Manager]:
        async with self._db.read() as conn:
            site = await sites.get(conn, appointment.site_id)
            manager = await managers.get(conn, appointment.manager_id)
        assert site is not None and manager is not None
        return site, manager

    async def _team(self, conn: Connection, now: datetime, *, ignore: Appointment | None) -> _Team:
        policy = self._config.policy
        window_start = now - policy.length - policy.buffer - timedelta(days=1)
        window_end = now + timedelta(days=policy.horizon_days + 2)
        all_sites: dict[int, Site] = {site.id: site for site in await sites.all_sites(conn)}
        team: dict[int, Manager] = {m.id: m for m in await managers.listed(conn)}
        holding = [
            a
            for a in await appointments.holding_between(conn, window_start, window_end)
            if ignore is None or a.id != ignore.id
        ]
        blocks = await managers.blocks_between(conn, window_start, window_end)
        site_availability: dict[int, SiteAvailability] = {
            site.id: SiteAvailability(
                site_id=site.id,
                zone=site.zone,
                capacity=site.capacity,
                viewings=[Busy(a.start, a.end) for a in holding if a.site_id == site.id],
            )
            for site in all_sites.values()
            if site.active
        }
        availability: dict[int, ManagerAvailability] = {
            manager.id: ManagerAvailability(
                manager_id=manager.id,
                zone=manager.zone,
                schedule=manager.schedule,
                daily_cap=manager.daily_cap,
                site_id=manager.site_id,
                viewings=[Busy(a.start, a.end) for a in holding if a.manager_id == manager.id],
                blocked=blocks.get(manager.id, []),
            )
            for manager in team.values()
            if manager.active and manager.site_id in site_availability
        }
        return _Team(team, all_sites, availability, site_availability)

    async def _put(self, chat_id: int, message_id: int | None, screen: Screen) -> None:
        """Replaces the picker message when there is one, else sends a new message."""
        if message_id is not None and await self._notifier.edit(
            chat_id, message_id, screen.text, markup=screen.inline
        ):
            return
        await self._notifier.send(chat_id, screen.text, markup=screen.markup)

    def _t(self, language: str | None) -> Translator:
        return self._translations.get(language)

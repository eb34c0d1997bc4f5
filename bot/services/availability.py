"""The team's free time, read from the database: who a lead goes to, which manager and
site a picker offers, and which starts are still free. No messages, no writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.clock import Clock
from bot.domain.checklist import Checklist
from bot.domain.leads import Lead
from bot.domain.routing import Candidate, RouteDecision, RoutingRule, route
from bot.domain.slots import (
    Busy,
    ManagerAvailability,
    SiteAvailability,
    SlotPolicy,
    free_slots,
    search,
)
from bot.domain.viewings import Appointment, Manager, Site
from bot.storage import appointments, managers, sites
from bot.storage.db import Connection, Database
from bot.views.viewings import Picker


@dataclass(frozen=True)
class Team:
    """Managers and sites with the time they already hold, read in one go."""

    managers: Mapping[int, Manager]
    sites: Mapping[int, Site]
    availability: Mapping[int, ManagerAvailability]
    site_availability: Mapping[int, SiteAvailability]


class Availability:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        checklist: Checklist,
        policy: SlotPolicy,
        rule: RoutingRule,
    ) -> None:
        self._db = db
        self._clock = clock
        self._checklist = checklist
        self._policy = policy
        self._rule = rule

    async def route(self, conn: Connection, lead: Lead, now: datetime) -> RouteDecision:
        """Which manager a target lead goes to, by the routing rule and who has free time
        (read in the caller's transaction, which records the choice)."""
        await managers.take_turns(conn)
        team = await self._team(conn, now, ignore=None)
        upcoming = await appointments.upcoming_count(conn, now)
        searchable = [team.availability[m] for m in team.availability]
        free = {
            manager_id
            for slot in search(searchable, team.site_availability, self._policy, now)
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
        return route(wanted, candidates, self._rule, lead.manager_id)

    async def picker(self, lead: Lead, moving: Appointment | None) -> tuple[Picker | None, Team]:
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

    def free(self, picker: Picker, team: Team) -> list[datetime]:
        return free_slots(
            team.availability[picker.manager.id],
            team.site_availability[picker.site.id],
            self._policy,
            self._clock.now(),
        )

    def free_on(self, picker: Picker, team: Team, day: date) -> list[datetime]:
        """Free starts on one day of the site's calendar."""
        return [s for s in self.free(picker, team) if s.astimezone(picker.site.zone).date() == day]

    async def place(self, appointment: Appointment) -> tuple[Site, Manager]:
        async with self._db.read() as conn:
            site = await sites.get(conn, appointment.site_id)
            manager = await managers.get(conn, appointment.manager_id)
        assert site is not None and manager is not None
        return site, manager

    async def _team(self, conn: Connection, now: datetime, *, ignore: Appointment | None) -> Team:
        policy = self._policy
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
        return Team(team, all_sites, availability, site_availability)

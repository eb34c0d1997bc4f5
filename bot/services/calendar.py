"""The managers' calendars: .ics messages, the subscribable feed, CalDAV push and pull.

CalDAV is kept in step by reconciliation: every viewing remembers the SEQUENCE its
manager's calendar last accepted, and a job pushes whatever is behind (with back-off
while the server is down), so the calendar converges on the truth after any outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from html import escape

from bot.clock import Clock
from bot.domain.checklist_text import Localized
from bot.domain.leads import Lead, LeadId
from bot.domain.slots import Busy
from bot.domain.viewings import Appointment, AppointmentStatus, Manager, Site
from bot.i18n import Translations, Translator
from bot.integrations.caldav import CalDavAccount, CalDavClient, CalDavError
from bot.integrations.ics import CalendarEvent, Method, Person, event_file, event_for_caldav, feed
from bot.services.leases import Leases
from bot.services.notifier import Notifier
from bot.storage import appointments, leads, managers, sites
from bot.storage.db import Connection, Database
from bot.views.viewings import lead_line, manager_event_text, plain_appointment_label

logger = logging.getLogger(__name__)

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=366)
PULL_AHEAD = timedelta(days=100)
_RETRY_CAP = timedelta(hours=1)
# Seconds a booking waits for its CalDAV push before leaving it to the job.
PUSH_NOW_TIMEOUT = 5.0
# The push job's lease: a push made at once takes it too, so replicas never push twice.
PUSH_LEASE = "caldav_push"


class ChangeKind(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"


class CalendarDesk:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        translations: Translations,
        clock: Clock,
        caldav: CalDavClient,
        *,
        company: str,
        label: Localized | None = None,
        leases: Leases | None = None,
    ) -> None:
        self._db = db
        self._leases = leases
        self._notifier = notifier
        self._translations = translations
        self._clock = clock
        self._caldav = caldav
        self._organizer = Person(company)
        self._label = label  # what is booked, as the checklist calls it

    # --- Telegram messages ---------------------------------------------------------------

    async def tell_manager(self, kind: ChangeKind, appointment: Appointment) -> None:
        """A private message with the .ics attached: calendar apps file it by UID/SEQUENCE."""
        details = await self._details(appointment)
        if details is None:
            return
        lead, site, manager = details
        t = self._t(manager.language)
        method = Method.CANCEL if kind is ChangeKind.CANCELLED else Method.REQUEST
        data = event_file(self._manager_event(appointment, lead, site, manager, t), method)
        caption = manager_event_text(kind.value, appointment, lead, site, manager, t)
        await self._notifier.send_document(
            manager.chat_id, t("manager.ics_filename"), data, caption=caption
        )
        # A slow calendar server must not hold up the prospect's chat; the job retries.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.push_now(), PUSH_NOW_TIMEOUT)

    async def tell_assigned(self, manager: Manager, lead: Lead) -> None:
        t = self._t(manager.language)
        await self._notifier.send(manager.chat_id, t("manager.assigned", lead=lead_line(lead, t)))

    async def tell_callback(self, lead_id: int) -> None:
        """The prospect asked for a call instead of a slot: their manager should know."""
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(lead_id))
            manager = (
                None
                if lead is None or lead.manager_id is None
                else await managers.get(conn, lead.manager_id)
            )
        if lead is None or manager is None or not manager.active:
            return
        t = self._t(manager.language)
        text = t("manager.callback", lead=lead_line(lead, t), wish=escape(lead.callback_note or ""))
        await self._notifier.send(manager.chat_id, text)

    async def prospect_file(self, appointment: Appointment) -> bytes:
        details = await self._details(appointment)
        assert details is not None
        lead, site, manager = details
        t = self._t(lead.language)
        event = CalendarEvent(
            uid=appointment.uid,
            sequence=appointment.sequence,
            start=appointment.start,
            end=appointment.end,
            zone=site.zone,
            summary=t("ics.prospect.summary", site=site.name),
            description=t("ics.prospect.description", manager=manager.display_name, site=site.name),
            location=site.address,
            geo=_geo(site),
            organizer=self._organizer,
            stamp=appointment.updated_at,
        )
        return event_file(event, Method.PUBLISH)

    # --- the feed ------------------------------------------------------------------------

    async def feed(self, token: str) -> bytes | None:
        """The manager's subscribable calendar, or None for an unknown or revoked token."""
        now = self._clock.now()
        async with self._db.read() as conn:
            manager = await managers.by_feed_token(conn, token)
            if manager is None:
                return None
            items = await appointments.for_manager(
                conn, manager.id, now - FEED_PAST, now + FEED_FUTURE
            )
            events = []
            for appointment in items:
                details = await self._details_in(conn, appointment)
                if details is not None:
                    lead, site, _ = details
                    t = self._t(manager.language)
                    events.append(self._manager_event(appointment, lead, site, manager, t))
        t = self._t(manager.language)
        return feed(events, name=t("ics.feed_name", manager=manager.display_name))

    async def new_feed_token(self, manager: Manager) -> str:
        """Issues a fresh secret; the old URL stops working at once."""
        token = secrets.token_urlsafe(24)
        async with self._db.transaction() as tx:
            await managers.update(tx, manager.id, at=self._clock.now(), feed_token=token)
        return token

    # --- CalDAV --------------------------------------------------------------------------

    async def connect_caldav(self, manager: Manager, url: str, username: str, password: str) -> str:
        """Checks the calendar and saves it; raises CalDavError. Returns its display name."""
        if not url.endswith("/"):
            url += "/"
        account = CalDavAccount(url, username, password)
        name = await self._caldav.check(account)
        async with self._db.transaction() as tx:
            await managers.update(
                tx,
                manager.id,
                at=self._clock.now(),
                caldav_url=url,
                caldav_username=username,
                caldav_password=password,
                caldav_error=None,
            )
            await appointments.caldav_forget(tx, manager.id)
        await self.push_now()
        await self.pull_busy()
        return name

    async def disconnect_caldav(self, manager: Manager) -> None:
        async with self._db.transaction() as tx:
            await managers.update(
                tx,
                manager.id,
                at=self._clock.now(),
                caldav_url=None,
                caldav_username=None,
                caldav_password=None,
                caldav_error=None,
            )
            await managers.replace_blocks(tx, manager.id, [])

    async def push_now(self) -> None:
        """Pushes the pending changes at once, under the push job's lease. When another
        replica holds it, its pass (or the next, within CALDAV_PUSH_SECONDS) takes them."""
        if self._leases is None:
            await self.push_pending()
        else:
            await self._leases.run(PUSH_LEASE, self.push_pending)

    async def push_pending(self) -> None:
        """Brings every CalDAV calendar up to the latest version of its viewings."""
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await appointments.caldav_due(conn, now)
        for appointment in due:
            details = await self._details(appointment)
            if details is None:
                continue
            lead, site, manager = details
            if manager.caldav is None:
                continue
            account = CalDavAccount(
                manager.caldav.url, manager.caldav.username, manager.caldav.password
            )
            try:
                if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.MOVED):
                    await self._caldav.delete_event(account, appointment.uid)
                else:
                    event = self._manager_event(
                        appointment, lead, site, manager, self._t(manager.language)
                    )
                    await self._caldav.put_event(account, appointment.uid, event_for_caldav(event))
            except CalDavError as error:
                await self._push_failed(appointment, manager, error, now)
                continue
            async with self._db.transaction() as tx:
                await appointments.caldav_done(tx, appointment.id, appointment.sequence)
                if manager.caldav_error is not None:
                    await managers.update(tx, manager.id, at=now, caldav_error=None)

    async def pull_busy(self) -> None:
        """Copies the managers' own events into blocked time, so those slots are not offered."""
        now = self._clock.now()
        async with self._db.read() as conn:
            team = [m for m in await managers.listed(conn) if m.caldav is not None]
        for manager in team:
            assert manager.caldav is not None
            account = CalDavAccount(
                manager.caldav.url, manager.caldav.username, manager.caldav.password
            )
            async with self._db.read() as conn:
                ours = [
                    a.uid
                    for a in await appointments.for_manager(
                        conn, manager.id, now - FEED_PAST, now + PULL_AHEAD
                    )
                ]
            try:
                busy = await self._caldav.busy(
                    account, now, now + PULL_AHEAD, ignore_uids=ours, default_zone=manager.zone
                )
            except CalDavError as error:
                logger.warning("CalDAV of manager %s: %s", manager.id, error.kind)
                async with self._db.transaction() as tx:
                    await managers.update(tx, manager.id, at=now, caldav_error=error.kind.value)
                continue
            async with self._db.transaction() as tx:
                await managers.replace_blocks(tx, manager.id, [Busy(s, e) for s, e in busy])
                await managers.update(tx, manager.id, at=now, caldav_synced_at=now.isoformat())

    async def _push_failed(
        self, appointment: Appointment, manager: Manager, error: CalDavError, now: datetime
    ) -> None:
        async with self._db.transaction() as tx:
            attempts = await appointments.caldav_attempts(tx, appointment.id)
            delay = min(timedelta(minutes=1) * 2 ** min(attempts, 10), _RETRY_CAP)
            await appointments.caldav_failed(tx, appointment.id, now + delay)
            await managers.update(tx, manager.id, at=now, caldav_error=error.kind.value)
        logger.warning(
            "CalDAV push of viewing %s failed (%s), retry in %s", appointment.id, error.kind, delay
        )

    # --- helpers -------------------------------------------------------------------------

    def _manager_event(
        self, appointment: Appointment, lead: Lead, site: Site, manager: Manager, t: Translator
    ) -> CalendarEvent:
        return CalendarEvent(
            uid=appointment.uid,
            sequence=appointment.sequence,
            start=appointment.start,
            end=appointment.end,
            zone=site.zone,
            summary=t(
                "ics.manager.summary",
                appointment=plain_appointment_label(self._label, t),
                lead=lead.name or t("staff.no_name"),
                site=site.name,
            ),
            description=t(
                "ics.manager.description",
                name=lead.name or t("staff.no_name"),
                phone=lead.phone or "—",
                lead=lead.id,
            ),
            location=site.address,
            geo=_geo(site),
            organizer=self._organizer,
            attendees=(Person(manager.display_name),),
            cancelled=appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.MOVED),
            stamp=appointment.updated_at,
        )

    async def _details(self, appointment: Appointment) -> tuple[Lead, Site, Manager] | None:
        async with self._db.read() as conn:
            return await self._details_in(conn, appointment)

    @staticmethod
    async def _details_in(
        conn: Connection, appointment: Appointment
    ) -> tuple[Lead, Site, Manager] | None:
        lead = await leads.get(conn, appointment.lead_id)
        site = await sites.get(conn, appointment.site_id)
        manager = await managers.get(conn, appointment.manager_id)
        if lead is None or site is None or manager is None:
            return None
        return lead, site, manager

    def _t(self, language: str | None) -> Translator:
        return self._translations.get(language)


def _geo(site: Site) -> tuple[float, float] | None:
    if site.latitude is None or site.longitude is None:
        return None
    return site.latitude, site.longitude

"""What the sales desk asks of a lead: read it, move it, message the client.

The inbound API calls these; they take plain data and return results
(bot/services/lead_commands.py). Messages to the client are stored first and sent by a
job, after quiet hours, and copied into the lead's topic for the staff.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.methods import SendMessage

from bot.clock import Clock
from bot.domain.events import EventType, utc_text, viewing_facts
from bot.domain.leads import InvalidTransition, LeadId, LeadStatus, allowed_from, check_transition
from bot.domain.reminders import QuietHours, outside_quiet
from bot.domain.viewings import AppointmentStatus
from bot.i18n import Translator
from bot.services.calendar import CalendarDesk, ChangeKind
from bot.services.lead_commands import (
    MessageOutcome,
    MessageResult,
    StatusOutcome,
    StatusResult,
)
from bot.services.lead_facts import LeadReader
from bot.services.notifier import Delivery, Notifier
from bot.services.staff_desk import StaffDesk
from bot.services.worker import Worker
from bot.storage import appointments, client_messages, events, leads, reminders, sites
from bot.storage.client_messages import ClientMessage
from bot.storage.db import Database

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 10
RETRY_AFTER = timedelta(minutes=1)
IDLE_SECONDS = 15.0
# A status the sales desk sets on a lead with an open viewing also settles the viewing.
_VIEWING_STATUS = {
    LeadStatus.CANCELLED: (AppointmentStatus.CANCELLED, EventType.VIEWING_CANCELLED),
    LeadStatus.ATTENDED: (AppointmentStatus.ATTENDED, EventType.VIEWING_ATTENDED),
    LeadStatus.NO_SHOW: (AppointmentStatus.NO_SHOW, EventType.VIEWING_NO_SHOW),
    # Back to target: the viewing will not happen as booked; a new time is to be found.
    LeadStatus.TARGET: (AppointmentStatus.MOVED, EventType.VIEWING_CANCELLED),
}


_GIVES_TIME_BACK = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.MOVED})


@dataclass(frozen=True)
class LeadDeskConfig:
    zone: ZoneInfo
    quiet: QuietHours


class LeadDesk:
    def __init__(
        self,
        db: Database,
        reader: LeadReader,
        notifier: Notifier,
        calendar: CalendarDesk,
        staff_chat: StaffDesk,
        staff_t: Translator,
        clock: Clock,
        config: LeadDeskConfig,
        *,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._reader = reader
        self._notifier = notifier
        self._calendar = calendar
        self._staff_chat = staff_chat
        self._staff_t = staff_t
        self._clock = clock
        self._config = config
        self._on_change = on_change  # lets the event consumers catch up (cards, the CRM)
        self.worker = Worker("client messages", self._pass_for_worker, IDLE_SECONDS)

    async def lead_snapshot(self, lead_id: int) -> Mapping[str, Any] | None:
        return await self._reader.snapshot(lead_id)

    async def change_status(
        self, lead_id: int, status: str, comment: str, *, actor: str
    ) -> StatusResult:
        try:
            wanted = LeadStatus(status)
        except ValueError:
            return StatusResult(StatusOutcome.UNKNOWN_STATUS)
        now = self._clock.now()
        settled = None
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            if lead is None:
                return StatusResult(StatusOutcome.NOT_FOUND)
            allowed = tuple(s.value for s in allowed_from(lead.status))
            if wanted is lead.status:  # already there: nothing to do, nothing recorded
                return StatusResult(StatusOutcome.MOVED, lead.status.value, allowed)
            try:
                check_transition(lead.status, wanted)
            except InvalidTransition:
                return StatusResult(StatusOutcome.NOT_ALLOWED, lead.status.value, allowed)
            event, data = EventType.STATUS_CHANGED, {"comment": comment}
            current = await appointments.open_for_lead(tx, lead.id)
            if current is not None and wanted in _VIEWING_STATUS:
                appointment_status, event = _VIEWING_STATUS[wanted]
                site = await sites.get(tx, current.site_id)
                assert site is not None
                settled = await appointments.set_status(tx, current, appointment_status, now)
                await reminders.cancel_for_appointment(tx, current.id, now)
                data |= viewing_facts(current, site)
            await leads.set_status(
                tx, lead, wanted, at=now, actor=actor, reason=comment, event=event, data=data
            )
        await self._on_change()
        if settled is not None and settled.status in _GIVES_TIME_BACK:
            await self._calendar.tell_manager(ChangeKind.CANCELLED, settled)
        snapshot = await self._reader.snapshot(lead_id)
        allowed = tuple(s.value for s in allowed_from(wanted))
        return StatusResult(StatusOutcome.MOVED, wanted.value, allowed, snapshot)

    async def send_message(
        self, lead_id: int, text: str, send_at: datetime | None, *, actor: str
    ) -> MessageResult:
        now = self._clock.now()
        wanted = now if send_at is None or send_at < now else send_at
        # Quiet hours in the team's zone: a message due at night goes in the morning.
        due = (
            outside_quiet(
                wanted, self._config.zone, self._config.quiet, wanted - timedelta(seconds=1), None
            )
            or wanted
        )
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            if lead is None:
                erased = any(e.type is EventType.ERASED for e in await events.for_lead(tx, lead_id))
                return MessageResult(MessageOutcome.ERASED if erased else MessageOutcome.NOT_FOUND)
            message_id = await client_messages.add(tx, lead.id, text, actor, due, now)
            await events.append(
                tx,
                lead.id,
                EventType.MESSAGE_QUEUED,
                at=now,
                actor=actor,
                data={"message_id": message_id, "send_at": utc_text(due)},
            )
        self.worker.wake()
        await self._on_change()
        return MessageResult(MessageOutcome.QUEUED, message_id, due)

    # --- the sender job -----------------------------------------------------------------

    async def _pass_for_worker(self) -> None:
        await self.send_due()

    async def send_due(self) -> int:
        """Sends every message that is due; returns how many went out."""
        sent = 0
        while self.worker.keep_going:
            async with self._db.read() as conn:
                due = await client_messages.due(conn, self._clock.now(), 50)
            if not due:
                return sent
            for message in due:
                if not self.worker.keep_going:
                    break
                sent += await self._send(message)
        return sent

    async def _send(self, message: ClientMessage) -> int:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(message.lead_id))
        if lead is None:
            return 0  # erased meanwhile: the row went with the lead
        method = SendMessage(chat_id=lead.chat_id, text=escape(message.text))
        result = await self._notifier.attempt(method, lead.chat_id)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if result.delivery is Delivery.DONE:
                await client_messages.mark_sent(tx, message.id, now)
            elif result.delivery is Delivery.FAILED and message.attempts + 1 < MAX_SEND_ATTEMPTS:
                await client_messages.retry_at(tx, message.id, now + RETRY_AFTER)
            else:
                await client_messages.mark_failed(tx, message.id, result.delivery.value)
        if result.delivery is Delivery.DONE:
            copy = self._staff_t("desk.message.copy", text=escape(message.text))
        elif result.delivery is Delivery.FAILED:
            return 0
        else:
            copy = self._staff_t("desk.message.not_delivered", text=escape(message.text))
        await self._staff_chat.tell_lead(lead.staff_chat_id, lead.staff_thread_id, copy)
        return int(result.delivery is Delivery.DONE)

"""Time limits on the desk: deadlines follow the event log, breaches climb a ladder.

- As an event consumer, `handle_events` opens, meets and cancels deadlines (rules in
  bot/domain/sla.py), keyed by the event that caused each change, so a replayed batch
  changes nothing.
- `run_due` (a job every ~30 s) moves due deadlines one rung up with a compare-and-set,
  writing in the same transaction the event and the notices the rung must send; then it
  sends pending notices, each claimed by one run and retried until done. A restart or two
  runs at once never count a breach twice nor send a notice twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import sla
from bot.domain.events import Event, EventType, utc_text
from bot.domain.hours import WeeklySchedule
from bot.domain.leads import Lead, LeadId
from bot.i18n import Translations, Translator
from bot.services.notifier import Notifier, ThreadNotFound
from bot.storage import deadlines, events, leads
from bot.storage.db import Connection, Database
from bot.storage.deadlines import Deadline, Notice
from bot.views.sla import (
    Overdue,
    client_wait_text,
    escalation_text,
    nudge_text,
    reassign_markup,
)

logger = logging.getLogger(__name__)

BATCH = 100
CLAIM_FOR = timedelta(minutes=5)  # a sender that died lets go of its notice after this
MAX_ATTEMPTS = 10
RETRY_AFTER = timedelta(minutes=1)
_UNREACHABLE = frozenset({"blocked", "refused", None})


class StaffChat(Protocol):
    @property
    def chat_id(self) -> int | None: ...


@dataclass(frozen=True)
class DeskTimersConfig:
    schedule: WeeklySchedule
    zone: ZoneInfo
    limits: sla.SlaLimits
    head_of_sales_ids: tuple[int, ...] = ()


class DeskTimers:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        translations: Translations,
        staff_t: Translator,
        staff_chat: StaffChat,
        clock: Clock,
        config: DeskTimersConfig,
        *,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._translations = translations
        self._staff_t = staff_t
        self._staff_chat = staff_chat
        self._clock = clock
        self._config = config
        self._on_change = on_change  # lets the card and the CRM hear of a breach

    # --- deadlines follow the events ------------------------------------------------------

    async def handle_events(self, batch: Sequence[Event]) -> None:
        async with self._db.transaction() as tx:
            for event in batch:
                for change in sla.changes_for(event):
                    await self._apply(tx, event, change)

    async def _apply(self, tx: Connection, event: Event, change: sla.Change) -> None:
        lead_id = event.lead_id
        if isinstance(change, sla.Meet):
            await deadlines.close(tx, lead_id, change.kind, at=event.at, event_id=event.id)
        elif isinstance(change, sla.CloseAll):
            await deadlines.close_all(tx, lead_id, at=event.at, event_id=event.id)
        elif isinstance(change, sla.Reschedule):
            current = await deadlines.open_of_kind(tx, lead_id, change.kind)
            if current is not None and current.due_at == change.due:
                return
            await deadlines.close(
                tx, lead_id, change.kind, at=event.at, event_id=event.id, outcome="moved"
            )
            await self._open(tx, event, change.kind, change.due)
        else:
            if change.unless_met and await deadlines.ever_met(tx, lead_id, change.kind, event.id):
                return
            due = change.due or self._due_after(event.at, change.kind)
            await self._open(tx, event, change.kind, due)

    def _due_after(self, start: datetime, kind: sla.DeadlineKind) -> datetime:
        config = self._config
        return sla.due_after(start, kind, config.limits, config.schedule, config.zone)

    async def _open(
        self, tx: Connection, event: Event, kind: sla.DeadlineKind, due: datetime
    ) -> None:
        if not await deadlines.lead_exists(tx, event.lead_id):
            return
        first = sla.first_rung_at(due, self._config.schedule, self._config.zone)
        await deadlines.open_deadline(
            tx,
            event.lead_id,
            kind,
            started_at=event.at,
            due_at=due,
            first_rung_at=first,
            event_id=event.id,
        )

    # --- the ladder -----------------------------------------------------------------------

    async def run_due(self) -> None:
        """The job: climbs every deadline whose next rung is due, then sends what is owed."""
        climbed = await self.climb_due()
        if climbed:
            await self._on_change()
        await self.send_due()

    async def climb_due(self) -> int:
        """Moves each due deadline one rung up; returns how many moved."""
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await deadlines.rung_due(conn, now, BATCH)
        moved = 0
        for deadline in due:
            async with self._db.transaction() as tx:
                moved += await self._climb(tx, deadline, now)
        return moved

    async def _climb(self, tx: Connection, deadline: Deadline, now: datetime) -> bool:
        config = self._config
        rung = deadline.rung + 1
        # The breach happened when rung 1 was due, even if the bot was down then.
        breached = deadline.breached_at or deadline.next_rung_at or now
        following = (
            sla.next_rung_at(breached, deadline.kind, config.limits, config.schedule, config.zone)
            if rung < sla.LAST_RUNG
            else None
        )
        if not await deadlines.climb(
            tx, deadline, to_rung=rung, breached_at=breached, next_rung_at=following
        ):
            return False  # met meanwhile, or another run moved it first
        kind = deadline.kind.value
        if rung == 1:
            await deadlines.add_notice(tx, deadline, rung, "owner", 0, now)
            data = {"kind": kind, "due_at": utc_text(deadline.due_at)}
            await events.append(
                tx, deadline.lead_id, EventType.DESK_SLA_BREACHED, at=now, actor="system", data=data
            )
            if deadline.kind in sla.CLIENT_WAITS and not await deadlines.client_told(
                tx, deadline.lead_id
            ):
                await deadlines.mark_client_told(tx, deadline.id, now)
                await deadlines.add_notice(tx, deadline, rung, "client", 0, now)
        else:
            for head in config.head_of_sales_ids:
                await deadlines.add_notice(tx, deadline, rung, "head", head, now)
            if not config.head_of_sales_ids:
                await deadlines.add_notice(tx, deadline, rung, "group", 0, now)
            await events.append(
                tx,
                deadline.lead_id,
                EventType.DESK_SLA_ESCALATED,
                at=now,
                actor="system",
                data={"kind": kind, "rung": rung},
            )
        logger.info("lead %s: %s overdue, rung %s", deadline.lead_id, kind, rung)
        return True

    # --- sending what the rungs owe -------------------------------------------------------

    async def send_due(self) -> int:
        """Sends every pending notice this run can claim; returns how many went out."""
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await deadlines.notices_due(conn, now, BATCH)
        sent = 0
        for notice in due:
            async with self._db.transaction() as tx:
                if not await deadlines.claim_notice(tx, notice.id, now, now + CLAIM_FOR):
                    continue  # another run has it
            sent += await self._send(notice)
        return sent

    async def _send(self, notice: Notice) -> int:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(notice.lead_id))
            deadline = await deadlines.get(conn, notice.deadline_id)
            owner = await deadlines.owner(conn, notice.lead_id)
        now = self._clock.now()
        if lead is None or deadline is None:
            outcome: str | None = "gone"
        elif deadline.outcome is not None:
            outcome = "met"  # met (or the desk's work ended) after the rung moved: no news
        else:
            outcome = await self._deliver(notice, lead, deadline, owner, now)
        async with self._db.transaction() as tx:
            if outcome is None and notice.attempts + 1 < MAX_ATTEMPTS:
                await deadlines.notice_retry(tx, notice.id, now + RETRY_AFTER)
            else:
                await deadlines.notice_done(tx, notice.id, now, outcome or "gave_up")
                if notice.audience == "head" and outcome in _UNREACHABLE and deadline:
                    # A head of sales who never started the bot (or blocked it): the
                    # escalation must not vanish, so the staff group hears it instead.
                    await deadlines.add_notice(tx, deadline, notice.rung, "group", 0, now)
        return int(outcome == "sent")

    async def _deliver(
        self,
        notice: Notice,
        lead: Lead,
        deadline: Deadline,
        owner: tuple[int, str | None] | None,
        now: datetime,
    ) -> str | None:
        """Sends the notice; its outcome, or None when it may work later."""
        config = self._config
        overdue = Overdue(
            lead_id=lead.id,
            kind=deadline.kind,
            due_at=deadline.due_at,
            lead_name=lead.name,
            owner_id=None if owner is None else owner[0],
            owner_name=None if owner is None else owner[1],
            staff_chat_id=lead.staff_chat_id,
            thread_id=lead.staff_thread_id,
        )
        t = self._staff_t
        if notice.audience == "client":
            client_t = self._translations.get(lead.language)
            by = sla.answer_by(now, deadline.kind, config.limits, config.schedule, config.zone)
            text = client_wait_text(by, now, client_t, config.zone)
            return await self._notifier.send_notice(lead.chat_id, text)
        if notice.audience == "head":
            text = escalation_text(overdue, t, config.zone)
            return await self._notifier.send_notice(
                notice.target, text, reassign_markup(lead.id, t)
            )
        chat_id = self._staff_chat.chat_id
        if chat_id is None:
            return None  # no staff group bound yet: later
        if notice.audience == "group":
            text = escalation_text(overdue, t, config.zone)
            return await self._notifier.send_notice(chat_id, text, reassign_markup(lead.id, t))
        thread_id = lead.staff_thread_id if lead.staff_chat_id == chat_id else None
        text = nudge_text(overdue, t, config.zone)
        try:
            return await self._notifier.send_notice(chat_id, text, thread_id=thread_id)
        except ThreadNotFound:
            # The topic is gone (the card job makes a new one): the group hears it meanwhile.
            return await self._notifier.send_notice(chat_id, text)

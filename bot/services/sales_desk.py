"""The sales-desk outbox: events of qualified leads go to the CRM, in order per lead.

As an event consumer it only queues deliveries (in the database, idempotently), so a
crash loses nothing; a worker then delivers what is due through the configured client
(`generic`, `bitrix24`, `amocrm`). Retry rules: bot/domain/delivery.py.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.domain import delivery as rules
from bot.domain.events import Event, EventType
from bot.i18n import Translator
from bot.integrations.sales_desk.base import OutboundEvent, Outcome, Result, SalesDeskClient
from bot.services.lead_facts import LeadReader
from bot.services.staff_desk import StaffDesk
from bot.services.worker import Worker
from bot.storage import bot_settings, events, privacy, sales_desk
from bot.storage.db import Connection, Database
from bot.storage.sales_desk import Backlog, Delivery
from bot.views.lead_json import event_data
from bot.views.sales_desk import DealWords, answers_text, event_summary

logger = logging.getLogger(__name__)

FAILING_KEY = "sales_desk_failing_since"
DISABLED_KEY = "sales_desk_disabled"
IDLE_SECONDS = 2.0  # the worker looks for due deliveries (and the end of a pause) this often
# Never sent to the CRM: it is the CRM's own answer.
_NOT_PUSHED = frozenset({EventType.CRM_LINKED})


@dataclass(frozen=True)
class SalesDeskConfig:
    events: frozenset[str] | None  # None: every event type
    verdicts: frozenset[str]
    concurrency: int = 4
    batch: int = 50
    # The deal file's ids in words, for the one-line summaries (Bitrix24, amoCRM).
    words: DealWords = field(default_factory=DealWords)


class SalesDesk:
    def __init__(
        self,
        db: Database,
        client: SalesDeskClient | None,
        reader: LeadReader,
        t: Translator,
        clock: Clock,
        config: SalesDeskConfig,
        *,
        staff_chat: StaffDesk,
        on_change: Callable[[], Awaitable[None]],
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._client = client
        self._reader = reader
        self._t = t
        self._clock = clock
        self._config = config
        self._staff_chat = staff_chat
        self._on_change = on_change  # the card shows the CRM's id once it is known
        self._linked = False
        self._rng = rng or random.Random()
        self.worker = Worker("sales desk", self._pass_for_worker, IDLE_SECONDS)
        self._unavailable_in_a_row = 0
        self._paused_until: datetime | None = None
        self._pass = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self._client is not None

    # --- the consumer -------------------------------------------------------------------

    async def handle_events(self, batch: Sequence[Event]) -> None:
        """Queues the events the CRM should hear: a qualified lead with a verdict that is
        pushed, and everything after it."""
        if self._client is None:
            return
        now = self._clock.now()
        queued = False
        async with self._db.transaction() as tx:
            lead_ids = list({event.lead_id for event in batch})
            tracked = await sales_desk.tracked(tx, lead_ids)
            # The person withdrew the CRM transfer: nothing more goes but the erasure.
            withheld = await privacy.crm_withheld(tx, lead_ids)
            for event in batch:
                if (
                    event.type is EventType.QUALIFIED
                    and event.data.get("verdict") in self._config.verdicts
                    and event.lead_id not in tracked
                ):
                    await sales_desk.track(tx, event.lead_id, event.id)
                    tracked.add(event.lead_id)
                if event.lead_id not in tracked or not self._pushed(event.type):
                    continue
                if event.lead_id in withheld and event.type is not EventType.ERASED:
                    continue
                await sales_desk.enqueue(tx, event.id, event.lead_id, event.type, now)
                queued = True
        if queued:
            self.worker.wake()

    def _pushed(self, type_: EventType) -> bool:
        if type_ in _NOT_PUSHED:
            return False
        # The CRM must always hear of an erasure of a lead it holds.
        wanted = self._config.events
        return wanted is None or type_ in wanted or type_ is EventType.ERASED

    # --- the worker ---------------------------------------------------------------------

    def _paused(self) -> bool:
        return self._paused_until is not None and self._clock.now() < self._paused_until

    async def _pass_for_worker(self) -> float | None:
        """A pass; then the seconds until the pause ends, so the probe is not late."""
        await self.deliver_due()
        if self._paused_until is None:
            return None
        return (self._paused_until - self._clock.now()).total_seconds()

    async def deliver_due(self) -> int:
        """One pass: delivers every due event (heads of each lead, in order); returns how
        many were delivered. Stops early while the CRM is unavailable or disabled."""
        if self._client is None:
            return 0
        delivered = 0
        gate = asyncio.Semaphore(self._config.concurrency)

        async def one(head: Delivery) -> Outcome | None:
            async with gate:
                if self._paused():  # another delivery of this pass found the CRM down
                    return Outcome.UNAVAILABLE
                if not self.worker.keep_going:  # stopping, or another replica took over
                    return None
                return await self._deliver(head)

        async with self._pass:
            while self.worker.keep_going:
                now = self._clock.now()
                if self._paused():
                    break
                async with self._db.read() as conn:
                    if await bot_settings.get_value(conn, DISABLED_KEY) is not None:
                        break
                    heads = await sales_desk.due_heads(conn, now, self._config.batch)
                if not heads:
                    break
                if self._unavailable_in_a_row:
                    heads = heads[:1]  # the CRM was down: one probe before the full stream
                outcomes = await asyncio.gather(*(one(head) for head in heads))
                delivered += sum(outcome is Outcome.DELIVERED for outcome in outcomes)
                if any(o in (Outcome.UNAVAILABLE, Outcome.DISABLED) for o in outcomes):
                    break
        if self._linked:
            self._linked = False
            await self._on_change()
        return delivered

    async def _deliver(self, head: Delivery) -> Outcome:
        assert self._client is not None
        async with self._db.read() as conn:
            event = await events.get(conn, head.event_id)
            crm_id = await sales_desk.crm_id(conn, head.lead_id)
        if event is None:  # cannot happen while events are append-only; keep the queue moving
            async with self._db.transaction() as tx:
                await sales_desk.mark_dead(
                    tx, head.event_id, status=None, error="event missing", at=self._clock.now()
                )
            return Outcome.REFUSED
        facts = await self._reader.facts(event.lead_id)
        lead = None if facts is None else self._reader.json(facts)
        outbound = OutboundEvent(
            webhook_id=event.webhook_id,
            type=event.type.value,
            occurred_at=event.at,
            lead_id=event.lead_id,
            data=event_data(event, lead, crm_id),
            crm_id=crm_id,
            summary=event_summary(event, facts, self._t, self._config.words),
            details="" if facts is None else answers_text(lead or {}),
        )
        result = await self._client.deliver(outbound)
        await self._record(head, event, crm_id, result)
        return result.outcome

    async def _record(
        self, head: Delivery, event: Event, crm_id: str | None, result: Result
    ) -> None:
        now = self._clock.now()
        notice: str | None = None
        async with self._db.transaction() as tx:
            if result.crm_id is not None and result.crm_id != crm_id:
                await sales_desk.set_crm_id(tx, head.lead_id, result.crm_id)
                if event.type is not EventType.ERASED:
                    self._linked = True
                    await events.append(
                        tx,
                        head.lead_id,
                        EventType.CRM_LINKED,
                        at=now,
                        actor="sales_desk",
                        data={"crm_id": result.crm_id},
                    )
            failing = await bot_settings.get_value(tx, FAILING_KEY)
            if result.outcome is Outcome.DELIVERED:
                await sales_desk.mark_delivered(tx, head.event_id, result.status, now)
                self._unavailable_in_a_row = 0
                self._paused_until = None
                if failing is not None:
                    await bot_settings.delete_value(tx, FAILING_KEY)
                    notice = self._t("desk.outbox.recovered")
            elif result.outcome is Outcome.REFUSED:
                notice = await self._refused(tx, head, result, now)
            else:
                # The endpoint, not this event, is the problem: the event keeps its place.
                if rules.expired(head.first_failed_at, now):
                    await _dead(tx, head, result, now)
                else:
                    await _failed(tx, head, result, now, next_at=now, refused=False)
                if result.outcome is Outcome.DISABLED:
                    await bot_settings.set_value(tx, DISABLED_KEY, now.isoformat())
                    notice = self._t("desk.outbox.disabled")
                else:
                    if not self._paused():  # requests of one pass fail together: count once
                        self._unavailable_in_a_row += 1
                        pause = rules.endpoint_pause(self._unavailable_in_a_row, result.retry_after)
                        if result.retry_after is None:  # probes must not fall into step with
                            pause = rules.jittered(pause, self._rng)  # the CRM's own cycles
                        self._paused_until = now + pause
                    if failing is None:
                        await bot_settings.set_value(tx, FAILING_KEY, now.isoformat())
                        notice = self._t("desk.outbox.failing", error=result.error)
        logger.log(
            logging.INFO if result.outcome is Outcome.DELIVERED else logging.WARNING,
            "sales desk %s %s: %s %s",
            event.webhook_id,
            event.type,
            result.outcome,
            result.error,
        )
        if notice is not None:
            await self._staff_chat.tell(notice)

    async def _refused(
        self, tx: Connection, head: Delivery, result: Result, now: datetime
    ) -> str | None:
        retry_at = rules.next_try(head.refusals + 1, now, self._rng)
        if retry_at is None or rules.expired(head.first_failed_at, now):
            await _dead(tx, head, result, now)
            return self._t("desk.outbox.dead", lead=head.lead_id, error=result.error)
        await _failed(tx, head, result, now, next_at=retry_at, refused=True)
        return None

    # --- what staff see and do ----------------------------------------------------------

    async def backlog(self) -> tuple[Backlog, str | None, str | None]:
        async with self._db.read() as conn:
            backlog = await sales_desk.backlog(conn, dead_shown=5)
            failing = await bot_settings.get_value(conn, FAILING_KEY)
            disabled = await bot_settings.get_value(conn, DISABLED_KEY)
        return backlog, failing, disabled

    async def replay(self, lead_id: int | None) -> int:
        """Dead letters of a lead (or all) are queued again; a disabled endpoint resumes."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            count = await sales_desk.replay(tx, lead_id, now)
            if lead_id is None:
                await bot_settings.delete_value(tx, DISABLED_KEY)
        self._paused_until = None
        self.worker.wake()
        return count


async def _failed(
    tx: Connection,
    head: Delivery,
    result: Result,
    now: datetime,
    *,
    next_at: datetime,
    refused: bool,
) -> None:
    await sales_desk.mark_failed(
        tx,
        head.event_id,
        status=result.status,
        error=result.error,
        next_at=next_at,
        at=now,
        refused=refused,
    )


async def _dead(tx: Connection, head: Delivery, result: Result, now: datetime) -> None:
    await sales_desk.mark_dead(tx, head.event_id, status=result.status, error=result.error, at=now)

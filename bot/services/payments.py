"""Payment use cases: the schedule (staff's `/payments`, the CRM's PUT), the client's
"I've paid", and the receivables' answer. Plain data in, plain results out: the handlers,
the HTTP API and the jobs call the same code.

Whatever must reach a person (the receivables' check, the client's answer) is written as a
`payment_notices` row in the transaction of the change; `PaymentTimers` sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.events import EventType
from bot.domain.leads import LeadId
from bot.domain.payment_timing import client_moment
from bot.domain.payments import Payment, PlannedPayment, amount_text
from bot.domain.reminders import QuietHours
from bot.services.deal_ports import DealPort
from bot.storage import events, leads
from bot.storage import payment_notices as notices
from bot.storage import payments as store
from bot.storage import relay as relay_store
from bot.storage.db import Connection, Database
from bot.storage.payment_notices import Audience, NoticeKind

logger = logging.getLogger(__name__)

RECEIVABLES = "receivables"  # the deal file's role of the people who check payments


@dataclass(frozen=True)
class PaymentConfig:
    zone: ZoneInfo
    quiet: QuietHours
    remind_days: tuple[int, ...] = (3, 1, 0)
    remind_time: time = time(10, 0)
    escalate_days: int = 5
    admin_ids: frozenset[int] = frozenset()
    head_of_sales_ids: tuple[int, ...] = ()


class ScheduleOutcome(StrEnum):
    SET = "set"
    UNCHANGED = "unchanged"  # the same unpaid payments as before: nothing happened
    NOT_FOUND = "not_found"
    PAST_DATE = "past_date"


@dataclass(frozen=True)
class ScheduleResult:
    outcome: ScheduleOutcome
    schedule: tuple[Payment, ...] = ()


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    ALREADY = "already"  # claimed or paid before: a second press
    GONE = "gone"  # not this person's payment, or no longer in the schedule


class ReviewOutcome(StrEnum):
    DONE = "done"
    OLD = "old"  # answered already, or a button of an earlier claim


@dataclass(frozen=True)
class ReviewResult:
    outcome: ReviewOutcome
    payment: Payment | None = None


def payment_data(payment: Payment) -> dict[str, Any]:
    """The keys every payment event but the schedule carries."""
    return {
        "payment_id": payment.id,
        "due_on": payment.due_on.isoformat(),
        "amount": amount_text(payment.amount_minor),
        "currency": payment.currency,
    }


def schedule_data(schedule: Sequence[Payment]) -> dict[str, Any]:
    return {
        "payments": [
            {**payment_data(p), "label": p.label, "status": p.status.value} for p in schedule
        ]
    }


class PaymentDesk:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        deal: DealPort,
        config: PaymentConfig,
        *,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._clock = clock
        self._deal = deal
        self._config = config
        self._on_change = on_change  # the card, the CRM and the sender hear of a change

    def today(self) -> date:
        """The client's local date: due dates are days in the client's zone."""
        return self._clock.now().astimezone(self._config.zone).date()

    async def lead_in_topic(self, chat_id: int, thread_id: int | None) -> int | None:
        """The lead whose topic this is; None outside a lead's topic."""
        if thread_id is None:
            return None
        async with self._db.read() as conn:
            return await relay_store.lead_by_thread(conn, chat_id, thread_id)

    # --- the schedule ---------------------------------------------------------------------

    async def schedule(self, lead_id: int) -> list[Payment] | None:
        """The lead's schedule; None if there is no such lead."""
        async with self._db.read() as conn:
            if await leads.get(conn, LeadId(lead_id)) is None:
                return None
            return await store.for_lead(conn, lead_id)

    async def set_schedule(
        self, lead_id: int, planned: Sequence[PlannedPayment], *, actor: str
    ) -> ScheduleResult:
        """Replaces the unpaid payments with `planned` (paid ones stay); [] clears them."""
        if any(p.due_on < self.today() for p in planned):
            return ScheduleResult(ScheduleOutcome.PAST_DATE)
        wanted = sorted(planned, key=lambda p: (p.due_on, p.amount_minor))
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if await leads.get(tx, LeadId(lead_id)) is None:
                return ScheduleResult(ScheduleOutcome.NOT_FOUND)
            if not await store.replace_unpaid(tx, lead_id, wanted, now):
                current = await store.for_lead(tx, lead_id)
                return ScheduleResult(ScheduleOutcome.UNCHANGED, tuple(current))
            schedule = await store.for_lead(tx, lead_id)
            await events.append(
                tx,
                lead_id,
                EventType.PAYMENT_SCHEDULED,
                at=now,
                actor=actor,
                data=schedule_data(schedule),
            )
        logger.info("lead %s: payment schedule set (%d payments)", lead_id, len(schedule))
        await self._on_change()
        return ScheduleResult(ScheduleOutcome.SET, tuple(schedule))

    # --- "I've paid" ----------------------------------------------------------------------

    async def claim(self, telegram_user_id: int, payment_id: int) -> ClaimOutcome:
        """The client says the payment is made: receivables are asked to check it."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            payment = await store.get(tx, payment_id)
            lead = await leads.get_by_user(tx, telegram_user_id)
            if payment is None or lead is None or payment.lead_id != lead.id:
                return ClaimOutcome.GONE
            if not await store.claim(tx, payment_id, now):
                return ClaimOutcome.ALREADY
            claimed = await store.get(tx, payment_id)
            assert claimed is not None
            await events.append(
                tx,
                lead.id,
                EventType.PAYMENT_CLAIMED,
                at=now,
                actor="prospect",
                data=payment_data(claimed),
            )
            await self._tell_staff(tx, claimed, NoticeKind.CLAIMED, now)
        logger.info("lead %s: payment %s claimed paid", lead.id, payment_id)
        await self._on_change()
        return ClaimOutcome.CLAIMED

    async def _tell_staff(
        self, tx: Connection, payment: Payment, kind: NoticeKind, now: datetime
    ) -> None:
        step = payment.claims
        for person in self._deal.people(RECEIVABLES):
            await notices.add(
                tx,
                payment.id,
                payment.lead_id,
                kind,
                step,
                Audience.RECEIVABLES,
                at=now,
                target=person,
            )
        await notices.add(tx, payment.id, payment.lead_id, kind, step, Audience.TOPIC, at=now)

    # --- the receivables' answer ----------------------------------------------------------

    def may_review(self, user_id: int) -> bool:
        """Receivables and administrators may answer anywhere; staff group members in the
        group (the handler checks membership)."""
        return user_id in self._deal.people(RECEIVABLES) or user_id in self._config.admin_ids

    async def review(
        self, payment_id: int, claim_no: int, confirmed: bool, *, staff_id: int, in_topic: bool
    ) -> ReviewResult:
        """Confirm → paid; not received → due again. The client is told either way."""
        now = self._clock.now()
        actor = f"staff:{staff_id}"
        async with self._db.transaction() as tx:
            if confirmed:
                moved = await store.confirm(tx, payment_id, claim_no, now, actor)
            else:
                moved = await store.not_received(tx, payment_id, claim_no, now)
            if not moved:
                return ReviewResult(ReviewOutcome.OLD)
            payment = await store.get(tx, payment_id)
            assert payment is not None
            kind = NoticeKind.CONFIRMED if confirmed else NoticeKind.NOT_RECEIVED
            type_ = EventType.PAYMENT_CONFIRMED if confirmed else EventType.PAYMENT_NOT_RECEIVED
            await events.append(
                tx, payment.lead_id, type_, at=now, actor=actor, data=payment_data(payment)
            )
            send_at = client_moment(now, self._config.zone, self._config.quiet)
            await notices.add(
                tx,
                payment.id,
                payment.lead_id,
                kind,
                claim_no,
                Audience.CLIENT,
                at=now,
                send_at=send_at,
            )
            if not in_topic:
                # Answered in a private chat: the lead's topic hears the answer too.
                await notices.add(
                    tx, payment.id, payment.lead_id, kind, claim_no, Audience.TOPIC, at=now
                )
        logger.info("payment %s: %s by staff", payment_id, kind)
        await self._on_change()
        return ReviewResult(ReviewOutcome.DONE, payment)

"""Payment reminders and overdue rungs, and the sender of every payment notice.

`run_due` (a job every ~30 s):
- plans: for each payment still due whose deal allows payment requests (`DealPort`), the
  latest reminder due now (bot/domain/payment_timing.py), or the overdue rungs reached,
  each climbed with a compare-and-set and written with its event and notices in one
  transaction;
- sends pending notices, each claimed by one run and retried until done. A restart or two
  runs at once never send a notice twice; a blocked client (403) ends the notice as
  `blocked`, nothing else is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from aiogram.types import InlineKeyboardMarkup

from bot.clock import Clock
from bot.domain.events import EventType
from bot.domain.leads import Lead, LeadId
from bot.domain.payment_timing import LAST_RUNG, client_moment, due_reminder, overdue_rung
from bot.domain.payments import Payment, PaymentStatus
from bot.i18n import Translations, Translator
from bot.services.deal_ports import DealPort
from bot.services.desk_timers import StaffChat
from bot.services.notifier import Notifier, ThreadNotFound
from bot.services.payments import RECEIVABLES, PaymentConfig, payment_data
from bot.storage import events, leads
from bot.storage import payment_notices as notices
from bot.storage import payments as store
from bot.storage.db import Connection, Database
from bot.storage.payment_notices import Audience, NoticeKind, PaymentNotice
from bot.views import payments as views

logger = logging.getLogger(__name__)

BATCH = 100
CLAIM_FOR = timedelta(minutes=5)  # a sender that died lets go of its notice after this
MAX_ATTEMPTS = 10
RETRY_AFTER = timedelta(minutes=1)
_UNREACHABLE = frozenset({"blocked", "refused", None})
_WAIT = "wait"  # quiet hours at the client's: not a failure, try at their end


class PaymentTimers:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        translations: Translations,
        staff_t: Translator,
        staff_chat: StaffChat,
        clock: Clock,
        deal: DealPort,
        config: PaymentConfig,
        *,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._translations = translations
        self._staff_t = staff_t
        self._staff_chat = staff_chat
        self._clock = clock
        self._deal = deal
        self._config = config
        self._on_change = on_change

    def _today(self, now: datetime) -> date:
        return now.astimezone(self._config.zone).date()

    async def run_due(self) -> None:
        """The job: plans what is due, then sends what is owed."""
        if await self.plan_due():
            await self._on_change()
        if await self.send_due():
            await self._on_change()

    # --- planning ---------------------------------------------------------------------------

    async def plan_due(self) -> int:
        """Adds the reminders and overdue rungs due now; returns how many events it wrote."""
        now = self._clock.now()
        horizon = self._today(now) + timedelta(days=max(self._config.remind_days, default=0))
        async with self._db.read() as conn:
            candidates = await store.open_due_by(conn, horizon, LAST_RUNG)
        written = 0
        for payment in candidates:
            async with self._db.transaction() as tx:
                written += await self._plan(tx, payment, now)
        return written

    async def _plan(self, tx: Connection, payment: Payment, now: datetime) -> int:
        config = self._config
        if not await self._deal.payments_open(tx, payment.lead_id):
            return 0  # e.g. the contract is not registered yet: reminders wait
        rung = overdue_rung(
            payment.due_on, now, config.remind_time, config.zone, config.escalate_days
        )
        if rung > payment.overdue_rung:
            return await self._climb(tx, payment, rung, now)
        if rung > 0:
            return 0
        days = due_reminder(
            payment.due_on, now, config.remind_days, config.remind_time, config.zone, config.quiet
        )
        if days is not None and not await notices.exists(tx, payment.id, NoticeKind.REMINDER, days):
            await notices.add(
                tx,
                payment.id,
                payment.lead_id,
                NoticeKind.REMINDER,
                days,
                Audience.CLIENT,
                at=now,
            )
        return 0

    async def _climb(self, tx: Connection, payment: Payment, rung: int, now: datetime) -> int:
        """Every rung from the current one up to `rung`, each once (after downtime too)."""
        if not await store.climb(tx, payment, rung, now):
            return 0  # paid or claimed meanwhile, or another run moved it first
        written = 0
        for step in range(payment.overdue_rung + 1, rung + 1):
            await self._rung_notices(tx, payment, step, now)
            data = {**payment_data(payment), "rung": step}
            await events.append(
                tx, payment.lead_id, EventType.PAYMENT_OVERDUE, at=now, actor="system", data=data
            )
            written += 1
        logger.info("lead %s: payment %s overdue, rung %s", payment.lead_id, payment.id, rung)
        return written

    async def _rung_notices(
        self, tx: Connection, payment: Payment, rung: int, now: datetime
    ) -> None:
        async def add(audience: Audience, target: int = 0, send_at: datetime | None = None) -> None:
            await notices.add(
                tx,
                payment.id,
                payment.lead_id,
                NoticeKind.OVERDUE,
                rung,
                audience,
                at=now,
                target=target,
                send_at=send_at,
            )

        if rung == 1:
            for person in self._deal.people(RECEIVABLES):
                await add(Audience.RECEIVABLES, person)
            await add(Audience.TOPIC)
            await add(
                Audience.CLIENT, send_at=client_moment(now, self._config.zone, self._config.quiet)
            )
            return
        for head in self._config.head_of_sales_ids:
            await add(Audience.HEAD, head)
        if not self._config.head_of_sales_ids:
            await add(Audience.GROUP)

    # --- sending ----------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Sends every pending notice this run can claim; returns how many events that wrote."""
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await notices.due(conn, now, BATCH)
        written = 0
        for notice in due:
            async with self._db.transaction() as tx:
                if not await notices.claim(tx, notice.id, now, now + CLAIM_FOR):
                    continue  # another run has it
            written += await self._send(notice)
        return written

    async def _send(self, notice: PaymentNotice) -> int:
        async with self._db.read() as conn:
            lead = await leads.get(conn, LeadId(notice.lead_id))
            payment = await store.get(conn, notice.payment_id)
        now = self._clock.now()
        if lead is None or payment is None:
            outcome: str | None = "gone"
        elif _stale(notice, payment, self._today(now)):
            outcome = "stale"  # paid, claimed or answered since: the news is old
        else:
            outcome = await self._deliver(notice, lead, payment, now)
        written = 0
        async with self._db.transaction() as tx:
            if outcome == _WAIT:
                later = client_moment(now, self._config.zone, self._config.quiet)
                await notices.retry(tx, notice.id, later, counted=False)
            elif outcome is None and notice.attempts + 1 < MAX_ATTEMPTS:
                await notices.retry(tx, notice.id, now + RETRY_AFTER)
            else:
                await notices.done(tx, notice.id, now, outcome or "gave_up")
                if outcome == "sent" and notice.kind is NoticeKind.REMINDER and payment:
                    data = {**payment_data(payment), "days_before": notice.step}
                    await events.append(
                        tx,
                        payment.lead_id,
                        EventType.PAYMENT_REMINDED,
                        at=now,
                        actor="system",
                        data=data,
                    )
                    written = 1
                if notice.audience is Audience.HEAD and outcome in _UNREACHABLE and payment:
                    # A head of sales who never started the bot (or blocked it): the
                    # escalation must not vanish, so the staff group hears it instead.
                    await notices.add(
                        tx,
                        payment.id,
                        payment.lead_id,
                        notice.kind,
                        notice.step,
                        Audience.GROUP,
                        at=now,
                    )
        return written

    async def _deliver(
        self, notice: PaymentNotice, lead: Lead, payment: Payment, now: datetime
    ) -> str | None:
        """Sends the notice; its outcome, `_WAIT`, or None when it may work later."""
        config = self._config
        if notice.audience is Audience.CLIENT:
            if config.quiet.contains(now.astimezone(config.zone).time()):
                return _WAIT
            t = self._translations.get(lead.language)
            text, markup = _client_message(notice, payment, t)
            return await self._notifier.send_notice(lead.chat_id, text, markup)
        t = self._staff_t
        today = self._today(now)
        markup = None
        if notice.kind is NoticeKind.CLAIMED:
            text = views.claim_text(payment, lead.id, lead.name, t)
            markup = views.review_markup(payment, t)
        elif notice.kind is NoticeKind.OVERDUE:
            text = views.overdue_text(payment, notice.step, lead.id, lead.name, today, t)
        else:
            confirmed = notice.kind is NoticeKind.CONFIRMED
            text = views.topic_answer_text(payment, confirmed, t)
        if notice.audience in (Audience.RECEIVABLES, Audience.HEAD):
            return await self._notifier.send_notice(notice.target, text, markup)
        chat_id = self._staff_chat.chat_id
        if chat_id is None:
            return None  # no staff group bound yet: later
        if notice.audience is Audience.GROUP:
            return await self._notifier.send_notice(chat_id, text, markup)
        thread_id = lead.staff_thread_id if lead.staff_chat_id == chat_id else None
        try:
            return await self._notifier.send_notice(chat_id, text, markup, thread_id=thread_id)
        except ThreadNotFound:
            # The topic is gone (the card job makes a new one): the group hears it meanwhile.
            return await self._notifier.send_notice(chat_id, text, markup)


def _stale(notice: PaymentNotice, payment: Payment, today: date) -> bool:
    """Whether the payment moved on since the notice was written, so it must not go."""
    status = payment.status
    if notice.kind is NoticeKind.REMINDER:
        return status is not PaymentStatus.DUE or today > payment.due_on
    if notice.kind is NoticeKind.OVERDUE:
        return status is PaymentStatus.PAID or (
            notice.audience is Audience.CLIENT and status is not PaymentStatus.DUE
        )
    if notice.kind is NoticeKind.CLAIMED:
        return status is not PaymentStatus.CLAIMED or payment.claims != notice.step
    return False  # the answers to a claim are news whatever happened next


def _client_message(
    notice: PaymentNotice, payment: Payment, t: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    paid_button = views.paid_markup(payment.id, t) if payment.status is PaymentStatus.DUE else None
    if notice.kind is NoticeKind.REMINDER:
        return views.reminder_text(payment, notice.step, t), paid_button
    if notice.kind is NoticeKind.OVERDUE:
        return views.client_overdue_text(payment, t), paid_button
    confirmed = notice.kind is NoticeKind.CONFIRMED
    return views.client_answer_text(payment, confirmed, t), None if confirmed else paid_button

"""Builds payments: the use cases and the reminder/overdue job (part of the
composition root, bot/composition.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translations, Translator
from bot.services.deal_ports import DealPort
from bot.services.event_pipe import EventPipe
from bot.services.notifier import Notifier
from bot.services.payment_timers import PaymentTimers
from bot.services.payments import PaymentConfig, PaymentDesk
from bot.services.staff_desk import StaffDesk
from bot.storage.db import Database


@dataclass(frozen=True)
class Payments:
    desk: PaymentDesk
    timers: PaymentTimers


def build_payments(
    settings: Settings,
    db: Database,
    notifier: Notifier,
    translations: Translations,
    staff_t: Translator,
    clock: Clock,
    *,
    staff_desk: StaffDesk,
    deal: DealPort,
    pipe: EventPipe,
) -> Payments:
    config = PaymentConfig(
        zone=settings.zone,
        quiet=settings.quiet,
        remind_days=settings.payment_remind_days,
        remind_time=time.fromisoformat(settings.payment_remind_time.zfill(5)),
        escalate_days=settings.payment_escalate_days,
        admin_ids=frozenset(settings.admin_ids),
        head_of_sales_ids=settings.head_of_sales_ids,
    )
    desk = PaymentDesk(db, clock, deal, config, on_change=pipe.drain)
    timers = PaymentTimers(
        db,
        notifier,
        translations,
        staff_t,
        staff_desk,
        clock,
        deal,
        config,
        on_change=pipe.drain,
    )
    return Payments(desk=desk, timers=timers)

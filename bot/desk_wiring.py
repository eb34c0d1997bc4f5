"""Builds the lead-managers' desk: the card's actions, the relay, the time limits, the
numbers and the inflow watchdog (part of the composition root, bot/composition.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from bot.clock import Clock
from bot.config import Settings
from bot.domain.checklist import Checklist
from bot.domain.knowledge_hit import Knowledge
from bot.domain.sla import SlaLimits
from bot.i18n import Translations, Translator
from bot.middlewares.last_update import LastUpdate
from bot.services.booking import Booking
from bot.services.desk_timers import DeskTimers, DeskTimersConfig
from bot.services.desk_work import DeskWork, DeskWorkConfig
from bot.services.digest import Digest, DigestConfig
from bot.services.event_pipe import EventPipe
from bot.services.export import Export
from bot.services.health import ErrorCount
from bot.services.notifier import Notifier
from bot.services.relay import Relay
from bot.services.relay_delivery import RelayDelivery
from bot.services.staff_desk import StaffDesk
from bot.services.stats import Stats
from bot.services.watchdog import Watchdog, WatchdogConfig
from bot.storage.db import Database


@dataclass(frozen=True)
class Desk:
    timers: DeskTimers
    work: DeskWork
    relay: Relay
    stats: Stats
    export: Export
    digest: Digest
    watchdog: Watchdog
    # The watchdog's self-check: when the last update came, how many errors lately.
    last_update: LastUpdate
    error_count: ErrorCount


def build_desk(
    settings: Settings,
    db: Database,
    notifier: Notifier,
    translations: Translations,
    staff_t: Translator,
    clock: Clock,
    *,
    checklist: Checklist,
    staff_desk: StaffDesk,
    booking: Booking,
    knowledge: Knowledge,
    pipe: EventPipe,
) -> Desk:
    """Registers the time limits on the pipe: call it before the card consumer registers,
    so a card rendered for a batch sees the deadlines that batch opened."""
    timers = DeskTimers(
        db,
        notifier,
        translations,
        staff_t,
        staff_desk,
        clock,
        DeskTimersConfig(
            schedule=settings.desk_schedule,
            zone=settings.zone,
            limits=SlaLimits(
                take=settings.sla_take_minutes,
                first_contact=settings.sla_first_contact_minutes,
                reply=settings.sla_reply_minutes,
            ),
            head_of_sales_ids=settings.head_of_sales_ids,
        ),
        on_change=pipe.drain,
    )
    pipe.register("desk_timers", timers)
    work = DeskWork(
        db,
        clock,
        booking,
        staff_desk,
        translations,
        staff_t,
        DeskWorkConfig(
            zone=settings.zone,
            schedule=settings.desk_schedule,
            head_ids=frozenset(settings.head_of_sales_ids),
            admin_ids=frozenset(settings.admin_ids),
        ),
    )
    # The relay between prospects' chats and lead topics; the knowledge base answers first.
    relay = Relay(
        db,
        notifier,
        RelayDelivery(db, notifier, staff_desk, staff_t, clock, on_change=pipe.drain),
        translations,
        staff_t,
        clock,
        knowledge=knowledge,
    )
    stats = Stats(db, clock, staff_t, settings.zone, settings.desk_schedule)
    digest = Digest(
        db,
        clock,
        stats,
        notifier,
        lambda: staff_desk.chat_id,
        DigestConfig(
            at=time.fromisoformat(settings.digest_time.zfill(5)),
            zone=settings.zone,
            head_of_sales_ids=settings.head_of_sales_ids,
        ),
    )
    last_update = LastUpdate(clock)
    error_count = ErrorCount(clock)
    watchdog = Watchdog(
        db,
        notifier,
        staff_t,
        clock,
        WatchdogConfig(
            head_of_sales_ids=settings.head_of_sales_ids,
            schedule=settings.desk_schedule,
            zone=settings.zone,
            floor=settings.inflow_min_per_hour,
        ),
        last_update=last_update,
        errors=error_count,
        staff_chat=lambda: staff_desk.chat_id,
    )
    return Desk(
        timers=timers,
        work=work,
        relay=relay,
        stats=stats,
        export=Export(db, checklist, staff_t, settings.zone),
        digest=digest,
        watchdog=watchdog,
        last_update=last_update,
        error_count=error_count,
    )

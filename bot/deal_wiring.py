"""Builds deal support: the deal's use cases, its card buttons and `/deal`, and its timers
(the pinned summary and the overdue ladder). Part of the composition root, bot/composition.py."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from bot.domain.deal import DealFile
from bot.i18n import Translations, Translator
from bot.services.deal import DealConfig, DealDesk
from bot.services.deal_card import DealCard
from bot.services.deal_timers import DealTimers, DealTimersConfig
from bot.services.event_pipe import EventPipe
from bot.services.lead_desk import LeadDesk
from bot.services.notifier import Notifier
from bot.services.staff_desk import StaffDesk
from bot.storage.db import Database


@dataclass(frozen=True)
class DealParts:
    desk: DealDesk
    card: DealCard
    timers: DealTimers


def build_deal(
    settings: Settings,
    deal_file: DealFile,
    deal_on: bool,
    db: Database,
    notifier: Notifier,
    translations: Translations,
    staff_t: Translator,
    clock: Clock,
    *,
    staff_desk: StaffDesk,
    lead_desk: LeadDesk,
    pipe: EventPipe,
) -> DealParts:
    """Registers the pinned summary on the pipe (it follows the deal's events)."""
    timers = DealTimers(
        db,
        notifier,
        deal_file,
        staff_t,
        staff_desk,
        clock,
        DealTimersConfig(zone=settings.zone, head_of_sales_ids=settings.head_of_sales_ids),
        on_change=pipe.drain,
    )

    async def after_change() -> None:
        await pipe.drain()  # the card, the CRM, and the summary of a move
        await timers.sync_summaries()  # facts change with no event

    deal_desk = DealDesk(
        db,
        deal_file,
        translations,
        clock,
        DealConfig(
            zone=settings.zone,
            quiet=settings.quiet,
            admin_ids=frozenset(settings.admin_ids),
            on=deal_on,
        ),
        on_change=after_change,
        # The stage's message to the client goes out with the other client messages.
        wake_sender=lead_desk.worker.wake,
    )
    pipe.register("deal_summary", timers)
    return DealParts(
        desk=deal_desk, card=DealCard(db, deal_desk, translations, staff_t), timers=timers
    )

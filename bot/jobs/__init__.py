"""Scheduled jobs. APScheduler is only the alarm clock: each job reads due rows from the DB."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.staff_desk import StaffDesk

# How often leads whose card could not be posted (Telegram down, no group yet) are retried.
STAFF_CARD_RETRY_SECONDS = 60


def build_scheduler(staff: StaffDesk) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        staff.publish_pending,
        "interval",
        seconds=STAFF_CARD_RETRY_SECONDS,
        id="staff_cards",
        max_instances=1,
        coalesce=True,
    )
    return scheduler

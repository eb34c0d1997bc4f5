"""Scheduled jobs. APScheduler is only the alarm clock: each job reads due rows from the DB."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.calendar import CalendarDesk
from bot.services.digest import Digest
from bot.services.event_pipe import EventPipe
from bot.services.reminders import ReminderDesk
from bot.services.staff_desk import StaffDesk

# How often leads whose card could not be posted (Telegram down, no group yet) are retried.
STAFF_CARD_RETRY_SECONDS = 60
REMINDER_SECONDS = 30
CALDAV_PUSH_SECONDS = 60
CALDAV_PULL_SECONDS = 300
# Consumers are drained after every change; this catches what a failed pass left behind.
EVENTS_SECONDS = 30
# The digest job only checks whether today's digest is due and not yet sent.
DIGEST_SECONDS = 60


def build_scheduler(
    staff: StaffDesk,
    reminders: ReminderDesk,
    calendar: CalendarDesk,
    pipe: EventPipe,
    digest: Digest,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs = (
        (staff.publish_pending, STAFF_CARD_RETRY_SECONDS, "staff_cards"),
        (reminders.run_due, REMINDER_SECONDS, "reminders"),
        (calendar.push_pending, CALDAV_PUSH_SECONDS, "caldav_push"),
        (calendar.pull_busy, CALDAV_PULL_SECONDS, "caldav_pull"),
        (pipe.drain, EVENTS_SECONDS, "events"),
        (digest.run_due, DIGEST_SECONDS, "digest"),
    )
    for job, seconds, name in jobs:
        scheduler.add_job(job, "interval", seconds=seconds, id=name, max_instances=1, coalesce=True)
    return scheduler

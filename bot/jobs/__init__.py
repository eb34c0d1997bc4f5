"""Scheduled jobs. APScheduler is only the alarm clock: each job reads due rows from the DB.

With several replicas every replica's alarm rings; a job runs only where its lease is held
(bot/services/leases.py), so each pass of it happens once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.calendar import PUSH_LEASE, CalendarDesk
from bot.services.deal_timers import DealTimers
from bot.services.desk_timers import DeskTimers
from bot.services.digest import Digest
from bot.services.event_pipe import EventPipe, consumer_lease
from bot.services.leases import Leases
from bot.services.nurture import Nurture
from bot.services.payment_timers import PaymentTimers
from bot.services.reminders import ReminderDesk
from bot.services.staff_desk import StaffDesk
from bot.services.watchdog import Watchdog

# How often leads whose card could not be posted (Telegram down, no group yet) are retried.
STAFF_CARD_RETRY_SECONDS = 60
REMINDER_SECONDS = 30
CALDAV_PUSH_SECONDS = 60
CALDAV_PULL_SECONDS = 300
# Consumers are drained after every change; this catches what a failed pass left behind.
EVENTS_SECONDS = 30
# The inflow watchdog looks at the last hour; a few minutes' delay in noticing is fine.
WATCHDOG_SECONDS = 300
# Time limits: breaches climb a rung, owed notices are sent.
DESK_TIMERS_SECONDS = 30
# Deal stages past their time climb a rung; summaries left to retry are posted.
DEAL_TIMERS_SECONDS = 60
# The digest job only checks whether today's digest is due and not yet sent.
DIGEST_SECONDS = 60
# Nurture follow-ups go out at a daytime hour; a minute late is fine.
NURTURE_SECONDS = 60
# Payment reminders, overdue rungs and their notices.
PAYMENTS_SECONDS = 30
# Retention: leads past their terms are erased, old destruction records purged (cheap).
RETENTION_SECONDS = 3600
# Handled update ids older than two days are forgotten (bot/middlewares/once.py).
PROCESSED_UPDATES_SECONDS = 3600
# The lease a job runs under, when not its own name. The event consumers take theirs in
# the drain; the retry of unposted cards shares the card consumer's (both post cards).
_LEASES: dict[str, str | None] = {"events": None, "staff_cards": consumer_lease("staff_card")}


def job_lease(name: str) -> str | None:
    """The lease the scheduled job `name` runs under (None: it takes its own inside)."""
    return _LEASES.get(name, name)


def _leased(
    leases: Leases, lease: str, job: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    async def run() -> bool:
        return await leases.run(lease, job)

    return run


def build_scheduler(
    staff: StaffDesk,
    reminders: ReminderDesk,
    calendar: CalendarDesk,
    pipe: EventPipe,
    *,
    watchdog: Watchdog | None = None,
    desk_timers: DeskTimers | None = None,
    digest: Digest | None = None,
    nurture: Nurture | None = None,
    payments: PaymentTimers | None = None,
    retention: Callable[[], Awaitable[object]] | None = None,
    deal_timers: DealTimers | None = None,
    processed_updates: Callable[[], Awaitable[object]] | None = None,
    leases: Leases | None = None,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    jobs: list[tuple[Callable[[], Awaitable[object]], int, str]] = [
        (staff.publish_pending, STAFF_CARD_RETRY_SECONDS, "staff_cards"),
        (reminders.run_due, REMINDER_SECONDS, "reminders"),
        (calendar.push_pending, CALDAV_PUSH_SECONDS, PUSH_LEASE),
        (calendar.pull_busy, CALDAV_PULL_SECONDS, "caldav_pull"),
        (pipe.drain, EVENTS_SECONDS, "events"),
    ]
    if watchdog is not None:
        jobs.append((watchdog.check, WATCHDOG_SECONDS, "inflow_watchdog"))
    if desk_timers is not None:
        jobs.append((desk_timers.run_due, DESK_TIMERS_SECONDS, "desk_timers"))
    if digest is not None:
        jobs.append((digest.run_due, DIGEST_SECONDS, "digest"))
    if nurture is not None:
        jobs.append((nurture.run_due, NURTURE_SECONDS, "nurture"))
    if payments is not None:
        jobs.append((payments.run_due, PAYMENTS_SECONDS, "payments"))
    if retention is not None:
        jobs.append((retention, RETENTION_SECONDS, "retention"))
    if deal_timers is not None:
        jobs.append((deal_timers.run_due, DEAL_TIMERS_SECONDS, "deal_timers"))
    if processed_updates is not None:
        jobs.append((processed_updates, PROCESSED_UPDATES_SECONDS, "processed_updates"))
    for job, seconds, name in jobs:
        lease = job_lease(name)
        if leases is not None and lease is not None:
            job = _leased(leases, lease, job)
        scheduler.add_job(job, "interval", seconds=seconds, id=name, max_instances=1, coalesce=True)
    return scheduler

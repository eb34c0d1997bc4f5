"""The inflow watchdog: every few minutes in desk hours, compares the leads of the last
hour with the usual (bot/domain/inflow.py) and tells the head of sales and the staff
group once when inflow drops (with a self-diagnosis) and once when it is back.

Restart-safe: the state and the text still to deliver are kept in the database, written
in one transaction with the state change; each run first delivers what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.methods import GetWebhookInfo

from bot.clock import Clock
from bot.domain import inflow
from bot.domain.hours import WeeklySchedule
from bot.domain.inflow import Change, Diagnosis, Expectation, Reception
from bot.domain.send_policy import Priority
from bot.domain.working_time import working_between
from bot.i18n import Translator
from bot.middlewares.last_update import LastUpdate
from bot.services.health import ErrorCount
from bot.services.notifier import Delivery, Notifier
from bot.storage import inflow as store
from bot.storage import sales_desk
from bot.storage.db import Database
from bot.views.watchdog import drop_text, recovery_text

logger = logging.getLogger(__name__)

# Telegram may still deliver later (network, 5xx, 429): keep the recipient for the next run.
_RETRY = frozenset({Delivery.FAILED})


@dataclass(frozen=True)
class WatchdogConfig:
    head_of_sales_ids: tuple[int, ...]
    schedule: WeeklySchedule
    zone: ZoneInfo
    floor: float | None  # INFLOW_MIN_PER_HOUR


class Watchdog:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        t: Translator,
        clock: Clock,
        config: WatchdogConfig,
        *,
        last_update: LastUpdate,
        errors: ErrorCount,
        staff_chat: Callable[[], int | None],
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._t = t
        self._clock = clock
        self._config = config
        self._last_update = last_update
        self._errors = errors
        self._staff_chat = staff_chat
        self._saved_update: datetime | None = None

    async def check(self) -> None:
        """The job: keep the last update's time, deliver what is left, then judge the hour."""
        now = self._clock.now()
        await self._save_last_update()
        await self.deliver()
        start = now - inflow.WINDOW
        # Only a whole hour of desk time is judged: the first check is an hour after opening.
        if working_between(start, now, self._config.schedule, self._config.zone) < inflow.WINDOW:
            return
        ends = inflow.past_windows(now, self._config.zone)
        async with self._db.read() as conn:
            state = await store.state(conn)
            first = await store.first_created_at(conn)
            current = await store.created_by_source(conn, start, now)
            weekly = [await store.created_by_source(conn, end - inflow.WINDOW, end) for end in ends]
        covered = inflow.covered_weeks(first, ends)
        expected = inflow.expectation(
            self._config.floor, [sum(week.values()) for week in weekly], covered
        )
        if expected is None:
            return
        count = sum(current.values())
        change = inflow.judge(state.low, count, expected)
        if change is Change.NONE:
            return
        if change is Change.DROP:
            diagnosis = await self._diagnose(start, now, count, expected, current, weekly[:covered])
            text = drop_text(diagnosis, self._config.zone, self._t)
        else:
            text = recovery_text(count, expected, state.since, now, self._config.zone, self._t)
        await self._change(state, change, text, now)
        await self.deliver()

    async def _change(
        self, before: store.WatchState, change: Change, text: str, now: datetime
    ) -> None:
        recipients = list(self._config.head_of_sales_ids)
        group = self._staff_chat()
        if group is not None:
            recipients.append(group)
        async with self._db.transaction() as tx:
            # Another run may have decided meanwhile (a job and a restart overlapping).
            if (await store.state(tx)).low != before.low:
                return
            notice = store.Notice(text=text, pending=tuple(dict.fromkeys(recipients)))
            await store.save_state(
                tx, store.WatchState(low=change is Change.DROP, since=now, notice=notice)
            )
        logger.warning(
            "lead inflow %s", "dropped" if change is Change.DROP else "is back to normal"
        )

    async def deliver(self) -> None:
        """Sends the pending notice to each recipient left; forgets those who cannot get it."""
        async with self._db.read() as conn:
            state = await store.state(conn)
        notice = state.notice
        if notice is None:
            return
        for chat_id in notice.pending:
            sent = await self._notifier.send_text(chat_id, notice.text, priority=Priority.DIGEST)
            if sent.delivery in _RETRY:
                continue
            if sent.delivery not in (Delivery.DONE, Delivery.HARMLESS):
                logger.info("inflow notice not delivered to %s (%s)", chat_id, sent.delivery)
            async with self._db.transaction() as tx:
                latest = await store.state(tx)
                if latest.notice is None or latest.notice.text != notice.text:
                    return  # a newer notice replaced this one
                left = tuple(c for c in latest.notice.pending if c != chat_id)
                await store.save_state(
                    tx, replace(latest, notice=replace(latest.notice, pending=left))
                )

    async def _save_last_update(self) -> None:
        at = self._last_update.at
        if at is None or at == self._saved_update:
            return
        async with self._db.transaction() as tx:
            await store.save_last_update_at(tx, at)
        self._saved_update = at

    async def _diagnose(
        self,
        start: datetime,
        now: datetime,
        count: int,
        expected: Expectation,
        current: Mapping[str, int],
        weekly: list[dict[str, int]],
    ) -> Diagnosis:
        async with self._db.read() as conn:
            last_update = self._last_update.at or await store.last_update_at(conn)
            backlog = await sales_desk.backlog(conn, 0)
        return Diagnosis(
            window_start=start,
            window_end=now,
            count=count,
            expected=expected,
            last_update_at=last_update,
            reception=await self._reception(),
            crm_pending=backlog.pending,
            crm_dead=backlog.dead,
            crm_oldest_at=None if backlog.oldest is None else backlog.oldest.created_at,
            errors=self._errors.since(now - timedelta(hours=1)),
            sources=inflow.source_shares(current, weekly),
        )

    async def _reception(self) -> Reception:
        info = await self._notifier.call(GetWebhookInfo(), None)
        if info is None:
            return Reception(answered=False)
        return Reception(
            answered=True,
            webhook_url=info.url,
            pending=info.pending_update_count,
            last_error_at=info.last_error_date,
            last_error=info.last_error_message,
        )

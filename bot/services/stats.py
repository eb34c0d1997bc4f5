"""The funnel for a period: figures, text and chart, for /stats and the daily digest."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.funnel import Funnel, funnel
from bot.domain.hours import WeeklySchedule
from bot.domain.periods import Period, parse_period
from bot.domain.working_time import working_between
from bot.i18n import Translator
from bot.storage import stats as stats_storage
from bot.storage.db import Database
from bot.views.chart import funnel_png
from bot.views.stats import period_label, stats_text


@dataclass(frozen=True)
class Report:
    period: Period
    funnel: Funnel
    text: str
    chart: bytes
    chart_name: str


class Stats:
    """Reads the event log only, so erased leads still count (see bot/domain/funnel.py)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        t: Translator,
        zone: ZoneInfo,
        desk_hours: WeeklySchedule | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._t = t
        self._zone = zone
        self._desk_hours = desk_hours
        # matplotlib's font cache is shared: one chart at a time.
        self._drawing = asyncio.Lock()

    def today(self) -> date:
        return self._clock.now().astimezone(self._zone).date()

    def parse(self, text: str | None) -> Period:
        """Raises PeriodError for text that is not a period."""
        return parse_period(text, self.today())

    def _measure(self, since: datetime, until: datetime) -> timedelta:
        # Time to take / to contact counts desk hours, as the time limits do.
        if self._desk_hours is None:
            return until - since
        return working_between(since, until, self._desk_hours, self._zone)

    async def funnel(self, period: Period) -> Funnel:
        start, end = period.bounds(self._zone)
        async with self._db.read() as conn:
            events = await stats_storage.cohort_events(conn, start, end)
        return funnel(events, start, end, self._measure)

    async def report(self, period: Period, *, title_key: str = "stats.title") -> Report:
        figures = await self.funnel(period)
        async with self._db.read() as conn:
            managers = await stats_storage.manager_names(conn)
        text = stats_text(figures, period, managers, self._t, title_key=title_key)
        title = self._t("stats.chart_title", period=period_label(period))
        # Drawing takes a noticeable fraction of a second: keep the event loop free.
        async with self._drawing:
            chart = await asyncio.to_thread(funnel_png, figures, title, self._t)
        name = f"funnel_{period.first.isoformat()}_{period.last.isoformat()}.png"
        return Report(period, figures, text, chart, name)

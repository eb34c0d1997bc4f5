"""The daily digest: yesterday's numbers to the staff group and each head of sales.

Once per day: what was sent is kept in `bot_settings`, recipient by recipient, so a
restart neither repeats it nor loses it, and a bot that was down at DIGEST_TIME sends
it when it comes back (the same day; a day missed entirely is not sent later).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.periods import Period, PeriodKind
from bot.domain.send_policy import Priority
from bot.services.notifier import Notifier
from bot.services.stats import Report, Stats
from bot.storage import bot_settings
from bot.storage.db import Database

logger = logging.getLogger(__name__)

STATE_KEY = "digest.state"
# A recipient that refused this many times (blocked the bot, left) is skipped for the day.
MAX_TRIES = 5


@dataclass
class DigestState:
    day: str
    done: list[int] = field(default_factory=list)
    tries: dict[str, int] = field(default_factory=dict)

    def dump(self) -> str:
        return json.dumps({"day": self.day, "done": self.done, "tries": self.tries})

    @classmethod
    def load(cls, raw: str | None, day: str) -> DigestState:
        if raw is None:
            return cls(day)
        data = json.loads(raw)
        if data.get("day") != day:
            return cls(day)
        return cls(day, list(data.get("done", [])), dict(data.get("tries", {})))


@dataclass(frozen=True)
class DigestConfig:
    at: time
    zone: ZoneInfo
    head_of_sales_ids: tuple[int, ...]


class Digest:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        stats: Stats,
        notifier: Notifier,
        staff_chat: Callable[[], int | None],
        config: DigestConfig,
    ) -> None:
        self._db = db
        self._clock = clock
        self._stats = stats
        self._notifier = notifier
        self._staff_chat = staff_chat
        self._config = config

    def _recipients(self) -> list[int]:
        chat = self._staff_chat()
        ids = ([] if chat is None else [chat]) + list(self._config.head_of_sales_ids)
        return list(dict.fromkeys(ids))

    async def run_due(self) -> int:
        """Sends what is due now; returns how many recipients got it in this run."""
        local = self._clock.now().astimezone(self._config.zone)
        if local.time() < self._config.at:
            return 0
        yesterday = local.date() - timedelta(days=1)
        async with self._db.read() as conn:
            raw = await bot_settings.get_value(conn, STATE_KEY)
        state = DigestState.load(raw, yesterday.isoformat())
        pending = [
            chat_id
            for chat_id in self._recipients()
            if chat_id not in state.done and state.tries.get(str(chat_id), 0) < MAX_TRIES
        ]
        if not pending:
            return 0
        period = Period(PeriodKind.YESTERDAY, yesterday, yesterday)
        report = await self._stats.report(period, title_key="digest.title")
        sent = 0
        for chat_id in pending:
            if await self._send(chat_id, report):
                state.done.append(chat_id)
                sent += 1
            else:
                state.tries[str(chat_id)] = state.tries.get(str(chat_id), 0) + 1
                logger.warning("digest for %s not delivered to chat %s", state.day, chat_id)
            # Saved after each recipient: a restart mid-way repeats nobody.
            async with self._db.transaction() as tx:
                await bot_settings.set_value(tx, STATE_KEY, state.dump())
        return sent

    async def _send(self, chat_id: int, report: Report) -> bool:
        # Behind answers to prospects and cards: a digest can wait a minute.
        if await self._notifier.send(chat_id, report.text, priority=Priority.DIGEST) is None:
            return False
        # The chart is a bonus: its failure does not send the text again.
        await self._notifier.send_photo(
            chat_id, report.chart_name, report.chart, priority=Priority.DIGEST
        )
        return True

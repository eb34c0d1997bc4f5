"""Errors the bot logged lately, counted for the inflow watchdog's self-check."""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime

from bot.clock import Clock

_KEPT = 10_000  # a storm of errors must not grow memory; the count then reads "at least"


class ErrorCount(logging.Handler):
    """A logging handler (installed on the root logger by the app) that keeps the times
    of ERROR records. Stamped with the app's clock, so tests can move time."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(level=logging.ERROR)
        self._clock = clock
        self._times: deque[datetime] = deque(maxlen=_KEPT)

    def emit(self, record: logging.LogRecord) -> None:
        self._times.append(self._clock.now())

    def since(self, moment: datetime) -> int:
        while self._times and self._times[0] < moment:
            self._times.popleft()
        return len(self._times)

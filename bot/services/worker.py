"""A background loop that does one pass of work when woken, or every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Worker:
    """Runs `step` until stopped: at once when `wake()` is called, else every `idle` s, or
    sooner when the step returns how many seconds until it has work again.

    `stop()` lets the step in progress finish (the owner checks `stopping` between items)
    and ends `run()`; the database holds the work, so nothing is lost either way.
    """

    def __init__(self, name: str, step: Callable[[], Awaitable[float | None]], idle: float) -> None:
        self._name = name
        self._step = step
        self._idle = idle
        self._wakeup = asyncio.Event()
        self.stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self.stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        while not self.stopping:
            wait = self._idle
            try:
                due_in = await self._step()
            except Exception:
                logger.exception("%s: a pass failed; trying again later", self._name)
            else:
                if due_in is not None:
                    wait = max(0.0, min(wait, due_in))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), wait)
            self._wakeup.clear()

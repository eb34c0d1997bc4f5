"""A background loop that does one pass of work when woken, or every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from bot.services.leases import Held, still_held

logger = logging.getLogger(__name__)

# Another replica holds the worker's lease: look again soon, as it may be just finishing
# (and the work this replica was woken for may have come after its last look).
HELD_ELSEWHERE_SECONDS = 1.0

Hold = Callable[[], AbstractAsyncContextManager[Held]]


class Worker:
    """Runs `step` until stopped: at once when `wake()` is called, else every `idle` s, or
    sooner when the step returns how many seconds until it has work again.

    `stop()` lets the step in progress finish (the owner checks `keep_going` between items)
    and ends `run()`; the database holds the work, so nothing is lost either way. Run with
    a lease (`run(hold)`), a pass happens only on the replica holding it.
    """

    def __init__(self, name: str, step: Callable[[], Awaitable[float | None]], idle: float) -> None:
        self._name = name
        self._step = step
        self._idle = idle
        self._wakeup = asyncio.Event()
        self.stopping = False

    @property
    def keep_going(self) -> bool:
        """False once stopping, or once another replica took the lease over."""
        return not self.stopping and still_held()

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self.stopping = True
        self._wakeup.set()

    async def run(self, hold: Hold | None = None) -> None:
        while not self.stopping:
            wait = self._idle
            try:
                due_in = await self._pass(hold)
            except Exception:
                logger.exception("%s: a pass failed; trying again later", self._name)
            else:
                if due_in is not None:
                    wait = max(0.0, min(wait, due_in))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), wait)
            self._wakeup.clear()

    async def _pass(self, hold: Hold | None) -> float | None:
        if hold is None:
            return await self._step()
        async with hold() as held:
            if not held:
                return HELD_ELSEWHERE_SECONDS
            return await self._step()

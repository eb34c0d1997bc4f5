"""Runs the consumers of the event log: each reads events in order from its own position.

A consumer's position moves only after it has handled a batch, so a crash between a
change and its effect (a card edit, a CRM delivery) replays the batch at the next run;
consumers are written to be safe to replay. New consumers (time limits, deal support,
digests) register here and start from the head of the log.

With several replicas, each consumer runs where its lease is held (`events:<name>`); the
leases of all consumers are taken with one statement per drain. A drain that finds a
consumer's lease held elsewhere looks again shortly: the holder may have just finished
without seeing the newest event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.clock import Clock
from bot.domain.events import Event
from bot.services.leases import Held, Leases
from bot.storage import events
from bot.storage.db import Database

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# A consumer busy on another replica: how often to look again, for up to the lease's ttl
# (by then a holder that died has lost it); after that the 30 s pass catches the rest.
RETRY_SECONDS = 0.5


def consumer_lease(name: str) -> str:
    return f"events:{name}"


class Consumer(Protocol):
    async def handle_events(self, batch: Sequence[Event]) -> None: ...


@dataclass
class _Runner:
    name: str
    consumer: Consumer
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    again: bool = False


class EventPipe:
    def __init__(self, db: Database, clock: Clock, leases: Leases | None = None) -> None:
        self._db = db
        self._clock = clock
        self._leases = leases  # None: a single process, every consumer runs here
        self._runners: list[_Runner] = []
        self._passes: set[asyncio.Task[None]] = set()
        self._retry: asyncio.Task[None] | None = None
        self._closed = False

    def register(self, name: str, consumer: Consumer) -> None:
        self._runners.append(_Runner(name, consumer))

    async def drain(self) -> None:
        """Lets every consumer catch up with the log.

        If a consumer is already running, it is asked to go round once more instead of
        being waited for: the running pass picks up what was just written. One running on
        another replica is looked at again shortly, in the background.
        """
        if not await self._drain_here():
            self._retry_soon()

    async def _drain_here(self) -> bool:
        """Runs the consumers whose lease this replica gets; False if any was elsewhere."""
        if self._leases is None:
            for runner in self._runners:
                await self._run(runner, None)
            return True
        names = [consumer_lease(runner.name) for runner in self._runners]
        everywhere = True
        async with self._leases.hold_all(names) as held:
            for runner in self._runners:
                lease = held[consumer_lease(runner.name)]
                if lease:
                    await self._run(runner, lease)
                else:
                    everywhere = False
        return everywhere

    def _retry_soon(self) -> None:
        if self._closed or (self._retry is not None and not self._retry.done()):
            return  # shutting down, or already looking again
        self._retry = asyncio.create_task(self._retry_until_run(), name="event-pipe-retry")
        self._passes.add(self._retry)
        self._retry.add_done_callback(self._finished)

    async def _retry_until_run(self) -> None:
        assert self._leases is not None
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._leases.ttl.total_seconds() + 2 * RETRY_SECONDS
        while loop.time() < give_up:
            await asyncio.sleep(RETRY_SECONDS)
            if await self._drain_here():
                return

    async def drain_within(self, seconds: float) -> None:
        """Drains, waiting at most `seconds`: a long pass (cards queued behind a staff group
        at its rate limit) must not hold up the update that wrote the events. The pass goes
        on in the background; `close` waits for it."""
        task = asyncio.create_task(self.drain(), name="event-pipe")
        self._passes.add(task)
        task.add_done_callback(self._finished)
        await asyncio.wait({task}, timeout=seconds)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._passes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("event pipe pass failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Waits until no background pass is running."""
        while self._passes:
            await asyncio.wait(set(self._passes))

    async def close(self, grace_seconds: float) -> None:
        """Lets background passes finish (what they miss is handled after a restart)."""
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()  # only waits for another replica, which will do the work
        if not self._passes:
            return
        _, late = await asyncio.wait(set(self._passes), timeout=grace_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _run(self, runner: _Runner, lease: Held | None) -> None:
        if runner.lock.locked():
            runner.again = True
            return
        async with runner.lock:
            runner.again = True
            while runner.again:
                runner.again = False
                more = True
                while more:  # full batches mean there may be more behind them
                    if lease is not None and lease.lost:  # another replica took it over
                        return
                    more = await self._batch(runner)

    async def _batch(self, runner: _Runner) -> bool:
        """Handles one batch; False when there was nothing to do (or the consumer failed)."""
        async with self._db.read() as conn:
            position = await events.position(conn, runner.name)
            if position is None:
                # A consumer added to a running install starts at the head of the log.
                position = await events.head(conn)
                await events.save_position(conn, runner.name, position, self._clock.now())
            batch = await events.after(conn, position, BATCH_SIZE)
        if not batch:
            return False
        try:
            await runner.consumer.handle_events(batch)
        except Exception:
            logger.exception(
                "consumer %s failed on events %s..%s", runner.name, batch[0].id, batch[-1].id
            )
            return False
        async with self._db.read() as conn:
            await events.save_position(conn, runner.name, batch[-1].id, self._clock.now())
        return len(batch) == BATCH_SIZE

    async def lag(self) -> dict[str, int]:
        """Events each consumer has still to handle."""
        lag: dict[str, int] = {}
        async with self._db.read() as conn:
            head = await events.head(conn)
            for runner in self._runners:
                position = await events.position(conn, runner.name)
                lag[runner.name] = head - (head if position is None else position)
        return lag

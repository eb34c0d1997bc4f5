"""Leases that expire, so that with several replicas on one database each background job
(a reminder pass, an outbox worker, an event consumer) runs on one replica at a time.

`async with leases.hold("reminders") as held:` takes the job's lease for one pass; `held`
is false while another replica holds it, and the pass is skipped. While anything is held,
one heartbeat renews it every ttl/3. A renewal that finds a lease taken over (this process
stalled past the ttl) marks it `lost`, and long passes stop between items
(`still_held()`). A replica that dies stops renewing: after the ttl another one takes over.

Within one process a lease is shared: holding a name already held costs no statement, and
the lease is let go when its last holder is done. On a single replica every lease is free,
so nothing changes but a statement or two per pass; and a process restarted after a crash
does not wait out the ttl of its dead predecessor's leases (`reclaim_dead`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.storage import leases as store
from bot.storage.db import Database

logger = logging.getLogger(__name__)

# Long enough that a busy event loop does not lose leases; short enough that the jobs of a
# replica that died resume elsewhere within half a minute.
DEFAULT_TTL = timedelta(seconds=30)


@dataclass(eq=False)
class Held:
    """One pass's hold on a lease: true while taken and not lost."""

    name: str
    taken: bool
    lost: bool = False

    def __bool__(self) -> bool:
        return self.taken and not self.lost


@dataclass(eq=False)
class _Entry:
    held: Held
    until: datetime  # as far as this process knows
    count: int = 0  # passes in this process holding it


# The lease the pass running in this task holds (set by `hold`), for `still_held`.
_current: ContextVar[Held | None] = ContextVar("current_lease", default=None)


def still_held() -> bool:
    """False once the lease the running pass holds was taken over: stop between items."""
    held = _current.get()
    return held is None or not held.lost


@dataclass(frozen=True)
class Process:
    """Where a holder runs: the host, its pid namespace (containers), its pid."""

    host: str
    namespace: str
    pid: int

    @classmethod
    def current(cls) -> Process:
        try:  # one per container on Linux; two containers may share a host name
            namespace = str(os.stat("/proc/self/ns/pid").st_ino)
        except OSError:
            namespace = "-"
        return cls(socket.gethostname(), namespace, os.getpid())

    def holder(self) -> str:
        """A holder id unique per process (the random part tells a restart from its
        predecessor, even one that got the same pid)."""
        return f"{self.host}:{self.namespace}:{self.pid}:{secrets.token_hex(4)}"

    @classmethod
    def of(cls, holder: str) -> Process | None:
        parts = holder.rsplit(":", 3)
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]))


def default_holder() -> str:
    return Process.current().holder()


def predecessor_is_dead(holder: str, me: Process, alive: Callable[[int], bool]) -> bool:
    """True when `holder` ran on this host, in this pid namespace, and its process is gone
    (or this process now has its pid: a container restarted). Anything else may be a live
    replica elsewhere: its leases are left to expire."""
    other = Process.of(holder)
    if other is None or (other.host, other.namespace) != (me.host, me.namespace):
        return False
    return other.pid == me.pid or not alive(other.pid)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # somebody else's process
    return True


class Leases:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        holder: str,
        ttl: timedelta = DEFAULT_TTL,
        *,
        renew_every: float | None = None,  # seconds; ttl/3 unless a test says otherwise
    ) -> None:
        self._db = db
        self._clock = clock
        self.holder = holder
        self.ttl = ttl
        self._renew_every = ttl.total_seconds() / 3 if renew_every is None else renew_every
        self._entries: dict[str, _Entry] = {}
        # Orders this process's takes, renewals and releases (on PostgreSQL they await).
        self._lock = asyncio.Lock()
        self._heartbeat: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def held_here(self) -> frozenset[str]:
        """The leases this process holds now."""
        return frozenset(self._entries)

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[Held]:
        """Holds the lease for the block; the result is false when another replica has it."""
        async with self.hold_all([name]) as taken:
            held = taken[name]
            outer = _current.get()
            _current.set(held)
            try:
                yield held
            finally:
                _current.set(outer)

    @asynccontextmanager
    async def hold_all(self, names: Iterable[str]) -> AsyncIterator[dict[str, Held]]:
        """Holds several leases with one statement (the event consumers after an update)."""
        taken = await self._take(names)
        try:
            yield taken
        finally:
            await self._let_go([held for held in taken.values() if held.taken])

    async def run(self, name: str, job: Callable[[], Awaitable[object]]) -> bool:
        """Runs the job under its lease; False (not run) when another replica holds it."""
        async with self.hold(name) as held:
            if not held:
                logger.debug("%s runs on another replica; skipped here", name)
                return False
            await job()
            return True

    async def reclaim_dead(self, me: Process | None = None) -> list[str]:
        """At start-up: lets go of the leases a crashed predecessor on this host left behind,
        so a restarted single process does not wait out their ttl. Returns their names."""
        me = me or Process.current()
        async with self._db.read() as conn:
            taken = await store.holders(conn)
        freed: list[str] = []
        for name, holder in taken:
            if holder != self.holder and predecessor_is_dead(holder, me, pid_alive):
                async with self._db.read() as conn:
                    await store.release(conn, [name], holder)
                freed.append(name)
        if freed:
            logger.info("let go of leases a stopped process left: %s", ", ".join(freed))
        return freed

    async def renew(self) -> None:
        """Extends every lease held here; one taken over meanwhile is marked lost."""
        async with self._lock:
            if not self._entries:
                return
            now = self._clock.now()
            names = list(self._entries)
            try:
                async with self._db.read() as conn:
                    kept = await store.renew(conn, names, self.holder, now + self.ttl)
            except Exception:
                logger.warning("could not renew leases %s", ", ".join(names), exc_info=True)
                # Whether they are still ours is unknown: once they would have expired, not.
                kept = {name for name in names if self._entries[name].until > now}
            else:
                for name in kept:
                    self._entries[name].until = now + self.ttl
            for name in names:
                if name not in kept:
                    entry = self._entries.pop(name)
                    entry.held.lost = True
                    logger.warning("lease %s was taken over by another replica; stopping", name)

    async def close(self) -> None:
        """Stops the heartbeat and lets go of what is still held (best effort)."""
        async with self._lock:
            self._closed = True
            names = list(self._entries)
            self._entries.clear()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        await self._release(names)

    async def _take(self, names: Iterable[str]) -> dict[str, Held]:
        wanted = list(dict.fromkeys(names))
        async with self._lock:
            fresh = [name for name in wanted if name not in self._entries]
            if fresh and not self._closed:
                now = self._clock.now()
                async with self._db.read() as conn:
                    taken = await store.take(conn, fresh, self.holder, now + self.ttl, now)
                for name in taken:
                    self._entries[name] = _Entry(Held(name, True), now + self.ttl)
                if taken:
                    self._start_heartbeat()
            result: dict[str, Held] = {}
            for name in wanted:
                entry = self._entries.get(name)
                if entry is None:
                    result[name] = Held(name, False)
                else:
                    entry.count += 1
                    result[name] = entry.held
            return result

    async def _let_go(self, holds: list[Held]) -> None:
        async with self._lock:
            gone: list[str] = []
            for held in holds:
                entry = self._entries.get(held.name)
                if entry is None or entry.held is not held:
                    continue  # lost meanwhile (and maybe taken again by a newer pass)
                entry.count -= 1
                if entry.count == 0:
                    del self._entries[held.name]
                    gone.append(held.name)
            await self._release(gone)

    async def _release(self, names: list[str]) -> None:
        if not names:
            return
        try:
            async with self._db.read() as conn:
                await store.release(conn, names, self.holder)
        except Exception:
            logger.warning(
                "could not release leases %s; they expire on their own",
                ", ".join(names),
                exc_info=True,
            )

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name="lease-heartbeat")

    async def _beat(self) -> None:
        # Ends once nothing is held; the next take starts it again.
        while self._entries:
            await asyncio.sleep(self._renew_every)
            try:
                await self.renew()
            except Exception:
                logger.exception("lease heartbeat failed")

"""One queue per chat in front of the Bot API, so bursts never turn into 429 storms.

A request to a chat waits for its turn in that chat's lane (lower `Priority` first, then
first come), holds the lane while it is sent (and while it waits out a 429, so nothing
overtakes it or reaches the chat before `retry_after`), and waits for the chat's and the
bot's send windows (`SendLimits`) before each try. Lanes of other chats go on meanwhile.

An edit still waiting in a lane is replaced by a newer edit of the same message: its caller
gets the newer edit's outcome, and the message is edited once.

The queue does not send anything itself: the caller's coroutine does, when its turn comes,
so there are no background tasks to start, stop or lose at shutdown.

With several replicas, each request also takes a slot from `SharedSlots` (Redis, see
bot/storage/send_slots.py), so the replicas together stay within the same limits.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bot.domain.send_policy import (
    Priority,
    SendLimits,
    Window,
    keep_recent,
    overall_wait,
    wait_before,
)

R = TypeVar("R")
Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]

_SWEEP_EVERY = 1000  # requests between looks for lanes nothing needs any more


@dataclass(frozen=True)
class Slot:
    """A shared send slot: granted (wait 0), or how long to wait and whether the chat's
    window (rather than the bot's overall one) was the full one."""

    wait: float
    by_chat: bool = False


class SharedSlots(Protocol):
    """Send windows every replica of the bot shares."""

    async def take(
        self, chat_id: int | None, chat: Window | None, overall: Window | None
    ) -> Slot: ...


@dataclass(eq=False)
class _Ticket:
    priority: int
    seq: int
    turn: asyncio.Future[bool]  # True: your turn; False: replaced by a newer request
    outcome: asyncio.Future[Any]

    def __lt__(self, other: _Ticket) -> bool:
        return (self.priority, self.seq) < (other.priority, other.seq)


class _Gate:
    """One holder at a time; the waiting ticket with the best (priority, seq) goes next."""

    def __init__(self) -> None:
        self._busy = False
        self._waiting: list[_Ticket] = []

    @property
    def idle(self) -> bool:
        return not self._busy and not self._waiting

    async def acquire(self, ticket: _Ticket) -> bool:
        """True once `ticket` holds the gate; False if it was replaced while waiting."""
        if not self._busy and not self._waiting:
            self._busy = True
            ticket.turn.set_result(True)
            return True
        heapq.heappush(self._waiting, ticket)
        try:
            return await ticket.turn
        except asyncio.CancelledError:
            if ticket.turn.done() and not ticket.turn.cancelled() and ticket.turn.result():
                self.release()  # the turn came just as the caller gave up: pass it on
            raise

    def release(self) -> None:
        while self._waiting:
            ticket = heapq.heappop(self._waiting)
            if not ticket.turn.done():  # skips cancelled and replaced tickets
                ticket.turn.set_result(True)
                return
        self._busy = False


@dataclass
class _Lane:
    gate: _Gate = field(default_factory=_Gate)
    sent_at: list[float] = field(default_factory=list)
    waiting: dict[Hashable, _Ticket] = field(default_factory=dict)  # collapsible, by key


class SendQueue:
    def __init__(
        self,
        limits: SendLimits,
        *,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        shared: SharedSlots | None = None,
    ) -> None:
        self._limits = limits
        self._shared = shared
        self._sleep = sleep
        self._monotonic = monotonic
        self._lanes: dict[int, _Lane] = {}
        self._overall = _Gate()
        self._overall_answered: deque[float] = deque()
        self._in_flight = 0  # counted requests started and not answered yet
        self._answered = asyncio.Event()
        self._seq = itertools.count()
        self._since_sweep = 0

    async def run(
        self,
        chat_id: int | None,
        priority: Priority,
        job: Callable[[], Awaitable[R]],
        *,
        collapse: Hashable | None = None,
    ) -> R:
        """Runs `job` when it is this request's turn in the chat's lane (at once without a
        chat); with `collapse`, a newer request with the same key takes the place of this one
        while it waits, and this one returns what that one returns."""
        if chat_id is None:
            return await job()
        lane = self._lanes.setdefault(chat_id, _Lane())
        loop = asyncio.get_running_loop()
        ticket = _Ticket(priority, next(self._seq), loop.create_future(), loop.create_future())
        if collapse is not None:
            older = lane.waiting.get(collapse)
            if older is not None and not older.turn.done():
                older.turn.set_result(False)
                _follow(older.outcome, ticket.outcome)
            lane.waiting[collapse] = ticket
        try:
            granted = await lane.gate.acquire(ticket)
        finally:
            if collapse is not None and lane.waiting.get(collapse) is ticket:
                del lane.waiting[collapse]
        if not granted:
            result: R = await ticket.outcome
            return result
        try:
            result = await job()
        except BaseException as error:
            _settle(ticket.outcome, error=error)
            raise
        else:
            _settle(ticket.outcome, result=result)
            return result
        finally:
            lane.gate.release()
            self._forget_idle(chat_id, lane)

    async def pace(self, chat_id: int | None, priority: Priority) -> None:
        """Waits until one more counted request may start: first the chat's window (the
        caller holds its lane), then the bot's overall window (best priority first). Every
        `pace` must be followed by `sent` once the request is answered (or failed)."""
        if chat_id is not None:
            lane = self._lanes.get(chat_id)
            if lane is not None:
                wait = wait_before(lane.sent_at, self._monotonic(), self._window(chat_id))
                if wait > 0:
                    await self._sleep(wait)
        if self._shared is not None:
            await self._pace_shared(self._shared, chat_id, priority)
            return
        window = self._limits.overall
        if window is None:
            return
        ticket = _Ticket(priority, next(self._seq), _future(), _future())
        await self._overall.acquire(ticket)
        try:
            await self._overall_room(window)
            self._in_flight += 1
        finally:
            self._overall.release()

    async def _pace_shared(
        self, shared: SharedSlots, chat_id: int | None, priority: Priority
    ) -> None:
        """The overall gate as in `pace`, and inside it a slot every replica agrees to. A
        chat whose window another replica filled waits outside the gate, so other chats go
        on; it keeps its place in the line (same sequence number)."""
        chat = None if chat_id is None else self._window(chat_id)
        window = self._limits.overall
        seq = next(self._seq)
        while True:
            ticket = _Ticket(priority, seq, _future(), _future())
            await self._overall.acquire(ticket)
            try:
                while True:
                    if window is not None:
                        await self._overall_room(window)
                    slot = await shared.take(chat_id, chat, window)
                    if slot.wait <= 0:
                        if window is not None:
                            self._in_flight += 1
                        return
                    if slot.by_chat:
                        break
                    await self._sleep(slot.wait)
            finally:
                self._overall.release()
            await self._sleep(slot.wait)

    async def _overall_room(self, window: Window) -> None:
        """Waits (holding the overall gate) until this replica's own overall window has room."""
        while True:
            now = self._monotonic()
            answered = self._overall_answered
            while answered and answered[0] + window.seconds <= now:
                answered.popleft()
            until = overall_wait(answered, self._in_flight, now, window)
            if until == 0:
                return
            if until is None:
                self._answered.clear()
                await self._answered.wait()
            else:
                await self._sleep(until)

    def sent(self, chat_id: int | None) -> None:
        """Notes that a counted request has been answered. The answer's time, not the
        start's: the request reached Telegram somewhere in between, so the next one in its
        chat waits a window from then, however slow the network was."""
        if self._limits.overall is not None:
            self._in_flight -= 1
            self._overall_answered.append(self._monotonic())
            self._answered.set()
        if chat_id is None:
            return
        lane = self._lanes.get(chat_id)
        window = self._window(chat_id)
        if lane is None or window is None:
            return
        lane.sent_at.append(self._monotonic())
        keep_recent(lane.sent_at, window)

    def _window(self, chat_id: int) -> Window | None:
        return self._limits.for_chat(chat_id)

    def _forget_idle(self, chat_id: int, lane: _Lane) -> None:
        """Drops the lane of an unlimited chat once idle; now and then, also the lanes whose
        last send is older than their window (thousands of prospects come once each)."""
        if lane.gate.idle and not lane.waiting and self._window(chat_id) is None:
            self._lanes.pop(chat_id, None)
        self._since_sweep += 1
        if self._since_sweep < _SWEEP_EVERY:
            return
        self._since_sweep = 0
        now = self._monotonic()
        for key, other in list(self._lanes.items()):
            window = self._window(key)
            expired = (
                window is None or not other.sent_at or other.sent_at[-1] + window.seconds <= now
            )
            if other.gate.idle and not other.waiting and expired:
                del self._lanes[key]


def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


def _settle(
    future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if isinstance(error, asyncio.CancelledError):
        future.cancel()
    elif error is not None:
        future.set_exception(error)
        future.exception()  # nobody may be waiting for it: do not log it as lost
    else:
        future.set_result(result)


def _follow(follower: asyncio.Future[Any], leader: asyncio.Future[Any]) -> None:
    """`follower` ends as `leader` does (a replaced request gets its replacement's outcome)."""

    def copy(done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            _settle(follower, error=asyncio.CancelledError())
        elif done.exception() is not None:
            _settle(follower, error=done.exception())
        else:
            _settle(follower, result=done.result())

    leader.add_done_callback(copy)

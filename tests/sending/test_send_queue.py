"""The per-chat queue alone, on virtual time: order, limits, collapsing, giving up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.domain.send_policy import Priority, SendLimits, Window
from bot.services.send_queue import SendQueue

GROUP = -1001234567890


class VirtualTime:
    """A clock that jumps forward when the queue sleeps: limits of minutes take no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now = max(self.now, self.now + delay)
        await asyncio.sleep(0)


class Recorder:
    """Jobs that note (what, when) as they are sent, the way the notifier uses the queue."""

    def __init__(self, queue: SendQueue, time: VirtualTime) -> None:
        self.queue = queue
        self.time = time
        self.sent: list[tuple[str, float]] = []

    def job(self, chat_id: int, name: str, priority: Priority) -> Callable[[], Awaitable[str]]:
        async def send() -> str:
            await self.queue.pace(chat_id, priority)
            self.sent.append((name, self.time.now))
            self.queue.sent(chat_id)
            return name

        return send

    async def send(
        self, chat_id: int, name: str, priority: Priority = Priority.ANSWER, key: str | None = None
    ) -> str:
        return await self.queue.run(
            chat_id, priority, self.job(chat_id, name, priority), collapse=key
        )

    def names(self) -> list[str]:
        return [name for name, _ in self.sent]


def make(limits: SendLimits) -> tuple[SendQueue, VirtualTime, Recorder]:
    time = VirtualTime()
    queue = SendQueue(limits, sleep=time.sleep, monotonic=time.monotonic)
    return queue, time, Recorder(queue, time)


async def hold(queue: SendQueue, chat_id: int) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """Occupies the chat's lane (a request in flight) until the event is set."""
    release = asyncio.Event()
    started = asyncio.Event()

    async def blocker() -> None:
        started.set()
        await release.wait()

    task = asyncio.create_task(queue.run(chat_id, Priority.ANSWER, blocker))
    await started.wait()
    return release, task


async def test_waiting_requests_go_answers_first_then_in_order() -> None:
    queue, _, rec = make(SendLimits.unlimited())
    release, blocker = await hold(queue, GROUP)
    names = [
        ("digest 1", Priority.DIGEST),
        ("card 1", Priority.CARD),
        ("answer", Priority.ANSWER),
        ("card 2", Priority.CARD),
        ("digest 2", Priority.DIGEST),
    ]
    tasks = [asyncio.create_task(rec.send(GROUP, name, priority)) for name, priority in names]
    await asyncio.sleep(0)
    assert rec.sent == []  # the lane is busy: nothing overtakes the request in flight
    release.set()
    await asyncio.gather(blocker, *tasks)
    assert rec.names() == ["answer", "card 1", "card 2", "digest 1", "digest 2"]


async def test_one_message_a_second_in_a_private_chat() -> None:
    _, _, rec = make(SendLimits(private=Window(1, 1.0), group=None, overall=None))
    await asyncio.gather(*(rec.send(42, f"m{n}") for n in range(4)), rec.send(43, "other"))
    assert [when for name, when in rec.sent if name != "other"] == [0.0, 1.0, 2.0, 3.0]
    # Another chat did not wait behind the paced one (virtual time is shared, so look at order).
    assert rec.names().index("other") < rec.names().index("m1")


async def test_twenty_a_minute_in_a_group() -> None:
    _, _, rec = make(SendLimits(private=None, group=Window(20, 60.0), overall=None))
    await asyncio.gather(*(rec.send(GROUP, f"card {n}", Priority.CARD) for n in range(25)))
    times = [when for _, when in rec.sent]
    assert times[:20] == [0.0] * 20
    assert times[20:] == [60.0] * 5
    assert rec.names() == [f"card {n}" for n in range(25)]


async def test_overall_limit_lets_answers_overtake_digests() -> None:
    _, _, rec = make(SendLimits(private=None, group=None, overall=Window(1, 1.0)))
    digests = [rec.send(-n, f"digest {n}", Priority.DIGEST) for n in (1, 2, 3)]
    await asyncio.gather(*digests, rec.send(5, "answer", Priority.ANSWER))
    # The first digest took this second, the second was already waiting for the next one;
    # after that the answer goes before the third digest.
    assert rec.names() == ["digest 1", "digest 2", "answer", "digest 3"]
    assert [when for _, when in rec.sent] == [0.0, 1.0, 2.0, 3.0]


async def test_waiting_edits_of_one_message_collapse_into_the_latest() -> None:
    queue, _, rec = make(SendLimits.unlimited())
    release, blocker = await hold(queue, GROUP)
    key = "edit card 7"
    edits = [asyncio.create_task(rec.send(GROUP, f"v{n}", Priority.CARD, key)) for n in (1, 2, 3)]
    other = asyncio.create_task(rec.send(GROUP, "another message", Priority.CARD))
    await asyncio.sleep(0)
    release.set()
    await blocker
    assert await asyncio.gather(*edits) == ["v3", "v3", "v3"]  # everyone gets the latest
    await other
    assert rec.names() == ["v3", "another message"]


async def test_an_edit_in_flight_is_not_replaced() -> None:
    queue, _, rec = make(SendLimits.unlimited())
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_v1() -> str:
        started.set()
        await release.wait()
        rec.sent.append(("v1", 0.0))
        return "v1"

    first = asyncio.create_task(queue.run(GROUP, Priority.CARD, slow_v1, collapse="k"))
    await started.wait()
    second = asyncio.create_task(rec.send(GROUP, "v2", Priority.CARD, "k"))
    await asyncio.sleep(0)
    release.set()
    assert list(await asyncio.gather(first, second)) == ["v1", "v2"]
    assert rec.names() == ["v1", "v2"]


async def test_a_replaced_edit_shares_the_failure_of_its_replacement() -> None:
    queue, _, _ = make(SendLimits.unlimited())
    release, blocker = await hold(queue, GROUP)

    async def ok() -> str:
        return "never sent"

    async def broken() -> str:
        raise LookupError("thread gone")

    older = asyncio.create_task(queue.run(GROUP, Priority.CARD, ok, collapse="k"))
    newer = asyncio.create_task(queue.run(GROUP, Priority.CARD, broken, collapse="k"))
    await asyncio.sleep(0)
    release.set()
    await blocker
    for task in (older, newer):
        with pytest.raises(LookupError):
            await task


async def test_a_caller_that_gives_up_frees_its_place() -> None:
    queue, _, rec = make(SendLimits.unlimited())
    release, blocker = await hold(queue, 42)
    gone = asyncio.create_task(rec.send(42, "abandoned"))
    after = asyncio.create_task(rec.send(42, "next"))
    await asyncio.sleep(0)
    gone.cancel()
    release.set()
    await blocker
    assert await after == "next"
    assert rec.names() == ["next"]
    assert await rec.send(42, "lane still works") == "lane still works"


async def test_a_request_without_a_chat_does_not_queue() -> None:
    queue, _, _ = make(SendLimits.unlimited())
    release, blocker = await hold(queue, 42)

    async def answer_button() -> str:
        return "answered"

    assert await queue.run(None, Priority.ANSWER, answer_button) == "answered"
    release.set()
    await blocker


async def test_requests_in_flight_count_against_the_overall_limit() -> None:
    queue, time, _ = make(SendLimits(private=None, group=None, overall=Window(2, 1.0)))
    slow = [asyncio.Event(), asyncio.Event()]
    started: list[str] = []

    def job(chat_id: int, name: str, until: asyncio.Event | None) -> Callable[[], Awaitable[str]]:
        async def send() -> str:
            await queue.pace(chat_id, Priority.ANSWER)
            started.append(name)
            try:
                if until is not None:
                    await until.wait()  # the request is on its way: no answer yet
            finally:
                queue.sent(chat_id)
            return name

        return send

    tasks = [
        asyncio.create_task(queue.run(1, Priority.ANSWER, job(1, "a", slow[0]))),
        asyncio.create_task(queue.run(2, Priority.ANSWER, job(2, "b", slow[1]))),
        asyncio.create_task(queue.run(3, Priority.ANSWER, job(3, "c", None))),
    ]
    for _ in range(5):
        await asyncio.sleep(0)
    assert started == ["a", "b"]  # two on their way fill the window: "c" waits for an answer
    time.now = 10.0
    for _ in range(5):
        await asyncio.sleep(0)
    assert started == ["a", "b"]  # however long it takes
    slow[0].set()  # "a" is answered at 10.0: "c" may go a window after that
    await asyncio.gather(*tasks[:1])
    slow[1].set()
    assert await asyncio.gather(*tasks) == ["a", "b", "c"]
    assert time.now >= 11.0

"""Updates of one FSM key run one at a time, in order of arrival, and a key's lock is kept
only while someone holds or waits for it."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Dispatcher
from aiogram.fsm.storage.base import StorageKey

from bot.isolation import BoundedEventIsolation

HANG_GUARD = 10  # seconds: a deadlock fails the test instead of hanging it


def key(n: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=n, user_id=n)


async def test_updates_of_one_key_take_turns_in_order_of_arrival() -> None:
    isolation = BoundedEventIsolation()
    log: list[tuple[str, int]] = []

    async def update(n: int) -> None:
        async with isolation.lock(key(1)):
            log.append(("in", n))
            for _ in range(3):  # gives the others every chance to overlap
                await asyncio.sleep(0)
            log.append(("out", n))

    await asyncio.gather(*(update(n) for n in range(5)))

    assert log == [(step, n) for n in range(5) for step in ("in", "out")]
    assert isolation.locks_kept == 0


async def test_other_keys_do_not_wait() -> None:
    isolation = BoundedEventIsolation()
    inside: list[int] = []
    release = asyncio.Event()

    async def hold(n: int) -> None:
        async with isolation.lock(key(n)):
            inside.append(n)
            await release.wait()

    tasks = [asyncio.create_task(hold(n)) for n in (1, 2)]
    await asyncio.sleep(0)
    assert inside == [1, 2]
    assert isolation.locks_kept == 2

    release.set()
    await asyncio.gather(*tasks)
    assert isolation.locks_kept == 0


async def test_ten_thousand_keys_leave_no_lock_behind() -> None:
    isolation = BoundedEventIsolation()
    for n in range(10_000):
        async with isolation.lock(key(n)):
            pass
    assert isolation.locks_kept == 0

    # All held at once: the locks kept are the updates in flight, and none stays after.
    release = asyncio.Event()

    async def hold(n: int) -> None:
        async with isolation.lock(key(n)):
            await release.wait()

    tasks = [asyncio.create_task(hold(n)) for n in range(10_000)]
    await asyncio.sleep(0)
    assert isolation.locks_kept == 10_000
    release.set()
    await asyncio.gather(*tasks)
    assert isolation.locks_kept == 0


async def test_a_cancelled_waiter_neither_leaks_nor_blocks_the_next() -> None:
    isolation = BoundedEventIsolation()
    order: list[str] = []
    release = asyncio.Event()

    async def update(name: str, until: asyncio.Event | None = None) -> None:
        async with isolation.lock(key(1)):
            order.append(name)
            if until is not None:
                await until.wait()

    first = asyncio.create_task(update("first", release))
    await asyncio.sleep(0)
    gone = asyncio.create_task(update("gone"))
    last = asyncio.create_task(update("last"))
    await asyncio.sleep(0)  # both now wait behind the first
    gone.cancel()
    await asyncio.sleep(0)
    release.set()
    async with asyncio.timeout(HANG_GUARD):
        await asyncio.gather(first, last)

    assert gone.cancelled()
    assert order == ["first", "last"]
    assert isolation.locks_kept == 0


async def test_the_only_waiter_cancelled_leaves_nothing_behind() -> None:
    isolation = BoundedEventIsolation()
    release = asyncio.Event()

    async def hold() -> None:
        async with isolation.lock(key(1)):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert isolation.locks_kept == 1  # the holder's

    release.set()
    await holder
    assert isolation.locks_kept == 0
    async with asyncio.timeout(HANG_GUARD), isolation.lock(key(1)):
        assert isolation.locks_kept == 1
    assert isolation.locks_kept == 0


async def test_a_holder_cancelled_or_failing_lets_the_next_in() -> None:
    isolation = BoundedEventIsolation()
    release = asyncio.Event()

    async def hold() -> None:
        async with isolation.lock(key(1)):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder
    assert isolation.locks_kept == 0

    with pytest.raises(RuntimeError, match="handler failed"):
        async with isolation.lock(key(1)):
            raise RuntimeError("handler failed")
    assert isolation.locks_kept == 0
    async with asyncio.timeout(HANG_GUARD), isolation.lock(key(1)):
        pass


async def test_close_while_held_does_not_break_the_holder() -> None:
    isolation = BoundedEventIsolation()
    async with isolation.lock(key(1)):
        await isolation.close()
        assert isolation.locks_kept == 0
        # A key locked after close() is a new lock the old holder must not drop.
        entered = asyncio.Event()
        leave = asyncio.Event()

        async def later() -> None:
            async with isolation.lock(key(1)):
                entered.set()
                await leave.wait()

        task = asyncio.create_task(later())
        await entered.wait()
    assert isolation.locks_kept == 1
    leave.set()
    await task
    assert isolation.locks_kept == 0


def test_the_dispatcher_keeps_it_while_no_key_is_locked() -> None:
    # aiogram takes `events_isolation or DisabledEventIsolation()`: a falsy one is dropped.
    isolation = BoundedEventIsolation()
    assert Dispatcher(events_isolation=isolation).fsm.events_isolation is isolation

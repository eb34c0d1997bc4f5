"""Leases that expire, as two replicas see them: each on its own connection to one database,
both reading one hand-moved clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial

import pytest

from bot.services.leases import (
    Leases,
    Process,
    default_holder,
    predecessor_is_dead,
    still_held,
)
from bot.services.worker import Worker
from bot.storage import leases as lease_rows
from tests.conftest import FakeClock
from tests.scale.conftest import Store

TTL = timedelta(seconds=30)
# The heartbeat is driven by hand (`renew()`) unless a test says otherwise.
NEVER = 3600.0


async def two_replicas(store_: Store, clock: FakeClock) -> tuple[Leases, Leases]:
    first, second = await store_.connect(), await store_.connect()
    return (
        Leases(first, clock, "replica-a", TTL, renew_every=NEVER),
        Leases(second, clock, "replica-b", TTL, renew_every=NEVER),
    )


class OtherPass:
    """A pass on another replica (its own task) that holds a lease until `end()`."""

    def __init__(self, leases: Leases, name: str) -> None:
        self._leases = leases
        self._name = name
        self._entered = asyncio.Event()
        self._end = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.held = False

    async def start(self) -> bool:
        self._task = asyncio.create_task(self._run())
        await self._entered.wait()
        return self.held

    async def _run(self) -> None:
        async with self._leases.hold(self._name) as held:
            self.held = bool(held)
            self._entered.set()
            await self._end.wait()

    async def end(self) -> None:
        self._end.set()
        assert self._task is not None
        await self._task


async def holder_of(store_: Store, name: str) -> str | None:
    """Who holds the lease, as a third connection (an operator) reads it."""
    db = await store_.connect()
    async with db.read() as conn:
        found = await lease_rows.get(conn, name)
    return None if found is None else found[0]


async def test_a_lease_is_held_by_one_replica_until_let_go(store: Store) -> None:
    a, b = await two_replicas(store, FakeClock())
    async with a.hold("reminders") as held_a:
        assert held_a
        async with b.hold("reminders") as held_b:
            assert not held_b
        assert await holder_of(store, "reminders") == "replica-a"
        # Another job's lease is free meanwhile.
        async with b.hold("digest") as other:
            assert other
    async with b.hold("reminders") as held_b:
        assert held_b
    assert await holder_of(store, "reminders") is None


async def test_a_job_runs_only_where_its_lease_is_held(store: Store) -> None:
    a, b = await two_replicas(store, FakeClock())
    runs: list[str] = []

    async def job() -> None:
        runs.append("ran")

    async with a.hold("reminders"):
        assert await b.run("reminders", job) is False
        assert runs == []
        assert await a.run("reminders", job) is True  # shared within the process
    assert await b.run("reminders", job) is True
    assert runs == ["ran", "ran"]


async def test_a_lease_left_behind_expires_after_the_ttl(store: Store) -> None:
    clock = FakeClock()
    a, b = await two_replicas(store, clock)
    died = OtherPass(a, "reminders")  # dies inside its pass: never lets go, never renews
    assert await died.start()

    clock.advance(seconds=TTL.total_seconds() - 1)
    async with b.hold("reminders") as held:
        assert not held
    clock.advance(seconds=1)
    async with b.hold("reminders") as held:
        assert held
        assert await holder_of(store, "reminders") == "replica-b"
    await died.end()


async def test_renewing_keeps_a_lease_past_its_first_ttl(store: Store) -> None:
    clock = FakeClock()
    a, b = await two_replicas(store, clock)
    async with a.hold("reminders") as held:
        for _ in range(5):
            clock.advance(seconds=20)
            await a.renew()
            async with b.hold("reminders") as other:
                assert not other
        assert held and not held.lost


async def test_a_pass_whose_lease_was_taken_over_stops_between_items(store: Store) -> None:
    clock = FakeClock()
    a, b = await two_replicas(store, clock)
    done: list[int] = []
    taken_over = OtherPass(b, "reminders")
    async with a.hold("reminders") as held:
        for item in range(10):
            if not still_held():
                break
            done.append(item)
            if item == 3:  # the process stalled past the ttl: another replica took over
                clock.advance(seconds=TTL.total_seconds() + 1)
                assert await taken_over.start()
                await a.renew()
        assert held.lost and not held
    assert done == [0, 1, 2, 3]
    assert still_held()  # outside any pass
    # A's pass ending does not let go of what B holds now.
    assert await holder_of(store, "reminders") == "replica-b"
    await taken_over.end()


async def test_a_lost_lease_can_be_taken_again_by_a_new_pass(store: Store) -> None:
    clock = FakeClock()
    a, b = await two_replicas(store, clock)
    async with a.hold("reminders") as old:
        clock.advance(seconds=TTL.total_seconds() + 1)
        async with b.hold("reminders"):
            await a.renew()
        assert old.lost
        async with a.hold("reminders") as new:
            assert new  # B let go meanwhile
        assert await holder_of(store, "reminders") is None  # the new pass let it go


async def test_the_heartbeat_renews_what_is_held(store: Store) -> None:
    clock = FakeClock()
    db = await store.connect()
    a = Leases(db, clock, "replica-a", TTL, renew_every=0.01)
    b = Leases(await store.connect(), clock, "replica-b", TTL, renew_every=NEVER)
    async with a.hold("reminders"):
        async with db.read() as conn:
            first = await lease_rows.get(conn, "reminders")
        assert first is not None
        clock.advance(seconds=20)

        async def renewed() -> None:
            while True:
                async with db.read() as conn:
                    now = await lease_rows.get(conn, "reminders")
                if now is not None and now[1] > first[1]:
                    return
                await asyncio.sleep(0.01)

        await asyncio.wait_for(renewed(), 10)
        clock.advance(seconds=20)  # 40 s after the take, 20 s after the renewal
        async with b.hold("reminders") as other:
            assert not other
    await a.close()


async def test_holding_a_name_twice_in_one_process_lets_go_after_the_last(store: Store) -> None:
    a, b = await two_replicas(store, FakeClock())
    async with a.hold("events:staff_card") as outer:
        async with a.hold("events:staff_card") as inner:
            assert inner is outer
        async with b.hold("events:staff_card") as other:
            assert not other  # the outer pass still holds it
    async with b.hold("events:staff_card") as other:
        assert other


async def test_holding_several_at_once_takes_the_free_ones(store: Store) -> None:
    a, b = await two_replicas(store, FakeClock())
    async with (
        a.hold("events:card"),
        b.hold_all(["events:card", "events:crm", "events:timers"]) as held,
    ):
        assert {name for name, h in held.items() if h} == {"events:crm", "events:timers"}
        assert b.held_here == {"events:crm", "events:timers"}
    assert a.held_here == b.held_here == frozenset()


async def test_many_replicas_taking_one_free_lease_at_once_one_gets_it(store: Store) -> None:
    clock = FakeClock()
    fleet = [
        Leases(await store.connect(), clock, f"replica-{n}", TTL, renew_every=NEVER)
        for n in range(8)
    ]
    all_tried, gate = asyncio.Event(), asyncio.Event()
    tried: list[bool] = []

    async def one(leases: Leases) -> None:
        async with leases.hold("reminders") as held:
            tried.append(bool(held))
            if len(tried) == len(fleet):
                all_tried.set()
            await gate.wait()  # everybody keeps what they got until all have tried

    tasks = [asyncio.create_task(one(leases)) for leases in fleet]
    await all_tried.wait()
    gate.set()
    await asyncio.gather(*tasks)
    assert sorted(tried) == [False] * (len(fleet) - 1) + [True]


async def test_closing_lets_go_of_what_is_held(store: Store) -> None:
    a, b = await two_replicas(store, FakeClock())
    running = OtherPass(a, "reminders")
    assert await running.start()
    await a.close()
    async with b.hold("reminders") as other:
        assert other
        await running.end()  # the pass ends after the close: it does not let go of B's
        assert await holder_of(store, "reminders") == "replica-b"


async def test_a_pass_ends_cleanly_when_its_database_went_away_and_the_lease_expires(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    db = await store.connect()
    a = Leases(db, clock, "replica-a", TTL, renew_every=NEVER)
    b = Leases(await store.connect(), clock, "replica-b", TTL, renew_every=NEVER)
    async with a.hold("reminders") as held:
        assert held
        await db.close()  # the connection is gone: the release cannot reach the database
        await a.renew()  # nor can a renewal; the lease is still ours until its ttl
        assert held
    assert "they expire on their own" in caplog.text
    async with b.hold("reminders") as other:
        assert not other
    clock.advance(seconds=TTL.total_seconds())
    async with b.hold("reminders") as other:
        assert other


def test_holders_are_unique_per_process_and_say_where_it_runs() -> None:
    first, second = default_holder(), default_holder()
    assert first != second
    assert Process.of(first) == Process.of(second) == Process.current()


HERE = Process("bot-host", "4026531836", 4242)


def test_a_predecessor_is_dead_only_if_it_ran_here_and_its_process_is_gone() -> None:
    def alive(pid: int) -> bool:
        return pid == 77

    dead = "bot-host:4026531836:99:ab12cd34"
    assert predecessor_is_dead(dead, HERE, alive)
    # The same pid as ours in the same container: this container restarted.
    assert predecessor_is_dead("bot-host:4026531836:4242:ab12cd34", HERE, alive)
    # Still running, another container (its own pid namespace), another host: maybe alive.
    assert not predecessor_is_dead("bot-host:4026531836:77:ab12cd34", HERE, alive)
    assert not predecessor_is_dead("bot-host:4026532999:99:ab12cd34", HERE, alive)
    assert not predecessor_is_dead("other-host:4026531836:99:ab12cd34", HERE, alive)
    assert not predecessor_is_dead("made up by hand", HERE, alive)


async def test_a_restart_reclaims_what_its_crashed_predecessor_held_and_nothing_else(
    store: Store,
) -> None:
    clock = FakeClock()
    here = Process.current()
    gone = Process(here.host, here.namespace, 2**22 + 1)  # above any pid the kernel gives
    elsewhere = Process("another-host", here.namespace, here.pid)
    crashed = Leases(await store.connect(), clock, gone.holder(), TTL, renew_every=NEVER)
    other = Leases(await store.connect(), clock, elsewhere.holder(), TTL, renew_every=NEVER)
    stuck = [OtherPass(crashed, "sales_desk"), OtherPass(other, "reminders")]
    for holding in stuck:
        assert await holding.start()

    restarted = Leases(await store.connect(), clock, here.holder(), TTL, renew_every=NEVER)
    assert await restarted.reclaim_dead() == ["sales_desk"]
    async with restarted.hold_all(["sales_desk", "reminders"]) as held:
        assert held["sales_desk"] and not held["reminders"]
    for holding in stuck:
        await holding.end()


async def test_an_outbox_worker_runs_where_its_lease_is_and_stops_once_it_is_lost(
    store: Store,
) -> None:
    clock = FakeClock()
    a, b = await two_replicas(store, clock)
    items = list(range(10))
    done: list[int] = []
    halfway, finish, passed = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def step() -> None:  # an outbox pass: one item at a time while keep_going
        while items and worker.keep_going:
            done.append(items.pop(0))
            if len(done) == 4:
                halfway.set()
                await finish.wait()
        if done:
            passed.set()

    worker = Worker("outbox", step, idle=3600)
    elsewhere = OtherPass(b, "outbox")
    assert await elsewhere.start()
    running = asyncio.create_task(worker.run(partial(a.hold, "outbox")))
    await asyncio.sleep(0)  # A's first pass finds the lease elsewhere and waits
    assert done == []
    await elsewhere.end()
    worker.wake()
    await halfway.wait()  # A holds it now and is part-way through

    clock.advance(seconds=TTL.total_seconds() + 1)  # A stalled past the ttl ...
    taken_over = OtherPass(b, "outbox")
    assert await taken_over.start()
    await a.renew()  # ... and its heartbeat finds out
    finish.set()
    await passed.wait()
    worker.stop()
    await running
    assert done == [0, 1, 2, 3]  # not one item after the lease was lost
    await taken_over.end()

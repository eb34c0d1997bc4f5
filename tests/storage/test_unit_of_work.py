"""An update's small writes ride its own transaction, or a commit shared with the updates
ending at the same moment; none is lost when a transaction rolls back."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.db import Database, IntegrityError
from bot.storage.unit_of_work import GroupCommit, Statement, current, holding

_RECORD = "INSERT INTO processed_updates (update_id, received_at) VALUES (?, ?)"
_AT = "2026-11-30T12:00:00+00:00"


def record(update_id: int) -> Statement:
    return _RECORD, (update_id, _AT)


async def recorded(db: Database) -> list[int]:
    async with (
        db.read() as conn,
        conn.execute("SELECT update_id FROM processed_updates ORDER BY update_id") as cursor,
    ):
        return [int(row[0]) for row in await cursor.fetchall()]


async def use_case_failing_after_a_write(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(*record(2))
        await tx.execute(*record(2))


async def test_held_writes_ride_the_first_transaction_of_the_update(store: Database) -> None:
    commits = store.commits
    with holding() as writes:
        writes.hold(("update", 1), record(1))
        assert await recorded(store) == []  # held, not written
        async with store.transaction() as tx:
            await tx.execute(*record(2))
        assert writes.take() == []  # nothing left for the end of the update
    assert await recorded(store) == [1, 2]
    assert store.commits - commits == 1


async def test_a_rolled_back_transaction_gives_the_held_writes_back(store: Database) -> None:
    with holding() as writes:
        writes.hold(("update", 1), record(1))
        with pytest.raises(IntegrityError):
            await use_case_failing_after_a_write(store)
        assert await recorded(store) == []
        async with store.transaction():
            pass
    assert await recorded(store) == [1]


async def test_a_later_write_of_the_same_key_replaces_the_held_one(store: Database) -> None:
    with holding() as writes:
        writes.hold(("update", 1), record(1), "first")
        writes.hold(("update", 1), record(3), "second")
        assert writes.peek(("update", 1)) == (True, "second")
        assert writes.drop(("update", 2)) is False
        await GroupCommit(store).write(writes.take())
    assert await recorded(store) == [3]


async def test_tasks_an_update_starts_do_not_carry_its_writes(store: Database) -> None:
    async def consumer() -> None:
        assert current() is None
        async with store.transaction() as tx:
            await tx.execute(*record(2))

    with holding() as writes:
        writes.hold(("update", 1), record(1))
        await asyncio.create_task(consumer())
        assert await recorded(store) == [2]
        assert writes.peek(("update", 1)) == (True, None)  # still held for the update
    assert current() is None


async def test_updates_ending_together_share_one_commit(store: Database) -> None:
    group = GroupCommit(store)
    commits = store.commits
    await asyncio.gather(*(group.write([record(n)]) for n in range(1, 41)))
    assert await recorded(store) == list(range(1, 41))
    assert store.commits - commits == 1


async def test_a_failed_shared_commit_fails_every_update_in_it_and_none_waits(
    store: Database,
) -> None:
    group = GroupCommit(store)
    await group.write([record(7)])
    async with asyncio.timeout(30):
        results = await asyncio.gather(
            group.write([record(1)]),
            group.write([record(7)]),  # already there: the whole batch is refused
            group.write([record(2)]),
            return_exceptions=True,
        )
    assert all(isinstance(result, IntegrityError) for result in results)
    assert await recorded(store) == [7]
    await group.write([record(1)])  # the next batch goes through
    assert await recorded(store) == [1, 7]


async def empty_use_case(db: Database) -> None:
    async with db.transaction():
        pass


async def test_writes_whose_carrying_transaction_failed_are_held_again(
    store: Database,
) -> None:
    async with store.transaction() as tx:
        await tx.execute(*record(5))
    with holding() as writes:
        writes.hold(("fsm", "chat"), record(6), "the chat's memory")
        writes.hold(("update", 5), record(5))  # already there: the COMMIT is refused
        with pytest.raises(IntegrityError):
            await empty_use_case(store)
        assert await recorded(store) == [5]  # nothing of the failed transaction
        # Readers still see the memory the update wrote.
        assert writes.peek(("fsm", "chat")) == (True, "the chat's memory")
        assert writes.drop(("update", 5))
        await GroupCommit(store).write(writes.take())
    assert await recorded(store) == [5, 6]

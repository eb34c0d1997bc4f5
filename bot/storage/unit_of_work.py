"""One update, one commit: the small writes an update makes beside its use case.

An update records its update_id and, after its replies have gone out, the chat's memory
(aiogram's FSM). Each was a commit of its own. Now they are held in the update's
`UpdateWrites` and ride the first transaction the update commits (the answer saved, the
lead opened), so a repeat of the update and the answer it carries are committed or lost
together. What is still held when the update ends (the memory written after the
replies, an update that saved nothing) goes out through `GroupCommit`: the updates that
end at the same moment share one transaction, and each waits for it, so an update is
durable by the time it counts as handled, as before.

Only the update's own task carries its writes: tasks it starts (event consumers) commit
their own work and nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from bot.storage.db import Connection, Database

Statement = tuple[str, Sequence[Any]]


class UpdateWrites:
    """The writes held for one update, by key: a later write of a key replaces the
    earlier one (the memory written twice in one update is written once)."""

    def __init__(self) -> None:
        self._task = asyncio.current_task()
        self._held: dict[Hashable, tuple[Statement, Any]] = {}

    def hold(self, key: Hashable, statement: Statement, value: Any = None) -> None:
        """`value` is what readers of `key` see until the write is committed."""
        self._held.pop(key, None)  # re-inserted last: the writes keep their order
        self._held[key] = (statement, value)

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """(True, value) while a write of `key` is held."""
        held = self._held.get(key)
        return (False, None) if held is None else (True, held[1])

    def drop(self, key: Hashable) -> bool:
        """Forgets a held write; True if there was one."""
        return self._held.pop(key, None) is not None

    def take(self) -> list[Statement]:
        """Every held write, oldest first; they are no longer held."""
        return [statement for _, (statement, _) in self.take_entries()]

    def take_entries(self) -> list[tuple[Hashable, tuple[Statement, Any]]]:
        """As `take`, with each write's key and the value its readers see."""
        taken = list(self._held.items())
        self._held.clear()
        return taken

    def give_back(self, entries: list[tuple[Hashable, tuple[Statement, Any]]]) -> None:
        """A transaction that carried them rolled back: they are held again, unless
        written anew since."""
        for key, held in entries:
            self._held.setdefault(key, held)

    @property
    def mine(self) -> bool:
        """True in the task of the update that holds these writes."""
        return asyncio.current_task() is self._task


_current: ContextVar[UpdateWrites | None] = ContextVar("update_writes", default=None)


def current() -> UpdateWrites | None:
    """The running update's held writes, when this is the update's own task."""
    writes = _current.get()
    return writes if writes is not None and writes.mine else None


@contextmanager
def holding() -> Iterator[UpdateWrites]:
    """Holds the writes of the update handled inside the block."""
    writes = UpdateWrites()
    token = _current.set(writes)
    try:
        yield writes
    finally:
        _current.reset(token)


class Carried:
    """The held writes a transaction writes before its COMMIT (see the stores)."""

    def __init__(self) -> None:
        self._writes = current()
        self._taken: list[tuple[Hashable, tuple[Statement, Any]]] = []

    async def write(self, conn: Connection) -> None:
        if self._writes is None:
            return
        self._taken = self._writes.take_entries()
        for _, ((sql, parameters), _) in self._taken:
            await conn.execute(sql, parameters)

    def rolled_back(self) -> None:
        if self._writes is not None and self._taken:
            self._writes.give_back(self._taken)
            self._taken = []


class GroupCommit:
    """Writes the leftovers of the updates ending at the same moment in one transaction.

    The first update to arrive opens a batch and lets the event loop run once, so the
    others ending now join it; then it commits the batch for all of them. Batches commit
    one after another, in the order they opened, so a later memory is never overwritten
    by an earlier one.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._open: _Batch | None = None
        self._in_order = asyncio.Lock()

    async def write(self, statements: list[Statement]) -> None:
        if not statements:
            return
        batch = self._open
        if batch is not None:
            batch.statements.extend(statements)
            await asyncio.shield(batch.done)
            return
        batch = self._open = _Batch(statements)
        try:
            async with self._in_order:
                await asyncio.sleep(0)  # the updates ending in this turn of the loop join
                if self._open is batch:
                    self._open = None
                async with self._db.transaction() as conn:
                    for sql, parameters in batch.statements:
                        await conn.execute(sql, parameters)
        except BaseException as error:
            if self._open is batch:
                self._open = None
            # The followers are told too (and re-raise it), so none waits for ever.
            batch.done.set_exception(error)
            batch.done.exception()
            raise
        batch.done.set_result(None)


class _Batch:
    def __init__(self, statements: list[Statement]) -> None:
        self.statements = list(statements)
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

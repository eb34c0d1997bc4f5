"""One update at a time per FSM key, with memory only for the keys in use.

aiogram's SimpleEventIsolation keeps an asyncio.Lock per key in a defaultdict for ever
(about 310 bytes for every person who ever wrote). Here a key's lock lives while someone
holds or waits for it, counted, and goes when the last one leaves: the same guarantee
(updates of one key run one at a time, in order of arrival, asyncio.Lock being FIFO),
bounded by the updates in flight rather than by everyone seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Hashable
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


class _Slot:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holding or waiting


class BoundedEventIsolation(BaseEventIsolation):
    def __init__(self) -> None:
        self._slots: dict[Hashable, _Slot] = {}

    @property
    def locks_kept(self) -> int:
        """Keys with a holder or a waiter. (Not __len__: an empty isolation would be falsy,
        and aiogram's Dispatcher replaces a falsy one with no isolation at all.)"""
        return len(self._slots)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        # No await between the look-up and the count: no one can drop the slot in between.
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        slot.users += 1
        try:
            async with slot.lock:
                yield
        finally:
            # Also when the wait is cancelled: a waiter that leaves must not keep the slot.
            slot.users -= 1
            if slot.users == 0 and self._slots.get(key) is slot:  # close() may have cleared it
                del self._slots[key]

    async def close(self) -> None:
        self._slots.clear()

"""Shutdown lets an update that is still being handled finish first."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram.types import TelegramObject

from bot.middlewares.inflight import InFlight


async def test_wait_idle_returns_only_after_the_handler_finished() -> None:
    inflight = InFlight()
    release = asyncio.Event()
    finished: list[str] = []

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        await release.wait()
        finished.append("reply sent")

    handling = asyncio.create_task(inflight(handler, TelegramObject(), {}))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(inflight.wait_idle(5))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the update is still in flight
    release.set()
    await waiting
    assert finished == ["reply sent"]
    await handling


async def test_wait_idle_gives_up_after_the_grace_period() -> None:
    inflight = InFlight()
    stuck = asyncio.Event()

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        await stuck.wait()

    handling = asyncio.create_task(inflight(handler, TelegramObject(), {}))
    await asyncio.sleep(0)
    await inflight.wait_idle(0.05)  # returns although the handler never ends
    assert not handling.done()
    stuck.set()
    await handling

"""The relay's worker as the running bot has it: woken by a message, copying on its own."""

from __future__ import annotations

import asyncio

from aiogram import Dispatcher

from bot.handlers import prospect, staff
from tests.conftest import STAFF_CHAT, Harness
from tests.relay.conftest import open_desk


async def test_the_worker_copies_without_being_asked(harness: Harness) -> None:
    desk = await open_desk(harness)
    worker = harness.app.relay.delivery.worker
    task = asyncio.create_task(worker.run())
    try:
        mark = harness.telegram.mark()
        await desk.prospect.send("are you there?")
        copied = await harness.telegram.wait_for(
            lambda r: r.ok and r.method == "copyMessage", after=mark, chat_id=STAFF_CHAT
        )
        assert copied.params["message_thread_id"] == desk.thread
        await desk.manager.send("Yes, here!", desk.thread)
        back = await harness.telegram.wait_for(
            lambda r: r.ok and r.method == "copyMessage",
            after=mark,
            chat_id=desk.prospect.chat_id,
        )
        assert back.params["from_chat_id"] == STAFF_CHAT
    finally:
        worker.stop()
        await task


def test_the_bot_asks_telegram_for_edits() -> None:
    """Polling and the webhook ask only for update kinds with handlers: edits must be one."""
    dispatcher = Dispatcher()
    dispatcher.include_routers(staff.build_router(), prospect.build_router())
    assert "edited_message" in dispatcher.resolve_used_update_types()

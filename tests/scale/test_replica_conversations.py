"""Replicas on one database without Redis: each reads the conversation the others wrote
(the in-memory copy of conversation states is off with REPLICAS above 1), and each keeps
its share of Telegram's send limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.send_policy import SendLimits, Window
from bot.scale_wiring import build_scale_out
from bot.storage.fsm import DatabaseStorage
from bot.storage.sqlite import SQLiteDatabase
from tests.conftest import Harness
from tests.handlers.flows import consent_up_to_budget


async def test_replicas_without_redis_read_each_others_conversations(
    make_harness: Callable[..., Any],
) -> None:
    one: Harness = await make_harness(replicas=2)
    two: Harness = await make_harness(replicas=2)
    assert isinstance(one.app.dispatcher.storage, DatabaseStorage)
    user = one.prospect(language_code="en")
    await consent_up_to_budget(user)
    await user.send("8,5 млн")
    await user.click("Mortgage")  # the first replica remembers the choice so far
    # The next press reaches the other replica, the one after it the first again.
    await two.prospect(language_code="en").click("Own funds")
    back = one.prospect(language_code="en")
    await back.click("Done ➡️")
    # The first replica read the choice the second one stored, not a copy of its own.
    answer = (back.last_text() or "").split("How are you planning to pay?")[1]
    assert "Mortgage" in answer and "Own funds" in answer


async def test_replicas_without_redis_each_keep_their_share_of_the_send_limits(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    db = SQLiteDatabase(tmp_path / "unused.sqlite3")  # never opened: nothing reads it here
    three = await build_scale_out(make_settings(replicas=3), db, SystemClock(), 1)
    assert three.slots is None
    limits = three.limits(SendLimits())
    assert limits.overall == Window(30, 3.0)  # 10 a second each, 30 together
    assert limits.private == Window(1, 3.0)
    alone = await build_scale_out(make_settings(), db, SystemClock(), 1)
    assert alone.limits(SendLimits()) == SendLimits()

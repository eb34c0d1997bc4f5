"""A prospect's double tap on "I agree", the two presses handled by two replicas at the
same moment (no Redis to make them take turns): one lead, and no error for either."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Harness
from tests.scale.conftest import Replicas


async def test_agreeing_twice_at_once_on_two_replicas_opens_one_lead(replicas: Replicas) -> None:
    a = await replicas.start(replicas=2)
    b = await replicas.start(replicas=2)
    turn = 0

    async def one_then_the_other(update: dict[str, Any]) -> None:
        nonlocal turn
        harness: Harness = (a, b)[turn % 2]
        turn += 1
        await harness.feed(update)

    user = replicas.telegram.user(
        1001, first_name="Ivan", language_code="en", deliver=one_then_the_other
    )
    await user.send("/start")  # handled by a
    consent = next(m for m in user.bot_messages() if "✅ I agree" in str(m.reply_markup))

    await asyncio.gather(user.click("✅ I agree", consent), user.click("✅ I agree", consent))

    async with a.app.db.read() as conn, conn.execute("SELECT COUNT(*) FROM leads") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == 1
    assert not any("went wrong" in text for text in user.messages())
    assert "What are you looking for a flat for?" in (user.last_text() or "")

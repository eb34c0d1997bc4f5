"""Replicas on one database without Redis: each reads the conversation the others wrote
(the in-memory copy of conversation states is off with REPLICAS above 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.storage.fsm import DatabaseStorage
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
    answer = back.messages()[-2]
    assert "Mortgage" in answer and "Own funds" in answer

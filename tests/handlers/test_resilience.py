"""A failing handler never silences the bot: the person is told, the next update works."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Harness
from tests.handlers.flows import consent


async def test_a_crash_in_a_handler_is_reported_and_the_bot_goes_on(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = harness.prospect(language_code="en")
    await consent(user)
    original = harness.app.answering.choose
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk on fire")
        return await original(*args, **kwargs)

    monkeypatch.setattr(harness.app.answering, "choose", flaky)
    harness.expected_errors.append("failed")
    answer = await user.click("To live in")
    assert answer is not None  # the button stops spinning
    assert "Something went wrong" in (user.last_text() or "")
    await user.click("To live in")
    assert "How many rooms do you need?" in (user.last_text() or "")
    assert any("disk on fire" in str(r.exc_info[1]) for r in harness.errors.records if r.exc_info)

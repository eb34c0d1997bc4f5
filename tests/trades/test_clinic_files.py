"""The bot run with the clinic's checklist takes the clinic's own files from its folder."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.domain.checklist import BUNDLED_CHECKLIST
from tests.conftest import Harness

CLINIC = BUNDLED_CHECKLIST.parent / "clinic" / "checklist.yaml"


async def test_the_clinic_runs_with_its_branches_and_its_answers(
    make_harness: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.composition"):
        harness: Harness = await make_harness(checklist_path=CLINIC)
    [line] = [r.getMessage() for r in caplog.records if "files in use" in r.getMessage()]
    assert f"sites {CLINIC.parent / 'sites.yaml'}" in line
    assert f"knowledge {CLINIC.parent / 'knowledge.yaml'}" in line
    assert "deal none (deal support off)" in line

    user = harness.prospect(language_code="en")
    await user.send("/start")
    await user.click("✅ I agree")
    assert "What brings you to our clinic?" in (user.last_text() or "")
    await user.send("Do you accept health insurance?")
    # The answer from the clinic's FAQ, then the question again, in one message.
    said = harness.telegram.bot_messages(user.chat_id)[-1].visible_text
    assert "private health insurance" in said
    assert "What brings you to our clinic?" in said.split("private health insurance")[1]
    await user.send("teeth")  # a synonym of Dentistry
    assert "Which doctor would you like to see?" in (user.last_text() or "")
    assert "Treatment of teeth" in user.buttons()

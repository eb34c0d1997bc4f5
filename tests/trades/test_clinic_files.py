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
    said = [m.visible_text for m in harness.telegram.bot_messages(user.chat_id)][-2:]
    assert "private health insurance" in said[0]
    assert "What brings you to our clinic?" in said[1]
    await user.send("teeth")  # a synonym of Dentistry
    assert "Which doctor would you like to see?" in (user.last_text() or "")
    assert "Treatment of teeth" in user.buttons()

"""A checklist outside the bundled folder brings its own sites, knowledge and deal files,
or goes without them; never the bundled flats files."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.sites_file import SitesFileError
from tests.conftest import Harness
from tests.handlers.flows import consent, serious_buyer
from tests.viewings.conftest import ANNA, SITES

KNOWLEDGE = """
version: 1
languages: [ru, en]
entries:
  - id: parking
    question: {ru: "Есть ли парковка?", en: "Is there parking?"}
    keywords: {ru: [парковка], en: [parking]}
    answer: {ru: "Да, парковка во дворе.", en: "Yes, we have a car park in the yard."}
"""

# The bundled flats FAQ answers this; a trade without a knowledge file must not.
MORTGAGE_QUESTION = "Can I buy with a mortgage?"


def _trade(tmp_path: Path, *, sites: bool = False, knowledge: bool = False) -> Path:
    folder = tmp_path / "trade"
    folder.mkdir()
    checklist = folder / "checklist.yaml"
    shutil.copy(BUNDLED_CHECKLIST, checklist)
    if sites:
        text = SITES.format(capacity=1, anna=ANNA, more="")
        (folder / "sites.yaml").write_text(text, encoding="utf-8")
    if knowledge:
        (folder / "knowledge.yaml").write_text(KNOWLEDGE, encoding="utf-8")
    return checklist


async def test_a_checklist_alone_books_nothing_answers_nothing_offers_no_deal(
    make_harness: Callable[..., Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.composition"):
        harness: Harness = await make_harness(checklist_path=_trade(tmp_path))
    [line] = [r.getMessage() for r in caplog.records if "files in use" in r.getMessage()]
    assert "sites none" in line and "knowledge none" in line and "deal none" in line

    asking = harness.prospect(1002, language_code="en")
    await consent(asking)
    await asking.click("To live in")
    await asking.send(MORTGAGE_QUESTION)
    said = [m.visible_text for m in harness.telegram.bot_messages(asking.chat_id)][-1]
    assert "Please choose an option" in said  # no flats FAQ answer

    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    assert "A manager will call you" in (user.last_text() or "")
    assert not [label for label in user.buttons() if "·" in label]  # no days offered
    # Deal support is off: the deal machinery holds no timeline of flats.
    assert harness.app.deal.file.id == "none"


async def test_the_files_next_to_the_checklist_are_used(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    checklist = _trade(tmp_path, sites=True, knowledge=True)
    harness: Harness = await make_harness(checklist_path=checklist)

    asking = harness.prospect(1002, language_code="en")
    await consent(asking)
    await asking.click("To live in")
    await asking.send("Is there parking?")
    said = [m.visible_text for m in harness.telegram.bot_messages(asking.chat_id)][-1]
    assert "car park in the yard" in said
    await asking.send(MORTGAGE_QUESTION)  # the flats FAQ is not there
    said = [m.visible_text for m in harness.telegram.bot_messages(asking.chat_id)][-1]
    assert "Please choose an option" in said

    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    offer = user.last_text() or ""
    assert "Sales office" in offer and "Anna Petrova" in offer
    assert [label for label in user.buttons() if "·" in label]


async def test_a_setting_wins_over_the_file_next_to_the_checklist(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    checklist = _trade(tmp_path, knowledge=True)
    other = tmp_path / "other.yaml"
    other.write_text(KNOWLEDGE.replace("car park in the yard", "garage"), encoding="utf-8")
    harness: Harness = await make_harness(checklist_path=checklist, knowledge_path=other)

    user = harness.prospect(language_code="en")
    await consent(user)
    await user.click("To live in")
    await user.send("Is there parking?")
    said = [m.visible_text for m in harness.telegram.bot_messages(user.chat_id)][-1]
    assert "garage" in said


async def test_a_broken_file_next_to_the_checklist_stops_the_start_naming_it(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    checklist = _trade(tmp_path)
    sites = checklist.parent / "sites.yaml"
    sites.write_text("sites: []\n", encoding="utf-8")
    with pytest.raises(SitesFileError) as error:
        await make_harness(checklist_path=checklist)
    assert str(error.value).startswith(f"{sites}:1: sites: list at least one site")

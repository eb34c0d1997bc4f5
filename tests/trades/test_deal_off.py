"""A trade without a deal file: no deal starts, whoever asks, and each is told why."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.keyboards.callbacks import DealAction, DealCb
from tests.conftest import Harness, free_port
from tests.deal.conftest import OLGA, TOKEN, attended, card, deal_of
from tests.desk.conftest import press_data
from tests.viewings.conftest import write_sites


async def test_no_deal_file_means_no_deal_from_the_card_or_the_api(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "trade"
    folder.mkdir()
    checklist = folder / "checklist.yaml"
    shutil.copy(BUNDLED_CHECKLIST, checklist)
    shutil.copy(write_sites(tmp_path), folder / "sites.yaml")
    port = free_port()
    harness: Harness = await make_harness(
        checklist_path=checklist, admin_ids=str(OLGA), api_token=TOKEN, web_port=port
    )
    await harness.app.start_web()
    _, lead = await attended(harness)
    assert "💼 Сделка" not in [str(b["text"]) for b in card(harness).inline_buttons()]

    # An old card or a forged press of the start button.
    start = DealCb(action=DealAction.START, lead_id=lead.id)
    answer = await press_data(harness, OLGA, card(harness), start)
    assert answer is not None and answer.text == "Сопровождение сделки выключено: нет файла сделки."

    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{port}/api/v1/leads/{lead.id}/deal",
            json={},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as response,
    ):
        body = await response.json(content_type=None)
    assert response.status == 409
    assert body["type"].endswith("deal-support-off")
    assert await deal_of(harness, lead.id) is None

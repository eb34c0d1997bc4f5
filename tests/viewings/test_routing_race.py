"""Round robin holds when many leads finish at the same moment: on PostgreSQL the
decisions run at once and would otherwise all read the same assignment counts."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Harness
from tests.handlers.flows import answer_up_to_call_time, consent
from tests.viewings.conftest import ANNA, BORIS

pytestmark = pytest.mark.both_stores

SITES = f"""
sites:
  - code: central
    name: Sales office
    address: 12 Embankment St
    timezone: Europe/Moscow
managers:
  - telegram_id: {ANNA}
    name: Anna Petrova
    site: central
    covers: ["*"]
    language: en
  - telegram_id: {BORIS}
    name: Boris Ivanov
    site: central
    covers: ["*"]
    language: en
"""


async def test_leads_finishing_at_once_are_shared_out_in_turn(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(SITES, encoding="utf-8")
    harness: Harness = await make_harness(sites_path=path)
    prospects = [harness.prospect(3000 + n, language_code="en") for n in range(10)]
    for prospect in prospects:
        await consent(prospect)
        await answer_up_to_call_time(prospect)

    await asyncio.gather(*(prospect.click("Evening (17–21)") for prospect in prospects))

    owners: Counter[int | None] = Counter()
    for prospect in prospects:
        lead = await harness.lead(prospect.user_id)
        assert lead is not None and lead.route_code == "round_robin"
        owners[lead.manager_id] += 1
    assert sorted(owners.values()) == [5, 5]  # Anna and Boris, five each

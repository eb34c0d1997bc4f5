"""A bot with a sales office and two managers, for the viewing journeys.

The fake clock starts on Sunday 2026-11-22 at 12:00 Moscow time; the managers work
Mon-Fri 10-13 and 14-19 Moscow time, so Monday 23 November 10:00 is the first slot.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Harness

ANNA = 7001
BORIS = 7002

SITES = """
sites:
  - code: central
    name: Sales office
    address: 12 Embankment St
    location: [55.7512, 37.6184]
    timezone: Europe/Moscow
    capacity: {capacity}
managers:
  - telegram_id: {anna}
    name: Anna Petrova
    site: central
    covers: [park_vista, rechnoy_kvartal]
    language: en
{more}
"""

BORIS_ENTRY = f"""  - telegram_id: {BORIS}
    name: Boris Ivanov
    site: central
    covers: [city_centre]
    language: en
"""


def write_sites(tmp_path: Path, *, capacity: int = 1, boris: bool = True) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(
        SITES.format(capacity=capacity, anna=ANNA, more=BORIS_ENTRY if boris else ""),
        encoding="utf-8",
    )
    return path


@pytest.fixture
async def office(make_harness: Callable[..., Any], tmp_path: Path) -> Harness:
    harness: Harness = await make_harness(
        sites_path=write_sites(tmp_path), public_url="https://bot.example.com"
    )
    return harness

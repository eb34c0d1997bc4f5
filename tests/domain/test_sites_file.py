"""The sites file: a good one loads, a broken one names the file, the line and the key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import BUNDLED_SITES
from bot.domain.checklist_file import load_checklist
from bot.domain.sites_file import SitesFileError, load_sites_file

TODAY = date(2026, 11, 22)
ROUTING = {"park_vista", "city_centre"}


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return load_sites_file(path, routing_values=ROUTING, today=TODAY)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SitesFileError) as caught:
        load(tmp_path, text)
    return list(caught.value.problems)


def test_the_bundled_file_matches_the_bundled_checklist() -> None:
    values = set(load_checklist().routing_values())
    loaded = load_sites_file(BUNDLED_SITES, routing_values=values, today=TODAY)
    assert [site.code for site in loaded.sites] == ["central_office"]


def test_a_full_file_loads(tmp_path: Path) -> None:
    loaded = load(
        tmp_path,
        """
sites:
  - code: office
    name: Office
    address: 1 Main St
    location: [55.75, 37.61]
    timezone: Asia/Yekaterinburg
    capacity: 2
managers:
  - telegram_id: 42
    name: Anna
    site: office
    hours: |
      пн-пт 10-19 перерыв 13-14
      сб 11-16
    covers: [park_vista]
    daily_cap: 5
""",
    )
    assert loaded.sites[0].capacity == 2  # type: ignore[attr-defined]
    [seed] = loaded.managers  # type: ignore[attr-defined]
    assert seed.spec.covers == ("park_vista",)
    assert seed.schedule.intervals_on(date(2026, 11, 28))[0].label() == "11:00–16:00"


def test_mistakes_are_reported_with_their_lines(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """sites:
  - code: office
    name: Office
    timezone: Mars/Olympus
    capacity: 0
managers:
  - telegram_id: 42
    name: Anna
    site: ofice
    covers: [park_vist]
    colour: blue
""",
    )
    source = str(tmp_path / "sites.yaml")
    assert f"{source}:2: sites[0]: missing required key 'address'" in found
    assert any(p.startswith(f"{source}:4: sites[0].timezone: unknown time zone") for p in found)
    assert any(p.startswith(f"{source}:5: sites[0].capacity:") for p in found)
    # A manager with an unknown key is reported for that key alone.
    assert any(p.startswith(f"{source}:11: managers[0].colour: unknown key") for p in found)
    found = problems(
        tmp_path,
        """sites:
  - {code: office, name: Office, address: x}
managers:
  - telegram_id: 42
    name: Anna
    site: ofice
    covers: [park_vist]
""",
    )
    assert f"{source}:6: managers[0].site: no site with code 'ofice'" in found
    assert any(p.startswith(f"{source}:7: managers[0].covers[0]: 'park_vist'") for p in found)


def test_a_bad_hours_line_and_broken_yaml(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """sites:
  - {code: office, name: Office, address: x}
managers:
  - telegram_id: 42
    name: Anna
    site: office
    hours: "mon-fri 10-19 break 9-10"
""",
    )
    assert found == [
        f"{tmp_path / 'sites.yaml'}:7: managers[0].hours: hours line 1: break outside "
        "(start=09:00, end=10:00)"
    ]
    assert problems(tmp_path, "sites: [\n")[0].startswith(f"{tmp_path / 'sites.yaml'}:2: YAML")

"""`python -m bot check-deal` as an operator runs it (no token, no database), and the bot
refusing to start on a broken deal file with the same lines."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.config import BUNDLED_DEAL
from bot.domain.deal_file import DealFileError
from tests.deal.test_deal_file import GOOD

ROOT = Path(__file__).resolve().parents[2]
BROKEN = GOOD.replace("owner: support\n    expected_days: 3", "owner: lawyer\n    expected_days: 3")


def test_the_bundled_file_in_a_subprocess() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEAL_PATH", "DEAL_PEOPLE")}
    clean.pop("BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-deal"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"{BUNDLED_DEAL}: OK, new_building_ddu v1, 8 stages, 4 roles, 2 rules\n"
    )


def test_a_broken_file_exits_2_with_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "deal.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    assert main(["check-deal", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"leadsieve: {bad}:17: stages[booking].owner: 'lawyer' is not a role; roles: support\n"
    )


def test_deal_people_with_a_role_the_file_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "deal.yaml"
    good.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("DEAL_PATH", str(good))
    monkeypatch.setenv("DEAL_PEOPLE", "support=1;notary=2")
    assert main(["check-deal"]) == 2
    assert capsys.readouterr().err == (
        f"leadsieve: DEAL_PEOPLE: role 'notary' is not in {good} (its roles: support)\n"
    )
    monkeypatch.setenv("DEAL_PEOPLE", "support=1")
    assert main(["check-deal"]) == 0
    assert capsys.readouterr().out == f"{good}: OK, flat v2, 3 stages, 1 roles, 2 rules\n"


async def test_the_bot_refuses_to_start_on_a_broken_deal_file(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    bad = tmp_path / "deal.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(DealFileError) as caught:
        await make_harness(deal_path=bad)
    assert caught.value.problems == (
        f"{bad}:17: stages[booking].owner: 'lawyer' is not a role; roles: support",
    )

"""Which sites, knowledge and deal files go with a checklist (the settings rule)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import BUNDLED_DEAL, BUNDLED_KNOWLEDGE, BUNDLED_SITES, Settings
from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.trade_files import trade_files
from tests.conftest import TOKEN

CLINIC = BUNDLED_CHECKLIST.parent / "clinic" / "checklist.yaml"


def _folder(tmp_path: Path, *companions: str) -> Path:
    folder = tmp_path / "trade"
    folder.mkdir()
    checklist = folder / "checklist.yaml"
    shutil.copy(BUNDLED_CHECKLIST, checklist)
    for name in companions:
        (folder / name).write_text("version: 1\n", encoding="utf-8")
    return checklist


def test_the_bundled_checklist_keeps_the_bundled_flats_files() -> None:
    files = trade_files(BUNDLED_CHECKLIST)
    assert (files.sites, files.knowledge, files.deal) == (
        BUNDLED_SITES,
        BUNDLED_KNOWLEDGE,
        BUNDLED_DEAL,
    )


def test_a_checklist_elsewhere_takes_the_files_next_to_it(tmp_path: Path) -> None:
    checklist = _folder(tmp_path, "sites.yaml", "knowledge.yaml", "deal.yaml")
    files = trade_files(checklist)
    folder = checklist.parent
    assert files.sites == folder / "sites.yaml"
    assert files.knowledge == folder / "knowledge.yaml"
    assert files.deal == folder / "deal.yaml"


def test_a_checklist_alone_gets_no_flats_files(tmp_path: Path) -> None:
    files = trade_files(_folder(tmp_path))
    assert (files.sites, files.knowledge, files.deal) == (None, None, None)
    line = files.describe()
    assert "no booking" in line and "staff answers only" in line and "deal support off" in line
    assert "new_building" not in line and str(BUNDLED_KNOWLEDGE) not in line


def test_settings_win_over_the_folder(tmp_path: Path) -> None:
    checklist = _folder(tmp_path, "sites.yaml", "knowledge.yaml")
    mine = tmp_path / "mine.yaml"
    files = trade_files(checklist, knowledge=mine, deal=BUNDLED_DEAL)
    assert files.sites == checklist.parent / "sites.yaml"
    assert files.knowledge == mine
    assert files.deal == BUNDLED_DEAL


def test_the_bundled_checklist_with_a_setting_uses_the_setting(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    files = trade_files(BUNDLED_CHECKLIST, sites=sites)
    assert files.sites == sites
    assert files.knowledge == BUNDLED_KNOWLEDGE


def test_a_folder_named_like_a_companion_is_not_taken(tmp_path: Path) -> None:
    checklist = _folder(tmp_path)
    (checklist.parent / "sites.yaml").mkdir()
    assert trade_files(checklist).sites is None


def test_the_clinic_folder_has_sites_and_knowledge_but_no_deal() -> None:
    files = trade_files(CLINIC)
    assert files.sites == CLINIC.parent / "sites.yaml"
    assert files.knowledge == CLINIC.parent / "knowledge.yaml"
    assert files.deal is None


def test_an_empty_path_setting_means_not_set() -> None:
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        sites_path="",
        knowledge_path=" ",
    )
    assert settings.sites_path is None and settings.knowledge_path is None
    assert settings.deal_path is None

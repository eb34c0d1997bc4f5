"""The check commands check the files the bot would use: the ones next to the checklist."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import EXIT_CONFIG, main
from bot.domain.checklist import BUNDLED_CHECKLIST

CLINIC = BUNDLED_CHECKLIST.parent / "clinic" / "checklist.yaml"


@pytest.fixture(autouse=True)
def _no_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHECKLIST_PATH", "SITES_PATH", "KNOWLEDGE_PATH", "DEAL_PATH", "DEAL_PEOPLE"):
        monkeypatch.delenv(name, raising=False)


def test_check_knowledge_takes_the_file_next_to_the_checklist(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHECKLIST_PATH", str(CLINIC))
    assert main(["check-knowledge"]) == 0
    assert (
        capsys.readouterr().out
        == f"{CLINIC.parent / 'knowledge.yaml'}: OK, v1, 6 entries (ru, en)\n"
    )


def test_check_deal_without_a_deal_file_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHECKLIST_PATH", str(CLINIC))
    assert main(["check-deal"]) == EXIT_CONFIG
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        "leadsieve: no deal file: DEAL_PATH is not set"
        f" and there is no deal.yaml next to {CLINIC}\n"
    )


def test_a_path_setting_still_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "kb.yaml"
    mine.write_text(
        "languages: [en]\nentries:\n  - id: parking\n    question: {en: Parking}\n"
        "    keywords: {en: [parking]}\n    answer: {en: There is.}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CHECKLIST_PATH", str(CLINIC))
    monkeypatch.setenv("KNOWLEDGE_PATH", str(mine))
    assert main(["check-knowledge"]) == 0
    assert capsys.readouterr().out == f"{mine}: OK, v1, 1 entries (en)\n"

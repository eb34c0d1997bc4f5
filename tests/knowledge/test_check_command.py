"""`python -m bot check-knowledge` as an operator runs it: no token, no database.

Two runs in a subprocess (starting Python and importing the bot is slow); the other
cases call `main` in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import BUNDLED_KNOWLEDGE

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key != "KNOWLEDGE_PATH"}
    clean.pop("BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", "check-knowledge", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_bundled_file_by_default() -> None:
    result = run()
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{BUNDLED_KNOWLEDGE}: OK, v1, 12 entries (ru, en)\n"


def test_a_good_file_from_knowledge_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "kb.yaml"
    good.write_text(
        "languages: [en]\nentries:\n  - id: parking\n    question: {en: Parking}\n"
        "    keywords: {en: [parking]}\n    answer: {en: There is.}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KNOWLEDGE_PATH", str(good))
    assert main(["check-knowledge"]) == 0
    assert capsys.readouterr().out == f"{good}: OK, v1, 1 entries (en)\n"


def test_a_bad_file_exits_2_with_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "kb.yaml"
    bad.write_text(
        "languages: [ru, en]\nentries:\n  - id: parking\n    question: {ru: Парковка}\n"
        "    keywords: {ru: [парковка], en: []}\n    answer: {ru: Есть., en: There is.}\n",
        encoding="utf-8",
    )
    result = run(str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"leadsieve: {bad}:4: entries[parking].question: missing the 'en' text",
        f"{bad}:5: entries[parking].keywords.en: the keyword list is empty: "
        "add at least one word or phrase",
    ]


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-knowledge", str(tmp_path / "nowhere.yaml")]) == 2
    assert capsys.readouterr().err == f"leadsieve: {tmp_path / 'nowhere.yaml'}: file not found\n"

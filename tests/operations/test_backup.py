"""python -m bot backup FILE: a checked copy of the database made while the bot keeps
writing, that a bot can start from; refusals that keep an operator from losing a file."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import EXIT_CONFIG, main
from bot.backup import BackupError, backup
from tests.conftest import Harness
from tests.handlers.flows import consent


def lead_ids(path: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT id FROM leads ORDER BY id")]


async def test_a_backup_while_leads_keep_arriving_is_whole_and_starts_a_bot(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    harness: Harness = await make_harness()
    for n in range(3):
        await consent(harness.prospect(1001 + n, language_code="en"))
    async with harness.app.db.read() as conn, conn.execute("SELECT COUNT(*) FROM leads") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == 3

    stop = asyncio.Event()
    progress = asyncio.Condition()
    written = 0

    async def keep_writing() -> None:
        nonlocal written
        while not stop.is_set() and written < 200:
            await consent(harness.prospect(2000 + written, language_code="en"))
            async with progress:
                written += 1
                progress.notify_all()

    async def wait_written(count: int) -> None:
        async with progress:
            await progress.wait_for(lambda: written >= count)

    writer = asyncio.create_task(keep_writing())
    await wait_written(1)
    target = tmp_path / "backups" / "nightly.sqlite3"  # the folder does not exist yet
    report = await asyncio.to_thread(backup, harness.app.settings.database_path, target)
    await wait_written(written + 1)  # the bot goes on writing after the copy
    stop.set()
    await writer

    assert report.integrity == "ok"
    assert report.size == target.stat().st_size == report.pages * report.page_size
    copied = lead_ids(target)
    # Every lead committed before the backup, and a consistent prefix of the rest.
    assert copied[:3] == [1, 2, 3]
    assert copied == list(range(1, len(copied) + 1))
    assert len(copied) < len(lead_ids(harness.app.settings.database_path)) == 3 + written
    assert not list(target.parent.glob(".*partial"))
    # One self-contained file: no -wal beside it is needed.
    with contextlib.closing(sqlite3.connect(target)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    # The restore drill in short: a bot started on the copy knows the first prospects.
    restored: Harness = await make_harness(database_path=target)
    lead = await restored.lead(1001)
    assert lead is not None and lead.id == 1


def test_an_existing_file_is_kept_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "data" / "leadsieve.sqlite3"
    source.parent.mkdir()
    with contextlib.closing(sqlite3.connect(source)) as db:
        db.execute("CREATE TABLE leads (id INTEGER PRIMARY KEY)")
        db.execute("INSERT INTO leads (id) VALUES (1), (2)")
        db.commit()
    target = tmp_path / "copy.sqlite3"
    target.write_bytes(b"yesterday's backup")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(source))

    assert main(["backup", str(target)]) == EXIT_CONFIG
    assert "already exists; add --force" in capsys.readouterr().err
    assert target.read_bytes() == b"yesterday's backup"

    assert main(["backup", str(target), "--force"]) == 0
    out = capsys.readouterr().out
    assert f"-> {target}:" in out and "integrity_check of the copy: ok" in out
    assert lead_ids(target) == [1, 2]


def test_a_missing_database_is_a_clear_error_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "data" / "leadsieve.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(missing))
    assert main(["backup", str(tmp_path / "copy.sqlite3")]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"no database at {missing}" in err and "DATABASE_PATH" in err
    assert not missing.exists() and not (tmp_path / "copy.sqlite3").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("not a database " * 100)
    with pytest.raises(BackupError, match="not a database"):
        backup(source, tmp_path / "copy.sqlite3")
    assert list(tmp_path.iterdir()) == [source]


def test_postgres_is_backed_up_with_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:secret@db:5432/leadsieve")
    assert main(["backup", str(tmp_path / "copy.sqlite3")]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "pg_dump" in err and "secret" not in err
    assert not (tmp_path / "copy.sqlite3").exists()


def test_a_folder_it_cannot_write_is_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "leadsieve.sqlite3"
    with contextlib.closing(sqlite3.connect(source)) as db:
        db.execute("CREATE TABLE leads (id INTEGER PRIMARY KEY)")
    blocker = tmp_path / "backups"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(BackupError, match=f"{blocker}/copy.sqlite3: "):
        backup(source, blocker / "copy.sqlite3")

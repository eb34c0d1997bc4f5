"""python -m bot backup FILE: a consistent copy of the SQLite database while the bot runs.

SQLite's online backup API copies the pages from a connection of its own; in WAL mode the
copy reads one snapshot while the bot goes on writing (readers never block writers), so the
copy holds exactly the transactions committed before it started. It is written next to
FILE and renamed into place only once complete, so a backup that failed half-way leaves
nothing that looks like a backup.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BackupError", "BackupReport", "Where", "backup", "describe"]


class BackupError(Exception):
    """The backup was not made; the message is one line for the operator."""


class Where(BaseSettings):
    """Where the database is: DATABASE_PATH / DATABASE_URL from the environment or `.env`,
    without the rest of the settings (a backup needs no bot token)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_path: Path = Path("data/leadsieve.sqlite3")
    database_url: str | None = None

    def sqlite_path(self) -> Path:
        url = (self.database_url or "").strip()
        if url.startswith(("postgres://", "postgresql://", "postgresql+")):
            raise BackupError(
                "DATABASE_URL is a PostgreSQL database: back it up with pg_dump, e.g. "
                'pg_dump --format=custom --file=leadsieve.dump "$DATABASE_URL"'
            )
        return self.database_path


@dataclass(frozen=True)
class BackupReport:
    source: Path
    target: Path
    pages: int
    page_size: int
    size: int  # bytes of the file written
    integrity: str  # "ok", or what PRAGMA integrity_check found


def backup(source: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Copies the database at `source` into `target` (a new file unless `force`)."""
    if not source.is_file():
        raise BackupError(f"no database at {source} (DATABASE_PATH): nothing to back up")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists; add --force to replace it")
    if target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself; choose another file")
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        try:
            _copy(source, partial)
            pages, page_size, integrity = _check(partial)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    except sqlite3.Error as error:
        raise BackupError(f"{source}: {error}") from None
    except OSError as error:  # no room, no permission: say where
        raise BackupError(f"{target}: {error.strerror or error}") from None
    return BackupReport(source, target, pages, page_size, target.stat().st_size, integrity)


def _copy(source: Path, destination: Path) -> None:
    # mode=rw: never create an empty database where the real one should be.
    with contextlib.closing(
        sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    ) as src:
        src.execute("PRAGMA busy_timeout=30000")
        with contextlib.closing(sqlite3.connect(destination)) as dst:
            # One step (pages=-1): one read snapshot. Copying in slices would restart each
            # time the bot commits, and might never finish on a busy bot.
            src.backup(dst, pages=-1)
            # The copy is one self-contained file, whatever the source's journal mode.
            dst.execute("PRAGMA journal_mode=DELETE")


def _check(path: Path) -> tuple[int, int, str]:
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        pages = int(db.execute("PRAGMA page_count").fetchone()[0])
        page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
        problems = [str(row[0]) for row in db.execute("PRAGMA integrity_check")]
    return pages, page_size, "; ".join(problems)


def describe(report: BackupReport) -> str:
    """What an operator reads after a backup."""
    check = "ok" if report.integrity == "ok" else f"FAILED: {report.integrity}"
    return (
        f"{report.source} -> {report.target}: {report.pages} pages of {report.page_size} bytes,"
        f" {report.size:,} bytes written; integrity_check of the copy: {check}\n"
    )

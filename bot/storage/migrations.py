"""Applies migrations/NNNN_name.sql in order, each in its own transaction.

On PostgreSQL a file's statements are translated (`bot.storage.dialect.translate_ddl`), or,
where SQLite's spelling has no translation (triggers, a data move with JSON functions), its
twin NNNN_name.postgres.sql is run instead. Each transaction first takes an advisory lock,
so of two processes starting at once only one applies a file; the other finds it recorded.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.resources import migrations_dir
from bot.storage.db import Connection, Database
from bot.storage.dialect import TranslationError, split_statements, translate_ddl

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = migrations_dir()
_NAME_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)(\.postgres)?\.sql$")
# Any fixed number: every process that migrates this schema waits on the same lock.
_PG_LOCK_KEY = 0x6C656164_73696576

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
_SELECT_APPLIED = "SELECT version FROM schema_migrations"
_IS_APPLIED = "SELECT 1 FROM schema_migrations WHERE version = ?"
_PG_LOCK = "SELECT pg_advisory_xact_lock(?)"
_RECORD = "INSERT INTO schema_migrations (version, name) VALUES (?, ?)"


class MigrationError(Exception):
    """The migrations folder is missing or empty, or a file is misnamed, duplicated or
    malformed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    # NNNN_name.postgres.sql: run instead of `path` on PostgreSQL.
    postgres_path: Path | None = None

    def statements(self, dialect: str) -> list[str]:
        if dialect != "postgres":
            return _statements(self.path.read_text(encoding="utf-8"))
        try:
            if self.postgres_path is not None:
                return split_statements(self.postgres_path.read_text(encoding="utf-8"))
            return [translate_ddl(s) for s in _statements(self.path.read_text(encoding="utf-8"))]
        except TranslationError as error:
            raise MigrationError(f"{self.path.name}: {error}") from None


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    # An empty schema would fail later and far away ("no such table"): say it here.
    if not directory.is_dir():
        raise MigrationError(f"{directory}: the migrations folder is missing")
    found: list[Migration] = []
    twins: dict[str, Path] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if not match:
            raise MigrationError(f"{path}: name must look like 0001_description.sql")
        if match.group(3):
            twins[f"{match.group(1)}_{match.group(2)}"] = path
            continue
        found.append(Migration(int(match.group(1)), match.group(2), path))
    if not found:
        raise MigrationError(f"{directory}: the migrations folder has no .sql files")
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migrations share a number")
    for index, migration in enumerate(found):
        twin = twins.pop(f"{migration.version:04d}_{migration.name}", None)
        if twin is not None:
            found[index] = Migration(migration.version, migration.name, migration.path, twin)
    if twins:
        names = ", ".join(sorted(path.name for path in twins.values()))
        raise MigrationError(f"{directory}: PostgreSQL twins without a migration: {names}")
    return found


def _statements(sql: str) -> list[str]:
    # executescript() would COMMIT on its own; splitting keeps each file in our transaction.
    statements: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        raise MigrationError(f"unterminated statement: {current.strip()[:60]}")
    return statements


async def _exclusive(tx: Connection) -> None:
    """On PostgreSQL, waits for any other process migrating (SQLite's BEGIN IMMEDIATE does)."""
    if tx.dialect == "postgres":
        await tx.execute(_PG_LOCK, (_PG_LOCK_KEY,))


async def apply_migrations(db: Database, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Applies what is not yet recorded; returns what it applied."""
    migrations = discover(directory)  # a missing folder fails before the database is touched
    create = _CREATE_TABLE if db.dialect != "postgres" else translate_ddl(_CREATE_TABLE)
    async with db.transaction() as tx:
        await _exclusive(tx)
        await tx.execute(create)
        async with tx.execute(_SELECT_APPLIED) as cursor:
            applied = {row[0] for row in await cursor.fetchall()}
    done: list[Migration] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        statements = migration.statements(db.dialect)
        async with db.transaction() as tx:
            await _exclusive(tx)
            async with tx.execute(_IS_APPLIED, (migration.version,)) as cursor:
                if await cursor.fetchone() is not None:
                    continue  # another process applied it while this one waited
            for statement in statements:
                await tx.execute(statement)
            await tx.execute(_RECORD, (migration.version, migration.name))
        logger.info("applied migration %04d_%s", migration.version, migration.name)
        done.append(migration)
    return done

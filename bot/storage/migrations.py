"""Applies migrations/NNNN_name.sql in order, each in its own transaction."""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.resources import migrations_dir
from bot.storage.db import Database

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = migrations_dir()
_NAME_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""
_SELECT_APPLIED = "SELECT version FROM schema_migrations"
_RECORD = "INSERT INTO schema_migrations (version, name) VALUES (?, ?)"


class MigrationError(Exception):
    """The migrations folder is missing or empty, or a file is misnamed, duplicated or
    malformed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    # An empty schema would fail later and far away ("no such table"): say it here.
    if not directory.is_dir():
        raise MigrationError(f"{directory}: the migrations folder is missing")
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if not match:
            raise MigrationError(f"{path}: name must look like 0001_description.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    if not found:
        raise MigrationError(f"{directory}: the migrations folder has no .sql files")
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migrations share a number")
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


async def apply_migrations(db: Database, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Applies what is not yet recorded; returns what it applied."""
    migrations = discover(directory)  # a missing folder fails before the database is touched
    async with db.read() as conn:
        await conn.execute(_CREATE_TABLE)
        async with conn.execute(_SELECT_APPLIED) as cursor:
            applied = {row[0] for row in await cursor.fetchall()}
    done: list[Migration] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        statements = _statements(migration.path.read_text(encoding="utf-8"))
        async with db.transaction() as tx:
            for statement in statements:
                await tx.execute(statement)
            await tx.execute(_RECORD, (migration.version, migration.name))
        logger.info("applied migration %04d_%s", migration.version, migration.name)
        done.append(migration)
    return done

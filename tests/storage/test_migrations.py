"""Every migration applies to an empty database, and the result matches the snapshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.storage.migrations import MigrationError, apply_migrations, discover
from bot.storage.sqlite import SQLiteDatabase

SNAPSHOT = Path(__file__).parent / "schema.sql"


async def _schema(db: SQLiteDatabase) -> str:
    query = (
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"
        " AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name"
    )
    async with db.connection.execute(query) as cursor:
        rows = await cursor.fetchall()
    return ";\n\n".join(row[0] for row in rows) + ";\n"


async def test_all_migrations_apply_to_an_empty_database(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "fresh.sqlite3")
    await db.connect()
    try:
        applied = await apply_migrations(db)
        assert [m.version for m in applied] == [m.version for m in discover()]
        schema = await _schema(db)
        if os.environ.get("UPDATE_SCHEMA_SNAPSHOT"):
            SNAPSHOT.write_text(schema, encoding="utf-8")
        assert schema == SNAPSHOT.read_text(encoding="utf-8"), (
            "the schema changed: if on purpose, run with UPDATE_SCHEMA_SNAPSHOT=1 and commit it"
        )
        # A second start applies nothing and changes nothing.
        assert await apply_migrations(db) == []
        assert await _schema(db) == schema
    finally:
        await db.close()


async def test_a_failing_migration_leaves_nothing_half_done(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (migrations / "0002_bad.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    db = SQLiteDatabase(tmp_path / "db.sqlite3")
    await db.connect()
    try:
        with pytest.raises(Exception, match="nowhere"):
            await apply_migrations(db, migrations)
        async with db.connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ) as cursor:
            tables = [row[0] for row in await cursor.fetchall()]
        assert tables == ["a", "schema_migrations"]
        async with db.connection.execute("SELECT version FROM schema_migrations") as cursor:
            assert [row[0] for row in await cursor.fetchall()] == [1]
    finally:
        await db.close()


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "add_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"add_things\.sql"):
        discover(tmp_path)


async def test_connection_pragmas(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "db.sqlite3")
    await db.connect()
    try:
        for pragma, expected in (
            ("journal_mode", "wal"),
            ("foreign_keys", 1),
            ("busy_timeout", 5000),
        ):
            async with db.connection.execute(f"PRAGMA {pragma}") as cursor:
                row = await cursor.fetchone()
            assert row is not None and row[0] == expected, pragma
    finally:
        await db.close()


def test_migrate_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db" / "x.sqlite3"))
    assert main(["migrate"]) == 0
    assert f"{len(discover())} migration(s) applied" in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert "0 migration(s) applied" in capsys.readouterr().out

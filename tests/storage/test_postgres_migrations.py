"""The same migrations on PostgreSQL: the same tables and columns as on SQLite, applied once
even by two processes starting together, nothing half done when one fails."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.db import Database
from bot.storage.migrations import MigrationError, apply_migrations, discover
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite import SQLiteDatabase
from tests.pg_server import PgServer

pytestmark = pytest.mark.postgres

_PG_COLUMNS = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
"""
_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


@pytest.fixture
def empty_url(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.create_database(migrated=False)
    try:
        yield url
    finally:
        pg_server.drop_database(url)


async def _pg_columns(db: Database) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    async with db.read() as conn, conn.execute(_PG_COLUMNS) as cursor:
        for row in await cursor.fetchall():
            columns.setdefault(row["table_name"], []).append(row["column_name"])
    return columns


async def _sqlite_columns(path: Path) -> dict[str, list[str]]:
    db = SQLiteDatabase(path)
    await db.connect()
    try:
        await apply_migrations(db)
        columns: dict[str, list[str]] = {}
        async with db.read() as conn:
            async with conn.execute(_SQLITE_TABLES) as cursor:
                tables = [row[0] for row in await cursor.fetchall()]
            for table in tables:
                async with conn.execute(f"PRAGMA table_info({table})") as cursor:
                    columns[table] = [row["name"] for row in await cursor.fetchall()]
        return columns
    finally:
        await db.close()


async def test_the_schema_has_the_same_tables_and_columns_as_on_sqlite(
    empty_url: str, tmp_path: Path
) -> None:
    db = PostgresDatabase(empty_url)
    await db.connect()
    try:
        applied = await apply_migrations(db)
        assert [m.version for m in applied] == [m.version for m in discover()]
        postgres = await _pg_columns(db)
        assert await apply_migrations(db) == []  # a second start applies nothing
        assert await _pg_columns(db) == postgres
    finally:
        await db.close()
    assert postgres == await _sqlite_columns(tmp_path / "schema.sqlite3")


async def test_telegram_ids_beyond_32_bits_fit(empty_url: str) -> None:
    db = PostgresDatabase(empty_url)
    await db.connect()
    try:
        await apply_migrations(db)
        async with db.read() as conn:
            await conn.execute(
                "INSERT INTO desk_staff (telegram_id, name, seen_at) VALUES (?, ?, ?)",
                (-1001234567890, "Group", "2026-11-22T09:00:00+00:00"),
            )
            async with conn.execute("SELECT telegram_id FROM desk_staff") as cursor:
                assert [row[0] for row in await cursor.fetchall()] == [-1001234567890]
    finally:
        await db.close()


async def test_two_processes_starting_at_once_apply_each_migration_once(empty_url: str) -> None:
    first, second = PostgresDatabase(empty_url), PostgresDatabase(empty_url)
    await first.connect()
    await second.connect()
    try:
        done = await asyncio.gather(apply_migrations(first), apply_migrations(second))
        async with (
            first.read() as conn,
            conn.execute("SELECT version FROM schema_migrations ORDER BY version") as cursor,
        ):
            recorded = [row[0] for row in await cursor.fetchall()]
    finally:
        await first.close()
        await second.close()
    versions = [m.version for m in discover()]
    assert sorted(m.version for run in done for m in run) == versions
    assert recorded == versions


async def test_a_failing_migration_leaves_nothing_half_done(empty_url: str, tmp_path: Path) -> None:
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (tmp_path / "0002_bad.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    db = PostgresDatabase(empty_url)
    await db.connect()
    try:
        with pytest.raises(Exception, match="nowhere"):
            await apply_migrations(db, tmp_path)
        assert sorted(await _pg_columns(db)) == ["a", "schema_migrations"]
        async with db.read() as conn, conn.execute("SELECT version FROM schema_migrations") as c:
            assert [row[0] for row in await c.fetchall()] == [1]
    finally:
        await db.close()


async def test_a_twin_runs_instead_of_its_migration_on_postgres_only(
    empty_url: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_things.sql").write_text("CREATE TABLE from_sqlite (x INTEGER);\n")
    (tmp_path / "0001_things.postgres.sql").write_text(
        "CREATE TABLE from_twin (x BIGINT);\n"
        "CREATE FUNCTION twice(n BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$\n"
        "BEGIN\n    RETURN n * 2; -- a semicolon inside the body\nEND;\n$$;\n"
    )
    db = PostgresDatabase(empty_url)
    await db.connect()
    try:
        await apply_migrations(db, tmp_path)
        assert sorted(await _pg_columns(db)) == ["from_twin", "schema_migrations"]
        async with db.read() as conn, conn.execute("SELECT twice(?)", (21,)) as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == 42
    finally:
        await db.close()
    sqlite = SQLiteDatabase(tmp_path / "twin.sqlite3")
    await sqlite.connect()
    try:
        await apply_migrations(sqlite, tmp_path)
        async with sqlite.read() as lite, lite.execute(_SQLITE_TABLES) as cursor:
            assert sorted(row[0] for row in await cursor.fetchall()) == [
                "from_sqlite",
                "schema_migrations",
            ]
    finally:
        await sqlite.close()


async def test_an_untranslatable_migration_without_a_twin_is_refused(
    empty_url: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_trigger.sql").write_text(
        "CREATE TABLE t (x INTEGER);\n"
        "CREATE TRIGGER t_x BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'no'); END;\n"
    )
    db = PostgresDatabase(empty_url)
    await db.connect()
    try:
        with pytest.raises(MigrationError, match=r"0001_trigger\.sql: .*postgres\.sql"):
            await apply_migrations(db, tmp_path)
    finally:
        await db.close()


def test_a_twin_without_its_migration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0002_b.postgres.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"0002_b\.postgres\.sql"):
        discover(tmp_path)


def test_migrate_command_on_postgres(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    empty_url: str,
) -> None:
    from bot.__main__ import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY")
    monkeypatch.setenv("DATABASE_URL", empty_url)
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert f"{len(discover())} migration(s) applied" in out
    assert out.startswith("postgresql://127.0.0.1:")  # where, without the user
    assert main(["migrate"]) == 0
    assert "0 migration(s) applied" in capsys.readouterr().out
    assert not (tmp_path / "data").exists()  # no SQLite file made on the side


def test_an_unreachable_database_stops_the_bot_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import EXIT_CONFIG, main
    from tests.conftest import free_port

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:hunter2@127.0.0.1:{free_port()}/x")
    assert main(["migrate"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.startswith("leadsieve: cannot use the database at postgresql://127.0.0.1:")
    assert "hunter2" not in err and "Traceback" not in err

"""Both stores in tests: a `store` fixture per store, and the application on either.

- `store`: a connected, migrated `Database`, once on SQLite and once on PostgreSQL.
- `pg_url`: a fresh migrated PostgreSQL database for one test (dropped afterwards).
- The harness (`make_settings`) runs the application on `app_store`: SQLite, or PostgreSQL
  when LEADSIEVE_TEST_STORE=postgres (the whole suite) or for tests marked `both_stores`
  (run on each).
- LEADSIEVE_TEST_STORES=sqlite deselects every PostgreSQL run (no server is started).
  Without it, missing server binaries fail the PostgreSQL runs with a clear message.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.storage.db import Database
from bot.storage.migrations import apply_migrations
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite import SQLiteDatabase
from tests.pg_server import PgServer, find_binaries

STORES = ("sqlite", "postgres")


def sqlite_only() -> bool:
    return os.environ.get("LEADSIEVE_TEST_STORES", "").strip().lower() == "sqlite"


def default_app_store() -> str:
    chosen = os.environ.get("LEADSIEVE_TEST_STORE", "sqlite").strip().lower() or "sqlite"
    if chosen not in STORES:
        raise pytest.UsageError(f"LEADSIEVE_TEST_STORE={chosen!r}: expected sqlite or postgres")
    return chosen


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_stores: run the application on SQLite and on PostgreSQL"
    )
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL test server")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "app_store" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_stores"
    ):
        metafunc.parametrize("app_store", STORES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not sqlite_only():
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_postgres = "postgres" in (params.get("store"), params.get("app_store"))
        (dropped if on_postgres or item.get_closest_marker("postgres") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer(find_binaries())
    server.start()
    try:
        server.make_template()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.create_database()
    try:
        yield url
    finally:
        pg_server.drop_database(url)


@pytest.fixture
def app_store() -> str:
    """The store the harness runs the application on (parametrised by `both_stores`)."""
    return default_app_store()


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    db: Database
    if request.param == "postgres":
        db = PostgresDatabase(request.getfixturevalue("pg_url"), pool_size=30)
        await db.connect()
    else:
        db = SQLiteDatabase(tmp_path / "store.sqlite3")
        await db.connect()
        await apply_migrations(db)
    try:
        yield db
    finally:
        await db.close()


def another_connection(db: Database) -> Database:
    """A second handle on the same data (not connected), as another process would open it."""
    if isinstance(db, PostgresDatabase):
        return PostgresDatabase(db.url, pool_size=2)
    if isinstance(db, SQLiteDatabase):
        return SQLiteDatabase(db.path)
    raise TypeError(f"unknown store {type(db).__name__}")


@pytest.fixture
def database_env(app_store: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """Where a `python -m bot` process of the test keeps its data, as environment variables."""
    if app_store == "postgres":
        return {"DATABASE_URL": request.getfixturevalue("pg_url")}
    return {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}


def database_of(env: dict[str, str]) -> Database:
    """The store a process started with `env` uses (not connected)."""
    if "DATABASE_URL" in env:
        return PostgresDatabase(env["DATABASE_URL"], pool_size=2)
    return SQLiteDatabase(Path(env["DATABASE_PATH"]))

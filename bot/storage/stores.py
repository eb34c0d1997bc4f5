"""Which store the settings ask for: PostgreSQL when DATABASE_URL is set, else the SQLite file."""

from __future__ import annotations

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.postgres import PostgresDatabase, where
from bot.storage.sqlite import SQLiteDatabase


def open_database(settings: Settings) -> Database:
    """The store, not yet connected: the caller connects, migrates and closes it."""
    if settings.database_url is not None:
        return PostgresDatabase(
            settings.database_url.get_secret_value().strip(),
            pool_size=settings.database_pool_size,
        )
    return SQLiteDatabase(settings.database_path)


def describe(settings: Settings) -> str:
    """Where the data lives, for the operator, without a password."""
    if settings.database_url is None:
        return str(settings.database_path)
    return where(settings.database_url.get_secret_value().strip())

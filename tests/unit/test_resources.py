"""The migrations and catalogs are found in a checkout and in an installed package; a
missing or empty folder is an error that names it, never a silent "0 applied"."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import CatalogError, Translations
from bot.resources import data_dir, locales_dir, migrations_dir
from bot.storage.migrations import MigrationError, apply_migrations, discover
from bot.storage.sqlite import SQLiteDatabase

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_uses_its_top_level_folders() -> None:
    assert migrations_dir() == ROOT / "migrations"
    assert locales_dir() == ROOT / "locales"


def test_an_installed_package_uses_the_folders_inside_it(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "bot"
    (package / "migrations").mkdir(parents=True)
    # Another distribution's top-level folder of the same name is not ours.
    (tmp_path / "site-packages" / "locales").mkdir()

    assert data_dir("migrations", package) == package / "migrations"
    assert data_dir("locales", package) == package / "locales"


def test_a_checkout_missing_a_folder_names_the_top_level_one(tmp_path: Path) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\n")

    assert data_dir("migrations", tmp_path / "bot") == tmp_path / "migrations"


def test_a_missing_migrations_folder_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "migrations"
    with pytest.raises(MigrationError) as caught:
        discover(missing)
    assert str(caught.value) == f"{missing}: the migrations folder is missing"


def test_an_empty_migrations_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("no .sql here\n")
    with pytest.raises(MigrationError) as caught:
        discover(tmp_path)
    assert str(caught.value) == f"{tmp_path}: the migrations folder has no .sql files"


async def test_applying_from_a_missing_folder_leaves_the_database_untouched(
    tmp_path: Path,
) -> None:
    db = SQLiteDatabase(tmp_path / "db.sqlite3")
    await db.connect()
    try:
        with pytest.raises(MigrationError, match="missing"):
            await apply_migrations(db, tmp_path / "nowhere")
        async with db.connection.execute("SELECT name FROM sqlite_master") as cursor:
            assert await cursor.fetchall() == []
    finally:
        await db.close()


def test_a_missing_catalogs_folder_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "locales"
    with pytest.raises(CatalogError) as caught:
        Translations("ru", missing)
    assert str(caught.value) == f"{missing}: the catalogs folder is missing"


def test_a_catalogs_folder_without_the_default_language_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        Translations("ru", tmp_path)
    assert str(caught.value) == f"{tmp_path}: no catalog for the default language 'ru'"

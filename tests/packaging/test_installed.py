"""`pip install .` into a fresh venv, then the bot run from another folder: it finds its
migrations, catalogs and bundled files in the installed package, not in the checkout."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.packaging.venvs import ROOT, TOKEN, Installed, install

pytestmark = pytest.mark.slow

FILES = sorted(path.name for path in (ROOT / "migrations").glob("*.sql"))
# What SQLite applies: each migration once; a PostgreSQL twin stands in for its file there.
MIGRATIONS = [name for name in FILES if not name.endswith(".postgres.sql")]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(tmp_path_factory.mktemp("wheel"))


def _catalog_text(language: str, key: str) -> str:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "bot.po").open("rb") as source:
        message = read_po(source).get(key)
    assert message is not None
    return str(message.string)


def test_bot_is_imported_from_the_installed_copy(installed: Installed) -> None:
    result = installed.run(
        "-c",
        "import json, bot, bot.resources as r;"
        "print(json.dumps([bot.__file__, str(r.migrations_dir()), str(r.locales_dir())]))",
    )
    assert result.returncode == 0, result.stderr
    package, migrations, locales = map(Path, json.loads(result.stdout))
    assert package == installed.site_packages / "bot" / "__init__.py"
    assert migrations == installed.site_packages / "bot" / "migrations"
    assert locales == installed.site_packages / "bot" / "locales"
    assert sorted(p.name for p in migrations.glob("*.sql")) == FILES


def test_migrate_from_another_folder_applies_every_migration(
    installed: Installed, tmp_path: Path
) -> None:
    database = tmp_path / "leads.sqlite3"
    result = installed.bot("migrate", BOT_TOKEN=TOKEN, DATABASE_PATH=str(database))

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{database}: {len(MIGRATIONS)} migration(s) applied\n"
    with sqlite3.connect(database) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert sorted(versions) == [int(name[:4]) for name in MIGRATIONS]
    assert {"leads", "lead_answers", "fsm_state"} <= tables


def test_the_translations_load_from_the_installed_catalogs(installed: Installed) -> None:
    result = installed.run(
        "-c",
        "import json; from bot.i18n import Translations; t = Translations('ru');"
        "print(json.dumps([t.get('ru')('outcome.target'), t.get('en')('outcome.target')]))",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        _catalog_text("ru", "outcome.target"),
        _catalog_text("en", "outcome.target"),
    ]


def test_the_bundled_checklist_loads(installed: Installed) -> None:
    bundled = installed.site_packages / "bot" / "checklists" / "new_buildings.yaml"
    result = installed.bot("check-checklist")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{bundled}: OK, new-buildings v")


def test_every_data_file_of_the_package_ships(installed: Installed) -> None:
    # The checklists with their subfolders and cases, the sales desk's schema: all of bot/.
    in_checkout = {
        path.relative_to(ROOT): path.read_bytes()
        for path in (ROOT / "bot").rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"}
    }
    assert Path("bot/checklists/clinic/checklist.cases.yaml") in in_checkout
    shipped = {
        name: (installed.site_packages / name).read_bytes()
        for name in in_checkout
        if (installed.site_packages / name).is_file()
    }
    assert shipped.keys() == in_checkout.keys()
    assert shipped == in_checkout


@pytest.fixture
def migrations_removed(installed: Installed) -> Iterator[Path]:
    folder = installed.site_packages / "bot" / "migrations"
    aside = folder.with_name("migrations.aside")
    folder.rename(aside)
    try:
        yield folder
    finally:
        aside.rename(folder)


def test_a_missing_migrations_folder_is_an_error_naming_it(
    installed: Installed, migrations_removed: Path, tmp_path: Path
) -> None:
    database = tmp_path / "leads.sqlite3"
    result = installed.bot("migrate", BOT_TOKEN=TOKEN, DATABASE_PATH=str(database))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"leadsieve: {migrations_removed}: the migrations folder is missing\n"


def test_an_editable_install_uses_the_checkout_folders(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    editable = install(tmp_path_factory.mktemp("editable"), editable=True)
    result = editable.run(
        "-c",
        "import json, bot; from bot.storage.migrations import MIGRATIONS_DIR, discover;"
        "from bot.i18n import Translations;"
        "print(json.dumps([bot.__file__, str(MIGRATIONS_DIR), len(discover()),"
        " Translations('ru').languages]))",
    )
    assert result.returncode == 0, result.stderr
    package, migrations, count, languages = json.loads(result.stdout)
    assert Path(package) == editable.source / "bot" / "__init__.py"
    assert Path(migrations) == editable.source / "migrations"
    assert count == len(MIGRATIONS)
    assert sorted(languages) == ["en", "ru"]

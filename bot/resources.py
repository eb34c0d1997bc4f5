"""Where the folders the bot reads at run time are: the migrations and the catalogs.

In a source checkout (and an editable install) they are the top-level `migrations/` and
`locales/` beside `bot/`. A built wheel carries them inside the package, as `bot/migrations`
and `bot/locales` (setup.py maps them there), so an installed bot runs from any folder.
A folder that is not there is still returned: the reader says which one is missing.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def migrations_dir() -> Path:
    """The numbered .sql files applied in order."""
    return data_dir("migrations")


def locales_dir() -> Path:
    """The gettext catalogs, `<language>/LC_MESSAGES/bot.po`."""
    return data_dir("locales")


def data_dir(name: str, package: Path = _PACKAGE) -> Path:
    installed = package / name
    if installed.is_dir():
        return installed
    # pyproject.toml beside the package: a checkout, whose folders stay at the top level.
    if (package.parent / "pyproject.toml").is_file():
        return package.parent / name
    return installed

"""Texts people read, from the gettext catalogs in locales/<lang>/LC_MESSAGES/bot.po.

The .po files are compiled in memory at start-up, so a compiled catalog can
never be staler than its source.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.resources import locales_dir

LOCALES_DIR = locales_dir()
DOMAIN = "bot"


class CatalogError(Exception):
    """A catalog is missing or cannot be read."""


@dataclass(frozen=True)
class Translator:
    """One language's texts; `t("staff.lead_number", id=7)` fills {id} placeholders."""

    language: str
    _catalog: gettext.GNUTranslations

    def __call__(self, key: str, /, **params: object) -> str:
        text = self._catalog.gettext(key)
        return _one_full_stop(text, params).format(**params) if params else text

    def plural(self, key: str, plural_key: str, count: int, /, **params: object) -> str:
        text = self._catalog.ngettext(key, plural_key, count)
        return text.format(count=count, **params)


def _one_full_stop(text: str, params: dict[str, object]) -> str:
    """A value with its own full stop ("22 декабря 2026 г.") ends the sentence: "{date}."
    would read "г..", so the catalog's full stop after it goes."""
    for name, value in params.items():
        if isinstance(value, str) and value.endswith("."):
            text = text.replace(f"{{{name}}}.", f"{{{name}}}")
    return text


class Translations:
    """All catalogs; picks one by language, falling back to the default."""

    def __init__(self, default_language: str, locales_dir: Path = LOCALES_DIR) -> None:
        if not locales_dir.is_dir():
            raise CatalogError(f"{locales_dir}: the catalogs folder is missing")
        self._translators: dict[str, Translator] = {}
        for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = po_path.parents[1].name
            self._translators[language] = Translator(language, _compile(po_path))
        if default_language not in self._translators:
            raise CatalogError(
                f"{locales_dir}: no catalog for the default language {default_language!r}"
            )
        self.default_language = default_language

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def get(self, language: str | None) -> Translator:
        if language and language in self._translators:
            return self._translators[language]
        return self._translators[self.default_language]

    def pick_language(self, telegram_code: str | None) -> str:
        """The catalog language for a Telegram language_code such as "en-US"."""
        if telegram_code:
            base = telegram_code.split("-")[0].lower()
            if base in self._translators:
                return base
        return self.default_language


def _compile(po_path: Path) -> gettext.GNUTranslations:
    try:
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=po_path.parents[1].name)
    except Exception as error:
        raise CatalogError(f"{po_path}: {error}") from None
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)

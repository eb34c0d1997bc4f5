"""The knowledge-base file: FAQ and objection answers with their keywords.

Edited by sales-ops people, so, like the checklist, every mistake is reported as
`<file>:<line>: <key path>: <what is wrong>`, all of them at once, and the bot refuses
to start on one. The format is documented at the top of the bundled file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.domain.knowledge import Entry, build_entry, keyword_problem, synonym_table
from bot.domain.yaml_source import YamlFileError, key_lines, read_text, read_yaml

Loc = tuple[str | int, ...]

_ID_RE = re.compile(r"[a-z0-9_]{1,40}")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")
# A Telegram message holds 4096 characters; leave room for the bot's own line.
MAX_ANSWER_LENGTH = 3500
MAX_QUESTION_LENGTH = 300
_TOP_KEYS = ("version", "languages", "synonyms", "entries")
_ENTRY_KEYS = ("id", "question", "keywords", "answer")


class KnowledgeError(Exception):
    """The knowledge-base file cannot be used; `problems` holds one readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class FileEntry:
    id: str
    question: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]


@dataclass(frozen=True)
class KnowledgeFile:
    version: int
    languages: tuple[str, ...]
    entries: tuple[FileEntry, ...]
    synonyms: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def text(self, texts: Mapping[str, str], language: str) -> str:
        """The text in `language`, else in the file's first language."""
        return texts.get(language) or texts[self.languages[0]]

    def matcher_entries(self) -> list[Entry]:
        """Entries for the matcher, ids "file:<id>", keywords of every language."""
        table = synonym_table(group for groups in self.synonyms.values() for group in groups)
        return [
            build_entry(
                f"file:{entry.id}",
                (word for words in entry.keywords.values() for word in words),
                table,
            )
            for entry in self.entries
        ]


def load_knowledge(path: Path) -> KnowledgeFile:
    try:
        text = read_text(path)
    except YamlFileError as error:
        raise KnowledgeError([error.message]) from None
    return parse_knowledge(text, str(path))


def parse_knowledge(text: str, source: str) -> KnowledgeFile:
    """Checks and builds the knowledge base from YAML text; `source` names it in messages."""
    return _Loader(source).load(text)


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


@dataclass
class _Loader:
    source: str
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[tuple[Loc, str]] = field(default_factory=list)
    data: Any = None

    def load(self, text: str) -> KnowledgeFile:
        data = self._read_yaml(text)
        if not isinstance(data, dict):
            what = "empty" if data is None else f"{_describe(data)}, not a mapping"
            raise KnowledgeError(
                [f"{self.source}:1: the file is {what}; it starts with version:, languages:"]
            )
        self.data = data
        for key in data:
            if key not in _TOP_KEYS:
                self._add((str(key),), f"unknown key {key!r}; expected one of {_TOP_KEYS}")
        version = data.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self._add(("version",), f"must be a whole number from 1, got {_describe(version)}")
            version = 1
        languages = self._languages(data.get("languages"))
        synonyms = self._synonyms(data.get("synonyms"), languages)
        entries = self._entries(data.get("entries"), languages)
        if self.problems:
            raise KnowledgeError(self._render())
        return KnowledgeFile(version, languages, entries, synonyms)

    # --- YAML and lines ---

    def _read_yaml(self, text: str) -> Any:
        try:
            document = read_yaml(text, self.source)
        except YamlFileError as error:
            raise KnowledgeError([error.message]) from None
        if document.root is not None:
            found = key_lines(document.root)
            self.lines.update(found.lines)
            for loc, first in found.duplicates:
                self._add(loc, f"duplicate key (also on line {first}); remove one")
        return document.data

    # --- parts ---

    def _languages(self, value: Any) -> tuple[str, ...]:
        if value is None:
            self._add(("languages",), "missing: list the answers' languages, e.g. [ru, en]")
            return ()
        if not isinstance(value, list) or not value:
            self._add(("languages",), f"must be a list like [ru, en], got {_describe(value)}")
            return ()
        languages: list[str] = []
        for index, language in enumerate(value):
            if not isinstance(language, str) or not _LANGUAGE_RE.fullmatch(language):
                self._add(("languages", index), f"{_describe(language)} is not a language code")
            elif language in languages:
                self._add(("languages", index), f"{language!r} is listed twice")
            else:
                languages.append(language)
        return tuple(languages)

    def _synonyms(
        self, value: Any, languages: tuple[str, ...]
    ) -> dict[str, tuple[tuple[str, ...], ...]]:
        if value is None:
            return {}
        loc: Loc = ("synonyms",)
        if not isinstance(value, dict):
            self._add(loc, "must map a language to groups of words, e.g. ru: [[метро, подземка]]")
            return {}
        result: dict[str, tuple[tuple[str, ...], ...]] = {}
        for language, groups in value.items():
            here = (*loc, str(language))
            if language not in languages:
                self._add(here, f"unknown language {language!r}; languages: {list(languages)}")
                continue
            if not isinstance(groups, list):
                self._add(here, "must be a list of groups, e.g. [[метро, подземка]]")
                continue
            parsed: list[tuple[str, ...]] = []
            for index, group in enumerate(groups):
                words = self._words((*here, index), group, "a group", minimum=2)
                if words:
                    parsed.append(words)
            result[str(language)] = tuple(parsed)
        return result

    def _words(self, loc: Loc, value: Any, what: str, minimum: int) -> tuple[str, ...]:
        if not isinstance(value, list):
            self._add(loc, f"{what} must be a list of words, got {_describe(value)}")
            return ()
        if len(value) < minimum:
            hint = "add at least one word or phrase" if minimum == 1 else "needs two words"
            self._add(loc, f"{what} is empty: {hint}" if not value else f"{what} {hint}")
            return ()
        words: list[str] = []
        for index, word in enumerate(value):
            if isinstance(word, bool) or not isinstance(word, (str, int)):
                self._add((*loc, index), f"expected a word, got {_describe(word)}")
                continue
            problem = keyword_problem(str(word))
            if problem is not None:
                self._add((*loc, index), problem)
            else:
                words.append(str(word))
        return tuple(words)

    def _entries(self, value: Any, languages: tuple[str, ...]) -> tuple[FileEntry, ...]:
        if not isinstance(value, list) or not value:
            self._add(("entries",), "missing or empty: add at least one entry (see the header)")
            return ()
        entries: list[FileEntry] = []
        first_line: dict[str, int] = {}
        for index, raw in enumerate(value):
            loc: Loc = ("entries", index)
            if not isinstance(raw, dict):
                self._add(loc, f"an entry must be a mapping with id:, got {_describe(raw)}")
                continue
            for key in raw:
                if key not in _ENTRY_KEYS:
                    self._add((*loc, str(key)), f"unknown key; an entry has {_ENTRY_KEYS}")
            entry_id = raw.get("id")
            if not isinstance(entry_id, str) or not _ID_RE.fullmatch(entry_id):
                self._add(
                    (*loc, "id"),
                    f"{_describe(entry_id)} is not a valid id: use lowercase latin letters, "
                    "digits and _ (at most 40)",
                )
                entry_id = None
            elif entry_id in first_line:
                self._add(
                    (*loc, "id"),
                    f"duplicate id {entry_id!r} (also on line {first_line[entry_id]})",
                )
            else:
                first_line[entry_id] = self._line((*loc, "id"))
            question = self._texts((*loc, "question"), raw.get("question"), languages)
            answer = self._texts((*loc, "answer"), raw.get("answer"), languages)
            keywords = self._keywords((*loc, "keywords"), raw.get("keywords"), languages)
            for language, text in question.items():
                if len(text) > MAX_QUESTION_LENGTH:
                    self._add((*loc, "question", language), "too long for a question")
            for language, text in answer.items():
                if len(text) > MAX_ANSWER_LENGTH:
                    self._add(
                        (*loc, "answer", language),
                        f"too long: at most {MAX_ANSWER_LENGTH} characters ({len(text)})",
                    )
            if entry_id is not None:
                entries.append(FileEntry(entry_id, question, keywords, answer))
        return tuple(entries)

    def _texts(self, loc: Loc, value: Any, languages: tuple[str, ...]) -> dict[str, str]:
        if not isinstance(value, dict):
            self._add(
                loc,
                f"expected a text per language, like {{ru: ..., en: ...}}, got {_describe(value)}",
            )
            return {}
        texts: dict[str, str] = {}
        for language in languages:
            if language not in value:
                self._add(loc, f"missing the {language!r} text")
        for language, text in value.items():
            here = (*loc, str(language))
            if language not in languages:
                self._add(here, f"unknown language {language!r}; languages: {list(languages)}")
            elif not isinstance(text, str) or not text.strip():
                self._add(here, f"must be a non-empty text, got {_describe(text)}")
            else:
                texts[language] = text.strip()
        return texts

    def _keywords(
        self, loc: Loc, value: Any, languages: tuple[str, ...]
    ) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            self._add(
                loc,
                f"expected a list of words per language, like {{ru: [ипотека], "
                f"en: [mortgage]}}, got {_describe(value)}",
            )
            return {}
        keywords: dict[str, tuple[str, ...]] = {}
        for language in languages:
            if language not in value:
                self._add(loc, f"missing the {language!r} keywords")
        for language, words in value.items():
            here = (*loc, str(language))
            if language not in languages:
                self._add(here, f"unknown language {language!r}; languages: {list(languages)}")
                continue
            keywords[str(language)] = self._words(here, words, "the keyword list", minimum=1)
        return keywords

    # --- reporting ---

    def _add(self, loc: Loc, message: str) -> None:
        if (loc, message) not in self.problems:
            self.problems.append((loc, message))

    def _line(self, loc: Loc) -> int:
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def _path(self, loc: Loc) -> str:
        """entries[mortgage].keywords.ru[2]: entries are named by their id when they have one."""
        text = ""
        node: Any = self.data
        for part in loc:
            if isinstance(part, int):
                item = node[part] if isinstance(node, list) and part < len(node) else None
                label: object = part
                if text == "entries" and isinstance(item, dict):
                    item_id = item.get("id")
                    if isinstance(item_id, str) and _ID_RE.fullmatch(item_id):
                        label = item_id
                text += f"[{label}]"
                node = item
            else:
                text += f".{part}" if text else part
                node = node.get(part) if isinstance(node, dict) else None
        return text

    def _render(self) -> list[str]:
        ordered = sorted(self.problems, key=lambda problem: self._line(problem[0]))
        return [
            f"{self.source}:{self._line(loc)}: {self._path(loc)}: {message}"
            for loc, message in ordered
        ]

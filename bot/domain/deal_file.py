"""Loading the deal timeline file: roles, facts, stages with their documents, and rules.

Edited by sales-ops people, so, like the checklist, every mistake is reported as
`<file>:<line>: <key path>: <what is wrong>`, all of them at once, and the bot refuses
to start on one. The format is documented at the top of the bundled file. This module
reads each section's shape; what the sections must mean together (references, which
stages can be reached, the rules) is checked in bot/domain/deal_checks.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.domain.checklist import Localized
from bot.domain.conditions import Condition, ConditionError, Loc, describe_value, parse_condition
from bot.domain.deal import (
    DealFile,
    DealRule,
    DocumentSpec,
    Fact,
    Role,
    Stage,
    StageMessage,
)
from bot.domain.deal_checks import DealChecks, people_problems
from bot.domain.yaml_source import YamlFileError, key_lines, read_text, read_yaml

_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,19}")
_FILE_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")
MAX_TEXT = 1000  # a stage message has three parts; all of them fit one Telegram message
MAX_DAYS = 3650
_TOP = ("id", "version", "languages", "roles", "facts", "stages", "rules")
_ROLE = ("id", "title", "people")
_FACT = ("id", "title", "default")
_STAGE = ("id", "title", "message", "owner", "expected_days", "documents", "next", "final")
_MESSAGE = ("now", "need", "takes")
_DOCUMENT = ("id", "title", "personal", "required", "when")
_RULE = ("id", "no_payments_before", "enter", "after_documents_of", "message")
# Lists whose items are named by their id in error paths.
_NAMED = frozenset({"roles", "facts", "stages", "documents", "rules"})


class DealFileError(Exception):
    """The deal file cannot be used; `problems` holds one readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def load_deal(path: Path, people: Mapping[str, tuple[int, ...]] | None = None) -> DealFile:
    """The file at `path`, with DEAL_PEOPLE's ids added to its roles (`people`)."""
    try:
        text = read_text(path)
    except YamlFileError as error:
        raise DealFileError([error.message]) from None
    return parse_deal(text, str(path), people)


def parse_deal(
    text: str, source: str, people: Mapping[str, tuple[int, ...]] | None = None
) -> DealFile:
    deal_file = _Loader(source).load(text)
    problems = people_problems(people or {}, deal_file.roles, source)
    if problems:
        raise DealFileError(problems)
    return deal_file.with_people(people or {})


def parse_people(text: str) -> dict[str, tuple[int, ...]]:
    """DEAL_PEOPLE ("deal_support=111,222;receivables=333") as role -> Telegram ids; a
    ValueError says which part is wrong (the settings and check-deal add the name)."""
    people: dict[str, tuple[int, ...]] = {}
    for part in (part.strip() for part in text.split(";") if part.strip()):
        role, sep, ids = part.partition("=")
        try:
            numbers = tuple(int(item) for item in ids.split(",") if item.strip())
        except ValueError:
            numbers = ()
        if not sep or not role.strip() or not numbers:
            raise ValueError(
                f"{part!r} is not role=ids (e.g. deal_support=111,222;receivables=333)"
            )
        people[role.strip()] = numbers
    return people


def _id_problem(value: object) -> str | None:
    if isinstance(value, str) and _ID_RE.fullmatch(value):
        return None
    return (
        f"{describe_value(value)} is not a valid id: lowercase latin letters, digits and _, "
        "starting with a letter (at most 20)"
    )


@dataclass
class _Loader(DealChecks):
    source: str
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[tuple[Loc, str]] = field(default_factory=list)
    data: Any = None
    languages: tuple[str, ...] = ()
    # Every id named, even of an item with problems of its own.
    stage_ids: set[str] = field(default_factory=set)
    role_ids: set[str] = field(default_factory=set)
    fact_ids: set[str] = field(default_factory=set)

    def load(self, text: str) -> DealFile:
        try:
            document = read_yaml(text, self.source)
        except YamlFileError as error:
            raise DealFileError([error.message]) from None
        if document.root is not None:
            found = key_lines(document.root)
            self.lines.update(found.lines)
            for loc, first in found.duplicates:
                self._add(loc, f"duplicate key (also on line {first}); remove one")
        data = document.data
        if not isinstance(data, dict):
            what = "empty" if data is None else f"{describe_value(data)}, not a mapping"
            raise DealFileError(
                [f"{self.source}:1: the file is {what}; it starts with id:, version:, languages:"]
            )
        self.data = data
        self._unknown_keys((), data, _TOP)
        file_id = data.get("id")
        if not isinstance(file_id, str) or not _FILE_ID_RE.fullmatch(file_id):
            self._add(
                ("id",), f"{describe_value(file_id)} is not a valid id: e.g. new_building_ddu"
            )
            file_id = "deal"
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self._add(("version",), f"must be a whole number from 1, got {describe_value(version)}")
            version = 1
        self.languages = self._languages(data.get("languages"))
        roles = self._roles(data.get("roles"))
        facts = self._facts(data.get("facts"))
        # References are checked against every id named, so one broken role or fact does
        # not make each stage that uses it a second problem.
        stages = self._stages(data.get("stages"), self.role_ids, self.fact_ids)
        rules = self._rules(data.get("rules"), self.stage_ids)
        if not self.problems:
            self._check_graph(stages)
        if self.problems:
            raise DealFileError(self._render())
        return DealFile(file_id, version, self.languages, roles, facts, stages, rules)

    # --- parts ---

    def _unknown_keys(self, loc: Loc, raw: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        for key in raw:
            if key not in allowed:
                self._add((*loc, str(key)), f"unknown key; expected one of: {', '.join(allowed)}")

    def _languages(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self._add(("languages",), f"must be a list like [ru, en], got {describe_value(value)}")
            return ()
        languages: list[str] = []
        for index, language in enumerate(value):
            if not isinstance(language, str) or not _LANGUAGE_RE.fullmatch(language):
                self._add(
                    ("languages", index), f"{describe_value(language)} is not a language code"
                )
            elif language in languages:
                self._add(("languages", index), f"{language!r} is listed twice")
            else:
                languages.append(language)
        return tuple(languages)

    def _items(self, key: str, value: Any, *, required: bool) -> list[tuple[Loc, dict[Any, Any]]]:
        """The list under `key` as (loc, mapping) pairs, with duplicate ids reported."""
        if value is None and not required:
            return []
        if not isinstance(value, list) or not value:
            self._add(
                (key,), f"must be a non-empty list (see the header), got {describe_value(value)}"
            )
            return []
        return self._named_list((key,), value)

    def _named_list(self, loc: Loc, value: list[Any]) -> list[tuple[Loc, dict[Any, Any]]]:
        items: list[tuple[Loc, dict[Any, Any]]] = []
        first_line: dict[str, int] = {}
        for index, raw in enumerate(value):
            here: Loc = (*loc, index)
            if not isinstance(raw, dict):
                self._add(here, f"must be a mapping with id:, got {describe_value(raw)}")
                continue
            problem = _id_problem(raw.get("id"))
            if problem is not None:
                self._add((*here, "id"), problem)
                continue
            item_id = raw["id"]
            if item_id in first_line:
                self._add(
                    (*here, "id"), f"duplicate id {item_id!r} (also on line {first_line[item_id]})"
                )
                continue
            first_line[item_id] = self._line((*here, "id"))
            items.append((here, raw))
        return items

    def _roles(self, value: Any) -> tuple[Role, ...]:
        roles: list[Role] = []
        items = self._items("roles", value, required=True)
        self.role_ids = {raw["id"] for _, raw in items}
        for loc, raw in items:
            self._unknown_keys(loc, raw, _ROLE)
            title = self._text((*loc, "title"), raw.get("title"))
            people = self._people((*loc, "people"), raw.get("people"))
            if title is not None:
                roles.append(Role(raw["id"], title, people))
        return tuple(roles)

    def _people(self, loc: Loc, value: Any) -> tuple[int, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or any(
            isinstance(item, bool) or not isinstance(item, int) or item <= 0 for item in value
        ):
            self._add(loc, "must be a list of numeric Telegram user ids, e.g. [111222333]")
            return ()
        return tuple(value)

    def _facts(self, value: Any) -> tuple[Fact, ...]:
        facts: list[Fact] = []
        items = self._items("facts", value, required=False)
        self.fact_ids = {raw["id"] for _, raw in items}
        for loc, raw in items:
            self._unknown_keys(loc, raw, _FACT)
            title = self._text((*loc, "title"), raw.get("title"))
            default: Condition | None = None
            if raw.get("default") is not None:
                try:
                    default = parse_condition(raw["default"])
                except ConditionError as error:
                    for where, message in error.problems:
                        self._add((*loc, "default", *where), message)
            if title is not None:
                facts.append(Fact(raw["id"], title, default))
        return tuple(facts)

    def _stages(self, value: Any, roles: set[str], facts: set[str]) -> tuple[Stage, ...]:
        stages: list[tuple[Loc, Stage]] = []
        items = self._items("stages", value, required=True)
        known = {raw["id"] for _, raw in items}
        self.stage_ids = known
        for position, (loc, raw) in enumerate(items):
            self._unknown_keys(loc, raw, _STAGE)
            title = self._text((*loc, "title"), raw.get("title"))
            message = self._message((*loc, "message"), raw.get("message"))
            owner = raw.get("owner")
            self._check_owner((*loc, "owner"), owner, roles)
            days = raw.get("expected_days")
            if days is not None and (
                isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS
            ):
                self._add(
                    (*loc, "expected_days"),
                    f"must be a whole number of days from 1 to {MAX_DAYS}, got "
                    + describe_value(days),
                )
                days = None
            final = raw.get("final", False)
            if not isinstance(final, bool):
                self._add((*loc, "final"), f"must be true or false, got {describe_value(final)}")
                final = False
            following = items[position + 1][1]["id"] if position + 1 < len(items) else None
            next_ids = self._next((*loc, "next"), raw, known, final, following)
            documents = self._documents((*loc, "documents"), raw.get("documents"), facts)
            if title is not None and message is not None and isinstance(owner, str):
                stage = Stage(raw["id"], title, message, owner, days, documents, next_ids, final)
                stages.append((loc, stage))
        return tuple(stage for _, stage in stages)

    def _message(self, loc: Loc, value: Any) -> StageMessage | None:
        if not isinstance(value, dict):
            self._add(
                loc,
                "must be a mapping with now:, need: (optional) and takes:, each a text per "
                f"language; got {describe_value(value)}",
            )
            return None
        self._unknown_keys(loc, value, _MESSAGE)
        now = self._text((*loc, "now"), value.get("now"))
        takes = self._text((*loc, "takes"), value.get("takes"))
        need = None if value.get("need") is None else self._text((*loc, "need"), value["need"])
        if now is None or takes is None:
            return None
        return StageMessage(now=now, takes=takes, need=need)

    def _documents(self, loc: Loc, value: Any, facts: set[str]) -> tuple[DocumentSpec, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self._add(loc, f"must be a list of documents, got {describe_value(value)}")
            return ()
        documents: list[DocumentSpec] = []
        for here, raw in self._named_list(loc, value):
            self._unknown_keys(here, raw, _DOCUMENT)
            title = self._text((*here, "title"), raw.get("title"))
            flags = {}
            for key, default in (("personal", False), ("required", True)):
                flag = raw.get(key, default)
                if not isinstance(flag, bool):
                    self._add((*here, key), f"must be true or false, got {describe_value(flag)}")
                    flag = default
                flags[key] = flag
            when = None
            if "when" in raw:
                when = self._fact_condition((*here, "when"), raw["when"], facts)
            if title is not None:
                documents.append(
                    DocumentSpec(raw["id"], title, flags["personal"], flags["required"], when)
                )
        return tuple(documents)

    def _rules(self, value: Any, stages: set[str]) -> tuple[DealRule, ...]:
        rules: list[DealRule] = []
        for loc, raw in self._items("rules", value, required=False):
            self._unknown_keys(loc, raw, _RULE)
            message = self._text((*loc, "message"), raw.get("message"))
            target = self._rule_target(loc, raw, stages)
            if target is not None and message is not None:
                kind, stage = target
                rules.append(DealRule(raw["id"], kind, stage, message, raw.get("enter")))
        return tuple(rules)

    def _text(self, loc: Loc, value: Any) -> Localized | None:
        if not isinstance(value, dict):
            self._add(
                loc,
                "expected a text per language, like {ru: ..., en: ...}, got "
                + describe_value(value),
            )
            return None
        texts: dict[str, str] = {}
        for language in self.languages:
            if language not in value:
                self._add(loc, f"missing the {language!r} text")
        for language, text in value.items():
            here = (*loc, str(language))
            if language not in self.languages:
                self._add(here, f"unknown language {language!r}; languages: {list(self.languages)}")
            elif not isinstance(text, str) or not text.strip():
                self._add(here, f"must be a non-empty text, got {describe_value(text)}")
            elif len(text) > MAX_TEXT:
                self._add(here, f"too long: at most {MAX_TEXT} characters ({len(text)})")
            else:
                texts[str(language)] = text.strip()
        if len(texts) != len(self.languages) or not texts:
            return None
        return Localized(texts={language: texts[language] for language in self.languages})

    # --- reporting ---

    def _add(self, loc: Loc, message: str) -> None:
        if (loc, message) not in self.problems:
            self.problems.append((loc, message))

    def _line(self, loc: Loc) -> int:
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def _path(self, loc: Loc) -> str:
        """stages[contract].documents[passport].when: list items are named by their id."""
        text = ""
        node: Any = self.data
        previous: str | int | None = None
        for part in loc:
            if isinstance(part, int):
                item = node[part] if isinstance(node, list) and part < len(node) else None
                label: object = part
                if previous in _NAMED and isinstance(item, dict):
                    item_id = item.get("id")
                    if isinstance(item_id, str) and _ID_RE.fullmatch(item_id):
                        label = item_id
                text += f"[{label}]"
                node = item
            else:
                text += f".{part}" if text else part
                node = node.get(part) if isinstance(node, dict) else None
            previous = part
        return text

    def _render(self) -> list[str]:
        ordered = sorted(self.problems, key=lambda problem: self._line(problem[0]))
        return [
            f"{self.source}:{self._line(loc)}: {self._path(loc) or '(file)'}: {message}"
            for loc, message in ordered
        ]

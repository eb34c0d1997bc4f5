"""Loading a checklist file: checks the YAML and builds the model.

The loader is the only place in the domain that does I/O. It reports every mistake it
can find as `<file>:<line>: <key path>: <what is wrong>`, because the file is edited by
sales-ops people, not programmers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)
from pydantic_core import ErrorDetails

from bot.domain.checklist import (
    BUNDLED_CHECKLIST,
    ID_RE,
    LANGUAGE_RE,
    Band,
    Checklist,
    ChecklistError,
    Option,
    Question,
    QuestionKind,
    QuestionRole,
    Rule,
    Scoring,
)
from bot.domain.checklist_checks import (
    RANK_MEANING,
    RANK_SHAPE,
    RANK_UNKNOWN_KEY,
    RANK_YAML,
    QuestionChecks,
    QuestionReferences,
)
from bot.domain.conditions import (
    ALWAYS,
    Condition,
    ConditionChecker,
    ConditionError,
    Loc,
    describe_value,
    did_you_mean,
    parse_condition,
)
from bot.domain.wording import Outcomes, Wording
from bot.domain.yaml_source import YamlFileError, read_text, read_yaml


def load_checklist(path: Path = BUNDLED_CHECKLIST) -> Checklist:
    try:
        text = read_text(path)
    except YamlFileError as error:
        raise ChecklistError([error.message]) from None
    return _Loader(text, str(path), path).load()


def parse_checklist(text: str, source: str) -> Checklist:
    """Checks and builds a checklist from YAML text; `source` names it in messages."""
    return _Loader(text, source, None).load()


# YAML 1.1 reads these unquoted words as booleans: a classic trap for option ids.
_YAML_BOOL_WORDS = frozenset({"yes", "no", "on", "off", "y", "n"})

_ALL_KEYS = frozenset(
    key
    for model in (Checklist, Scoring, Question, Option, Band, Rule, Wording, Outcomes)
    for key in model.model_fields
    if key != "source_path"
)
# Lists whose items are shown by their id in key paths: questions[budget], not questions[2].
_ID_LISTS = frozenset({"questions", "options", "rules"})

_ModelT = TypeVar("_ModelT", bound=BaseModel)


@dataclass(frozen=True)
class _Problem:
    rank: int
    loc: Loc
    message: str


@dataclass
class _Loader(QuestionChecks):
    text: str
    source: str
    path: Path | None
    data: dict[Any, Any] = field(default_factory=dict)
    problems: list[_Problem] = field(default_factory=list)
    lines: dict[Loc, int] = field(default_factory=dict)
    # The raw YAML text of plain scalars, to explain yes/no turning into booleans.
    scalars: dict[Loc, str] = field(default_factory=dict)

    def load(self) -> Checklist:
        data = self._read_yaml()
        if not isinstance(data, dict):
            what = "empty" if data is None else f"{describe_value(data)}, not a mapping"
            raise ChecklistError(
                [
                    f"{self.source}:1: the file is {what}; a checklist is a mapping "
                    "that starts with id:, version:, languages: ..."
                ]
            )
        self.data = data
        checklist = self._build(data)
        if self.problems or checklist is None:
            raise ChecklistError(self._render())
        return checklist

    # --- YAML ---

    def _read_yaml(self) -> object:
        try:
            document = read_yaml(self.text, self.source)
        except YamlFileError as error:
            raise ChecklistError([error.message]) from None
        if document.root is not None:
            self._walk(document.root, (), 0)
        return document.data

    def _walk(self, node: yaml.Node, loc: Loc, depth: int) -> None:
        """Records the line of every key and list item, and spots duplicate keys."""
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if depth > 64:  # a recursive YAML alias; nothing sensible lies that deep
            return
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                key_loc = (*loc, key)
                line = key_node.start_mark.line + 1
                if key in first_line:
                    self._add(
                        RANK_YAML,
                        key_loc,
                        f"duplicate key {key!r} (also on line {first_line[key]}); "
                        "the last one wins",
                    )
                first_line.setdefault(key, line)
                # Point at the one YAML keeps: the last.
                self.lines[key_loc] = line
                self._remember_scalar(value_node, key_loc)
                self._walk(value_node, key_loc, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                item_loc = (*loc, index)
                self.lines[item_loc] = item.start_mark.line + 1
                self._remember_scalar(item, item_loc)
                self._walk(item, item_loc, depth + 1)

    def _remember_scalar(self, node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            self.scalars[loc] = node.value

    # --- building ---

    def _build(self, data: dict[Any, Any]) -> Checklist | None:
        if "source_path" in data:
            self._add(RANK_UNKNOWN_KEY, ("source_path",), "unknown key 'source_path'")
        context = {"languages": self._languages(data.get("languages"))}

        raw_questions = data.get("questions")
        questions: list[tuple[int, Question]] = []
        # Every question id in the file, in order; None for a question that failed to load.
        known: dict[str, Question | None] = {}
        if isinstance(raw_questions, list):
            questions, known = self._questions(raw_questions, context)
        raw_rules = data.get("rules")
        rules = self._rules(raw_rules, known, context) if isinstance(raw_rules, list) else []
        scoring = (
            self._validate(Scoring, data["scoring"], ("scoring",), context)
            if "scoring" in data
            else None
        )

        top = {key: value for key, value in data.items() if key != "source_path"}
        # Items were checked one by one above; pass the good ones so each mistake shows once.
        if isinstance(raw_questions, list):
            top["questions"] = [question for _, question in questions]
        if isinstance(raw_rules, list):
            top["rules"] = [rule for _, rule in rules]
        if "scoring" in data:
            # A broken scoring is already reported; a stand-in avoids reporting it twice.
            top["scoring"] = scoring or Scoring(target=0, nurture=0)
        if self.path is not None:
            top["source_path"] = self.path
        checklist = self._validate(Checklist, top, (), context)

        if isinstance(raw_questions, list):
            self._check_unique_ids("questions", raw_questions)
        if isinstance(raw_rules, list):
            self._check_unique_ids("rules", raw_rules)
        self._check_questions(questions)
        self._check_rules(rules)
        if scoring is not None and scoring.nurture > scoring.target:
            self._add(
                RANK_MEANING,
                ("scoring", "nurture"),
                f"nurture ({scoring.nurture}) is above target ({scoring.target}); "
                "it must be lower or equal",
            )
        if isinstance(raw_questions, list):
            self._check_routing(data.get("routing"), known)
        staff_title = data.get("staff_title")
        if isinstance(staff_title, list) and isinstance(raw_questions, list):
            for index, question_id in enumerate(staff_title):
                if isinstance(question_id, str) and question_id not in known:
                    self._add(
                        RANK_MEANING,
                        ("staff_title", index),
                        f"unknown question {question_id!r}{did_you_mean(question_id, known)}",
                    )
        return checklist

    def _languages(self, raw: object) -> tuple[str, ...] | None:
        """The languages every text must have, if the list is usable (else reported later)."""
        if not isinstance(raw, list) or not raw:
            return None
        if not all(isinstance(lang, str) and LANGUAGE_RE.fullmatch(lang) for lang in raw):
            return None
        return tuple(dict.fromkeys(raw))

    def _questions(
        self, raw_questions: list[Any], context: dict[str, Any]
    ) -> tuple[list[tuple[int, Question]], dict[str, Question | None]]:
        if not raw_questions:
            self._add(RANK_SHAPE, ("questions",), "add at least one question")
        all_ids = frozenset(
            item["id"]
            for item in raw_questions
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        )
        known: dict[str, Question | None] = {}
        questions: list[tuple[int, Question]] = []
        for index, item in enumerate(raw_questions):
            loc: Loc = ("questions", index)
            own_id = item.get("id") if isinstance(item, dict) else None
            checker = QuestionReferences(known, all_ids, own_id)
            if isinstance(item, dict) and "when" in item:
                item = {**item, "when": self._condition(item["when"], (*loc, "when"), checker)}
            if isinstance(item, dict) and isinstance(item.get("options"), list):
                item = {**item, "options": self._options(item["options"], loc, checker)}
            question = self._validate(Question, item, loc, context)
            if question is not None:
                self._check_question(question, loc)
                questions.append((index, question))
            if isinstance(own_id, str):
                known.setdefault(own_id, question)
        return questions, known

    def _options(self, raw_options: list[Any], loc: Loc, checker: ConditionChecker) -> list[Any]:
        """Parses each option's `when`: like a question's, it sees earlier questions only."""
        options: list[Any] = []
        for index, option in enumerate(raw_options):
            if isinstance(option, dict) and "when" in option:
                where = (*loc, "options", index, "when")
                when = self._condition(option["when"], where, checker)
                option = {**option, "when": ALWAYS if when is None else when}
            options.append(option)
        return options

    def _rules(
        self, raw_rules: list[Any], known: Mapping[str, Question | None], context: dict[str, Any]
    ) -> list[tuple[int, Rule]]:
        # Rules look at the finished questionnaire: any question will do.
        checker = QuestionReferences(known, frozenset(known))
        rules: list[tuple[int, Rule]] = []
        for index, item in enumerate(raw_rules):
            loc: Loc = ("rules", index)
            if isinstance(item, dict) and "when" in item:
                when = self._condition(item["when"], (*loc, "when"), checker)
                # A placeholder keeps a broken condition from also reading as "missing".
                item = {**item, "when": ALWAYS if when is None else when}
            rule = self._validate(Rule, item, loc, context)
            if rule is not None:
                rules.append((index, rule))
        return rules

    def _condition(self, raw: object, loc: Loc, checker: ConditionChecker) -> Condition | None:
        try:
            return parse_condition(raw, checker)
        except ConditionError as error:
            for where, message in error.problems:
                # Often a consequence of another mistake (a broken question, a renamed id).
                self._add(RANK_MEANING, (*loc, *where), message)
            return None

    def _validate(
        self, model: type[_ModelT], raw: object, loc: Loc, context: dict[str, Any]
    ) -> _ModelT | None:
        try:
            return model.model_validate(raw, context=context)
        except ValidationError as error:
            for details in error.errors():
                self._pydantic_problem(details, loc)
            return None

    def _pydantic_problem(self, details: ErrorDetails, base: Loc) -> None:
        # "texts" and "words" are how Localized and Words store their mappings; the file
        # never says them.
        loc: Loc = (*base, *(part for part in details["loc"] if part not in ("texts", "words")))
        kind = details["type"]
        context = details.get("ctx") or {}
        got = self._describe_input(details.get("input"), loc)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            self._add(RANK_UNKNOWN_KEY, loc, f"unknown key {key!r}{did_you_mean(key, _ALL_KEYS)}")
            return
        if kind == "missing":
            self._add(RANK_SHAPE, loc[:-1], f"missing required key {loc[-1]!r}")
            return
        messages = {
            "string_type": f"expected text, got {got}",
            "int_type": f"expected a whole number, got {got}",
            "int_parsing": f"expected a whole number, got {got}",
            "int_from_float": f"expected a whole number, got {got}",
            "float_type": f"expected a number, got {got}",
            "bool_type": f"expected true or false, got {got}",
            "bool_parsing": f"expected true or false, got {got}",
            "list_type": f"expected a list, got {got}",
            "tuple_type": f"expected a list, got {got}",
            "dict_type": f"expected a mapping (key: value lines), got {got}",
            "model_type": f"expected a mapping (key: value lines), got {got}",
            "model_attributes_type": f"expected a mapping (key: value lines), got {got}",
            "enum": f"must be one of {context.get('expected')}, got {got}",
            "greater_than_equal": f"must be at least {context.get('ge')}, got {got}",
            "less_than_equal": f"must be at most {context.get('le')}, got {got}",
            "too_short": f"needs at least {context.get('min_length')} item(s)",
            "too_long": f"allows at most {context.get('max_length')} item(s)",
        }
        message = messages.get(kind)
        if message is None:
            message = details["msg"].removeprefix("Value error, ")
            message = message[:1].lower() + message[1:]
        self._add(RANK_SHAPE, loc, message)

    def _describe_input(self, value: object, loc: Loc) -> str:
        raw = self.scalars.get(loc)
        if isinstance(value, bool) and raw is not None and raw.lower() in _YAML_BOOL_WORDS:
            return f"{raw} (YAML reads it as {str(value).lower()}; put it in quotes: '{raw}')"
        return describe_value(value)

    # --- cross-checks ---

    def _check_unique_ids(self, key: str, raw_items: list[Any]) -> None:
        """Works on the raw items so a duplicate of a broken item is still found."""
        first_index: dict[str, int] = {}
        what = key.removesuffix("s")
        for index, item in enumerate(raw_items):
            item_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item_id, str):
                continue
            if item_id in first_index:
                line = self._line((key, first_index[item_id], "id"))
                self._add(
                    RANK_MEANING,
                    (key, index, "id"),
                    f"duplicate {what} id {item_id!r} (also on line {line})",
                )
            first_index.setdefault(item_id, index)

    def _check_questions(self, questions: list[tuple[int, Question]]) -> None:
        names: list[int] = []
        phones: list[int] = []
        for index, question in questions:
            if question.role is QuestionRole.NAME:
                names.append(index)
            if question.kind is QuestionKind.PHONE:
                phones.append(index)
        for index in names[1:]:
            line = self._line(("questions", names[0], "role"))
            self._add(
                RANK_MEANING,
                ("questions", index, "role"),
                f"only one question can have role: name (another one is on line {line})",
            )
        for index in phones[1:]:
            line = self._line(("questions", phones[0], "kind"))
            self._add(
                RANK_MEANING,
                ("questions", index, "kind"),
                f"only one phone question is allowed (another one is on line {line})",
            )

    def _check_routing(self, raw: object, known: Mapping[str, Question | None]) -> None:
        if not isinstance(raw, dict):
            return
        options: set[str] = set()
        raw_questions = raw.get("questions")
        for index, question_id in enumerate(
            raw_questions if isinstance(raw_questions, list) else []
        ):
            if not isinstance(question_id, str):
                continue
            loc: Loc = ("routing", "questions", index)
            if question_id not in known:
                hint = did_you_mean(question_id, known)
                self._add(RANK_MEANING, loc, f"unknown question {question_id!r}{hint}")
                continue
            question = known[question_id]
            if question is None:
                continue
            if not question.is_choice:
                self._add(
                    RANK_MEANING,
                    loc,
                    f"question {question_id!r} is {question.kind}; routing needs single or multi",
                )
            options.update(option.id for option in question.options)
        raw_anyone = raw.get("anyone")
        for index, option_id in enumerate(raw_anyone if isinstance(raw_anyone, list) else []):
            if isinstance(option_id, str) and option_id not in options:
                self._add(
                    RANK_MEANING,
                    ("routing", "anyone", index),
                    f"{option_id!r} is not an option of the routing questions"
                    f"{did_you_mean(option_id, options)}",
                )

    # --- reporting ---

    def _add(self, rank: int, loc: Loc, message: str) -> None:
        problem = _Problem(rank, loc, message)
        if problem not in self.problems:
            self.problems.append(problem)

    def _line(self, loc: Loc) -> int:
        """The line of `loc` or of its nearest enclosing key that the file has."""
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)

    def _path(self, loc: Loc) -> str:
        """questions[budget].bands[1].max: list items with an id are named by it."""
        text = ""
        node: object = self.data
        parent: object = None
        for part in loc:
            if isinstance(part, int):
                item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
                label: object = part
                if parent in _ID_LISTS and isinstance(item, dict):
                    item_id = item.get("id")
                    if isinstance(item_id, str) and ID_RE.fullmatch(item_id):
                        label = item_id
                text += f"[{label}]"
                node = item
            else:
                text += f".{part}" if text else str(part)
                node = node.get(part) if isinstance(node, dict) else None
            parent = part
        return text

    def _render(self) -> list[str]:
        ordered = sorted(self.problems, key=lambda p: (p.rank, self._line(p.loc)))
        lines = []
        for problem in ordered:
            path = self._path(problem.loc)
            where = f"{self.source}:{self._line(problem.loc)}: " + (f"{path}: " if path else "")
            lines.append(where + problem.message)
        return lines

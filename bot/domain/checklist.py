"""The qualification checklist: its model and the loader that checks a YAML file.

The loader is the only place in the domain that does I/O. It reports every mistake it
can find as `<file>:<line>: <key path>: <what is wrong>`, because the file is edited by
sales-ops people, not programmers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, TypeVar

import phonenumbers
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.domain.answers import Answer, format_phone
from bot.domain.conditions import (
    ALWAYS,
    MULTI_OPS,
    SINGLE_OPS,
    AnsweredTest,
    Condition,
    ConditionChecker,
    ConditionError,
    Loc,
    NumberTest,
    Test,
    describe_value,
    did_you_mean,
    parse_condition,
)
from bot.domain.yaml_source import YamlFileError, read_text, read_yaml

BUNDLED_CHECKLIST: Path = Path(__file__).resolve().parents[1] / "checklists" / "new_buildings.yaml"

# Question and option ids travel in Telegram callback data (64 bytes in all).
ID_MAX_LENGTH = 20
RULE_ID_MAX_LENGTH = 40
CHECKLIST_ID_MAX_LENGTH = 40
MAX_OPTIONS = 20
MAX_TEXT_LENGTH = 4000

_ID_RE = re.compile(r"[a-z0-9_]+")
_CHECKLIST_ID_RE = re.compile(r"[a-z0-9_-]+")
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
# YAML 1.1 reads these unquoted words as booleans: a classic trap for option ids.
_YAML_BOOL_WORDS = frozenset({"yes", "no", "on", "off", "y", "n"})


class ChecklistError(Exception):
    """The checklist file cannot be used; `problems` holds one human-readable line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems: tuple[str, ...] = tuple(problems)


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    NUMBER = "number"
    TEXT = "text"
    PHONE = "phone"


class PointsMode(StrEnum):
    MAX = "max"
    SUM = "sum"


class QuestionRole(StrEnum):
    NAME = "name"


class Verdict(StrEnum):
    # Defined here because rules carry a verdict; scoring re-exports it.
    TARGET = "target"
    NURTURE = "nurture"
    REJECT = "reject"


def _problem(message: str) -> PydanticCustomError:
    # The message travels in ctx so braces in it ("{ru: ...}") are not taken as placeholders.
    return PydanticCustomError("checklist", "{message}", {"message": message})


def _check_id(value: str, pattern: re.Pattern[str], max_length: int, allowed: str) -> str:
    if not pattern.fullmatch(value):
        raise _problem(f"{value!r} is not a valid id: use only {allowed}")
    if len(value) > max_length:
        raise _problem(f"{value!r} is too long: at most {max_length} characters ({len(value)})")
    return value


_SIMPLE_ID = "lowercase latin letters, digits and _"


class Localized(BaseModel):
    """One text in every language of the checklist, e.g. {ru: "...", en: "..."}.

    The loader orders `texts` as the checklist's `languages`, so the first text is in
    the checklist's first language: that is the fallback of `get`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    texts: dict[StrictStr, StrictStr]

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        # YAML writes the texts directly ({ru: .., en: ..}); code may pass texts=...
        if isinstance(data, Mapping):
            if set(data) == {"texts"} and isinstance(data["texts"], Mapping):
                return data
            return {"texts": data}
        raise _problem(
            f"expected the text in each language, like {{ru: ..., en: ...}}, "
            f"got {describe_value(data)}"
        )

    @field_validator("texts")
    @classmethod
    def _all_languages(cls, texts: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        context = info.context if isinstance(info.context, Mapping) else {}
        languages: tuple[str, ...] | None = context.get("languages")
        if not languages:
            return texts
        problems = [f"missing the {lang!r} text" for lang in languages if lang not in texts]
        problems += [
            f"unknown language {lang!r}{did_you_mean(lang, languages)}"
            for lang in texts
            if lang not in languages
        ]
        problems += [
            f"the {lang!r} text is empty" for lang, text in texts.items() if not text.strip()
        ]
        if problems:
            raise _problem("; ".join(problems))
        return {lang: texts[lang] for lang in languages}

    def get(self, lang: str) -> str:
        """The text in `lang`, else in the checklist's first language, else any."""
        if lang in self.texts:
            return self.texts[lang]
        return next(iter(self.texts.values()), "")

    def __hash__(self) -> int:
        return hash(tuple(self.texts.items()))


def _condition_from_yaml(value: Any) -> Any:
    # Lets code build models from plain mappings; the loader passes parsed conditions.
    return parse_condition(value) if isinstance(value, Mapping) else value


When = Annotated[Condition, BeforeValidator(_condition_from_yaml)]

_MODEL = ConfigDict(frozen=True, extra="forbid")


class Option(BaseModel):
    model_config = _MODEL
    id: StrictStr
    text: Localized
    short: Localized | None = None
    points: StrictInt = 0

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value, _ID_RE, ID_MAX_LENGTH, _SIMPLE_ID)

    def label(self, lang: str) -> str:
        return self.text.get(lang)

    def short_label(self, lang: str) -> str:
        return (self.short or self.text).get(lang)


class Band(BaseModel):
    """Points for a number answer in [min, max); no max means no upper bound."""

    model_config = _MODEL
    min: StrictInt
    max: StrictInt | None = None
    points: StrictInt

    def contains(self, value: int) -> bool:
        return value >= self.min and (self.max is None or value < self.max)

    def describe(self) -> str:
        return f"from {self.min}" + ("" if self.max is None else f" to {self.max}")


class Question(BaseModel):
    model_config = _MODEL
    id: StrictStr
    kind: QuestionKind
    text: Localized
    hint: Localized | None = None
    optional: StrictBool = False
    when: When | None = None
    # single / multi
    options: tuple[Option, ...] = ()
    points_mode: PointsMode = PointsMode.MAX
    min_selected: StrictInt = Field(default=1, ge=1)
    # number
    min: StrictInt | None = None
    max: StrictInt | None = None
    unit: Localized | None = None
    bands: tuple[Band, ...] = ()
    # text
    max_length: StrictInt = Field(default=200, ge=1, le=MAX_TEXT_LENGTH)
    role: QuestionRole | None = None
    # text / phone: points just for answering
    points: StrictInt = 0

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value, _ID_RE, ID_MAX_LENGTH, _SIMPLE_ID)

    @property
    def is_choice(self) -> bool:
        return self.kind in (QuestionKind.SINGLE, QuestionKind.MULTI)

    def option(self, option_id: str) -> Option:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)


class Rule(BaseModel):
    model_config = _MODEL
    id: StrictStr
    when: When
    verdict: Verdict
    reason: Localized
    message: Localized | None = None
    follow_up_days: StrictInt | None = Field(default=None, ge=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value, _ID_RE, RULE_ID_MAX_LENGTH, _SIMPLE_ID)


class Scoring(BaseModel):
    model_config = _MODEL
    target: StrictInt
    nurture: StrictInt
    follow_up_days: StrictInt = Field(default=30, ge=1)


class Routing(BaseModel):
    """Which answers decide the sales managers a target lead can go to."""

    model_config = _MODEL
    # Choice questions whose option ids managers cover (e.g. project, district).
    questions: tuple[StrictStr, ...] = ()
    # Option ids that any manager may take (e.g. "not decided yet").
    anyone: tuple[StrictStr, ...] = ()


class Checklist(BaseModel):
    model_config = _MODEL
    id: StrictStr
    version: StrictInt = Field(ge=1)
    languages: tuple[StrictStr, ...] = Field(min_length=1)
    phone_region: StrictStr
    staff_title: tuple[StrictStr, ...] = ()
    scoring: Scoring
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...] = ()
    routing: Routing = Routing()
    # Set by load_checklist, never read from the file.
    source_path: Path | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        allowed = "lowercase latin letters, digits, _ and -"
        return _check_id(value, _CHECKLIST_ID_RE, CHECKLIST_ID_MAX_LENGTH, allowed)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for lang in value:
            if not _LANGUAGE_RE.fullmatch(lang):
                raise _problem(f"{lang!r} is not a language code like ru or en")
        duplicates = sorted({lang for lang in value if value.count(lang) > 1})
        if duplicates:
            raise _problem(f"{', '.join(duplicates)} listed more than once")
        return value

    @field_validator("phone_region")
    @classmethod
    def _phone_region(cls, value: str) -> str:
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise _problem(f"{value!r} is not a country code like RU, KZ or GB (capital letters)")
        return value

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def name_question(self) -> Question | None:
        return next((q for q in self.questions if q.role is QuestionRole.NAME), None)

    @property
    def phone_question(self) -> Question | None:
        return next((q for q in self.questions if q.kind is QuestionKind.PHONE), None)

    def routing_values(self) -> dict[str, Option]:
        """Every option id a manager can cover, with its option."""
        return {
            option.id: option
            for question_id in self.routing.questions
            for option in self.question(question_id).options
        }

    def routing_wanted(self, answers: Mapping[str, Answer | None]) -> dict[str, frozenset[str]]:
        """Routing question id → the option ids the lead chose that narrow the managers."""
        wanted: dict[str, frozenset[str]] = {}
        for question_id in self.routing.questions:
            value = answers.get(question_id)
            chosen = (value,) if isinstance(value, str) else value
            if isinstance(chosen, tuple):
                narrowing = frozenset(chosen) - set(self.routing.anyone)
                if narrowing:
                    wanted[question_id] = narrowing
        return wanted


# --- showing answers ----------------------------------------------------------------------

THIN_SPACE = "\u2009"
NO_BREAK_SPACE = "\u00a0"


def format_amount(value: int) -> str:
    """8500000 → "8 500 000" with thin spaces, the way Russian typography groups digits."""
    return f"{value:,}".replace(",", THIN_SPACE)


def describe_answer(question: Question, answer: Answer | None, lang: str) -> str | None:
    """An answer as people read it; None when skipped or not given."""
    if answer is None:
        return None
    if isinstance(answer, tuple):
        return ", ".join(_option_label(question, option_id, lang) for option_id in answer)
    if isinstance(answer, int):
        amount = format_amount(answer)
        # A no-break space keeps the unit on the amount's line.
        return f"{amount}{NO_BREAK_SPACE}{question.unit.get(lang)}" if question.unit else amount
    if question.is_choice:
        return _option_label(question, answer, lang)
    if question.kind is QuestionKind.PHONE:
        return format_phone(answer)
    return str(answer)


def _option_label(question: Question, option_id: str, lang: str) -> str:
    try:
        return question.option(option_id).label(lang)
    except KeyError:
        # An answer stored under an older checklist version: show what we have.
        return option_id


# --- loading ------------------------------------------------------------------------------


def load_checklist(path: Path = BUNDLED_CHECKLIST) -> Checklist:
    try:
        text = read_text(path)
    except YamlFileError as error:
        raise ChecklistError([error.message]) from None
    return _Loader(text, str(path), path).load()


def parse_checklist(text: str, source: str) -> Checklist:
    """Checks and builds a checklist from YAML text; `source` names it in messages."""
    return _Loader(text, source, None).load()


# How a problem sorts: the likely cause of the others comes first.
_RANK_YAML = 0
_RANK_UNKNOWN_KEY = 1
_RANK_SHAPE = 2
_RANK_MEANING = 3

_ALL_KEYS = frozenset(
    key
    for model in (Checklist, Scoring, Question, Option, Band, Rule)
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
class _ConditionChecker:
    """Checks what a condition refers to: `known` are the questions it may use."""

    known: Mapping[str, Question | None]  # None: the question itself failed to load
    all_ids: frozenset[str]
    own_id: object = None

    def question_problem(self, question_id: str) -> str | None:
        if question_id == self.own_id:
            return "a question cannot depend on its own answer"
        if question_id in self.known:
            return None
        if question_id in self.all_ids:
            return (
                f"question {question_id!r} comes later; a question can only depend on "
                "answers to earlier questions"
            )
        return f"unknown question {question_id!r}{did_you_mean(question_id, self.known)}"

    def test_problem(self, test: Test) -> str | None:
        question = self.known.get(test.question)
        if question is None or isinstance(test, AnsweredTest):
            return None
        kind = question.kind
        if isinstance(test, NumberTest):
            if kind is QuestionKind.NUMBER:
                return None
            hint = " (match option ids instead)" if question.is_choice else ""
            return (
                f"{test.question!r} is a {kind} question: numbers can only be compared "
                f"with a number question's answer{hint}"
            )
        if kind is QuestionKind.NUMBER:
            return f"{test.question!r} is a number question: use lt, lte, gt, gte, eq or answered"
        if not question.is_choice:
            return f"{test.question!r} is a {kind} question: only 'answered' applies"
        if kind is QuestionKind.SINGLE and test.op not in SINGLE_OPS:
            return (
                f"'{test.op}' is for multi questions; {test.question!r} is single: use in or not_in"
            )
        if kind is QuestionKind.MULTI and test.op not in MULTI_OPS:
            return (
                f"'{test.op}' is for single questions; {test.question!r} is multi: "
                "use includes, includes_any, includes_all or excludes"
            )
        option_ids = [option.id for option in question.options]
        unknown = [option_id for option_id in test.options if option_id not in option_ids]
        if unknown:
            return (
                f"{test.question!r} has no option {', '.join(map(repr, unknown))}"
                f"{did_you_mean(unknown[0], option_ids)}; its options: {', '.join(option_ids)}"
            )
        return None


@dataclass
class _Loader:
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
                        _RANK_YAML,
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
            self._add(_RANK_UNKNOWN_KEY, ("source_path",), "unknown key 'source_path'")
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
                _RANK_MEANING,
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
                        _RANK_MEANING,
                        ("staff_title", index),
                        f"unknown question {question_id!r}{did_you_mean(question_id, known)}",
                    )
        return checklist

    def _languages(self, raw: object) -> tuple[str, ...] | None:
        """The languages every text must have, if the list is usable (else reported later)."""
        if not isinstance(raw, list) or not raw:
            return None
        if not all(isinstance(lang, str) and _LANGUAGE_RE.fullmatch(lang) for lang in raw):
            return None
        return tuple(dict.fromkeys(raw))

    def _questions(
        self, raw_questions: list[Any], context: dict[str, Any]
    ) -> tuple[list[tuple[int, Question]], dict[str, Question | None]]:
        if not raw_questions:
            self._add(_RANK_SHAPE, ("questions",), "add at least one question")
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
            if isinstance(item, dict) and "when" in item:
                checker = _ConditionChecker(known, all_ids, own_id)
                item = {**item, "when": self._condition(item["when"], (*loc, "when"), checker)}
            question = self._validate(Question, item, loc, context)
            if question is not None:
                self._check_question(question, loc)
                questions.append((index, question))
            if isinstance(own_id, str):
                known.setdefault(own_id, question)
        return questions, known

    def _rules(
        self, raw_rules: list[Any], known: Mapping[str, Question | None], context: dict[str, Any]
    ) -> list[tuple[int, Rule]]:
        # Rules look at the finished questionnaire: any question will do.
        checker = _ConditionChecker(known, frozenset(known))
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
                self._add(_RANK_MEANING, (*loc, *where), message)
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
        # "texts" is how Localized stores its mapping; the file never says it.
        loc: Loc = (*base, *(part for part in details["loc"] if part != "texts"))
        kind = details["type"]
        context = details.get("ctx") or {}
        got = self._describe_input(details.get("input"), loc)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            self._add(_RANK_UNKNOWN_KEY, loc, f"unknown key {key!r}{did_you_mean(key, _ALL_KEYS)}")
            return
        if kind == "missing":
            self._add(_RANK_SHAPE, loc[:-1], f"missing required key {loc[-1]!r}")
            return
        messages = {
            "string_type": f"expected text, got {got}",
            "int_type": f"expected a whole number, got {got}",
            "int_parsing": f"expected a whole number, got {got}",
            "int_from_float": f"expected a whole number, got {got}",
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
        self._add(_RANK_SHAPE, loc, message)

    def _describe_input(self, value: object, loc: Loc) -> str:
        raw = self.scalars.get(loc)
        if isinstance(value, bool) and raw is not None and raw.lower() in _YAML_BOOL_WORDS:
            return f"{raw} (YAML reads it as {str(value).lower()}; put it in quotes: '{raw}')"
        return describe_value(value)

    # --- cross-checks ---

    def _check_question(self, question: Question, loc: Loc) -> None:
        given = question.model_fields_set
        kind = question.kind

        def only_for(key: str, kinds: str) -> None:
            if key in given:
                self._add(
                    _RANK_MEANING, (*loc, key), f"{key!r} is only for {kinds} questions, not {kind}"
                )

        if question.is_choice:
            self._check_options(question, loc)
        else:
            only_for("options", "single and multi")
        if kind is not QuestionKind.MULTI:
            only_for("points_mode", "multi")
            only_for("min_selected", "multi")
        elif question.options and question.min_selected > len(question.options):
            self._add(
                _RANK_MEANING,
                (*loc, "min_selected"),
                f"min_selected is {question.min_selected} but there are only "
                f"{len(question.options)} options",
            )
        if kind is QuestionKind.NUMBER:
            self._check_number(question, loc)
        else:
            for key in ("min", "max", "unit", "bands"):
                only_for(key, "number")
        if kind is not QuestionKind.TEXT:
            only_for("max_length", "text")
            only_for("role", "text")
        if question.is_choice and "points" in given:
            self._add(
                _RANK_MEANING,
                (*loc, "points"),
                f"a {kind} question gets its points from its options: put points on them",
            )
        elif kind is QuestionKind.NUMBER and "points" in given:
            self._add(
                _RANK_MEANING,
                (*loc, "points"),
                "a number question gets its points from its bands: put points on them",
            )

    def _check_options(self, question: Question, loc: Loc) -> None:
        count = len(question.options)
        if count < 2:
            where = (*loc, "options") if "options" in question.model_fields_set else loc
            self._add(
                _RANK_MEANING,
                where,
                f"a {question.kind} question needs options: 2 to {MAX_OPTIONS} (has {count})",
            )
        elif count > MAX_OPTIONS:
            self._add(
                _RANK_MEANING,
                (*loc, "options"),
                f"too many options: at most {MAX_OPTIONS} (has {count})",
            )
        seen: dict[str, int] = {}
        for index, option in enumerate(question.options):
            if option.id in seen:
                first = self._line((*loc, "options", seen[option.id], "id"))
                self._add(
                    _RANK_MEANING,
                    (*loc, "options", index, "id"),
                    f"duplicate option id {option.id!r} (also on line {first})",
                )
            seen.setdefault(option.id, index)

    def _check_number(self, question: Question, loc: Loc) -> None:
        low, high = question.min, question.max
        if low is not None and high is not None and low > high:
            self._add(_RANK_MEANING, (*loc, "min"), f"min ({low}) is greater than max ({high})")
            return
        for index, band in enumerate(question.bands):
            band_loc = (*loc, "bands", index)
            if band.max is not None and band.min >= band.max:
                self._add(
                    _RANK_MEANING,
                    band_loc,
                    f"band min ({band.min}) must be less than its max ({band.max})",
                )
            elif (high is not None and band.min > high) or (
                low is not None and band.max is not None and band.max <= low
            ):
                self._add(
                    _RANK_MEANING,
                    band_loc,
                    f"band {band.describe()} is outside the question's min..max "
                    f"({'' if low is None else low}..{'' if high is None else high}): "
                    "no answer can get its points",
                )
        ordered = sorted(enumerate(question.bands), key=lambda pair: pair[1].min)
        for (earlier_index, earlier), (index, band) in pairwise(ordered):
            if earlier.max is None or earlier.max > band.min:
                line = self._line((*loc, "bands", earlier_index))
                self._add(
                    _RANK_MEANING,
                    (*loc, "bands", index),
                    f"band {band.describe()} overlaps band {earlier.describe()} (line {line}); "
                    "a band covers min up to but not including max",
                )

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
                    _RANK_MEANING,
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
                _RANK_MEANING,
                ("questions", index, "role"),
                f"only one question can have role: name (another one is on line {line})",
            )
        for index in phones[1:]:
            line = self._line(("questions", phones[0], "kind"))
            self._add(
                _RANK_MEANING,
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
                self._add(_RANK_MEANING, loc, f"unknown question {question_id!r}{hint}")
                continue
            question = known[question_id]
            if question is None:
                continue
            if not question.is_choice:
                self._add(
                    _RANK_MEANING,
                    loc,
                    f"question {question_id!r} is {question.kind}; routing needs single or multi",
                )
            options.update(option.id for option in question.options)
        raw_anyone = raw.get("anyone")
        for index, option_id in enumerate(raw_anyone if isinstance(raw_anyone, list) else []):
            if isinstance(option_id, str) and option_id not in options:
                self._add(
                    _RANK_MEANING,
                    ("routing", "anyone", index),
                    f"{option_id!r} is not an option of the routing questions"
                    f"{did_you_mean(option_id, options)}",
                )

    def _check_rules(self, rules: list[tuple[int, Rule]]) -> None:
        for index, rule in rules:
            if rule.follow_up_days is not None and rule.verdict is not Verdict.NURTURE:
                self._add(
                    _RANK_MEANING,
                    ("rules", index, "follow_up_days"),
                    f"follow_up_days is only for nurture rules, this one is {rule.verdict}",
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
                    if isinstance(item_id, str) and _ID_RE.fullmatch(item_id):
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

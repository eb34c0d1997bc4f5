"""The qualification checklist: its model, and how an answer is shown. Loading a file
is in bot/domain/checklist_file.py."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)
from pydantic_core import PydanticCustomError

from bot.domain.answers import Answer, format_phone
from bot.domain.checklist_text import Localized as Localized
from bot.domain.conditions import (
    Condition,
    parse_condition,
)
from bot.domain.wording import Wording

BUNDLED_CHECKLIST: Path = Path(__file__).resolve().parents[1] / "checklists" / "new_buildings.yaml"

# Question and option ids travel in Telegram callback data (64 bytes in all).
ID_MAX_LENGTH = 20
RULE_ID_MAX_LENGTH = 40
CHECKLIST_ID_MAX_LENGTH = 40
MAX_OPTIONS = 20
MAX_TEXT_LENGTH = 4000

ID_RE = re.compile(r"[a-z0-9_]+")
_CHECKLIST_ID_RE = re.compile(r"[a-z0-9_-]+")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


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
        return _check_id(value, ID_RE, ID_MAX_LENGTH, _SIMPLE_ID)

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
        return _check_id(value, ID_RE, ID_MAX_LENGTH, _SIMPLE_ID)

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
        return _check_id(value, ID_RE, RULE_ID_MAX_LENGTH, _SIMPLE_ID)


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
    wording: Wording = Wording()
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
            if not LANGUAGE_RE.fullmatch(lang):
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

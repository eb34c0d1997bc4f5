"""The qualification checklist: its model, and how an answer is shown. Loading a file
is in bot/domain/checklist_file.py."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from babel import UnknownLocaleError
from babel.dates import format_date
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.domain.answers import Answer, format_phone
from bot.domain.checklist_text import Localized as Localized
from bot.domain.conditions import (
    Condition,
    describe_value,
    did_you_mean,
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
    DATE = "date"
    EMAIL = "email"
    MEDIA = "media"


class MediaKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


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


def _number(value: Any) -> Any:
    # One clear message instead of one per member of int | float.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _problem(f"expected a number, got {describe_value(value)}")
    return value


# A number in the file: whole, or with decimals where a question allows them.
Number = Annotated[int | float, BeforeValidator(_number)]
MAX_DECIMALS = 6


class Words(BaseModel):
    """Lists of words per language ({ru: [двушка], en: [two-bed]}); any language may be
    left out, but every language named must be one of the checklist's."""

    model_config = _MODEL
    words: dict[StrictStr, tuple[StrictStr, ...]]

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            if set(data) == {"words"} and isinstance(data["words"], Mapping):
                return data
            return {"words": data}
        raise _problem(
            f"expected lists of words per language, like {{ru: [...], en: [...]}}, "
            f"got {describe_value(data)}"
        )

    @field_validator("words")
    @classmethod
    def _languages(
        cls, words: dict[str, tuple[str, ...]], info: ValidationInfo
    ) -> dict[str, tuple[str, ...]]:
        context = info.context if isinstance(info.context, Mapping) else {}
        languages: tuple[str, ...] | None = context.get("languages")
        problems = []
        if languages:
            problems += [
                f"unknown language {lang!r}{did_you_mean(lang, languages)}"
                for lang in words
                if lang not in languages
            ]
        problems += [
            f"the {lang!r} list has an empty word"
            for lang, items in words.items()
            if any(not item.strip() for item in items)
        ]
        if problems:
            raise _problem("; ".join(problems))
        return words

    def all(self) -> tuple[str, ...]:
        """Every word in every language, in the file's order."""
        return tuple(word for items in self.words.values() for word in items)


class Option(BaseModel):
    model_config = _MODEL
    id: StrictStr
    text: Localized
    short: Localized | None = None
    points: StrictInt = 0
    # More words that mean this option when typed, per language.
    synonyms: Words | None = None
    # Shown and accepted only when earlier answers match.
    when: When | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value, ID_RE, ID_MAX_LENGTH, _SIMPLE_ID)

    def label(self, lang: str) -> str:
        return self.text.get(lang)

    def short_label(self, lang: str) -> str:
        return (self.short or self.text).get(lang)

    def words(self) -> tuple[str, ...]:
        """Everything that may name this option when typed: labels in every language,
        synonyms and the id."""
        texts = [*self.text.texts.values()]
        if self.short is not None:
            texts += self.short.texts.values()
        if self.synonyms is not None:
            texts += self.synonyms.all()
        return (*dict.fromkeys(texts), self.id)


class Band(BaseModel):
    """Points for a number answer in [min, max); no max means no upper bound."""

    model_config = _MODEL
    min: Number
    max: Number | None = None
    points: StrictInt

    def contains(self, value: int | float) -> bool:
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
    max_selected: StrictInt | None = Field(default=None, ge=1)
    # number
    min: Number | None = None
    max: Number | None = None
    decimals: StrictInt = Field(default=0, ge=0, le=MAX_DECIMALS)
    unit: Localized | None = None
    unit_words: Words | None = None
    example: Number | None = None
    bands: tuple[Band, ...] = ()
    # date: the allowed range in days from today (negative: in the past)
    min_days: StrictInt | None = None
    max_days: StrictInt | None = None
    # media
    accept: tuple[MediaKind, ...] = (MediaKind.PHOTO, MediaKind.DOCUMENT)
    # text
    max_length: StrictInt = Field(default=200, ge=1, le=MAX_TEXT_LENGTH)
    role: QuestionRole | None = None
    # text / phone / date / email / media: points just for answering
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
    """Either decides the verdict (`verdict`) or adds to the score (`points`)."""

    model_config = _MODEL
    id: StrictStr
    when: When
    verdict: Verdict | None = None
    points: StrictInt | None = None
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


# The decimal mark per language; languages not listed use a point.
_DECIMAL_MARKS = {"ru": ",", "uk": ",", "be": ",", "kk": ",", "de": ",", "fr": ",", "es": ","}
# Babel's locale for a long date: British English writes "15 March 2027".
_DATE_LOCALES = {"en": "en_GB"}
# What the views put after the media mark when no words are given ("📷 photo").
MEDIA_MARKS = {MediaKind.PHOTO: "📷", MediaKind.DOCUMENT: "📄"}


def format_number(value: int | float, decimals: int, lang: str) -> str:
    """1.6 → "1,6" in Russian, "1.6" in English; whole numbers as format_amount."""
    if isinstance(value, int) or decimals == 0:
        return format_amount(round(value))
    whole, _, fraction = f"{value:,.{decimals}f}".partition(".")
    mark = _DECIMAL_MARKS.get(lang.split("-")[0], ".")
    return whole.replace(",", THIN_SPACE) + mark + fraction


def format_long_date(value: date, lang: str) -> str:
    """ "15 марта 2027 г." / "15 March 2027"."""
    locale = _DATE_LOCALES.get(lang, lang)
    try:
        return format_date(value, format="long", locale=locale)
    except (UnknownLocaleError, ValueError):
        return format_date(value, format="long", locale="en_GB")


def media_parts(answer: str) -> tuple[MediaKind, str] | None:
    """ "photo:<file_id>" → (PHOTO, file id); None for anything else."""
    kind, _, file_id = answer.partition(":")
    if kind not in tuple(MediaKind) or not file_id:
        return None
    return MediaKind(kind), file_id


def describe_answer(
    question: Question,
    answer: Answer | None,
    lang: str,
    *,
    media_words: Mapping[MediaKind, str] | None = None,
) -> str | None:
    """An answer as people read it; None when skipped or not given.

    A media answer reads as its mark and the word the caller gives for it ("📷 photo");
    the words come from the catalogs, which the domain does not read.
    """
    if answer is None:
        return None
    if isinstance(answer, tuple):
        return ", ".join(_option_label(question, option_id, lang) for option_id in answer)
    if isinstance(answer, int | float):
        amount = format_number(answer, question.decimals, lang)
        # A no-break space keeps the unit on the amount's line.
        return f"{amount}{NO_BREAK_SPACE}{question.unit.get(lang)}" if question.unit else amount
    if question.is_choice:
        return _option_label(question, answer, lang)
    if question.kind is QuestionKind.PHONE:
        return format_phone(answer)
    if question.kind is QuestionKind.DATE:
        try:
            return format_long_date(date.fromisoformat(answer), lang)
        except ValueError:
            return answer
    if question.kind is QuestionKind.MEDIA:
        parts = media_parts(answer)
        if parts is None:
            return answer
        mark = MEDIA_MARKS[parts[0]]
        word = (media_words or {}).get(parts[0])
        return mark if word is None else f"{mark} {word}"
    return str(answer)


def _option_label(question: Question, option_id: str, lang: str) -> str:
    try:
        return question.option(option_id).label(lang)
    except KeyError:
        # An answer stored under an older checklist version: show what we have.
        return option_id

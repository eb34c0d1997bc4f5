"""The condition language of `when` and rules: parsing the YAML mapping and matching answers.

A condition is a mapping whose entries must all hold. An entry is either a question id
with a matcher, or one of the keys `any: [cond, ...]`, `all: [cond, ...]`, `not: cond`:

    {purpose: rent}                      single: equals; multi: includes
    {purpose: [rent, other]}             single: one of; multi: includes any
    {purpose: {in: [...]}} / not_in      single only
    {payment: {includes: x}} / includes_any / includes_all / excludes   multi only
    {budget: {lt: 5000000}} / lte, gt, gte, eq (all given must hold); {budget: 5000000} = eq
    {drive_date: {lt: 2027-01-01}}       date: the same matchers with a date (ISO text too)
    {phone: {answered: true}}            any kind

An unanswered or skipped question makes every matcher false except `answered: false`.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict

from bot.domain.answers import Answers

_FROZEN = ConfigDict(frozen=True, extra="forbid")

# Where a problem is, relative to the condition: keys and list indexes, like pydantic's loc.
Loc: TypeAlias = tuple[str | int, ...]


class ChoiceOp(StrEnum):
    IS = "is"  # the shorthand {qid: x} / {qid: [x, y]}
    IN = "in"
    NOT_IN = "not_in"
    INCLUDES = "includes"
    INCLUDES_ANY = "includes_any"
    INCLUDES_ALL = "includes_all"
    EXCLUDES = "excludes"


class NumberOp(StrEnum):
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    EQ = "eq"


SINGLE_OPS = frozenset({ChoiceOp.IS, ChoiceOp.IN, ChoiceOp.NOT_IN})
MULTI_OPS = frozenset(
    {
        ChoiceOp.IS,
        ChoiceOp.INCLUDES,
        ChoiceOp.INCLUDES_ANY,
        ChoiceOp.INCLUDES_ALL,
        ChoiceOp.EXCLUDES,
    }
)


class ChoiceTest(BaseModel):
    """A test on a single/multi answer; `includes`/`excludes` keep their one id in a tuple."""

    model_config = _FROZEN
    question: str
    op: ChoiceOp
    options: tuple[str, ...]


class NumberTest(BaseModel):
    model_config = _FROZEN
    question: str
    op: NumberOp
    value: int | float


class DateTest(BaseModel):
    """A comparison of a date answer (ISO text) with an ISO date."""

    model_config = _FROZEN
    question: str
    op: NumberOp
    value: str


class AnsweredTest(BaseModel):
    model_config = _FROZEN
    question: str
    answered: bool


class AllOf(BaseModel):
    model_config = _FROZEN
    items: tuple[Condition, ...]


class AnyOf(BaseModel):
    model_config = _FROZEN
    items: tuple[Condition, ...]


class Not(BaseModel):
    model_config = _FROZEN
    item: Condition


Test: TypeAlias = ChoiceTest | NumberTest | DateTest | AnsweredTest
Condition: TypeAlias = ChoiceTest | NumberTest | DateTest | AnsweredTest | AllOf | AnyOf | Not

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()

ALWAYS: Condition = AllOf(items=())


# Numbers (int promotes to float) or ISO date texts.
_Ordered = TypeVar("_Ordered", float, str)


# --- matching -----------------------------------------------------------------------------


def matches(condition: Condition, answers: Answers) -> bool:
    if isinstance(condition, AllOf):
        return all(matches(item, answers) for item in condition.items)
    if isinstance(condition, AnyOf):
        return any(matches(item, answers) for item in condition.items)
    if isinstance(condition, Not):
        return not matches(condition.item, answers)
    answer = answers.get(condition.question)
    if isinstance(condition, AnsweredTest):
        return (answer is not None) is condition.answered
    if answer is None:
        return False
    if isinstance(condition, NumberTest):
        # bool is an int to Python, but never a number answer.
        if not isinstance(answer, int | float) or isinstance(answer, bool):
            return False
        return _compare(condition.op, answer, condition.value)
    if isinstance(condition, DateTest):
        if not isinstance(answer, str) or iso_date(answer) is None:
            return False
        # ISO dates (YYYY-MM-DD) compare as text in date order.
        return _compare(condition.op, answer, condition.value)
    return _choose(condition, answer)


def _compare(op: NumberOp, answer: _Ordered, value: _Ordered) -> bool:
    match op:
        case NumberOp.LT:
            return answer < value
        case NumberOp.LTE:
            return answer <= value
        case NumberOp.GT:
            return answer > value
        case NumberOp.GTE:
            return answer >= value
        case NumberOp.EQ:
            return answer == value


def iso_date(value: object) -> str | None:
    """A YAML date or an ISO date text as "2027-03-15"; None for anything else."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat() if len(value) == 10 else None
        except ValueError:
            return None
    return None


def _choose(test: ChoiceTest, answer: object) -> bool:
    wanted = test.options
    if isinstance(answer, str):  # single
        match test.op:
            case ChoiceOp.IS | ChoiceOp.IN:
                return answer in wanted
            case ChoiceOp.NOT_IN:
                return answer not in wanted
            case _:
                return False
    if isinstance(answer, tuple):  # multi
        match test.op:
            case ChoiceOp.IS | ChoiceOp.INCLUDES | ChoiceOp.INCLUDES_ANY:
                return any(option in answer for option in wanted)
            case ChoiceOp.INCLUDES_ALL:
                return all(option in answer for option in wanted)
            case ChoiceOp.EXCLUDES:
                return not any(option in answer for option in wanted)
            case _:
                return False
    return False


def referenced_questions(condition: Condition) -> frozenset[str]:
    """Every question id the condition looks at."""
    if isinstance(condition, AllOf | AnyOf):
        return frozenset[str]().union(*(referenced_questions(item) for item in condition.items))
    if isinstance(condition, Not):
        return referenced_questions(condition.item)
    return frozenset({condition.question})


# --- parsing ------------------------------------------------------------------------------


class ConditionChecker(Protocol):
    """What the checklist knows about questions, to check references while parsing."""

    def question_problem(self, question_id: str) -> str | None: ...

    def test_problem(self, test: Test) -> str | None: ...


class ConditionError(ValueError):
    """Every problem found in a condition, each with where it is inside the condition."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__(
            "; ".join(
                f"{'.'.join(str(part) for part in loc)}: {message}" if loc else message
                for loc, message in problems
            )
        )
        self.problems = tuple(problems)


_CHOICE_MATCHERS = {op.value: op for op in ChoiceOp if op is not ChoiceOp.IS}
_NUMBER_MATCHERS = {op.value: op for op in NumberOp}
_MATCHERS = (*_CHOICE_MATCHERS, *_NUMBER_MATCHERS, "answered")
# Matchers that take one option id rather than a list.
_ONE_OPTION = frozenset({ChoiceOp.INCLUDES, ChoiceOp.EXCLUDES})


def parse_condition(raw: object, checker: ConditionChecker | None = None) -> Condition:
    """Builds a condition from its YAML form; raises ConditionError listing every problem."""
    parser = _Parser(checker)
    condition = parser.condition(raw, ())
    if parser.problems:
        raise ConditionError(parser.problems)
    return condition


def describe_value(value: object) -> str:
    """How a YAML value reads in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def did_you_mean(word: str, candidates: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Parser:
    def __init__(self, checker: ConditionChecker | None) -> None:
        self.checker = checker
        self.problems: list[tuple[Loc, str]] = []

    def problem(self, loc: Loc, message: str) -> None:
        self.problems.append((loc, message))

    def condition(self, raw: object, loc: Loc) -> Condition:
        if not isinstance(raw, Mapping):
            self.problem(
                loc,
                f"a condition must be a mapping like {{purpose: live}}, got {describe_value(raw)}",
            )
            return ALWAYS
        if not raw:
            self.problem(loc, "empty condition: say which answers it needs, like {purpose: live}")
            return ALWAYS
        items: list[Condition] = []
        for key, value in raw.items():
            if not isinstance(key, str):
                self.problem(loc, f"condition keys are question ids, got {describe_value(key)}")
                continue
            if key in ("any", "all"):
                items.append(self.group(key, value, (*loc, key)))
            elif key == "not":
                items.append(Not(item=self.condition(value, (*loc, key))))
            else:
                items.extend(self.question(key, value, (*loc, key)))
        return items[0] if len(items) == 1 else AllOf(items=tuple(items))

    def group(self, key: str, raw: object, loc: Loc) -> Condition:
        if not isinstance(raw, list) or not raw:
            self.problem(loc, f"'{key}' needs a non-empty list of conditions")
            return ALWAYS
        items = tuple(self.condition(item, (*loc, index)) for index, item in enumerate(raw))
        return AnyOf(items=items) if key == "any" else AllOf(items=items)

    def question(self, question_id: str, raw: object, loc: Loc) -> list[Condition]:
        known = True
        if self.checker is not None:
            problem = self.checker.question_problem(question_id)
            if problem is not None:
                self.problem(loc, problem)
                known = False
        tests = self.tests(question_id, raw, loc)
        if known and self.checker is not None:
            for test_loc, test in tests:
                problem = self.checker.test_problem(test)
                if problem is not None:
                    self.problem(test_loc, problem)
        return [test for _, test in tests]

    def tests(self, question_id: str, raw: object, loc: Loc) -> list[tuple[Loc, Test]]:
        if isinstance(raw, str):
            return [(loc, ChoiceTest(question=question_id, op=ChoiceOp.IS, options=(raw,)))]
        if isinstance(raw, list):
            options = self.option_ids(raw, loc)
            if options is None:
                return []
            return [(loc, ChoiceTest(question=question_id, op=ChoiceOp.IS, options=options))]
        if _is_number(raw):
            assert isinstance(raw, int | float)
            return [(loc, NumberTest(question=question_id, op=NumberOp.EQ, value=raw))]
        if isinstance(raw, date) and (day := iso_date(raw)) is not None:
            return [(loc, DateTest(question=question_id, op=NumberOp.EQ, value=day))]
        if not isinstance(raw, Mapping):
            self.problem(
                loc,
                f"expected an option id, a list of option ids or matchers like {{lt: 5000000}}, "
                f"got {describe_value(raw)}",
            )
            return []
        if not raw:
            self.problem(loc, "no matcher given (e.g. {in: [...]}, {lt: ...}, {answered: true})")
            return []
        tests: list[tuple[Loc, Test]] = []
        for name, value in raw.items():
            test = self.matcher(question_id, name, value, (*loc, str(name)))
            if test is not None:
                tests.append(((*loc, str(name)), test))
        return tests

    def matcher(self, question_id: str, name: object, value: object, loc: Loc) -> Test | None:
        if name == "answered":
            if not isinstance(value, bool):
                self.problem(loc, f"'answered' takes true or false, got {describe_value(value)}")
                return None
            return AnsweredTest(question=question_id, answered=value)
        if isinstance(name, str) and name in _NUMBER_MATCHERS:
            day = iso_date(value)
            if day is not None:
                return DateTest(question=question_id, op=_NUMBER_MATCHERS[name], value=day)
            if not _is_number(value):
                self.problem(
                    loc,
                    f"'{name}' takes a number or a date like 2027-01-01, "
                    f"got {describe_value(value)}",
                )
                return None
            assert isinstance(value, int | float)
            return NumberTest(question=question_id, op=_NUMBER_MATCHERS[name], value=value)
        if isinstance(name, str) and name in _CHOICE_MATCHERS:
            op = _CHOICE_MATCHERS[name]
            if op in _ONE_OPTION:
                if not isinstance(value, str):
                    self.problem(loc, f"'{name}' takes one option id, got {describe_value(value)}")
                    return None
                options: tuple[str, ...] | None = (value,)
            else:
                options = self.option_ids([value] if isinstance(value, str) else value, loc)
            if options is None:
                return None
            return ChoiceTest(question=question_id, op=op, options=options)
        shown = name if isinstance(name, str) else describe_value(name)
        self.problem(
            loc,
            f"unknown matcher '{shown}'{did_you_mean(str(name), _MATCHERS)}; "
            f"use one of: {', '.join(_MATCHERS)}",
        )
        return None

    def option_ids(self, raw: object, loc: Loc) -> tuple[str, ...] | None:
        if not isinstance(raw, list) or not raw:
            self.problem(loc, f"expected a non-empty list of option ids, got {describe_value(raw)}")
            return None
        bad = [item for item in raw if not isinstance(item, str)]
        if bad:
            self.problem(
                loc,
                f"option ids must be text, got {describe_value(bad[0])}"
                + (" (put it in quotes)" if isinstance(bad[0], bool | int) else ""),
            )
            return None
        return tuple(item for item in raw if isinstance(item, str))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

"""The answers file: a checklist's expected outcomes, kept next to it.

    cases:
      - name: hot buyer
        lang: ru                      # optional: --lang, else the checklist's first
        answers:
          purpose: live               # an option id, or text as a prospect types it
          payment: [cash, mortgage]   # a list for a multi-choice question
          budget: "8,5 млн"
          call_time: skip             # skip an optional question (or leave it out)
        expect: {verdict: target, score: 95, rules: [hot_cash_buyer]}   # all optional

A single case may stand at the top level (`answers:` and `expect:`). Mistakes are
reported as `file:line: cases[hot buyer].answers.budget: what`, all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.domain.checklist import Checklist, QuestionKind, Verdict
from bot.domain.conditions import describe_value, did_you_mean
from bot.domain.yaml_source import YamlFileError, YamlLoc, key_lines, read_text, read_yaml

# A case's answer: typed text (numbers and dates as typed), option ids of a multi, or skip.
CaseAnswer = str | tuple[str, ...] | None

_CASE_KEYS = ("name", "lang", "answers", "expect")
_EXPECT_KEYS = ("verdict", "score", "rules")


class AnswersFileError(Exception):
    """The answers file cannot be used; `problems` holds one "file:line: key: what" each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Expect:
    verdict: Verdict | None = None
    score: int | None = None
    rules: frozenset[str] | None = None  # exactly the rules among the reasons


@dataclass(frozen=True)
class Case:
    name: str
    language: str
    answers: dict[str, CaseAnswer]
    expect: Expect
    # Where each answer is, for messages: "cases[hot buyer].answers".
    where: str


def load_cases(path: Path, checklist: Checklist, language: str | None = None) -> tuple[Case, ...]:
    """The cases; those without `lang` are in `language`, else the checklist's first."""
    try:
        text = read_text(path)
    except YamlFileError as error:
        raise AnswersFileError([error.message]) from None
    return _Loader(str(path), checklist, language or checklist.languages[0]).load(text)


@dataclass
class _Loader:
    source: str
    checklist: Checklist
    language: str
    lines: dict[YamlLoc, int] = field(default_factory=dict)
    problems: list[tuple[YamlLoc, str, str]] = field(default_factory=list)

    def load(self, text: str) -> tuple[Case, ...]:
        try:
            document = read_yaml(text, self.source)
        except YamlFileError as error:
            raise AnswersFileError([error.message]) from None
        if document.root is not None:
            found = key_lines(document.root)
            self.lines.update(found.lines)
            for loc, first in found.duplicates:
                self._add(loc, "", f"duplicate key (also on line {first}); remove one")
        data = document.data
        if not isinstance(data, dict) or not ("cases" in data or "answers" in data):
            raise AnswersFileError(
                [f"{self.source}:1: expected `cases:` (a list of cases) or one case's `answers:`"]
            )
        cases: list[Case] = []
        if "cases" in data:
            for key in data:
                if key != "cases":
                    self._add((key,), str(key), "unknown key; the cases go under `cases:`")
            items = data["cases"]
            if not isinstance(items, list) or not items:
                self._add(("cases",), "cases", "expected a list of cases, each with `answers:`")
                items = []
            names: set[str] = set()
            for index, item in enumerate(items):
                case = self._case(item, ("cases", index), index)
                if case is not None and case.name in names:
                    self._add(
                        ("cases", index, "name"),
                        f"cases[{case.name}].name",
                        "two cases have this name",
                    )
                if case is not None:
                    names.add(case.name)
                    cases.append(case)
        else:
            case = self._case(data, (), None)
            if case is not None:
                cases.append(case)
        if self.problems:
            raise AnswersFileError(self._render())
        return tuple(cases)

    def _case(self, item: Any, loc: YamlLoc, index: int | None) -> Case | None:
        if not isinstance(item, dict):
            self._add(loc, f"cases[{index}]", f"expected a case, got {describe_value(item)}")
            return None
        raw_name = item.get("name", f"case {1 if index is None else index + 1}")
        name = str(raw_name)
        where = "" if index is None else f"cases[{name}]"
        for key in item:
            if key not in _CASE_KEYS:
                hint = did_you_mean(str(key), _CASE_KEYS)
                self._add((*loc, key), _join(where, str(key)), f"unknown key{hint}")
        language = item.get("lang", self.language)
        if language not in self.checklist.languages:
            languages = ", ".join(self.checklist.languages)
            self._add((*loc, "lang"), _join(where, "lang"), f"must be one of: {languages}")
        answers = self._answers(item.get("answers"), (*loc, "answers"), _join(where, "answers"))
        expect = self._expect(item.get("expect"), (*loc, "expect"), _join(where, "expect"))
        return Case(name, str(language), answers, expect, _join(where, "answers"))

    def _answers(self, value: Any, loc: YamlLoc, where: str) -> dict[str, CaseAnswer]:
        if not isinstance(value, dict):
            self._add(loc, where, "expected the answers, like {question_id: answer}")
            return {}
        ids = [question.id for question in self.checklist.questions]
        answers: dict[str, CaseAnswer] = {}
        for key, raw in value.items():
            key_loc, key_where = (*loc, key), f"{where}.{key}"
            if key not in ids:
                hint = did_you_mean(str(key), ids)
                self._add(key_loc, key_where, f"no question has this id{hint}")
                continue
            question = self.checklist.question(key)
            if isinstance(raw, list):
                if question.kind is not QuestionKind.MULTI:
                    self._add(key_loc, key_where, "a list answers only a multi-choice question")
                elif not raw or not all(_typed(item) is not None for item in raw):
                    self._add(key_loc, key_where, "expected option ids or texts in the list")
                else:
                    answers[key] = tuple(str(_typed(item)) for item in raw)
                continue
            typed = _typed(raw)
            if raw is not None and typed is None:
                self._add(key_loc, key_where, _wrong_answer(raw))
                continue
            answers[key] = typed
        return answers

    def _expect(self, value: Any, loc: YamlLoc, where: str) -> Expect:
        if value is None:
            return Expect()
        if not isinstance(value, dict):
            self._add(loc, where, "expected {verdict: ..., score: ..., rules: [...]}")
            return Expect()
        for key in value:
            if key not in _EXPECT_KEYS:
                hint = did_you_mean(str(key), _EXPECT_KEYS)
                self._add((*loc, key), f"{where}.{key}", f"unknown key{hint}")
        verdict = value.get("verdict")
        if verdict is not None and verdict not in {v.value for v in Verdict}:
            self._add((*loc, "verdict"), f"{where}.verdict", "must be target, nurture or reject")
            verdict = None
        score = value.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
            self._add((*loc, "score"), f"{where}.score", "must be a whole number")
            score = None
        rules = value.get("rules")
        if rules is not None:
            rules = self._rules(rules, (*loc, "rules"), f"{where}.rules")
        return Expect(None if verdict is None else Verdict(verdict), score, rules)

    def _rules(self, value: Any, loc: YamlLoc, where: str) -> frozenset[str] | None:
        if not isinstance(value, list):
            self._add(loc, where, "expected a list of rule ids ([] for none)")
            return None
        ids = [rule.id for rule in self.checklist.rules]
        for index, rule_id in enumerate(value):
            if rule_id not in ids:
                hint = did_you_mean(str(rule_id), ids)
                self._add((*loc, index), where, f"no rule has the id {rule_id!r}{hint}")
        return frozenset(str(rule_id) for rule_id in value)

    def _add(self, loc: YamlLoc, where: str, message: str) -> None:
        self.problems.append((loc, where, message))

    def _render(self) -> list[str]:
        rendered = []
        for loc, where, message in self.problems:
            line = self._line(loc)
            rendered.append(
                f"{self.source}:{line}: {where}: {message}"
                if where
                else (f"{self.source}:{line}: {message}")
            )
        return rendered

    def _line(self, loc: YamlLoc) -> int:
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _typed(value: Any) -> str | None:
    """A YAML value as the prospect would type it; None for what nobody types."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return None


def _wrong_answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no, on/off and true/false turn into a yes/no value in YAML: put them in quotes"
    if isinstance(value, Mapping):
        return "expected an answer as typed, an option id or a list, got a mapping"
    return f"expected an answer as typed, got {describe_value(value)}"

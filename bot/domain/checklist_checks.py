"""What a checklist file's questions and conditions must mean, beyond their shape: the
checks the loader (bot/domain/checklist_file.py) runs on each question and condition."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from bot.domain.checklist import MAX_OPTIONS, Question, QuestionKind, Rule, Verdict
from bot.domain.conditions import (
    MULTI_OPS,
    SINGLE_OPS,
    AnsweredTest,
    DateTest,
    Loc,
    NumberTest,
    Test,
    did_you_mean,
)
from bot.domain.wording import NURTURE_PLACEHOLDERS, OUTCOME_PLACEHOLDERS, placeholder_problem

# How a problem sorts: the likely cause of the others comes first.
RANK_YAML = 0
RANK_UNKNOWN_KEY = 1
RANK_SHAPE = 2
RANK_MEANING = 3


@dataclass
class QuestionReferences:
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
        if kind in (QuestionKind.EMAIL, QuestionKind.MEDIA, QuestionKind.TEXT, QuestionKind.PHONE):
            return f"{test.question!r} is a {kind} question: only 'answered' applies"
        if kind is QuestionKind.DATE:
            if isinstance(test, DateTest):
                return None
            return (
                f"{test.question!r} is a date question: use lt, lte, gt, gte or eq with a date "
                "like 2027-01-01, or answered"
            )
        if isinstance(test, DateTest):
            return (
                f"{test.question!r} is a {kind} question: dates can only be compared "
                "with a date question's answer"
            )
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


def _decimal_places(value: int | float) -> int:
    if isinstance(value, int):
        return 0
    text = repr(value)
    if "e" in text:  # 1e-07 and the like: more than any question allows
        return 99
    fraction = text.partition(".")[2].rstrip("0")
    return len(fraction)


class QuestionChecks(ABC):
    """The per-question and per-rule checks; the loader provides where problems go and
    their lines."""

    @abstractmethod
    def _add(self, rank: int, loc: Loc, message: str) -> None: ...

    @abstractmethod
    def _line(self, loc: Loc) -> int: ...

    def _check_question(self, question: Question, loc: Loc) -> None:
        given = question.model_fields_set
        kind = question.kind

        def only_for(key: str, kinds: str) -> None:
            if key in given:
                self._add(
                    RANK_MEANING, (*loc, key), f"{key!r} is only for {kinds} questions, not {kind}"
                )

        if question.is_choice:
            self._check_options(question, loc)
        else:
            only_for("options", "single and multi")
        if kind is not QuestionKind.MULTI:
            only_for("points_mode", "multi")
            only_for("min_selected", "multi")
            only_for("max_selected", "multi")
        else:
            self._check_selected(question, loc)
        if kind is QuestionKind.NUMBER:
            self._check_number(question, loc)
        else:
            for key in ("min", "max", "decimals", "unit", "unit_words", "example", "bands"):
                only_for(key, "number")
        if kind is QuestionKind.DATE:
            low, high = question.min_days, question.max_days
            if low is not None and high is not None and low > high:
                self._add(
                    RANK_MEANING,
                    (*loc, "min_days"),
                    f"min_days ({low}) is greater than max_days ({high}): no date fits",
                )
        else:
            only_for("min_days", "date")
            only_for("max_days", "date")
        if kind is QuestionKind.MEDIA:
            self._check_accept(question, loc)
        else:
            only_for("accept", "media")
        if kind is not QuestionKind.TEXT:
            only_for("max_length", "text")
            only_for("role", "text")
        if question.is_choice and "points" in given:
            self._add(
                RANK_MEANING,
                (*loc, "points"),
                f"a {kind} question gets its points from its options: put points on them",
            )
        elif kind is QuestionKind.NUMBER and "points" in given:
            self._add(
                RANK_MEANING,
                (*loc, "points"),
                "a number question gets its points from its bands: put points on them",
            )

    def _check_selected(self, question: Question, loc: Loc) -> None:
        count = len(question.options)
        if question.options and question.min_selected > count:
            self._add(
                RANK_MEANING,
                (*loc, "min_selected"),
                f"min_selected is {question.min_selected} but there are only {count} options",
            )
        high = question.max_selected
        if high is None:
            return
        if high < question.min_selected:
            self._add(
                RANK_MEANING,
                (*loc, "max_selected"),
                f"max_selected ({high}) is below min_selected ({question.min_selected})",
            )
        elif question.options and high > count:
            self._add(
                RANK_MEANING,
                (*loc, "max_selected"),
                f"max_selected is {high} but there are only {count} options",
            )

    def _check_accept(self, question: Question, loc: Loc) -> None:
        accept = question.accept
        if not accept:
            self._add(RANK_MEANING, (*loc, "accept"), "accept needs photo, document or both")
        elif len(set(accept)) != len(accept):
            self._add(RANK_MEANING, (*loc, "accept"), "accept lists the same kind twice")

    def _check_decimals(self, question: Question, loc: Loc) -> None:
        """min, max and example must fit the decimals the answers keep."""
        for key in ("min", "max", "example"):
            value = getattr(question, key)
            if value is None or _decimal_places(value) <= question.decimals:
                continue
            allowed = (
                "whole numbers only"
                if question.decimals == 0
                else f"{question.decimals} digit(s) after the decimal mark"
            )
            self._add(
                RANK_MEANING,
                (*loc, key),
                f"{key} is {value} but answers keep {allowed}; "
                f"set decimals: {_decimal_places(value)} or round it",
            )
        low, high, example = question.min, question.max, question.example
        if example is not None and (
            (low is not None and example < low) or (high is not None and example > high)
        ):
            self._add(
                RANK_MEANING,
                (*loc, "example"),
                f"the example {example} is outside min..max "
                f"({'' if low is None else low}..{'' if high is None else high})",
            )

    def _check_options(self, question: Question, loc: Loc) -> None:
        count = len(question.options)
        if count < 2:
            where = (*loc, "options") if "options" in question.model_fields_set else loc
            self._add(
                RANK_MEANING,
                where,
                f"a {question.kind} question needs options: 2 to {MAX_OPTIONS} (has {count})",
            )
        elif count > MAX_OPTIONS:
            self._add(
                RANK_MEANING,
                (*loc, "options"),
                f"too many options: at most {MAX_OPTIONS} (has {count})",
            )
        seen: dict[str, int] = {}
        for index, option in enumerate(question.options):
            if option.id in seen:
                first = self._line((*loc, "options", seen[option.id], "id"))
                self._add(
                    RANK_MEANING,
                    (*loc, "options", index, "id"),
                    f"duplicate option id {option.id!r} (also on line {first})",
                )
            seen.setdefault(option.id, index)

    def _check_number(self, question: Question, loc: Loc) -> None:
        self._check_decimals(question, loc)
        low, high = question.min, question.max
        if low is not None and high is not None and low > high:
            self._add(RANK_MEANING, (*loc, "min"), f"min ({low}) is greater than max ({high})")
            return
        for index, band in enumerate(question.bands):
            band_loc = (*loc, "bands", index)
            if band.max is not None and band.min >= band.max:
                self._add(
                    RANK_MEANING,
                    band_loc,
                    f"band min ({band.min}) must be less than its max ({band.max})",
                )
            elif (high is not None and band.min > high) or (
                low is not None and band.max is not None and band.max <= low
            ):
                self._add(
                    RANK_MEANING,
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
                    RANK_MEANING,
                    (*loc, "bands", index),
                    f"band {band.describe()} overlaps band {earlier.describe()} (line {line}); "
                    "a band covers min up to but not including max",
                )

    def _check_rules(self, rules: list[tuple[int, Rule]]) -> None:
        for index, rule in rules:
            loc: Loc = ("rules", index)
            if rule.verdict is None and rule.points is None:
                self._add(
                    RANK_SHAPE,
                    loc,
                    "a rule needs either verdict: (reject, nurture or target) "
                    "or points: (a whole number to add to the score)",
                )
                continue
            if rule.verdict is not None and rule.points is not None:
                self._add(
                    RANK_MEANING,
                    (*loc, "points"),
                    "a rule has either verdict or points, not both: a points rule adds to the "
                    "score, a verdict rule decides",
                )
                continue
            if rule.points is not None:
                for key in ("message", "follow_up_days"):
                    if key in rule.model_fields_set:
                        self._add(
                            RANK_MEANING,
                            (*loc, key),
                            f"a points rule only adds to the score and has no {key}; "
                            "give the message to a rule with a verdict",
                        )
                continue
            if rule.message is not None:
                allowed = (
                    NURTURE_PLACEHOLDERS
                    if rule.verdict is Verdict.NURTURE
                    else OUTCOME_PLACEHOLDERS
                )
                problem = placeholder_problem(rule.message, allowed)
                if problem is not None:
                    self._add(RANK_MEANING, (*loc, "message"), problem)
            if rule.follow_up_days is not None and rule.verdict is not Verdict.NURTURE:
                self._add(
                    RANK_MEANING,
                    ("rules", index, "follow_up_days"),
                    f"follow_up_days is only for nurture rules, this one is {rule.verdict}",
                )

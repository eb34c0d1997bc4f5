from __future__ import annotations

import pytest

from bot.domain.answers import Answer
from bot.domain.conditions import (
    AllOf,
    AnsweredTest,
    AnyOf,
    ChoiceOp,
    ChoiceTest,
    ConditionError,
    Not,
    NumberOp,
    NumberTest,
    matches,
    parse_condition,
    referenced_questions,
)

# One answer of each kind, as the flow stores them.
ANSWERS: dict[str, Answer | None] = {
    "purpose": "live",
    "payment": ("mortgage", "cash"),
    "budget": 8_500_000,
    "name": "Иван",
    "call_time": None,  # skipped
}


def check(raw: object, answers: dict[str, Answer | None] | None = None) -> bool:
    return matches(parse_condition(raw), ANSWERS if answers is None else answers)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # single
        ({"purpose": "live"}, True),
        ({"purpose": "rent"}, False),
        ({"purpose": ["rent", "live"]}, True),
        ({"purpose": ["rent", "invest"]}, False),
        ({"purpose": {"in": ["live", "invest"]}}, True),
        ({"purpose": {"in": "live"}}, True),
        ({"purpose": {"in": ["rent"]}}, False),
        ({"purpose": {"not_in": ["rent", "invest"]}}, True),
        ({"purpose": {"not_in": ["live"]}}, False),
        # multi
        ({"payment": "cash"}, True),
        ({"payment": "instalments"}, False),
        ({"payment": ["instalments", "cash"]}, True),
        ({"payment": {"includes": "mortgage"}}, True),
        ({"payment": {"includes": "trade_in"}}, False),
        ({"payment": {"includes_any": ["trade_in", "cash"]}}, True),
        ({"payment": {"includes_any": ["trade_in"]}}, False),
        ({"payment": {"includes_all": ["cash", "mortgage"]}}, True),
        ({"payment": {"includes_all": ["cash", "trade_in"]}}, False),
        ({"payment": {"excludes": "trade_in"}}, True),
        ({"payment": {"excludes": "cash"}}, False),
        # numbers
        ({"budget": {"lt": 9_000_000}}, True),
        ({"budget": {"lt": 8_500_000}}, False),
        ({"budget": {"lte": 8_500_000}}, True),
        ({"budget": {"lte": 8_499_999}}, False),
        ({"budget": {"gt": 8_000_000}}, True),
        ({"budget": {"gt": 8_500_000}}, False),
        ({"budget": {"gte": 8_500_000}}, True),
        ({"budget": {"gte": 8_500_001}}, False),
        ({"budget": {"eq": 8_500_000}}, True),
        ({"budget": {"eq": 8_000_000}}, False),
        ({"budget": 8_500_000}, True),
        ({"budget": {"gte": 5_000_000, "lt": 10_000_000}}, True),
        ({"budget": {"gte": 5_000_000, "lt": 8_000_000}}, False),
        ({"budget": {"gt": 8.4e6}}, True),
        # answered
        ({"name": {"answered": True}}, True),
        ({"name": {"answered": False}}, False),
        ({"call_time": {"answered": True}}, False),
        ({"call_time": {"answered": False}}, True),
        ({"rooms": {"answered": False}}, True),
        ({"rooms": {"answered": True}}, False),
        # several keys: all must hold
        ({"purpose": "live", "budget": {"gte": 1}}, True),
        ({"purpose": "live", "budget": {"lt": 1}}, False),
        # any / all / not
        ({"any": [{"purpose": "rent"}, {"payment": "cash"}]}, True),
        ({"any": [{"purpose": "rent"}, {"payment": "trade_in"}]}, False),
        ({"all": [{"purpose": "live"}, {"payment": "cash"}]}, True),
        ({"all": [{"purpose": "live"}, {"payment": "trade_in"}]}, False),
        ({"not": {"purpose": "rent"}}, True),
        ({"not": {"purpose": "live"}}, False),
        ({"not": {"any": [{"purpose": "rent"}, {"budget": {"lt": 1_000_000}}]}}, True),
        ({"purpose": "live", "not": {"payment": "cash"}}, False),
    ],
)
def test_matchers(raw: object, expected: bool) -> None:
    assert check(raw) is expected


@pytest.mark.parametrize(
    "raw",
    [
        {"rooms": "studio"},
        {"rooms": ["studio", "room_1"]},
        {"rooms": {"in": ["studio"]}},
        {"rooms": {"not_in": ["studio"]}},
        {"rooms": {"includes": "studio"}},
        {"rooms": {"excludes": "studio"}},
        {"rooms": {"includes_all": ["studio"]}},
        {"area": {"lt": 100}},
        {"area": {"gte": 0}},
        {"area": {"eq": 0}},
    ],
)
@pytest.mark.parametrize("value", ["missing", None])
def test_unanswered_or_skipped_matches_nothing(raw: object, value: str | None) -> None:
    answers: dict[str, Answer | None] = {} if value == "missing" else {"rooms": None, "area": None}
    assert check(raw, answers) is False


def test_not_of_an_unanswered_matcher_holds() -> None:
    assert check({"not": {"budget": {"lt": 5}}}, {}) is True


def test_wrong_answer_types_do_not_match() -> None:
    # A stale answer from an older checklist may have another kind.
    assert check({"purpose": {"lt": 5}}) is False
    assert check({"budget": "live"}) is False
    assert check({"payment": {"in": ["cash"]}}) is False
    assert check({"purpose": {"includes": "live"}}) is False


def test_parsed_shapes() -> None:
    assert parse_condition({"purpose": "rent"}) == ChoiceTest(
        question="purpose", op=ChoiceOp.IS, options=("rent",)
    )
    assert parse_condition({"budget": {"lt": 5, "gte": 1}}) == AllOf(
        items=(
            NumberTest(question="budget", op=NumberOp.LT, value=5),
            NumberTest(question="budget", op=NumberOp.GTE, value=1),
        )
    )
    assert parse_condition({"not": {"phone": {"answered": True}}}) == Not(
        item=AnsweredTest(question="phone", answered=True)
    )
    parsed = parse_condition({"any": [{"a": "x"}, {"b": {"excludes": "y"}}]})
    assert parsed == AnyOf(
        items=(
            ChoiceTest(question="a", op=ChoiceOp.IS, options=("x",)),
            ChoiceTest(question="b", op=ChoiceOp.EXCLUDES, options=("y",)),
        )
    )
    assert referenced_questions(parsed) == {"a", "b"}


def test_conditions_are_hashable() -> None:
    raw = {"any": [{"a": "x"}, {"b": {"gte": 1}}]}
    assert hash(parse_condition(raw)) == hash(parse_condition(raw))


@pytest.mark.parametrize(
    ("raw", "where", "message"),
    [
        ("rent", (), "a condition must be a mapping"),
        ({}, (), "empty condition"),
        ({1: "x"}, (), "condition keys are question ids"),
        ({"a": {"lt": "5"}}, ("a", "lt"), "'lt' takes a number"),
        ({"a": {"lt": True}}, ("a", "lt"), "'lt' takes a number"),
        ({"a": {"answered": "yes"}}, ("a", "answered"), "'answered' takes true or false"),
        ({"a": {"includes": ["x"]}}, ("a", "includes"), "takes one option id"),
        ({"a": {"in": []}}, ("a", "in"), "non-empty list of option ids"),
        ({"a": {"betwen": 1}}, ("a", "betwen"), "unknown matcher 'betwen'"),
        ({"a": {}}, ("a",), "no matcher given"),
        ({"a": None}, ("a",), "expected an option id"),
        ({"a": [True]}, ("a",), "option ids must be text, got true (a yes/no value)"),
        ({"any": {"a": "x"}}, ("any",), "'any' needs a non-empty list"),
        ({"all": [{"a": "x"}, "b"]}, ("all", 1), "a condition must be a mapping"),
        ({"not": []}, ("not",), "a condition must be a mapping"),
    ],
)
def test_syntax_problems(raw: object, where: tuple[str | int, ...], message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(raw)
    [(loc, text)] = caught.value.problems
    assert loc == where
    assert message in text


def test_all_syntax_problems_are_collected() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition({"a": {"lt": "x"}, "b": {"nope": 1}, "any": []})
    assert [loc for loc, _ in caught.value.problems] == [("a", "lt"), ("b", "nope"), ("any",)]
    assert isinstance(caught.value, ValueError)

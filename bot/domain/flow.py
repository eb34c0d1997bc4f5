"""Which question comes next, where the prospect is, and what Back undoes.

A question is visible when its `when` holds on the answers to visible questions before
it; a choice question also needs at least one visible option (an option's `when` works
the same way). Answers to questions that became hidden (the prospect went back and
changed an earlier answer) are kept in storage but never count.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.answers import Answer, Answers
from bot.domain.checklist import Checklist, Option, Question
from bot.domain.conditions import matches, referenced_questions
from bot.domain.typed_answers import parse_typed as parse_typed

__all__ = [
    "next_question",
    "options_shown",
    "parse_typed",
    "progress",
    "relevant_answers",
    "step_back",
    "visible_options",
    "visible_questions",
]


def options_shown(question: Question, earlier: Mapping[str, Answer | None]) -> tuple[Option, ...]:
    """The options whose `when` holds on `earlier`, the answers to earlier visible questions."""
    return tuple(
        option
        for option in question.options
        if option.when is None or matches(option.when, earlier)
    )


def _has_option_shown(question: Question, earlier: Mapping[str, Answer | None]) -> bool:
    return any(option.when is None or matches(option.when, earlier) for option in question.options)


def visible_questions(checklist: Checklist, answers: Answers) -> tuple[Question, ...]:
    visible: list[Question] = []
    relevant: dict[str, Answer | None] = {}
    for question in checklist.questions:
        # `when` only looks at earlier questions, so `relevant` is complete for it here.
        if question.when is not None and not matches(question.when, relevant):
            continue
        if question.is_choice and not _has_option_shown(question, relevant):
            continue  # nothing to choose from: not asked
        visible.append(question)
        if question.id in answers:
            relevant[question.id] = answers[question.id]
    return tuple(visible)


def visible_options(
    checklist: Checklist, question: Question, answers: Answers
) -> tuple[Option, ...]:
    """The options of `question` the prospect may see and choose, given the answers."""
    # Option conditions only look at earlier questions: later answers change nothing.
    return options_shown(question, relevant_answers(checklist, answers))


def relevant_answers(checklist: Checklist, answers: Answers) -> dict[str, Answer | None]:
    """Only the answers of visible questions; stale and unknown ones are dropped."""
    return {
        question.id: answers[question.id]
        for question in visible_questions(checklist, answers)
        if question.id in answers
    }


def next_question(checklist: Checklist, answers: Answers) -> Question | None:
    """The first visible question not asked yet; None when the checklist is complete."""
    return next((q for q in visible_questions(checklist, answers) if q.id not in answers), None)


def progress(checklist: Checklist, answers: Answers, question: Question) -> tuple[int, int]:
    """(position of `question` among visible questions, 1-based; how many may be asked).

    The total counts the visible questions and those whose conditions still wait on a
    question not answered yet, so it only shrinks as answers rule questions out: a
    counter that jumps up ("2 / 10", then "4 / 11") reads as a moving goal.
    A question that is not visible is placed after the visible ones before it.
    """
    visible = visible_questions(checklist, answers)
    counted = _may_be_asked(checklist, answers)
    if question in visible:
        return visible.index(question) + 1, len(counted)
    order = {q.id: index for index, q in enumerate(checklist.questions)}
    limit = order.get(question.id, len(order))
    before = sum(1 for q in visible if order[q.id] < limit)
    return before + 1, len(counted) + (question not in counted)


def _may_be_asked(checklist: Checklist, answers: Answers) -> list[Question]:
    """Visible questions, and later ones whose `when` (or options' `when`) is false now
    only because a question it looks at has no answer yet."""
    counted: list[Question] = []
    relevant: dict[str, Answer | None] = {}
    waiting_on: set[str] = set()  # questions that may still be asked, with no answer yet
    for question in checklist.questions:
        waits = False
        if question.when is not None and not matches(question.when, relevant):
            if not referenced_questions(question.when) & waiting_on:
                continue
            waits = True
        if question.is_choice and not _has_option_shown(question, relevant):
            looked_at = frozenset[str]().union(
                *(referenced_questions(o.when) for o in question.options if o.when is not None)
            )
            if not looked_at & waiting_on:
                continue
            waits = True
        counted.append(question)
        if question.id in answers and not waits:
            relevant[question.id] = answers[question.id]
        else:
            waiting_on.add(question.id)
    return counted


def step_back(
    checklist: Checklist, answers: Answers
) -> tuple[dict[str, Answer | None], Question | None]:
    """Back from the current question: forget the previous visible answer and all after it.

    Returns the remaining answers and the question to ask again, or the answers
    unchanged and None at the first question.
    """
    order = {question.id: index for index, question in enumerate(checklist.questions)}
    current = next_question(checklist, answers)
    limit = len(order) if current is None else order[current.id]
    previous: Question | None = None
    for question in visible_questions(checklist, answers):
        if order[question.id] >= limit:
            break
        if question.id in answers:
            previous = question
    if previous is None:
        return dict(answers), None
    cut = order[previous.id]
    # Later answers may rest on the one being undone, so they go too; unknown keys stay.
    remaining = {
        key: value for key, value in answers.items() if key not in order or order[key] < cut
    }
    return remaining, previous

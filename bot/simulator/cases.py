"""Running the answers file's cases through the session, with no person at the keyboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.domain.answers import AnswerError
from bot.domain.checklist import Checklist, Question, QuestionKind
from bot.domain.scoring import Assessment
from bot.i18n import Translator
from bot.simulator.answers_file import Case, CaseAnswer
from bot.simulator.session import MEDIA_WORDS, SKIP_WORDS, Refused, Session, Step
from bot.simulator.terminal import Writer


@dataclass(frozen=True)
class CaseResult:
    case: Case
    assessment: Assessment | None  # None when the walk stopped on an answer
    problems: tuple[str, ...]  # why the case is not as expected
    warnings: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def run_cases(
    checklist: Checklist,
    cases: tuple[Case, ...],
    translator: Callable[[str], Translator],
    today: date,
    write: Writer,
) -> int:
    """Prints each case's outcome and the tally; 0 when every case is as expected."""
    results = [run_case(checklist, case, translator(case.language), today) for case in cases]
    for result in results:
        write(result_text(result))
    passed = sum(result.passed for result in results)
    write(f"{passed} of {len(results)} cases as expected")
    return 0 if passed == len(results) else 1


def run_case(checklist: Checklist, case: Case, t: Translator, today: date) -> CaseResult:
    session = Session(checklist, case.language, t, today)
    asked: set[str] = set()
    while (question := session.current) is not None:
        asked.add(question.id)
        if question.id not in case.answers:
            if question.optional:
                session.skip(question)
                continue
            problem = f"{case.where}: the question {question.id!r} is asked and has no answer"
            return CaseResult(case, None, (problem,), ())
        step = _give(session, question, case.answers[question.id])
        if isinstance(step, Refused):
            given = case.answers[question.id]
            problem = f"{case.where}.{question.id}: {_show(given)} is refused: {step.problem}"
            return CaseResult(case, None, (problem,), ())
    warnings = tuple(
        f"{case.where}.{question_id}: never asked (its `when` did not hold), the answer is unused"
        for question_id in case.answers
        if question_id not in asked
    )
    assessment = session.assessment()
    return CaseResult(case, assessment, _differences(case, assessment), warnings)


def _give(session: Session, question: Question, given: CaseAnswer) -> Step:
    """An option id is its button, "photo" or "document" a simulated file; anything else
    is typed, as the prospect would."""
    if given is None or (isinstance(given, str) and given.strip().lower() in SKIP_WORDS):
        return session.skip(question)
    shown = {option.id for option in session.options(question)}
    if isinstance(given, tuple):
        chosen: list[str] = []
        for item in given:
            if item in shown:
                chosen.append(item)
                continue
            try:
                answer = session.parse(question, item)
            except AnswerError as error:
                return session.refused(question, error)
            chosen += list(answer) if isinstance(answer, tuple) else [str(answer)]
        return session.choose(question, chosen)
    if question.kind is QuestionKind.MEDIA and given.strip().lower() in MEDIA_WORDS:
        return session.send_file(question, MEDIA_WORDS[given.strip().lower()])
    if question.is_choice and given in shown:
        return session.choose(question, (given,))
    return session.typed(question, given)


def _differences(case: Case, assessment: Assessment) -> tuple[str, ...]:
    expect, found = case.expect, []
    if expect.verdict is not None and expect.verdict is not assessment.verdict:
        found.append(f"verdict {expect.verdict.value} expected, got {assessment.verdict.value}")
    if expect.score is not None and expect.score != assessment.score:
        found.append(f"score {expect.score} expected, got {assessment.score}")
    if expect.rules is not None:
        got = _rules(assessment)
        if expect.rules != got:
            found.append(f"rules {_list(expect.rules)} expected, got {_list(got)}")
    return tuple(found)


def _rules(assessment: Assessment) -> frozenset[str]:
    return frozenset(reason.rule_id for reason in assessment.reasons if reason.rule_id)


def result_text(result: CaseResult) -> str:
    mark = "PASS" if result.passed else "FAIL"
    lines = [f"{mark} {result.case.name}"]
    assessment = result.assessment
    if assessment is not None:
        lines[0] += (
            f": {assessment.verdict.value}, score {assessment.score} of "
            f"{assessment.max_score}, rules {_list(_rules(assessment))}"
        )
    lines += [f"  warning: {warning}" for warning in result.warnings]
    lines += [f"  {problem}" for problem in result.problems]
    return "\n".join(lines)


def _list(ids: frozenset[str]) -> str:
    return "[" + ", ".join(sorted(ids)) + "]"


def _show(given: CaseAnswer) -> str:
    return repr(list(given)) if isinstance(given, tuple) else repr(given)

"""The simulator in a terminal: each question as the prospect reads it, its buttons as
numbered choices, and at the end the verdict with everything that led to it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta

from babel.dates import format_date

from bot.domain.checklist import Checklist, Question, QuestionKind, describe_answer
from bot.domain.scoring import Assessment, Reason, Verdict
from bot.simulator.session import Accepted, Quit, Refused, Session, SteppedBack
from bot.views.prospect import outcome_text as chat_outcome_text
from bot.views.prospect import question_screen

Reader = Callable[[], str | None]  # the next line, or None when the input has ended
Writer = Callable[[str], None]  # one block of text; the writer ends it with a newline

_TAG_RE = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Telegram HTML as a terminal shows it."""
    return html.unescape(_TAG_RE.sub("", text))


def run_interactive(session: Session, read: Reader, write: Writer) -> int:
    """Walks the checklist with a person; 0 at the outcome or on q, 1 if the input ends."""
    write(_intro(session))
    while (question := session.current) is not None:
        write("\n" + question_text(session, question))
        line = read()
        if line is None:
            write("The input ended before the last question.")
            return 1
        step = session.take(line)
        if isinstance(step, Quit):
            write("Stopped.")
            return 0
        if isinstance(step, Accepted):
            write(answered_text(session, step))
        elif isinstance(step, Refused):
            write(refused_text(session, step))
        elif isinstance(step, SteppedBack) and step.note is not None:
            write(plain(step.note))
    write("\n" + outcome_text(session))
    return 0


def _intro(session: Session) -> str:
    checklist = session.checklist
    return (
        f"{checklist.id} v{checklist.version}, language {session.language}. "
        "Type a button's number or an answer as a prospect would; "
        "b goes back, s skips an optional question, q quits."
    )


def question_text(session: Session, question: Question) -> str:
    """The question message as the bot sends it, then its buttons, numbered."""
    position, total = session.position(question)
    screen = question_screen(
        question, session.t, session.language, position=position, total=total, can_go_back=False
    )
    lines = [plain(screen.text)]
    options = session.options(question)
    lines += [f"  {n}) {option.label(session.language)}" for n, option in enumerate(options, 1)]
    if question.kind is QuestionKind.MULTI:
        lines.append("  (several: type their numbers, like 1 3)")
    elif question.kind is QuestionKind.DATE:
        lines.append("  (the chat shows a calendar: type a date here)")
    elif question.kind is QuestionKind.MEDIA:
        accepted = " or ".join(kind.value for kind in question.accept)
        lines.append(f"  (type {accepted} to send a simulated file)")
    commands = ["b) back"] if position > 1 else []
    if question.optional:
        commands.append("s) skip")
    commands.append("q) quit")
    lines.append("  " + "   ".join(commands))
    return "\n".join(lines)


def answered_text(session: Session, step: Accepted) -> str:
    shown = describe_answer(step.question, step.answer, session.language)
    answer = shown if shown is not None else session.t("answer.skipped")
    return plain(session.t("answer.given", answer=html.escape(answer)))


def refused_text(session: Session, step: Refused) -> str:
    lines = [plain(step.problem)]
    if step.candidates:
        numbers = {option.id: n for n, option in enumerate(session.options(step.question), 1)}
        lines += [
            f"  {numbers[option.id]}) {option.label(session.language)}"
            for option in step.candidates
        ]
    return "\n".join(lines)


# --- the outcome --------------------------------------------------------------------------


def outcome_text(session: Session) -> str:
    checklist, language = session.checklist, session.language
    assessment = session.assessment()
    scoring = checklist.scoring
    lines = [
        f"Verdict: {assessment.verdict.value}",
        f"Score {assessment.score} of {assessment.max_score} "
        f"(target from {scoring.target}, nurture from {scoring.nurture})",
        "Reasons:",
        *(f"  - {reason_text(reason, checklist, language)}" for reason in assessment.reasons),
    ]
    if assessment.follow_up_days is not None:
        lines.append(f"Follow-up in {assessment.follow_up_days} days")
    message = prospect_message(session, assessment)
    lines += [
        "The prospect reads:",
        *(f"  {line}" if line else "" for line in message.splitlines()),
    ]
    return "\n".join(lines)


def reason_text(reason: Reason, checklist: Checklist, language: str) -> str:
    if reason.kind == "score":
        compared = "≥" if reason.verdict is not Verdict.REJECT else "<"
        threshold = "target" if reason.verdict is Verdict.TARGET else "nurture"
        return f"score {reason.score} {compared} {threshold} {reason.threshold}"
    text = reason.text.get(language) if reason.text is not None else ""
    if reason.kind == "points":
        return f"{reason.points or 0:+d} rule {reason.rule_id}: {text}"
    return f"rule {reason.rule_id} ({reason.verdict.value}): {text}"


def prospect_message(session: Session, assessment: Assessment) -> str:
    """The prospect's outcome message exactly as the chat words it, as plain text."""
    days = assessment.follow_up_days or 0
    follow_up = format_date(
        session.today + timedelta(days=days), format="long", locale=session.language
    )
    text = chat_outcome_text(
        assessment.verdict,
        assessment.prospect_message,
        session.checklist.wording,
        session.t,
        name=_name(session),
        follow_up=follow_up,
    )
    return plain(text)


def _name(session: Session) -> str | None:
    question = session.checklist.name_question
    answer = None if question is None else session.answers.get(question.id)
    return answer if isinstance(answer, str) else None

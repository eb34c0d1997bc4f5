"""One prospect walking a checklist outside Telegram, with the bot's own rules.

Pure: no I/O, no clock (today is given). Each line a person types (or a case's answer)
becomes a `Step`; answers go through the same parser, validation, visibility and Back
as in the chat, and problems are the catalog's texts, so what passes here passes there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.domain.answers import Answer, AnswerError, AnswerErrorCode, validate_multi
from bot.domain.checklist import Checklist, MediaKind, Option, Question, QuestionKind
from bot.domain.flow import next_question, progress, step_back, visible_options
from bot.domain.scoring import Assessment, assess
from bot.domain.typed_answers import parse_typed
from bot.i18n import Translator
from bot.views.prospect import problem_text

QUIT_WORDS = frozenset({"q", "quit", "exit", "выход"})
BACK_WORDS = frozenset({"b", "back", "назад"})
SKIP_WORDS = frozenset({"s", "skip", "пропустить"})
# What a person types to send a simulated file to a media question.
MEDIA_WORDS: dict[str, MediaKind] = {
    "photo": MediaKind.PHOTO,
    "фото": MediaKind.PHOTO,
    "document": MediaKind.DOCUMENT,
    "file": MediaKind.DOCUMENT,
    "документ": MediaKind.DOCUMENT,
    "файл": MediaKind.DOCUMENT,
}
_NUMBERS_RE = re.compile(r"\d+(?:\s*[,\s]\s*\d+)*")


def parse_answer(
    question: Question, text: str, *, region: str, today: date, visible: Sequence[Option]
) -> Answer:
    """The bot's typed-answer parser: the one call the chat makes too."""
    return parse_typed(question, text, region=region, today=today, visible=visible)


@dataclass(frozen=True)
class Accepted:
    question: Question
    answer: Answer | None  # None: skipped


@dataclass(frozen=True)
class Refused:
    question: Question
    problem: str  # the catalog's text, or the simulator's own note
    # "Did you mean…?": the options the answer could mean.
    candidates: tuple[Option, ...] = ()


@dataclass(frozen=True)
class SteppedBack:
    question: Question | None  # None: already at the first question
    note: str | None = None


@dataclass(frozen=True)
class Quit:
    """The person typed q: the walk ends with no verdict."""


Step = Accepted | Refused | SteppedBack | Quit

NOT_OPTIONAL = "this question cannot be skipped: it has no Skip button"


@dataclass
class Session:
    checklist: Checklist
    language: str
    t: Translator
    today: date
    answers: dict[str, Answer | None] = field(default_factory=dict)

    @property
    def current(self) -> Question | None:
        return next_question(self.checklist, self.answers)

    def position(self, question: Question) -> tuple[int, int]:
        return progress(self.checklist, self.answers, question)

    def options(self, question: Question) -> tuple[Option, ...]:
        return visible_options(self.checklist, question, self.answers)

    def assessment(self) -> Assessment:
        return assess(self.checklist, self.answers)

    # --- a line typed in the terminal ----------------------------------------------------

    def take(self, line: str) -> Step:
        """A line typed at the current question: a command, a button number or an answer."""
        question = self._current()
        word = line.strip().lower()
        if word in QUIT_WORDS:
            return Quit()
        if word in BACK_WORDS or word == self.t("question.back").lower():
            return self.back()
        if word in SKIP_WORDS or word == self.t("question.skip").lower():
            return self.skip(question)
        if question.is_choice:
            pressed = self._pressed(question, word)
            if pressed is not None:
                return self.choose(question, pressed)
        if question.kind is QuestionKind.MEDIA and word in MEDIA_WORDS:
            return self.send_file(question, MEDIA_WORDS[word])
        return self.typed(question, line)

    def _pressed(self, question: Question, word: str) -> tuple[str, ...] | None:
        """Button numbers ("2", "1 3", "1,3") when all are on the keyboard, else None: a
        number that is no button is typed text, as it would be in the chat."""
        if not _NUMBERS_RE.fullmatch(word):
            return None
        options = self.options(question)
        numbers = [int(n) for n in re.findall(r"\d+", word)]
        if not all(1 <= n <= len(options) for n in numbers):
            return None
        if question.kind is QuestionKind.SINGLE and len(numbers) != 1:
            return None
        return tuple(options[n - 1].id for n in numbers)

    # --- the prospect's actions ----------------------------------------------------------

    def choose(self, question: Question, option_ids: Sequence[str]) -> Step:
        """Buttons pressed: one for a single choice; the ticks, then Done, for a multi."""
        shown = {option.id for option in self.options(question)}
        if not option_ids or any(option_id not in shown for option_id in option_ids):
            return self.refused(question, AnswerError(AnswerErrorCode.CHOOSE_OPTION))
        if question.kind is QuestionKind.SINGLE:
            if len(option_ids) != 1:
                return self.refused(question, AnswerError(AnswerErrorCode.CHOOSE_OPTION))
            return self._accept(question, option_ids[0])
        try:
            chosen = validate_multi(question, option_ids)
        except AnswerError as error:
            return self.refused(question, error)
        return self._accept(question, chosen)

    def typed(self, question: Question, text: str) -> Step:
        try:
            answer = self.parse(question, text)
        except AnswerError as error:
            return self.refused(question, error)
        return self._accept(question, answer)

    def parse(self, question: Question, text: str) -> Answer:
        """What the chat would make of the typed text, without answering; AnswerError."""
        return parse_answer(
            question,
            text,
            region=self.checklist.phone_region,
            today=self.today,
            visible=self.options(question),
        )

    def send_file(self, question: Question, kind: MediaKind) -> Step:
        """A simulated photo or document: Telegram would give a file id."""
        if kind not in question.accept:
            return self.refused(question, AnswerError(AnswerErrorCode.SEND_MEDIA))
        return self._accept(question, f"{kind.value}:simulated-{kind.value}")

    def skip(self, question: Question) -> Step:
        if not question.optional:
            return Refused(question, NOT_OPTIONAL)
        return self._accept(question, None)

    def back(self) -> Step:
        remaining, previous = step_back(self.checklist, self.answers)
        if previous is None:
            return SteppedBack(None, self.t("question.first"))
        self.answers = remaining
        return SteppedBack(previous)

    # --- helpers -------------------------------------------------------------------------

    def _current(self) -> Question:
        question = self.current
        if question is None:
            raise RuntimeError("the checklist is complete")
        return question

    def _accept(self, question: Question, answer: Answer | None) -> Step:
        self.answers[question.id] = answer
        return Accepted(question, answer)

    def refused(self, question: Question, error: AnswerError) -> Refused:
        wanted = error.params.get("candidates")
        ids = set(wanted) if isinstance(wanted, tuple | list) else set()
        candidates = tuple(option for option in self.options(question) if option.id in ids)
        return Refused(question, problem_text(error, self.t), candidates)

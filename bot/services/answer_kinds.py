"""The new question kinds' own steps in the chat: a candidate of an unclear typed choice
pressed, the calendar of a date question (a day, ‹ ›), a photo or a document as the answer.

`Answering` owns them (as `answering.kinds`) and lends its way of accepting an answer;
typed answers to every kind stay `Answering.text`'s.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.answer_errors import AnswerError, AnswerErrorCode
from bot.domain.answers import Answer
from bot.domain.checklist import Checklist, MediaKind, Option, Question, QuestionKind
from bot.domain.flow import progress, visible_options
from bot.domain.leads import Lead
from bot.i18n import Translator
from bot.keyboards.calendar import allowed, unpack_day, unpack_month
from bot.keyboards.prospect import candidates_keyboard, question_keyboard
from bot.services.answer_media import MediaMessage
from bot.services.replies import Keyboard, Memory, Plan, Sink, Toast, Turn
from bot.services.standing import Prospect, Standing
from bot.views import Screen
from bot.views.prospect import problem_text

_ALBUMS_KEPT = 1000  # users whose answering album is remembered


class Accept(Protocol):
    """Saves an answer and goes on (`Answering._accept`)."""

    async def __call__(
        self,
        plan: Plan,
        prospect: Prospect,
        lead: Lead,
        question: Question,
        answer: Answer | None,
        *,
        pressed: bool,
        media: MediaMessage | None = None,
    ) -> None: ...


def visible_choices(checklist: Checklist, lead: Lead, question: Question) -> tuple[Option, ...]:
    """The options the prospect may see and choose now."""
    return visible_options(checklist, question, lead.answers)


def at_limit(question: Question, ticked: list[str]) -> bool:
    """No more ticks: the multiple choice has `max_selected` already."""
    return question.max_selected is not None and len(ticked) >= question.max_selected


def limit_text(question: Question, t: Translator) -> str:
    error = AnswerError(AnswerErrorCode.SELECT_AT_MOST, max_selected=question.max_selected)
    return problem_text(error, t)


def ambiguous_screen(
    question: Question,
    visible: tuple[Option, ...],
    error: AnswerError,
    t: Translator,
    language: str,
) -> Screen:
    """ "Which one did you mean?" with the candidates as buttons that answer."""
    meant = error.params.get("candidates", ())
    candidates = [o for o in visible if isinstance(meant, tuple) and o.id in meant]
    text = problem_text(AnswerError(AnswerErrorCode.AMBIGUOUS), t)
    return Screen(text, candidates_keyboard(question, candidates, language))


class KindSteps:
    def __init__(self, checklist: Checklist, standing: Standing, accept: Accept) -> None:
        self._checklist = checklist
        self._standing = standing
        self._accept = accept
        # The album whose first item answered a media question, per user: its other items
        # arrive as messages of their own within a second and are taken in silence.
        self._albums: dict[int, str] = {}

    async def pick(
        self, prospect: Prospect, question_id: str, option_id: str, memory: Memory
    ) -> Turn:
        """A candidate of an unclear typed multi-choice answer: added to the ticks, and the
        question shown again to go on choosing or press Done."""
        plan = Plan(memory)
        found = await self._standing.expect(plan, prospect, question_id, True, QuestionKind.MULTI)
        if found is None:
            return plan.turn()
        lead, current = found
        t = self._standing.t(lead.language)
        visible = visible_choices(self._checklist, lead, current)
        if option_id not in {option.id for option in visible}:
            await self._standing.closed(plan, prospect, lead, pressed=True)
            return plan.turn()
        ticked = memory.selected(current.id)
        if option_id not in ticked and at_limit(current, ticked):
            plan.add(Toast(limit_text(current, t)))
            return plan.turn()
        chosen = tuple(o.id for o in visible if o.id in {*ticked, option_id})
        plan.remember(selection={current.id: chosen})
        label = current.option(option_id).label(lead.language)
        plan.add(Toast(t("question.picked", label=label)), Keyboard(None))
        self._standing.ask(plan, prospect, lead, current)
        return plan.turn()

    async def pick_day(
        self, prospect: Prospect, question_id: str, day: str, memory: Memory, sink: Sink | None
    ) -> Turn:
        """A day pressed on a date question's calendar."""
        plan = Plan(memory, sink)
        found = await self._standing.expect(plan, prospect, question_id, True, QuestionKind.DATE)
        if found is None:
            return plan.turn()
        lead, current = found
        picked = unpack_day(day)
        if picked is None or not allowed(current, picked, self._standing.today()):
            plan.add(Toast(self._standing.t(lead.language)("calendar.unavailable")))
            return plan.turn()
        plan.add(Toast())
        await self._accept(plan, prospect, lead, current, picked.isoformat(), pressed=True)
        return plan.turn()

    async def turn_month(
        self, prospect: Prospect, question_id: str, month: str | None, memory: Memory
    ) -> Turn:
        """‹ › on the calendar (None: a blank cell, nothing to do)."""
        plan = Plan(memory)
        found = await self._standing.expect(plan, prospect, question_id, True, QuestionKind.DATE)
        if found is None:
            return plan.turn()
        lead, current = found
        shown = None if month is None else unpack_month(month)
        plan.add(Toast())
        if shown is not None:
            position, _ = progress(self._checklist, lead.answers, current)
            keyboard = question_keyboard(
                current,
                lead.language,
                self._standing.t(lead.language),
                can_go_back=position > 1,
                today=self._standing.today(),
                month=shown,
            )
            plan.add(Keyboard(keyboard))
        return plan.turn()

    async def media(self, prospect: Prospect, media: MediaMessage, memory: Memory) -> Turn:
        """A photo or a document sent while a media question is current (the router asks
        `expects_media` first)."""
        plan = Plan(memory)
        if media.album is not None and self._albums.get(prospect.user_id) == media.album:
            return plan.turn()  # an album answers with its first item, once
        lead, current = await self._standing.current(prospect)
        if lead is None or current is None or current.kind is not QuestionKind.MEDIA:
            if lead is None:
                await self._standing.no_lead(plan, prospect)
            else:
                await self._standing.resume(plan, prospect, lead, greet=False)
            return plan.turn()
        t = self._standing.t(lead.language)
        if media.kind not in current.accept:
            wanted = "photo" if MediaKind.PHOTO in current.accept else "document"
            self._standing.show(plan, prospect, Screen(t(f"problem.send_{wanted}")))
            self._standing.ask(plan, prospect, lead, current)
            return plan.turn()
        if media.album is not None:
            if len(self._albums) >= _ALBUMS_KEPT:
                self._albums.pop(next(iter(self._albums)))
            self._albums[prospect.user_id] = media.album
        await self._accept(plan, prospect, lead, current, media.answer, pressed=False, media=media)
        return plan.turn()

    async def expects_media(self, user_id: int, album: str | None = None) -> bool:
        """Whether the prospect's current question takes a photo or a document (or this
        is another item of the album that answered it: taken in silence)."""
        if album is not None and self._albums.get(user_id) == album:
            return True
        return await self._standing.expects(user_id, QuestionKind.MEDIA)

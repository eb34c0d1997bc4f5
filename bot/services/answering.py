"""Answering the checklist: the question asked, the answers accepted (buttons, typed text,
a shared contact), Back and Skip, and the outcome once the last answer is in.

Answers live in the leads tables (stored as each arrives); the chat's `Memory` keeps the
question asked last and multi-choice ticks. Nothing here knows Telegram's callback queries
or message ids: each step returns a `Turn` for the chat adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.answer_errors import AnswerErrorCode
from bot.domain.answers import Answer, AnswerError, normalize_phone, validate_multi
from bot.domain.checklist import Checklist, Question, QuestionKind
from bot.domain.flow import next_question, progress, step_back
from bot.domain.knowledge_hit import Knowledge
from bot.domain.leads import Lead, LeadStatus
from bot.domain.scoring import Assessment
from bot.domain.typed_answers import parse_typed
from bot.keyboards.prospect import question_keyboard
from bot.services.answer_kinds import (
    KindSteps,
    ambiguous_screen,
    at_limit,
    limit_text,
    visible_choices,
)
from bot.services.answer_media import MediaMessage, drop_copies, keep_copy
from bot.services.booking import Booking
from bot.services.nurture import VerdictHook
from bot.services.qualification import qualify
from bot.services.replies import (
    Keyboard,
    MarkAnswered,
    Memory,
    Plan,
    Sink,
    Stage,
    Toast,
    Turn,
)
from bot.services.standing import Prospect, Standing
from bot.storage import leads
from bot.storage.db import Connection, Database
from bot.views import Screen
from bot.views.prospect import (
    answer_saved_screen,
    answered_text,
    outcome_screen,
    problem_text,
)

# Typed junk to these shows the question again: its calendar, or where to attach a file.
_ASKED_AGAIN = frozenset({QuestionKind.DATE, QuestionKind.MEDIA})


class Answering:
    """Each step takes who answered, what they did and the chat's memory, and returns a
    `Turn`: the memory after the step and what to show, in order."""

    def __init__(
        self,
        db: Database,
        checklist: Checklist,
        standing: Standing,
        booking: Booking,
        clock: Clock,
        *,
        zone: ZoneInfo,
        knowledge: Knowledge | None = None,
        nurture: VerdictHook | None = None,
    ) -> None:
        self._db = db
        self._checklist = checklist
        self._standing = standing
        self._booking = booking
        self._clock = clock
        self._zone = zone
        # A question typed where buttons are expected may be answered from the FAQ.
        self._knowledge = knowledge
        self._nurture = nurture  # plans follow-ups, asks the marketing consent
        # The calendar, typed-choice candidates and photos: the new kinds' own steps.
        self.kinds = KindSteps(checklist, standing, self._accept)

    # --- entry points -------------------------------------------------------------------

    async def choose(
        self,
        prospect: Prospect,
        question_id: str,
        option_id: str,
        memory: Memory,
        sink: Sink | None = None,
    ) -> Turn:
        plan = Plan(memory, sink)
        found = await self._standing.expect(plan, prospect, question_id, True, QuestionKind.SINGLE)
        if found is None:
            return plan.turn()
        lead, current = found
        visible = visible_choices(self._checklist, lead, current)
        if option_id not in {option.id for option in visible}:
            await self._standing.closed(plan, prospect, lead, pressed=True)
            return plan.turn()
        plan.add(Toast())
        await self._accept(plan, prospect, lead, current, option_id, pressed=True)
        return plan.turn()

    async def toggle(
        self, prospect: Prospect, question_id: str, option_id: str, memory: Memory
    ) -> Turn:
        plan = Plan(memory)
        found = await self._standing.expect(plan, prospect, question_id, True, QuestionKind.MULTI)
        if found is None:
            return plan.turn()
        lead, current = found
        visible = visible_choices(self._checklist, lead, current)
        if option_id not in {option.id for option in visible}:
            await self._standing.closed(plan, prospect, lead, pressed=True)
            return plan.turn()
        ticked = memory.selected(current.id)
        if option_id not in ticked and at_limit(current, ticked):
            plan.add(Toast(limit_text(current, self._standing.t(lead.language))))
            return plan.turn()
        selection = set(ticked) ^ {option_id}
        chosen = tuple(option.id for option in visible if option.id in selection)
        plan.remember(selection={current.id: chosen})
        position, _ = progress(self._checklist, lead.answers, current)
        keyboard = question_keyboard(
            current,
            lead.language,
            self._standing.t(lead.language),
            selection=list(chosen),
            can_go_back=position > 1,
            options=visible,
        )
        plan.add(Toast(), Keyboard(keyboard))
        return plan.turn()

    async def done(
        self, prospect: Prospect, question_id: str, memory: Memory, sink: Sink | None = None
    ) -> Turn:
        plan = Plan(memory, sink)
        found = await self._standing.expect(plan, prospect, question_id, True, QuestionKind.MULTI)
        if found is None:
            return plan.turn()
        lead, current = found
        t = self._standing.t(lead.language)
        try:
            chosen = validate_multi(current, memory.selected(current.id))
        except AnswerError as error:
            plan.add(Toast(problem_text(error, t)))
            return plan.turn()
        plan.add(Toast())
        await self._accept(plan, prospect, lead, current, chosen, pressed=True)
        return plan.turn()

    async def skip(
        self,
        prospect: Prospect,
        question_id: str,
        memory: Memory,
        sink: Sink | None = None,
        *,
        pressed: bool,
    ) -> Turn:
        plan = Plan(memory, sink)
        await self._skip(plan, prospect, question_id, pressed=pressed)
        return plan.turn()

    async def back(
        self,
        prospect: Prospect,
        question_id: str,
        memory: Memory,
        sink: Sink | None = None,
        *,
        pressed: bool,
    ) -> Turn:
        plan = Plan(memory, sink)
        await self._back(plan, prospect, question_id, pressed=pressed)
        return plan.turn()

    async def text(self, prospect: Prospect, text: str, memory: Memory) -> Turn:
        plan = Plan(memory)
        lead, current = await self._standing.current(prospect)
        if lead is None:
            await self._standing.no_lead(plan, prospect)
            return plan.turn()
        t = self._standing.t(lead.language)
        if current is None:
            await self._standing.resume(plan, prospect, lead, greet=False)
            return plan.turn()
        typed = text.strip()
        if typed == t("question.back"):
            await self._back(plan, prospect, current.id, pressed=False)
            return plan.turn()
        if typed == t("question.skip") and current.optional:
            await self._skip(plan, prospect, current.id, pressed=False)
            return plan.turn()
        visible = visible_choices(self._checklist, lead, current)
        try:
            answer = parse_typed(
                current,
                text,
                region=self._checklist.phone_region,
                today=self._standing.today(),
                visible=visible,
            )
        except AnswerError as error:
            if error.code == AnswerErrorCode.AMBIGUOUS:
                screen = ambiguous_screen(current, visible, error, t, lead.language)
                self._standing.show(plan, prospect, screen)
                return plan.turn()
            hit = None
            # Only words that name no option may be a question for the FAQ.
            unmatched = error.code == AnswerErrorCode.CHOOSE_OPTION
            if current.is_choice and unmatched and self._knowledge is not None:
                hit = await self._knowledge.answer(lead.language, text)
            shown = problem_text(error, t) if hit is None else hit.answer
            self._standing.show(plan, prospect, Screen(shown))
            if current.is_choice or current.kind in _ASKED_AGAIN:
                self._standing.ask(plan, prospect, lead, current)
            return plan.turn()
        await self._accept(plan, prospect, lead, current, answer, pressed=False)
        return plan.turn()

    async def contact(
        self, prospect: Prospect, contact_user_id: int | None, phone_number: str, memory: Memory
    ) -> Turn:
        plan = Plan(memory)
        lead, current = await self._standing.current(prospect)
        if lead is None:
            await self._standing.no_lead(plan, prospect)
            return plan.turn()
        t = self._standing.t(lead.language)
        if current is None or current.kind is not QuestionKind.PHONE:
            self._standing.show(plan, prospect, Screen(t("problem.contact_not_expected")))
            await self._standing.resume(plan, prospect, lead, greet=False)
            return plan.turn()
        if contact_user_id != prospect.user_id:
            self._standing.show(plan, prospect, Screen(t("problem.not_own_contact")))
            return plan.turn()
        raw = phone_number if phone_number.startswith("+") else f"+{phone_number}"
        try:
            phone = normalize_phone(raw, self._checklist.phone_region)
        except AnswerError as error:
            self._standing.show(plan, prospect, Screen(problem_text(error, t)))
            return plan.turn()
        await self._accept(plan, prospect, lead, current, phone, pressed=False)
        return plan.turn()

    async def _skip(
        self, plan: Plan, prospect: Prospect, question_id: str, *, pressed: bool
    ) -> None:
        found = await self._standing.expect(plan, prospect, question_id, pressed)
        if found is None:
            return
        lead, current = found
        if not current.optional:
            await self._standing.closed(plan, prospect, lead, pressed=pressed)
            return
        if pressed:
            plan.add(Toast())
        await self._accept(plan, prospect, lead, current, None, pressed=pressed)

    async def _back(
        self, plan: Plan, prospect: Prospect, question_id: str, *, pressed: bool
    ) -> None:
        found = await self._standing.expect(plan, prospect, question_id, pressed)
        if found is None:
            return
        lead, _ = found
        t = self._standing.t(lead.language)
        remaining, previous = step_back(self._checklist, lead.answers)
        if previous is None:
            if pressed:
                plan.add(Toast(t("question.first")))
            else:
                self._standing.show(plan, prospect, Screen(t("question.first")))
            return
        if pressed:
            plan.add(Toast())
            await plan.flush()
        dropped = [qid for qid in lead.answers if qid not in remaining]
        async with self._db.transaction() as tx:
            await leads.delete_answers(tx, lead.id, dropped)
            await drop_copies(tx, lead.id, dropped)
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        plan.remember(selection={})
        # The previous question takes the abandoned one's place in the chat.
        self._standing.ask(plan, prospect, reloaded, previous, instead=True)

    # --- the checklist ------------------------------------------------------------------

    async def _accept(
        self,
        plan: Plan,
        prospect: Prospect,
        lead: Lead,
        question: Question,
        answer: Answer | None,
        *,
        pressed: bool,
        media: MediaMessage | None = None,
    ) -> None:
        await plan.flush()  # the press is answered before the answer is saved
        now = self._clock.now()
        position = self._checklist.questions.index(question)
        verdict: _Verdict | None = None
        # The answer and, after the last one, the verdict and the route: one commit.
        async with self._db.transaction() as tx:
            await leads.save_answer(tx, lead.id, question.id, position, answer, now)
            if question.kind is QuestionKind.MEDIA:
                await keep_copy(
                    tx,
                    lead_id=lead.id,
                    chat_id=prospect.chat_id,
                    question_id=question.id,
                    media=media,
                    at=now,
                )
            # Only the answers changed (a round trip less on PostgreSQL); the verdict
            # reads the whole lead afresh, as staff may have moved it meanwhile.
            reloaded = replace(lead, answers=await leads.answers_of(tx, lead.id))
            if next_question(self._checklist, reloaded.answers) is None:
                fresh = await leads.get(tx, lead.id)
                assert fresh is not None
                verdict = await self._qualify(tx, fresh, now)
        t = self._standing.t(lead.language)
        if question.kind is QuestionKind.PHONE:
            self._standing.show(
                plan, prospect, answer_saved_screen(question, answer, t, lead.language)
            )
        else:
            plan.add(MarkAnswered(answered_text(question, answer, t, lead.language)))
        plan.remember(selection={})
        if verdict is None:
            await self.advance(plan, prospect, reloaded)
        else:
            await self._announce(plan, prospect, verdict)

    async def advance(self, plan: Plan, prospect: Prospect, lead: Lead) -> None:
        """Asks the next question, or gives the outcome when none is left."""
        question = next_question(self._checklist, lead.answers)
        if question is None:
            async with self._db.transaction() as tx:
                verdict = await self._qualify(tx, lead, self._clock.now())
            await self._announce(plan, prospect, verdict)
        else:
            self._standing.ask(plan, prospect, lead, question)

    async def _qualify(self, tx: Connection, lead: Lead, now: datetime) -> _Verdict:
        """The verdict, the follow-up plan and, for a target lead, the manager: kept in
        the caller's transaction."""
        finished, assessment = await qualify(tx, lead, self._checklist, now)
        ask = False if self._nurture is None else await self._nurture.record(tx, finished, now)
        if finished.status is LeadStatus.TARGET:
            finished = await self._booking.route(tx, finished, now)
        return _Verdict(finished, assessment, ask)

    async def _announce(self, plan: Plan, prospect: Prospect, verdict: _Verdict) -> None:
        finished = verdict.lead
        plan.memory = Memory(Stage.DONE, language=finished.language)
        t = self._standing.t(finished.language)
        self._standing.show(
            plan,
            prospect,
            outcome_screen(finished, verdict.assessment, self._checklist.wording, t, self._zone),
        )
        if self._nurture is not None:
            plan.extend(self._nurture.qualified_turn(finished, verdict.ask, plan.memory))
        if finished.status is LeadStatus.TARGET:
            plan.extend(await self._booking.offer_days(finished, plan.memory))


@dataclass(frozen=True)
class _Verdict:
    lead: Lead  # qualified (and routed, when target)
    assessment: Assessment
    ask: bool  # the marketing consent is to be asked

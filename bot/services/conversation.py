"""The prospect's conversation: consent, the checklist one question at a time, the outcome.

Answers live in the leads tables (stored as each arrives); the chat's `Memory` keeps only
what the chat needs to continue: the language before a lead exists, the source until
consent, the question asked last, multi-choice ticks. Nothing here knows Telegram's
callback queries or message ids: each step returns a `Turn` for the chat adapter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.answers import (
    Answer,
    AnswerError,
    normalize_phone,
    validate_multi,
)
from bot.domain.checklist import Checklist, Question, QuestionKind
from bot.domain.consent import Purpose
from bot.domain.flow import next_question, parse_typed, progress, step_back
from bot.domain.knowledge_hit import Knowledge
from bot.domain.leads import (
    REQUALIFIABLE,
    Lead,
    LeadStatus,
    parse_source,
)
from bot.i18n import Translations, Translator
from bot.keyboards.prospect import question_keyboard
from bot.services.booking import Booking
from bot.services.consent_steps import ConsentSteps, Given, Newcomer
from bot.services.nurture import VerdictHook
from bot.services.qualification import move, qualify
from bot.services.replies import (
    Ask,
    Keyboard,
    MarkAnswered,
    Memory,
    Plan,
    Replace,
    Send,
    Sink,
    Stage,
    Toast,
    Turn,
)
from bot.storage import leads
from bot.storage.db import Database
from bot.views import Screen
from bot.views.prospect import (
    answer_saved_screen,
    answered_text,
    language_screen,
    outcome_screen,
    problem_text,
    question_screen,
    returning_screen,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prospect:
    """Who wrote, as Telegram tells it."""

    user_id: int
    chat_id: int
    username: str | None
    language_code: str | None


class Conversation:
    """Each step takes who wrote, what they did and the chat's memory, and returns a
    `Turn`: the memory after the step and what to show, in order."""

    def __init__(
        self,
        db: Database,
        checklist: Checklist,
        translations: Translations,
        booking: Booking,
        clock: Clock,
        *,
        steps: ConsentSteps,  # the consent documents, one message each
        zone: ZoneInfo,
        knowledge: Knowledge | None = None,
        nurture: VerdictHook | None = None,
    ) -> None:
        self._db = db
        self._steps = steps
        # A question typed where buttons are expected may be answered from the FAQ.
        self._knowledge = knowledge
        self._checklist = checklist
        self._translations = translations
        self._booking = booking
        self._clock = clock
        self._zone = zone
        self._nurture = nurture  # plans follow-ups, asks the marketing consent

    # --- entry points -------------------------------------------------------------------

    async def start(self, prospect: Prospect, payload: str | None, memory: Memory) -> Turn:
        plan = Plan(memory)
        lead = await self._load(prospect)
        if lead is None:
            language = memory.language or self._translations.pick_language(prospect.language_code)
            plan.memory = Memory(Stage.CONSENT, language=language, source=parse_source(payload))
            company = escape(self._steps.operator.company)
            self._show(plan, prospect, Screen(self._t(language)("greeting", company=company)))
            self._show(plan, prospect, self._consent(self._t(language)))
            return plan.turn()
        await self._resume(plan, prospect, lead, greet=True)
        return plan.turn()

    async def consent(
        self,
        prospect: Prospect,
        agree: bool,
        memory: Memory,
        sink: Sink | None = None,
        given: Given | None = None,
    ) -> Turn:
        plan = Plan(memory, sink)
        lead = await self._load(prospect)
        if lead is not None or memory.stage is not Stage.CONSENT:
            await self._closed(plan, prospect, lead, pressed=True)
            return plan.turn()
        t = self._t(memory.language)
        plan.add(Toast())
        await plan.flush()
        if not agree:
            plan.memory = Memory()
            plan.add(Replace(Screen(t("consent.declined"))))
            return plan.turn()
        given = given or {Purpose.PROCESSING: None}
        ask = self._steps.next_document(t, given)
        if ask is not None:  # another required document first; nothing is stored yet
            plan.add(Keyboard(None))
            self._show(plan, prospect, ask)
            return plan.turn()
        async with self._db.transaction() as tx:
            lead = await self._steps.open_lead(
                tx,
                Newcomer(prospect.user_id, prospect.chat_id, prospect.username),
                source=memory.source or parse_source(None),
                checklist=self._checklist,
                t=t,
                given=given,
                at=self._clock.now(),
            )
        plan.memory = Memory(Stage.ANSWERING, language=t.language)
        # The accepted document stays in the chat as it was read; only its buttons go.
        plan.add(Keyboard(None))
        self._show(plan, prospect, Screen(t("consent.thanks")))
        await self._advance(plan, prospect, lead)
        return plan.turn()

    async def choose(
        self,
        prospect: Prospect,
        question_id: str,
        option_id: str,
        memory: Memory,
        sink: Sink | None = None,
    ) -> Turn:
        plan = Plan(memory, sink)
        found = await self._expect(plan, prospect, question_id, True, QuestionKind.SINGLE)
        if found is None:
            return plan.turn()
        lead, current = found
        if option_id not in {option.id for option in current.options}:
            await self._closed(plan, prospect, lead, pressed=True)
            return plan.turn()
        plan.add(Toast())
        await self._accept(plan, prospect, lead, current, option_id, pressed=True)
        return plan.turn()

    async def toggle(
        self, prospect: Prospect, question_id: str, option_id: str, memory: Memory
    ) -> Turn:
        plan = Plan(memory)
        found = await self._expect(plan, prospect, question_id, True, QuestionKind.MULTI)
        if found is None:
            return plan.turn()
        lead, current = found
        selection = set(memory.selected(current.id)) ^ {option_id}
        chosen = tuple(option.id for option in current.options if option.id in selection)
        plan.remember(selection={current.id: chosen})
        position, _ = progress(self._checklist, lead.answers, current)
        keyboard = question_keyboard(
            current,
            lead.language,
            self._t(lead.language),
            selection=list(chosen),
            can_go_back=position > 1,
        )
        plan.add(Toast(), Keyboard(keyboard))
        return plan.turn()

    async def done(
        self, prospect: Prospect, question_id: str, memory: Memory, sink: Sink | None = None
    ) -> Turn:
        plan = Plan(memory, sink)
        found = await self._expect(plan, prospect, question_id, True, QuestionKind.MULTI)
        if found is None:
            return plan.turn()
        lead, current = found
        t = self._t(lead.language)
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
        lead, current = await self._current(prospect)
        if lead is None:
            await self._no_lead(plan, prospect)
            return plan.turn()
        t = self._t(lead.language)
        if current is None:
            await self._resume(plan, prospect, lead, greet=False)
            return plan.turn()
        typed = text.strip()
        if typed == t("question.back"):
            await self._back(plan, prospect, current.id, pressed=False)
            return plan.turn()
        if typed == t("question.skip") and current.optional:
            await self._skip(plan, prospect, current.id, pressed=False)
            return plan.turn()
        try:
            today = self._clock.now().astimezone(self._zone).date()
            answer = parse_typed(current, text, region=self._checklist.phone_region, today=today)
        except AnswerError as error:
            hit = None
            if current.is_choice and self._knowledge is not None:
                hit = await self._knowledge.answer(lead.language, text)
            shown = problem_text(error, t) if hit is None else hit.answer
            self._show(plan, prospect, Screen(shown))
            if current.is_choice:
                self._ask(plan, prospect, lead, current)
            return plan.turn()
        await self._accept(plan, prospect, lead, current, answer, pressed=False)
        return plan.turn()

    async def contact(
        self, prospect: Prospect, contact_user_id: int | None, phone_number: str, memory: Memory
    ) -> Turn:
        plan = Plan(memory)
        lead, current = await self._current(prospect)
        if lead is None:
            await self._no_lead(plan, prospect)
            return plan.turn()
        t = self._t(lead.language)
        if current is None or current.kind is not QuestionKind.PHONE:
            self._show(plan, prospect, Screen(t("problem.contact_not_expected")))
            await self._resume(plan, prospect, lead, greet=False)
            return plan.turn()
        if contact_user_id != prospect.user_id:
            self._show(plan, prospect, Screen(t("problem.not_own_contact")))
            return plan.turn()
        raw = phone_number if phone_number.startswith("+") else f"+{phone_number}"
        try:
            phone = normalize_phone(raw, self._checklist.phone_region)
        except AnswerError as error:
            self._show(plan, prospect, Screen(problem_text(error, t)))
            return plan.turn()
        await self._accept(plan, prospect, lead, current, phone, pressed=False)
        return plan.turn()

    async def unsupported(self, prospect: Prospect, memory: Memory) -> Turn:
        """A sticker, photo, voice…: say what we understand and show where we are."""
        plan = Plan(memory)
        lead, _ = await self._current(prospect)
        if lead is None:
            await self._no_lead(plan, prospect)
            return plan.turn()
        self._show(plan, prospect, Screen(self._t(lead.language)("problem.unsupported")))
        await self._resume(plan, prospect, lead, greet=False)
        return plan.turn()

    async def restart(
        self, prospect: Prospect, memory: Memory, sink: Sink | None = None, *, pressed: bool
    ) -> Turn:
        plan = Plan(memory, sink)
        if pressed:
            plan.add(Toast(), Keyboard(None))
            await plan.flush()
        lead = await self._load(prospect)
        if lead is None:
            plan.extend(await self.start(prospect, None, plan.memory))
            return plan.turn()
        t = self._t(lead.language)
        if lead.status not in REQUALIFIABLE:
            self._show(plan, prospect, Screen(t("restart.unavailable")))
            return plan.turn()
        async with self._db.transaction() as tx:
            await leads.clear_answers(tx, lead.id)
            await move(tx, lead, LeadStatus.QUALIFYING, self._clock.now(), "prospect", "restart")
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        plan.memory = Memory(Stage.ANSWERING, language=lead.language)
        self._show(plan, prospect, Screen(t("restart.done")))
        await self._advance(plan, prospect, reloaded)
        return plan.turn()

    async def resume(self, prospect: Prospect, memory: Memory) -> Turn:
        """Shows where they stand again (the current question), e.g. back from people."""
        plan = Plan(memory)
        await self._closed(plan, prospect, await self._load(prospect), pressed=False)
        return plan.turn()

    async def stale_button(self, prospect: Prospect, memory: Memory) -> Turn:
        plan = Plan(memory)
        await self._closed(plan, prospect, await self._load(prospect), pressed=True)
        return plan.turn()

    async def language_menu(self, prospect: Prospect, memory: Memory) -> Turn:
        plan = Plan(memory)
        t = self._t(await self._language(prospect, memory))
        self._show(plan, prospect, language_screen(self._translations.languages, t))
        return plan.turn()

    async def set_language(self, prospect: Prospect, language: str, memory: Memory) -> Turn:
        plan = Plan(memory)
        if language not in self._translations.languages:
            await self._closed(plan, prospect, await self._load(prospect), pressed=True)
            return plan.turn()
        t = self._t(language)
        plan.remember(language=language)
        lead = await self._load(prospect)
        if lead is not None:
            async with self._db.transaction() as tx:
                await leads.set_language(tx, lead.id, language, self._clock.now())
                lead = await leads.get(tx, lead.id)
        plan.add(Toast(), Replace(Screen(t("language.set"))))
        if lead is None:
            if memory.stage is Stage.CONSENT:
                self._show(plan, prospect, self._consent(t))
            return plan.turn()
        await self._resume(plan, prospect, lead, greet=False)
        return plan.turn()

    async def _skip(
        self, plan: Plan, prospect: Prospect, question_id: str, *, pressed: bool
    ) -> None:
        found = await self._expect(plan, prospect, question_id, pressed)
        if found is None:
            return
        lead, current = found
        if not current.optional:
            await self._closed(plan, prospect, lead, pressed=pressed)
            return
        if pressed:
            plan.add(Toast())
        await self._accept(plan, prospect, lead, current, None, pressed=pressed)

    async def _back(
        self, plan: Plan, prospect: Prospect, question_id: str, *, pressed: bool
    ) -> None:
        found = await self._expect(plan, prospect, question_id, pressed)
        if found is None:
            return
        lead, _ = found
        t = self._t(lead.language)
        remaining, previous = step_back(self._checklist, lead.answers)
        if previous is None:
            if pressed:
                plan.add(Toast(t("question.first")))
            else:
                self._show(plan, prospect, Screen(t("question.first")))
            return
        if pressed:
            plan.add(Toast(), Keyboard(None))
            await plan.flush()
        dropped = [qid for qid in lead.answers if qid not in remaining]
        async with self._db.transaction() as tx:
            await leads.delete_answers(tx, lead.id, dropped)
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        plan.remember(selection={})
        await self._advance(plan, prospect, reloaded)

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
    ) -> None:
        await plan.flush()  # the press is answered before the answer is saved
        now = self._clock.now()
        position = self._checklist.questions.index(question)
        async with self._db.transaction() as tx:
            await leads.save_answer(tx, lead.id, question.id, position, answer, now)
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        t = self._t(lead.language)
        if question.kind is QuestionKind.PHONE:
            self._show(plan, prospect, answer_saved_screen(question, answer, t, lead.language))
        else:
            plan.add(MarkAnswered(answered_text(question, answer, t, lead.language)))
        plan.remember(selection={})
        await self._advance(plan, prospect, reloaded)

    async def _advance(self, plan: Plan, prospect: Prospect, lead: Lead) -> None:
        question = next_question(self._checklist, lead.answers)
        if question is None:
            await self._finish(plan, prospect, lead)
        else:
            self._ask(plan, prospect, lead, question)

    def _ask(self, plan: Plan, prospect: Prospect, lead: Lead, question: Question) -> None:
        t = self._t(lead.language)
        position, total = progress(self._checklist, lead.answers, question)
        screen = question_screen(
            question,
            t,
            lead.language,
            position=position,
            total=total,
            selection=plan.memory.selected(question.id),
            can_go_back=position > 1,
        )
        plan.add(Ask(prospect.chat_id, screen))
        plan.remember(stage=Stage.ANSWERING, question=question.id)

    async def _finish(self, plan: Plan, prospect: Prospect, lead: Lead) -> None:
        async with self._db.transaction() as tx:
            finished, assessment = await qualify(tx, lead, self._checklist, self._clock.now())
        plan.memory = Memory(Stage.DONE, language=finished.language)
        t = self._t(finished.language)
        self._show(plan, prospect, outcome_screen(finished, assessment, t, self._zone))
        if self._nurture is not None:
            plan.extend(await self._nurture.qualified(finished, plan.memory))
        if finished.status is LeadStatus.TARGET:
            plan.extend(await self._booking.offer(finished, plan.memory))

    # --- helpers ------------------------------------------------------------------------

    async def _resume(self, plan: Plan, prospect: Prospect, lead: Lead, *, greet: bool) -> None:
        """Shows where the prospect stands: the current question, or their outcome so far."""
        t = self._t(lead.language)
        question = (
            next_question(self._checklist, lead.answers)
            if lead.status in (LeadStatus.NEW, LeadStatus.QUALIFYING)
            else None
        )
        if question is not None:
            if greet:
                self._show(plan, prospect, Screen(t("resume.continue")))
            self._ask(plan, prospect, lead, question)
            return
        self._show(plan, prospect, returning_screen(lead, t, self._zone))
        plan.extend(await self._booking.show_current(lead, plan.memory))

    async def _closed(
        self, plan: Plan, prospect: Prospect, lead: Lead | None, *, pressed: bool
    ) -> None:
        """A button from an old message: say so, then show what is current."""
        language = (
            lead.language if lead is not None else await self._language(prospect, plan.memory)
        )
        if pressed:
            plan.add(Toast(self._t(language)("question.closed")))
        if lead is not None:
            await self._resume(plan, prospect, lead, greet=False)
        else:
            await self._no_lead(plan, prospect)

    async def _no_lead(self, plan: Plan, prospect: Prospect) -> None:
        t = self._t(await self._language(prospect, plan.memory))
        if plan.memory.stage is Stage.CONSENT:
            self._show(plan, prospect, Screen(t("consent.use_buttons")))
            self._show(plan, prospect, self._consent(t))
        else:
            self._show(plan, prospect, Screen(t("start.hint")))

    async def _expect(
        self,
        plan: Plan,
        prospect: Prospect,
        question_id: str,
        pressed: bool,
        *kinds: QuestionKind,
    ) -> tuple[Lead, Question] | None:
        """The lead and its current question if a button was meant for it; else says closed."""
        lead, current = await self._current(prospect)
        if (
            lead is None
            or current is None
            or current.id != question_id
            or (kinds and current.kind not in kinds)
        ):
            await self._closed(plan, prospect, lead, pressed=pressed)
            return None
        return lead, current

    async def _current(self, prospect: Prospect) -> tuple[Lead | None, Question | None]:
        lead = await self._load(prospect)
        if lead is None or lead.status not in (LeadStatus.NEW, LeadStatus.QUALIFYING):
            return lead, None
        return lead, next_question(self._checklist, lead.answers)

    async def _load(self, prospect: Prospect) -> Lead | None:
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, prospect.user_id)
        if lead is None:
            return None
        if lead.unreachable_at is not None or lead.username != prospect.username:
            async with self._db.transaction() as tx:
                # They wrote to us, so they have unblocked the bot (and may have a new @name).
                await leads.mark_reachable(tx, lead.id)
                await leads.set_username(tx, lead.id, prospect.username)
        return lead

    async def _language(self, prospect: Prospect, memory: Memory) -> str:
        if memory.language is not None:
            return memory.language
        lead = await self._load(prospect)
        if lead is not None:
            return lead.language
        return self._translations.pick_language(prospect.language_code)

    def _t(self, language: str | None) -> Translator:
        return self._translations.get(language)

    def _consent(self, t: Translator) -> Screen:
        return self._steps.first(t)

    @staticmethod
    def _show(plan: Plan, prospect: Prospect, screen: Screen) -> None:
        plan.add(Send(prospect.chat_id, screen))

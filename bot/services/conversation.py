"""The prospect's chat commands: /start and the consent hand-off, /restart, /language,
showing where they stand again (back from people, a stale button), unsupported input.

The checklist itself (asking, answers, Back/Skip, the outcome) is `Answering`'s job;
`Standing` finds the lead and shows where the prospect stands. Each step returns a `Turn`
for the chat adapter.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.checklist import Checklist, QuestionKind
from bot.domain.consent import Purpose
from bot.domain.leads import REQUALIFIABLE, LeadStatus, parse_source
from bot.i18n import Translations
from bot.services.answer_media import drop_copies
from bot.services.answering import Answering
from bot.services.consent_steps import ConsentSteps, Given, Newcomer
from bot.services.qualification import move
from bot.services.replies import Keyboard, Memory, Plan, Replace, Sink, Stage, Toast, Turn
from bot.services.standing import Prospect, Standing
from bot.storage import leads
from bot.storage.db import Database, IntegrityError
from bot.views import Screen
from bot.views.prospect import greeting_text, language_screen

__all__ = ["Conversation", "Prospect"]


class Conversation:
    """Each command takes who wrote, what they did and the chat's memory, and returns a
    `Turn`: the memory after the step and what to show, in order."""

    def __init__(
        self,
        db: Database,
        checklist: Checklist,
        translations: Translations,
        clock: Clock,
        *,
        standing: Standing,
        answering: Answering,
        steps: ConsentSteps,  # the consent documents, one message each
    ) -> None:
        self._db = db
        self._checklist = checklist
        self._translations = translations
        self._clock = clock
        self._standing = standing
        self._answering = answering
        self._steps = steps

    # --- entry points -------------------------------------------------------------------

    async def start(self, prospect: Prospect, payload: str | None, memory: Memory) -> Turn:
        plan = Plan(memory)
        lead = await self._standing.load(prospect)
        if lead is None:
            language = memory.language or self._translations.pick_language(prospect.language_code)
            plan.memory = Memory(Stage.CONSENT, language=language, source=parse_source(payload))
            t = self._standing.t(language)
            greeting = greeting_text(self._checklist.wording, t, self._steps.operator.company)
            self._standing.show(plan, prospect, Screen(greeting))
            self._standing.show(plan, prospect, self._standing.consent(t))
            return plan.turn()
        await self._standing.resume(plan, prospect, lead, greet=True)
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
        lead = await self._standing.load(prospect)
        if lead is not None or memory.stage is not Stage.CONSENT:
            await self._standing.closed(plan, prospect, lead, pressed=True)
            return plan.turn()
        t = self._standing.t(memory.language)
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
            self._standing.show(plan, prospect, ask)
            return plan.turn()
        try:
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
        except IntegrityError:
            # A second press at the same moment, handled by another replica, opened the
            # lead first: this one is an old button now.
            existing = await self._standing.load(prospect)
            if existing is None:
                raise
            await self._standing.closed(plan, prospect, existing, pressed=True)
            return plan.turn()
        plan.memory = Memory(Stage.ANSWERING, language=t.language)
        # The accepted document stays in the chat as it was read; only its buttons go.
        plan.add(Keyboard(None))
        self._standing.show(plan, prospect, Screen(t("consent.thanks")))
        await self._answering.advance(plan, prospect, lead)
        return plan.turn()

    async def unsupported(self, prospect: Prospect, memory: Memory) -> Turn:
        """A sticker, photo, voice…: say what we understand and show where we are."""
        plan = Plan(memory)
        lead, current = await self._standing.current(prospect)
        if lead is None:
            await self._standing.no_lead(plan, prospect)
            return plan.turn()
        # A voice or a sticker to a question that wants a photo: say what it wants.
        media = current is not None and current.kind is QuestionKind.MEDIA
        problem = "problem.send_media" if media else "problem.unsupported"
        self._standing.show(plan, prospect, Screen(self._standing.t(lead.language)(problem)))
        await self._standing.resume(plan, prospect, lead, greet=False)
        return plan.turn()

    async def restart(
        self, prospect: Prospect, memory: Memory, sink: Sink | None = None, *, pressed: bool
    ) -> Turn:
        plan = Plan(memory, sink)
        if pressed:
            plan.add(Toast(), Keyboard(None))
            await plan.flush()
        lead = await self._standing.load(prospect)
        if lead is None:
            plan.extend(await self.start(prospect, None, plan.memory))
            return plan.turn()
        t = self._standing.t(lead.language)
        if lead.status not in REQUALIFIABLE:
            self._standing.show(plan, prospect, Screen(t("restart.unavailable")))
            return plan.turn()
        async with self._db.transaction() as tx:
            await leads.clear_answers(tx, lead.id)
            await drop_copies(tx, lead.id, (q.id for q in self._checklist.questions))
            await move(tx, lead, LeadStatus.QUALIFYING, self._clock.now(), "prospect", "restart")
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        plan.memory = Memory(Stage.ANSWERING, language=lead.language)
        self._standing.show(plan, prospect, Screen(t("restart.done")))
        await self._answering.advance(plan, prospect, reloaded)
        return plan.turn()

    async def resume(self, prospect: Prospect, memory: Memory) -> Turn:
        """Shows where they stand again (the current question), e.g. back from people."""
        plan = Plan(memory)
        await self._standing.closed(
            plan, prospect, await self._standing.load(prospect), pressed=False
        )
        return plan.turn()

    async def stale_button(self, prospect: Prospect, memory: Memory) -> Turn:
        plan = Plan(memory)
        await self._standing.closed(
            plan, prospect, await self._standing.load(prospect), pressed=True
        )
        return plan.turn()

    async def language_menu(self, prospect: Prospect, memory: Memory) -> Turn:
        plan = Plan(memory)
        t = self._standing.t(await self._standing.language(prospect, memory))
        self._standing.show(plan, prospect, language_screen(self._translations.languages, t))
        return plan.turn()

    async def set_language(self, prospect: Prospect, language: str, memory: Memory) -> Turn:
        plan = Plan(memory)
        if language not in self._translations.languages:
            await self._standing.closed(
                plan, prospect, await self._standing.load(prospect), pressed=True
            )
            return plan.turn()
        t = self._standing.t(language)
        plan.remember(language=language)
        lead = await self._standing.load(prospect)
        if lead is not None:
            async with self._db.transaction() as tx:
                await leads.set_language(tx, lead.id, language, self._clock.now())
                lead = await leads.get(tx, lead.id)
        plan.add(Toast(), Replace(Screen(t("language.set"))))
        if lead is None:
            if memory.stage is Stage.CONSENT:
                self._standing.show(plan, prospect, self._standing.consent(t))
            return plan.turn()
        await self._standing.resume(plan, prospect, lead, greet=False)
        return plan.turn()

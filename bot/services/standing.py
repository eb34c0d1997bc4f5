"""Where a prospect stands in the chat, shared by the checklist's steps and the commands.

Finds the prospect's lead and its current question, asks a question, and shows where the
prospect stands when a button is stale or they come back (the current question, or the
outcome so far).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock
from bot.domain.checklist import Checklist, Question, QuestionKind
from bot.domain.flow import next_question, progress, visible_options
from bot.domain.leads import Lead, LeadStatus
from bot.i18n import Translations, Translator
from bot.services.booking import Booking
from bot.services.consent_steps import ConsentSteps
from bot.services.replies import Ask, Memory, Plan, Send, Stage, Toast
from bot.storage import leads
from bot.storage.db import Database
from bot.views import Screen
from bot.views.prospect import question_screen, returning_screen


@dataclass(frozen=True)
class Prospect:
    """Who wrote, as Telegram tells it."""

    user_id: int
    chat_id: int
    username: str | None
    language_code: str | None


class Standing:
    """The lead behind a chat and what to show it now."""

    def __init__(
        self,
        db: Database,
        checklist: Checklist,
        translations: Translations,
        booking: Booking,
        *,
        steps: ConsentSteps,
        zone: ZoneInfo,
        clock: Clock | None = None,
    ) -> None:
        self._db = db
        self._checklist = checklist
        self._translations = translations
        self._booking = booking
        self._steps = steps
        self._zone = zone
        self._clock = clock or SystemClock()

    def today(self) -> date:
        """Today in the bot's zone: dates typed or picked are relative to it."""
        return self._clock.now().astimezone(self._zone).date()

    def t(self, language: str | None) -> Translator:
        return self._translations.get(language)

    @staticmethod
    def show(plan: Plan, prospect: Prospect, screen: Screen) -> None:
        plan.add(Send(prospect.chat_id, screen))

    def ask(
        self,
        plan: Plan,
        prospect: Prospect,
        lead: Lead,
        question: Question,
        *,
        instead: bool = False,
    ) -> None:
        t = self.t(lead.language)
        position, total = progress(self._checklist, lead.answers, question)
        screen = question_screen(
            question,
            t,
            lead.language,
            position=position,
            total=total,
            selection=plan.memory.selected(question.id),
            can_go_back=position > 1,
            options=visible_options(self._checklist, question, lead.answers),
            today=self.today(),
        )
        plan.add(Ask(prospect.chat_id, screen, instead=instead))
        plan.remember(stage=Stage.ANSWERING, question=question.id)

    async def resume(self, plan: Plan, prospect: Prospect, lead: Lead, *, greet: bool) -> None:
        """Shows where the prospect stands: the current question, or their outcome so far."""
        t = self.t(lead.language)
        question = (
            next_question(self._checklist, lead.answers)
            if lead.status in (LeadStatus.NEW, LeadStatus.QUALIFYING)
            else None
        )
        if question is not None:
            if greet:
                self.show(plan, prospect, Screen(t("resume.continue")))
            self.ask(plan, prospect, lead, question)
            return
        self.show(plan, prospect, returning_screen(lead, t, self._zone))
        plan.extend(await self._booking.show_current(lead, plan.memory))

    async def closed(
        self, plan: Plan, prospect: Prospect, lead: Lead | None, *, pressed: bool
    ) -> None:
        """A button from an old message: say so, then show what is current."""
        language = lead.language if lead is not None else await self.language(prospect, plan.memory)
        if pressed:
            plan.add(Toast(self.t(language)("question.closed")))
        if lead is not None:
            await self.resume(plan, prospect, lead, greet=False)
        else:
            await self.no_lead(plan, prospect)

    async def no_lead(self, plan: Plan, prospect: Prospect) -> None:
        t = self.t(await self.language(prospect, plan.memory))
        if plan.memory.stage is Stage.CONSENT:
            self.show(plan, prospect, Screen(t("consent.use_buttons")))
            self.show(plan, prospect, self.consent(t))
        else:
            self.show(plan, prospect, Screen(t("start.hint")))

    def consent(self, t: Translator) -> Screen:
        return self._steps.first(t)

    async def expect(
        self,
        plan: Plan,
        prospect: Prospect,
        question_id: str,
        pressed: bool,
        *kinds: QuestionKind,
    ) -> tuple[Lead, Question] | None:
        """The lead and its current question if a button was meant for it; else says closed."""
        lead, current = await self.current(prospect)
        if (
            lead is None
            or current is None
            or current.id != question_id
            or (kinds and current.kind not in kinds)
        ):
            await self.closed(plan, prospect, lead, pressed=pressed)
            return None
        return lead, current

    async def current(self, prospect: Prospect) -> tuple[Lead | None, Question | None]:
        lead = await self.load(prospect)
        if lead is None or lead.status not in (LeadStatus.NEW, LeadStatus.QUALIFYING):
            return lead, None
        return lead, next_question(self._checklist, lead.answers)

    async def expects(self, user_id: int, kind: QuestionKind) -> bool:
        """Whether the user's current question is of `kind` (routing a photo, a file)."""
        async with self._db.read() as conn:
            lead = await leads.get_by_user(conn, user_id)
        if lead is None or lead.status not in (LeadStatus.NEW, LeadStatus.QUALIFYING):
            return False
        question = next_question(self._checklist, lead.answers)
        return question is not None and question.kind is kind

    async def load(self, prospect: Prospect) -> Lead | None:
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

    async def language(self, prospect: Prospect, memory: Memory) -> str:
        if memory.language is not None:
            return memory.language
        lead = await self.load(prospect)
        if lead is not None:
            return lead.language
        return self._translations.pick_language(prospect.language_code)

"""The prospect's conversation: consent, the checklist one question at a time, the outcome.

Answers live in the leads tables (stored as each arrives); the FSM keeps only
what the chat needs to continue: the language before a lead exists, the
source until consent, the current question's message, multi-choice ticks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.clock import Clock
from bot.domain.answers import (
    Answer,
    AnswerError,
    AnswerErrorCode,
    normalize_phone,
    validate_multi,
    validate_number,
    validate_text,
)
from bot.domain.checklist import Checklist, Question, QuestionKind
from bot.domain.events import EventType
from bot.domain.flow import next_question, progress, relevant_answers, step_back
from bot.domain.leads import (
    REQUALIFIABLE,
    VERDICT_STATUS,
    Lead,
    LeadStatus,
    check_transition,
    parse_source,
)
from bot.domain.scoring import Assessment, Verdict, assess
from bot.i18n import Translations, Translator
from bot.keyboards.prospect import question_keyboard
from bot.services.booking import Booking
from bot.services.notifier import Notifier
from bot.storage import leads
from bot.storage.db import Connection, Database
from bot.views import Screen
from bot.views.prospect import (
    answer_saved_screen,
    answered_text,
    consent_screen,
    language_screen,
    outcome_screen,
    problem_text,
    question_screen,
    returning_screen,
)

logger = logging.getLogger(__name__)


class ProspectState(StatesGroup):
    consent = State()
    answering = State()
    done = State()


@dataclass(frozen=True)
class Prospect:
    """Who wrote, as Telegram tells it."""

    user_id: int
    chat_id: int
    username: str | None
    language_code: str | None


@dataclass(frozen=True)
class ConsentTerms:
    company: str
    policy_url: str | None
    version: str


@dataclass(frozen=True)
class ButtonPress:
    """A callback query: which message its button was on, and its id to answer."""

    query_id: str
    message_id: int | None


class Conversation:
    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        checklist: Checklist,
        translations: Translations,
        booking: Booking,
        clock: Clock,
        *,
        terms: ConsentTerms,
        zone: ZoneInfo,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._checklist = checklist
        self._translations = translations
        self._booking = booking
        self._clock = clock
        self._terms = terms
        self._zone = zone

    # --- entry points -------------------------------------------------------------------

    async def start(self, prospect: Prospect, payload: str | None, state: FSMContext) -> None:
        lead = await self._load(prospect)
        if lead is None:
            data = await state.get_data()
            language = data.get("lang") or self._translations.pick_language(prospect.language_code)
            await state.set_state(ProspectState.consent)
            await state.set_data({"lang": language, "source": parse_source(payload)})
            await self._show(prospect, self._consent(self._t(language)))
            return
        await self._resume(prospect, lead, state, greet=True)

    async def consent(
        self, prospect: Prospect, agree: bool, press: ButtonPress, state: FSMContext
    ) -> None:
        lead = await self._load(prospect)
        if lead is not None or await state.get_state() != ProspectState.consent.state:
            await self._closed(prospect, press, state, lead)
            return
        data = await state.get_data()
        t = self._t(data.get("lang"))
        await self._notifier.answer_callback(press.query_id)
        if not agree:
            await state.clear()
            await self._replace(prospect, press, t("consent.declined"))
            return
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead_id = await leads.create(
                tx,
                telegram_user_id=prospect.user_id,
                chat_id=prospect.chat_id,
                username=prospect.username,
                language=t.language,
                source=data.get("source") or parse_source(None),
                checklist_id=self._checklist.id,
                checklist_version=self._checklist.version,
                consent_version=self._terms.version,
                at=now,
            )
            created = await leads.get(tx, lead_id)
            assert created is not None
            await _move(tx, created, LeadStatus.QUALIFYING, now, "prospect", "checklist started")
            lead = await leads.get(tx, lead_id)
        assert lead is not None
        await state.set_state(ProspectState.answering)
        await state.set_data({"lang": t.language})
        await self._replace(prospect, press, t("consent.thanks"))
        await self._advance(prospect, lead, state)

    async def choose(
        self,
        prospect: Prospect,
        question_id: str,
        option_id: str,
        press: ButtonPress,
        state: FSMContext,
    ) -> None:
        found = await self._expect(prospect, question_id, press, state, QuestionKind.SINGLE)
        if found is None:
            return
        lead, current = found
        if option_id not in {option.id for option in current.options}:
            await self._closed(prospect, press, state, lead)
            return
        await self._notifier.answer_callback(press.query_id)
        await self._accept(prospect, lead, current, option_id, state, press)

    async def toggle(
        self,
        prospect: Prospect,
        question_id: str,
        option_id: str,
        press: ButtonPress,
        state: FSMContext,
    ) -> None:
        found = await self._expect(prospect, question_id, press, state, QuestionKind.MULTI)
        if found is None:
            return
        lead, current = found
        selection = set(await self._selection(state, current))
        selection ^= {option_id}
        chosen = [option.id for option in current.options if option.id in selection]
        await state.update_data(sel={current.id: chosen})
        await self._notifier.answer_callback(press.query_id)
        if press.message_id is not None:
            position, _ = progress(self._checklist, lead.answers, current)
            keyboard = question_keyboard(
                current,
                lead.language,
                self._t(lead.language),
                selection=chosen,
                can_go_back=position > 1,
            )
            await self._notifier.edit_markup(prospect.chat_id, press.message_id, keyboard)

    async def done(
        self, prospect: Prospect, question_id: str, press: ButtonPress, state: FSMContext
    ) -> None:
        found = await self._expect(prospect, question_id, press, state, QuestionKind.MULTI)
        if found is None:
            return
        lead, current = found
        t = self._t(lead.language)
        try:
            chosen = validate_multi(current, await self._selection(state, current))
        except AnswerError as error:
            await self._notifier.answer_callback(press.query_id, problem_text(error, t))
            return
        await self._notifier.answer_callback(press.query_id)
        await self._accept(prospect, lead, current, chosen, state, press)

    async def skip(
        self, prospect: Prospect, question_id: str, press: ButtonPress | None, state: FSMContext
    ) -> None:
        found = await self._expect(prospect, question_id, press, state)
        if found is None:
            return
        lead, current = found
        if not current.optional:
            await self._closed(prospect, press, state, lead)
            return
        if press is not None:
            await self._notifier.answer_callback(press.query_id)
        await self._accept(prospect, lead, current, None, state, press)

    async def back(
        self, prospect: Prospect, question_id: str, press: ButtonPress | None, state: FSMContext
    ) -> None:
        found = await self._expect(prospect, question_id, press, state)
        if found is None:
            return
        lead, _ = found
        t = self._t(lead.language)
        remaining, previous = step_back(self._checklist, lead.answers)
        if previous is None:
            if press is not None:
                await self._notifier.answer_callback(press.query_id, t("question.first"))
            else:
                await self._show(prospect, Screen(t("question.first")))
            return
        if press is not None:
            await self._notifier.answer_callback(press.query_id)
            if press.message_id is not None:
                await self._notifier.edit_markup(prospect.chat_id, press.message_id, None)
        dropped = [qid for qid in lead.answers if qid not in remaining]
        async with self._db.transaction() as tx:
            await leads.delete_answers(tx, lead.id, dropped)
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        await state.update_data(sel={})
        await self._advance(prospect, reloaded, state)

    async def text(self, prospect: Prospect, text: str, state: FSMContext) -> None:
        lead, current = await self._current(prospect)
        if lead is None:
            await self._no_lead(prospect, state)
            return
        t = self._t(lead.language)
        if current is None:
            await self._resume(prospect, lead, state, greet=False)
            return
        typed = text.strip()
        if typed == t("question.back"):
            await self.back(prospect, current.id, None, state)
            return
        if typed == t("question.skip") and current.optional:
            await self.skip(prospect, current.id, None, state)
            return
        try:
            answer = self._parse_typed(current, text)
        except AnswerError as error:
            await self._show(prospect, Screen(problem_text(error, t)))
            if current.is_choice:
                await self._ask(prospect, lead, current, state)
            return
        await self._accept(prospect, lead, current, answer, state, None)

    async def contact(
        self, prospect: Prospect, contact_user_id: int | None, phone_number: str, state: FSMContext
    ) -> None:
        lead, current = await self._current(prospect)
        if lead is None:
            await self._no_lead(prospect, state)
            return
        t = self._t(lead.language)
        if current is None or current.kind is not QuestionKind.PHONE:
            await self._show(prospect, Screen(t("problem.contact_not_expected")))
            await self._resume(prospect, lead, state, greet=False)
            return
        if contact_user_id != prospect.user_id:
            await self._show(prospect, Screen(t("problem.not_own_contact")))
            return
        raw = phone_number if phone_number.startswith("+") else f"+{phone_number}"
        try:
            phone = normalize_phone(raw, self._checklist.phone_region)
        except AnswerError as error:
            await self._show(prospect, Screen(problem_text(error, t)))
            return
        await self._accept(prospect, lead, current, phone, state, None)

    async def unsupported(self, prospect: Prospect, state: FSMContext) -> None:
        """A sticker, photo, voice…: say what we understand and show where we are."""
        lead, _ = await self._current(prospect)
        if lead is None:
            await self._no_lead(prospect, state)
            return
        await self._show(prospect, Screen(self._t(lead.language)("problem.unsupported")))
        await self._resume(prospect, lead, state, greet=False)

    async def restart(
        self, prospect: Prospect, press: ButtonPress | None, state: FSMContext
    ) -> None:
        lead = await self._load(prospect)
        if press is not None:
            await self._notifier.answer_callback(press.query_id)
            if press.message_id is not None:
                await self._notifier.edit_markup(prospect.chat_id, press.message_id, None)
        if lead is None:
            await self.start(prospect, None, state)
            return
        t = self._t(lead.language)
        if lead.status not in REQUALIFIABLE:
            await self._show(prospect, Screen(t("restart.unavailable")))
            return
        async with self._db.transaction() as tx:
            await leads.clear_answers(tx, lead.id)
            await _move(tx, lead, LeadStatus.QUALIFYING, self._clock.now(), "prospect", "restart")
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        await state.set_state(ProspectState.answering)
        await state.set_data({"lang": lead.language})
        await self._show(prospect, Screen(t("restart.done")))
        await self._advance(prospect, reloaded, state)

    async def stale_button(self, prospect: Prospect, press: ButtonPress, state: FSMContext) -> None:
        await self._closed(prospect, press, state, await self._load(prospect))

    async def language_menu(self, prospect: Prospect, state: FSMContext) -> None:
        t = self._t(await self._language(prospect, state))
        await self._show(prospect, language_screen(self._translations.languages, t))

    async def set_language(
        self, prospect: Prospect, language: str, press: ButtonPress, state: FSMContext
    ) -> None:
        if language not in self._translations.languages:
            await self._closed(prospect, press, state, await self._load(prospect))
            return
        t = self._t(language)
        await state.update_data(lang=language)
        lead = await self._load(prospect)
        if lead is not None:
            async with self._db.transaction() as tx:
                await leads.set_language(tx, lead.id, language, self._clock.now())
                lead = await leads.get(tx, lead.id)
        await self._notifier.answer_callback(press.query_id)
        await self._replace(prospect, press, t("language.set"))
        if lead is None:
            if await state.get_state() == ProspectState.consent.state:
                await self._show(prospect, self._consent(t))
            return
        await self._resume(prospect, lead, state, greet=False)

    async def forget(self, prospect: Prospect, state: FSMContext) -> None:
        """Erases everything stored about the prospect (their right under data-protection law)."""
        language = await self._language(prospect, state)
        lead = await self._load(prospect)
        if lead is not None:
            # Their manager's calendars must drop the viewing before the data goes.
            await self._booking.cancel_for_erasure(lead.id)
            async with self._db.transaction() as tx:
                await leads.erase(tx, lead, at=self._clock.now(), actor="prospect")
        await state.clear()
        await self._show(prospect, Screen(self._t(language)("forget.done")))

    # --- the checklist ------------------------------------------------------------------

    def _parse_typed(self, question: Question, text: str) -> Answer:
        if question.kind is QuestionKind.NUMBER:
            return validate_number(question, text)
        if question.kind is QuestionKind.TEXT:
            return validate_text(question, text)
        if question.kind is QuestionKind.PHONE:
            return normalize_phone(text, self._checklist.phone_region)
        raise AnswerError(AnswerErrorCode.CHOOSE_OPTION)

    async def _accept(
        self,
        prospect: Prospect,
        lead: Lead,
        question: Question,
        answer: Answer | None,
        state: FSMContext,
        press: ButtonPress | None,
    ) -> None:
        now = self._clock.now()
        position = self._checklist.questions.index(question)
        async with self._db.transaction() as tx:
            await leads.save_answer(tx, lead.id, question.id, position, answer, now)
            reloaded = await leads.get(tx, lead.id)
        assert reloaded is not None
        t = self._t(lead.language)
        data = await state.get_data()
        message_id = press.message_id if press is not None else data.get("msg")
        if question.kind is QuestionKind.PHONE:
            await self._show(prospect, answer_saved_screen(question, answer, t, lead.language))
        elif message_id is not None:
            await self._notifier.edit(
                prospect.chat_id, message_id, answered_text(question, answer, t, lead.language)
            )
        await state.update_data(sel={}, msg=None)
        await self._advance(prospect, reloaded, state)

    async def _advance(self, prospect: Prospect, lead: Lead, state: FSMContext) -> None:
        question = next_question(self._checklist, lead.answers)
        if question is None:
            await self._finish(prospect, lead, state)
        else:
            await self._ask(prospect, lead, question, state)

    async def _ask(
        self, prospect: Prospect, lead: Lead, question: Question, state: FSMContext
    ) -> None:
        t = self._t(lead.language)
        position, total = progress(self._checklist, lead.answers, question)
        screen = question_screen(
            question,
            t,
            lead.language,
            position=position,
            total=total,
            selection=await self._selection(state, question),
            can_go_back=position > 1,
        )
        message = await self._notifier.send(prospect.chat_id, screen.text, markup=screen.markup)
        await state.set_state(ProspectState.answering)
        await state.update_data(q=question.id, msg=None if message is None else message.message_id)

    async def _finish(self, prospect: Prospect, lead: Lead, state: FSMContext) -> None:
        answers = relevant_answers(self._checklist, lead.answers)
        assessment = assess(self._checklist, answers)
        now = self._clock.now()
        follow_up = (
            now + timedelta(days=assessment.follow_up_days)
            if assessment.verdict is Verdict.NURTURE and assessment.follow_up_days
            else None
        )
        async with self._db.transaction() as tx:
            await leads.save_assessment(
                tx,
                lead.id,
                score=assessment.score,
                max_score=assessment.max_score,
                verdict=assessment.verdict,
                reasons=assessment.reasons,
                follow_up_at=follow_up,
                name=self._answer_text(answers, self._checklist.name_question),
                phone=self._answer_text(answers, self._checklist.phone_question),
                checklist_id=self._checklist.id,
                checklist_version=self._checklist.version,
                at=now,
            )
            verdict_status = VERDICT_STATUS[assessment.verdict]
            await _move(
                tx,
                lead,
                verdict_status,
                now,
                "checklist",
                _verdict_reason(assessment),
                event=EventType.QUALIFIED,
                data=_verdict_facts(assessment),
            )
            finished = await leads.get(tx, lead.id)
        assert finished is not None
        await state.set_state(ProspectState.done)
        await state.set_data({"lang": finished.language})
        await self._show(
            prospect, outcome_screen(finished, assessment, self._t(finished.language), self._zone)
        )
        if finished.status is LeadStatus.TARGET:
            await self._booking.offer(finished)

    @staticmethod
    def _answer_text(answers: dict[str, Answer | None], question: Question | None) -> str | None:
        if question is None:
            return None
        value = answers.get(question.id)
        return value if isinstance(value, str) else None

    # --- helpers ------------------------------------------------------------------------

    async def _resume(
        self, prospect: Prospect, lead: Lead, state: FSMContext, *, greet: bool
    ) -> None:
        """Shows where the prospect stands: the current question, or their outcome so far."""
        t = self._t(lead.language)
        question = (
            next_question(self._checklist, lead.answers)
            if lead.status in (LeadStatus.NEW, LeadStatus.QUALIFYING)
            else None
        )
        if question is not None:
            if greet:
                await self._show(prospect, Screen(t("resume.continue")))
            await self._ask(prospect, lead, question, state)
            return
        await self._show(prospect, returning_screen(lead, t, self._zone))
        await self._booking.show_current(lead)

    async def _closed(
        self, prospect: Prospect, press: ButtonPress | None, state: FSMContext, lead: Lead | None
    ) -> None:
        """A button from an old message: say so, then show what is current."""
        language = lead.language if lead is not None else await self._language(prospect, state)
        t = self._t(language)
        if press is not None:
            await self._notifier.answer_callback(press.query_id, t("question.closed"))
        if lead is not None:
            await self._resume(prospect, lead, state, greet=False)
        else:
            await self._no_lead(prospect, state)

    async def _no_lead(self, prospect: Prospect, state: FSMContext) -> None:
        language = await self._language(prospect, state)
        t = self._t(language)
        if await state.get_state() == ProspectState.consent.state:
            await self._show(prospect, Screen(t("consent.use_buttons")))
            await self._show(prospect, self._consent(t))
        else:
            await self._show(prospect, Screen(t("start.hint")))

    async def _expect(
        self,
        prospect: Prospect,
        question_id: str,
        press: ButtonPress | None,
        state: FSMContext,
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
            await self._closed(prospect, press, state, lead)
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

    async def _selection(self, state: FSMContext, question: Question) -> list[str]:
        data: dict[str, Any] = await state.get_data()
        selected = data.get("sel") or {}
        return list(selected.get(question.id, []))

    async def _language(self, prospect: Prospect, state: FSMContext) -> str:
        data = await state.get_data()
        stored = data.get("lang")
        if isinstance(stored, str):
            return stored
        lead = await self._load(prospect)
        if lead is not None:
            return lead.language
        return self._translations.pick_language(prospect.language_code)

    def _t(self, language: str | None) -> Translator:
        return self._translations.get(language)

    def _consent(self, t: Translator) -> Screen:
        return consent_screen(t, company=self._terms.company, policy_url=self._terms.policy_url)

    async def _show(self, prospect: Prospect, screen: Screen) -> None:
        await self._notifier.send(prospect.chat_id, screen.text, markup=screen.markup)

    async def _replace(self, prospect: Prospect, press: ButtonPress, text: str) -> None:
        """Turns the message a button was on into plain text (its buttons are spent)."""
        if press.message_id is None or not await self._notifier.edit(
            prospect.chat_id, press.message_id, text
        ):
            await self._notifier.send(prospect.chat_id, text)


async def _move(
    tx: Connection,
    lead: Lead,
    to_status: LeadStatus,
    at: datetime,
    actor: str,
    reason: str,
    *,
    event: EventType = EventType.STATUS_CHANGED,
    data: dict[str, object] | None = None,
) -> None:
    """A status change the lead's state machine allows, recorded as an event."""
    check_transition(lead.status, to_status)
    await leads.set_status(
        tx, lead, to_status, at=at, actor=actor, reason=reason, event=event, data=data
    )


def _verdict_facts(assessment: Assessment) -> dict[str, object]:
    return {
        "verdict": assessment.verdict.value,
        "score": assessment.score,
        "max_score": assessment.max_score,
        "rules": [r.rule_id for r in assessment.reasons if r.kind == "rule"],
    }


def _verdict_reason(assessment: Assessment) -> str:
    parts = [
        f"rule:{reason.rule_id}"
        if reason.kind == "rule"
        else f"score {reason.score}/{assessment.max_score}"
        for reason in assessment.reasons
    ]
    return ", ".join(parts)

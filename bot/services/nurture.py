"""Nurture: the marketing consent after a nurture verdict, the follow-ups, and stopping them.

- `qualified` (called by the conversation after every verdict) plans the next follow-up of
  a nurture lead and, the first time, asks the marketing consent as its own message.
- `run_due` (a job) sends each due follow-up once: claimed by one run, sent, recorded with
  `nurture.followed_up`; what stopped it meanwhile (the consent withdrawn, NURTURE=off,
  three unanswered) is recorded instead. Rules are in bot/domain/nurture.py.
- `reopen` ("Answer again") clears the answers the follow-up asks again and puts the lead
  back into the checklist, so the normal conversation asks them and qualifies it again.
- `stop` (the button or /stop) withdraws the marketing consent and stops at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import nurture as rules
from bot.domain.checklist import Checklist
from bot.domain.consent import Purpose
from bot.domain.events import EventType
from bot.domain.leads import Lead, LeadId, LeadStatus
from bot.domain.reminders import QuietHours
from bot.i18n import Translations, Translator
from bot.services.notifier import Delivery, Notifier
from bot.services.qualification import move
from bot.services.replies import Keyboard, Memory, Plan, Send, Stage, Toast, Turn
from bot.storage import consents, events, leads
from bot.storage import nurture as store
from bot.storage.db import Connection, Database
from bot.views import Screen
from bot.views.nurture import consent_given_text, consent_screen, consent_text, follow_up_screen

logger = logging.getLogger(__name__)

BATCH = 50
CLAIM_FOR = timedelta(minutes=5)  # a sender that died lets go of its follow-up after this
RETRY_AFTER = timedelta(minutes=5)
PROSPECT = "prospect"


class VerdictHook(Protocol):
    """What the conversation calls when it qualifies a lead: `record` inside the verdict's
    own transaction, then `qualified_turn` with what it returned."""

    async def record(self, tx: Connection, lead: Lead, at: datetime) -> bool: ...

    def qualified_turn(self, lead: Lead, ask: bool, memory: Memory) -> Turn: ...


@dataclass(frozen=True)
class NurtureConfig:
    enabled: bool  # NURTURE=on
    zone: ZoneInfo
    quiet: QuietHours
    company: str
    operator_details: str
    consent_version: str


class Nurture:
    def __init__(
        self,
        db: Database,
        checklist: Checklist,
        translations: Translations,
        notifier: Notifier,
        clock: Clock,
        config: NurtureConfig,
        *,
        on_change: Callable[[], Awaitable[None]],
    ) -> None:
        self._db = db
        self._checklist = checklist
        self._translations = translations
        self._notifier = notifier
        self._clock = clock
        self._config = config
        self._on_change = on_change  # lets the card and the CRM hear of a follow-up

    # --- after a verdict --------------------------------------------------------------

    async def record(self, tx: Connection, lead: Lead, at: datetime) -> bool:
        """Keeps the follow-up plan of a nurture lead (drops it for any other verdict);
        True when the marketing consent is to be asked now."""
        config = self._config
        if lead.status is not LeadStatus.NURTURE:
            await store.drop(tx, lead.id)  # re-qualified to target or reject
            return False
        live = await consents.live(tx, lead.telegram_user_id, Purpose.MARKETING)
        follow_up_at = lead.follow_up_at or at + timedelta(days=rules.MIN_EVERY_DAYS)
        every = rules.every_days(follow_up_at, at)
        due = self._due(follow_up_at) if live is not None and config.enabled else None
        await store.record_verdict(tx, lead.id, every_days=every, due_at=due, at=at)
        return (
            config.enabled
            and live is None
            and await store.mark_asked(tx, lead.id, lead.language, at)
        )

    def qualified_turn(self, lead: Lead, ask: bool, memory: Memory) -> Turn:
        """The marketing consent's question, when `record` said to ask it."""
        plan = Plan(memory)
        if ask:
            config = self._config
            screen = consent_screen(
                self._t(lead), lead.id, company=config.company, details=config.operator_details
            )
            plan.add(Send(lead.chat_id, screen))
        return plan.turn()

    async def consent(
        self, user_id: int, lead_id: int, agree: bool, message_id: int | None, memory: Memory
    ) -> Turn:
        """Yes / No under the consent question."""
        plan = Plan(memory)
        now = self._clock.now()
        config = self._config
        async with self._db.transaction() as tx:
            lead = await self._own_lead(tx, user_id, lead_id)
            state = None if lead is None else await store.get(tx, lead.id)
            if lead is None or state is None or state.stopped_at is not None:
                return self._closed(plan, lead)
            # The text they were shown: in the language it was asked in.
            language = state.asked_language or lead.language
            t = self._translations.get(language)
            if not agree:
                no = Screen(self._t(lead)("nurture.no"))
                plan.add(Toast(), Keyboard(None), Send(lead.chat_id, no))
                return plan.turn()
            if not config.enabled:
                return self._closed(plan, lead)
            given = await consents.give(
                tx,
                user_id=user_id,
                lead_id=lead.id,
                purpose=Purpose.MARKETING,
                version=config.consent_version,
                text=consent_text(t, company=config.company, details=config.operator_details),
                language=language,
                message_id=message_id,
                at=now,
            )
            if not given:  # a second press: the first one was recorded and answered
                plan.add(Toast(), Keyboard(None))
                return plan.turn()
            due = None
            if lead.status is LeadStatus.NURTURE:
                due = self._due(lead.follow_up_at or now + timedelta(days=state.every_days))
                await store.plan(tx, lead.id, due, now)
        text = consent_given_text(self._t(lead), due, config.zone)
        plan.add(Toast(), Keyboard(None), Send(lead.chat_id, Screen(text)))
        return plan.turn()

    # --- the follow-up job ------------------------------------------------------------

    async def run_due(self) -> None:
        """The job: sends every due follow-up this run can claim, once."""
        now = self._clock.now()
        async with self._db.read() as conn:
            due = await store.due(conn, now, BATCH)
        changed = False
        for state in due:
            async with self._db.transaction() as tx:
                if not await store.claim(tx, state, now, now + CLAIM_FOR):
                    continue  # another run has it, or it changed meanwhile
                lead = await leads.get(tx, LeadId(state.lead_id))
                if lead is None:
                    continue
                live = await consents.live(tx, lead.telegram_user_id, Purpose.MARKETING)
                decision = rules.decide(
                    enabled=self._config.enabled,
                    consent_live=live is not None,
                    lead_is_nurture=lead.status is LeadStatus.NURTURE,
                    attempts=state.attempts,
                )
                if decision.action is rules.Action.DROP:
                    await store.drop(tx, lead.id)
                    continue
                if decision.action is rules.Action.STOP:
                    assert decision.via is not None
                    changed |= await self._stop(tx, lead, decision.via, now)
                    continue
            changed |= await self._send(lead, state.every_days, now)
        if changed:
            await self._on_change()

    async def _send(self, lead: Lead, every_days: int, now: datetime) -> bool:
        questions = self.questions(lead)
        screen = follow_up_screen(self._t(lead), lead, self._checklist, questions)
        result = await self._notifier.send_text(lead.chat_id, screen.text, markup=screen.markup)
        async with self._db.transaction() as tx:
            if result.delivery is Delivery.FAILED:
                await store.release(tx, lead.id, now + RETRY_AFTER)
                return False
            sent = result.delivery in (Delivery.DONE, Delivery.HARMLESS)
            message_id = None if result.value is None else result.value.message_id
            next_due = self._due(now + timedelta(days=every_days))
            # A blocked chat counts as unanswered: after a few, nurture stops on its own.
            await store.mark_sent(tx, lead.id, message_id=message_id, next_due=next_due, at=now)
            if sent:
                await events.append(
                    tx,
                    lead.id,
                    EventType.NURTURE_FOLLOWED_UP,
                    at=now,
                    actor="system",
                    data={"questions": list(questions)},
                )
        logger.info("lead %s: nurture follow-up %s", lead.id, result.delivery.value)
        return sent

    def questions(self, lead: Lead) -> tuple[str, ...]:
        """What the follow-up asks again."""
        return rules.questions_to_ask(self._checklist, lead.reasons, lead.answers)

    # --- answering a follow-up --------------------------------------------------------

    async def reopen(self, user_id: int, lead_id: int, memory: Memory) -> tuple[bool, Turn]:
        """ "Answer again": the follow-up's questions go back to the checklist. True when the
        conversation should now ask them."""
        plan = Plan(memory)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await self._own_lead(tx, user_id, lead_id)
            state = None if lead is None else await store.get(tx, lead.id)
            if (
                lead is None
                or state is None
                or state.stopped_at is not None
                or lead.status is not LeadStatus.NURTURE
                or not self._config.enabled
            ):
                return False, self._closed(plan, lead)
            asked = self.questions(lead)
            await leads.delete_answers(tx, lead.id, asked)
            await move(tx, lead, LeadStatus.QUALIFYING, now, PROSPECT, "nurture follow-up")
            await store.mark_answered(tx, lead.id, now)
        plan.add(Toast(), Keyboard(None))
        plan.memory = Memory(Stage.ANSWERING, language=lead.language)
        return True, plan.turn()

    # --- stopping -----------------------------------------------------------------------

    async def stop(
        self, user_id: int, via: rules.StopVia, memory: Memory, language_code: str | None = None
    ) -> Turn:
        """The Stop button or /stop: the marketing consent is withdrawn, follow-ups end."""
        plan = Plan(memory)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            lead = await leads.get_by_user(tx, user_id)
            if lead is None:
                withdrawn = await consents.withdraw(
                    tx,
                    user_id=user_id,
                    lead_id=None,
                    purpose=Purpose.MARKETING,
                    by=PROSPECT,
                    at=now,
                )
                stopped = withdrawn is not None
            else:
                stopped = await self._stop(tx, lead, via, now)
        language = memory.language or self._translations.pick_language(language_code)
        t = self._translations.get(language if lead is None else lead.language)
        text = t("nurture.stopped") if stopped else t("nurture.nothing_to_stop")
        if via is rules.StopVia.BUTTON:
            plan.add(Toast(), Keyboard(None))
        plan.add(Send(user_id if lead is None else lead.chat_id, Screen(text)))
        if stopped:
            await self._on_change()
        return plan.turn()

    async def _stop(self, tx: Connection, lead: Lead, via: rules.StopVia, now: datetime) -> bool:
        """Ends follow-ups (withdrawing the consent when the person asked); True if
        anything was running."""
        withdrawn = None
        if via in (rules.StopVia.BUTTON, rules.StopVia.COMMAND):
            withdrawn = await consents.withdraw(
                tx,
                user_id=lead.telegram_user_id,
                lead_id=lead.id,
                purpose=Purpose.MARKETING,
                by=PROSPECT,
                at=now,
            )
        stopped = await store.stop(tx, lead.id, via.value, now)
        if not (stopped or withdrawn):
            return False
        by_system = (rules.StopVia.CONSENT, rules.StopVia.SETTING, rules.StopVia.SILENCE)
        await events.append(
            tx,
            lead.id,
            EventType.NURTURE_STOPPED,
            at=now,
            actor="system" if via in by_system else PROSPECT,
            data={"via": via.value},
        )
        logger.info("lead %s: nurture stopped (%s)", lead.id, via.value)
        return True

    # --- helpers ------------------------------------------------------------------------

    def _due(self, day_of: datetime) -> datetime:
        return rules.send_time(day_of, self._config.zone, self._config.quiet)

    def _t(self, lead: Lead) -> Translator:
        return self._translations.get(lead.language)

    def _closed(self, plan: Plan, lead: Lead | None) -> Turn:
        t = self._translations.get(None if lead is None else lead.language)
        plan.add(Toast(t("nurture.closed")), Keyboard(None))
        return plan.turn()

    @staticmethod
    async def _own_lead(tx: Connection, user_id: int, lead_id: int) -> Lead | None:
        """The lead the button belongs to, if it is the presser's own (a forwarded button
        does nothing)."""
        lead = await leads.get(tx, LeadId(lead_id))
        return lead if lead is not None and lead.telegram_user_id == user_id else None

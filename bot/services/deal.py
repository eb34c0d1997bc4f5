"""The deal timeline's use cases: start a deal, move it a stage, set its facts; and the
`DealPort` payments and documents read.

Plain data in, results out: the card's buttons, the inbound API and jobs call the same
methods. Each change is written in one transaction with its event (`deal.started` /
`deal.stage_changed`), the client's message for the new stage (queued in the lead's
language, sent by the client-message job after quiet hours) and the pinned summary's
pending edit; afterwards the event consumers (card, CRM, summary) catch up.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import deal as rules
from bot.domain.deal import Deal, DealFile, DealRule, Refusal, Stage
from bot.domain.documents import DocumentRequest
from bot.domain.events import EventType
from bot.domain.leads import Lead, LeadId, LeadStatus
from bot.domain.reminders import QuietHours, outside_quiet
from bot.i18n import Translations
from bot.storage import client_messages, deals, events, leads
from bot.storage.db import Connection, Database

logger = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 1000


class DealOutcome(StrEnum):
    STARTED = "started"
    ALREADY_STARTED = "already_started"  # the lead has a deal: nothing changed
    MOVED = "moved"
    FACTS_SET = "facts_set"
    NOT_FOUND = "not_found"  # no such lead
    NOT_ATTENDED = "not_attended"  # a deal starts once a viewing is attended
    OFF = "off"  # deal support is off: no deal file
    NO_DEAL = "no_deal"
    UNKNOWN_STAGE = "unknown_stage"
    SAME_STAGE = "same_stage"
    NOT_NEXT = "not_next"
    CLOSED = "closed"
    RULE = "rule"
    UNKNOWN_FACT = "unknown_fact"
    OLD_BUTTON = "old_button"  # pressed in a stage the deal has left


_REFUSALS = {
    Refusal.UNKNOWN_STAGE: DealOutcome.UNKNOWN_STAGE,
    Refusal.SAME_STAGE: DealOutcome.SAME_STAGE,
    Refusal.NOT_NEXT: DealOutcome.NOT_NEXT,
    Refusal.CLOSED: DealOutcome.CLOSED,
    Refusal.RULE: DealOutcome.RULE,
}


@dataclass(frozen=True)
class DealResult:
    outcome: DealOutcome
    deal: Deal | None = None
    rule: DealRule | None = None
    lead_status: str | None = None
    unknown: tuple[str, ...] = ()  # unknown fact ids

    @property
    def changed(self) -> bool:
        return self.outcome in (DealOutcome.STARTED, DealOutcome.MOVED, DealOutcome.FACTS_SET)


@dataclass(frozen=True)
class DealConfig:
    zone: ZoneInfo
    quiet: QuietHours
    admin_ids: frozenset[int] = frozenset()
    on: bool = True  # off: the checklist's trade has no deal file


class DealDesk:
    def __init__(
        self,
        db: Database,
        deal_file: DealFile,
        translations: Translations,
        clock: Clock,
        config: DealConfig,
        *,
        on_change: Callable[[], Awaitable[None]],
        wake_sender: Callable[[], None],
    ) -> None:
        self._db = db
        self.file = deal_file
        self._translations = translations
        self._clock = clock
        self._config = config
        self._on_change = on_change  # the card, the CRM and the summary catch up
        self._wake_sender = wake_sender  # the client-message job sends the stage's message

    # --- who may press ----------------------------------------------------------------

    def is_deal_person(self, user_id: int) -> bool:
        """Role people of the deal file (and DEAL_PEOPLE) and administrators."""
        return user_id in self._config.admin_ids or any(
            user_id in role.people for role in self.file.roles
        )

    # --- DealPort -----------------------------------------------------------------------

    async def active_stage(self, tx: Connection, lead_id: int) -> str | None:
        deal = await deals.get(tx, lead_id)
        return None if deal is None or deal.closed else deal.stage

    async def documents_wanted(self, tx: Connection, lead_id: int) -> list[DocumentRequest]:
        deal = await deals.get(tx, lead_id)
        stage = None if deal is None or deal.closed else self.file.stage(deal.stage)
        if deal is None or stage is None:
            return []
        return [
            DocumentRequest(
                stage.id, doc.id, doc.title, doc.personal, doc.required, stage_title=stage.title
            )
            for doc in rules.documents_for(stage, deal.facts)
        ]

    async def payments_open(self, tx: Connection, lead_id: int) -> bool:
        deal = await deals.get(tx, lead_id)
        return deal is not None and not deal.closed and rules.payments_open(self.file, deal.stage)

    async def payments_rule(self, tx: Connection, lead_id: int) -> DealRule | None:
        """The deal file's rule that keeps payments closed now (its message says why)."""
        deal = await deals.get(tx, lead_id)
        return None if deal is None else rules.payments_rule(self.file, deal.stage)

    def people(self, role: str) -> tuple[int, ...]:
        return self.file.people(role)

    # --- reading ------------------------------------------------------------------------

    async def get(self, lead_id: int) -> Deal | None:
        async with self._db.read() as conn:
            return await deals.get(conn, lead_id)

    # --- start ----------------------------------------------------------------------------

    async def start(
        self, lead_id: int, *, actor: str, facts: Mapping[str, bool] | None = None
    ) -> DealResult:
        if not self._config.on:
            return DealResult(DealOutcome.OFF)
        unknown = tuple(sorted(set(facts or {}) - {fact.id for fact in self.file.facts}))
        if unknown:
            return DealResult(DealOutcome.UNKNOWN_FACT, unknown=unknown)
        now = self._clock.now()
        stage = self.file.first
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            if lead is None:
                return DealResult(DealOutcome.NOT_FOUND)
            existing = await deals.get(tx, lead_id)
            if existing is not None:
                return DealResult(DealOutcome.ALREADY_STARTED, existing, lead_status=lead.status)
            # A lead the CRM already put in "deal" (by status) gets its deal started too.
            if lead.status not in (LeadStatus.ATTENDED, LeadStatus.DEAL):
                return DealResult(DealOutcome.NOT_ATTENDED, lead_status=lead.status)
            values = rules.default_facts(self.file, lead.answers) | dict(facts or {})
            due = rules.stage_due(stage, now)
            timeline = (self.file.id, self.file.version)
            await deals.create(
                tx, lead_id, timeline, stage.id, values, at=now, due=due, actor=actor
            )
            if lead.status is LeadStatus.ATTENDED:
                await leads.set_status(
                    tx, lead, LeadStatus.DEAL, at=now, actor=actor, reason="deal_started"
                )
            data = {"stage": stage.id, "timeline": self.file.id}
            await events.append(tx, lead_id, EventType.DEAL_STARTED, at=now, actor=actor, data=data)
            await self._tell_client(tx, lead, stage, actor, now)
            deal = await deals.get(tx, lead_id)
        logger.info("lead %s: deal started at %s", lead_id, stage.id)
        await self._after_change()
        return DealResult(DealOutcome.STARTED, deal, lead_status=LeadStatus.DEAL)

    # --- move -----------------------------------------------------------------------------

    async def move(
        self,
        lead_id: int,
        target: str,
        *,
        actor: str,
        note: str | None = None,
        pressed_in: str | None = None,
    ) -> DealResult:
        """Moves the deal to `target`. `pressed_in`: the stage a button was made in (a press
        from a stage the deal has left is refused as an old button)."""
        now = self._clock.now()
        note = None if note is None else note.strip()[:MAX_NOTE_LENGTH] or None
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            if lead is None:
                return DealResult(DealOutcome.NOT_FOUND)
            deal = await deals.get(tx, lead_id)
            if deal is None:
                return DealResult(DealOutcome.NO_DEAL, lead_status=lead.status)
            if pressed_in is not None and pressed_in != deal.stage:
                return DealResult(DealOutcome.OLD_BUTTON, deal)
            accepted = await deals.accepted_documents(tx, lead_id)
            refused = rules.move_refusal(
                self.file, deal.stage, target, deal.facts, accepted, closed=deal.closed
            )
            if refused is not None:
                return DealResult(_REFUSALS[refused.refusal], deal, refused.rule)
            stage = self.file.stage(target)
            assert stage is not None  # move_refusal checked it
            due = None if stage.final else rules.stage_due(stage, now)
            if not await deals.move(tx, deal, stage.id, at=now, due=due, closes=stage.final):
                # Another press moved it first (it committed while this one waited): say
                # where that one left the deal, not where this one found it.
                return DealResult(DealOutcome.OLD_BUTTON, await deals.get(tx, lead_id) or deal)
            data = {"from": deal.stage, "to": stage.id, "note": note}
            await events.append(
                tx, lead_id, EventType.DEAL_STAGE_CHANGED, at=now, actor=actor, data=data
            )
            status = lead.status
            if stage.final and lead.status is LeadStatus.DEAL:
                await leads.set_status(
                    tx, lead, LeadStatus.CLOSED, at=now, actor=actor, reason="deal_closed"
                )
                status = LeadStatus.CLOSED
            await self._tell_client(tx, lead, stage, actor, now)
            moved = await deals.get(tx, lead_id)
        logger.info("lead %s: deal moved %s -> %s", lead_id, deal.stage, stage.id)
        await self._after_change()
        return DealResult(DealOutcome.MOVED, moved, lead_status=status)

    # --- facts ----------------------------------------------------------------------------

    async def set_facts(self, lead_id: int, facts: Mapping[str, bool]) -> DealResult:
        unknown = tuple(sorted(set(facts) - {fact.id for fact in self.file.facts}))
        if unknown:
            return DealResult(DealOutcome.UNKNOWN_FACT, unknown=unknown)
        async with self._db.transaction() as tx:
            lead = await leads.get(tx, LeadId(lead_id))
            if lead is None:
                return DealResult(DealOutcome.NOT_FOUND)
            deal = await deals.get(tx, lead_id)
            if deal is None:
                return DealResult(DealOutcome.NO_DEAL, lead_status=lead.status)
            if deal.closed:
                return DealResult(DealOutcome.CLOSED, deal)
            await deals.set_facts(tx, lead_id, {**deal.facts, **facts}, self._clock.now())
            deal = await deals.get(tx, lead_id)
        await self._after_change()
        return DealResult(DealOutcome.FACTS_SET, deal)

    # --- inside a change ------------------------------------------------------------------

    async def _tell_client(
        self, tx: Connection, lead: Lead, stage: Stage, actor: str, now: datetime
    ) -> None:
        """Queues the stage's message to the client, out of quiet hours (the team's zone)."""
        t = self._translations.get(lead.language)
        heading = t("deal.client.stage", stage=stage.title.get(lead.language))
        text = rules.message_text(stage, lead.language, heading)
        zone, quiet = self._config.zone, self._config.quiet
        due = outside_quiet(now, zone, quiet, now - timedelta(seconds=1), None) or now
        await client_messages.add(tx, lead.id, text, actor, due, now)

    async def _after_change(self) -> None:
        self._wake_sender()
        await self._on_change()

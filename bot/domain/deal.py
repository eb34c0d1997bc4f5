"""The deal timeline after the viewing: stages, their documents, who owns each, and the rules
that refuse a move (e.g. no escrow payment request before the contract is registered).

The timeline is data (the deal file, loaded by bot/domain/deal_file.py); these are its model
and its rules as pure functions, read the same by the card, the API and `/deal`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.answers import Answers
from bot.domain.checklist import Localized
from bot.domain.conditions import Condition, matches

# --- conditions on the deal's facts ----------------------------------------------------


@dataclass(frozen=True)
class FactIs:
    fact: str
    value: bool


@dataclass(frozen=True)
class AllFacts:
    items: tuple[FactCondition, ...]


@dataclass(frozen=True)
class AnyFacts:
    items: tuple[FactCondition, ...]


@dataclass(frozen=True)
class NotFacts:
    item: FactCondition


FactCondition = FactIs | AllFacts | AnyFacts | NotFacts


def holds(condition: FactCondition | None, facts: Mapping[str, bool]) -> bool:
    """Whether `condition` holds on the deal's facts; an unset fact is false."""
    if condition is None:
        return True
    if isinstance(condition, FactIs):
        return facts.get(condition.fact, False) is condition.value
    if isinstance(condition, AllFacts):
        return all(holds(item, facts) for item in condition.items)
    if isinstance(condition, AnyFacts):
        return any(holds(item, facts) for item in condition.items)
    return not holds(condition.item, facts)


def facts_in(condition: FactCondition | None) -> frozenset[str]:
    if condition is None:
        return frozenset()
    if isinstance(condition, FactIs):
        return frozenset({condition.fact})
    if isinstance(condition, NotFacts):
        return facts_in(condition.item)
    return frozenset[str]().union(*(facts_in(item) for item in condition.items))


# --- the file's parts -------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    id: str
    title: Localized
    people: tuple[int, ...] = ()


@dataclass(frozen=True)
class Fact:
    id: str
    title: Localized
    # From the lead's checklist answers when the deal starts (None: false).
    default: Condition | None = None


@dataclass(frozen=True)
class DocumentSpec:
    id: str
    title: Localized
    personal: bool = False  # passport, SNILS: only after the documents consent
    required: bool = True
    when: FactCondition | None = None


@dataclass(frozen=True)
class StageMessage:
    """What the client is told on entering the stage."""

    now: Localized  # what happens now
    takes: Localized  # how long it usually takes
    need: Localized | None = None  # what we need from you


@dataclass(frozen=True)
class Stage:
    id: str
    title: Localized
    message: StageMessage
    owner: str  # a role id
    expected_days: int | None = None
    documents: tuple[DocumentSpec, ...] = ()
    next: tuple[str, ...] = ()
    final: bool = False


class RuleKind(StrEnum):
    NO_PAYMENTS_BEFORE = "no_payments_before"
    DOCUMENTS_FIRST = "documents_first"


@dataclass(frozen=True)
class DealRule:
    id: str
    kind: RuleKind
    # no_payments_before: the stage payments wait for. documents_first: the stage whose
    # documents must be accepted before `enter` may be entered.
    stage: str
    message: Localized
    enter: str | None = None


@dataclass(frozen=True)
class DealFile:
    id: str
    version: int
    languages: tuple[str, ...]
    roles: tuple[Role, ...]
    facts: tuple[Fact, ...]
    stages: tuple[Stage, ...]
    rules: tuple[DealRule, ...] = ()
    _stage_index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._stage_index.update({stage.id: index for index, stage in enumerate(self.stages)})

    @property
    def first(self) -> Stage:
        return self.stages[0]

    def stage(self, stage_id: str) -> Stage | None:
        index = self._stage_index.get(stage_id)
        return None if index is None else self.stages[index]

    def order(self, stage_id: str) -> int:
        """The stage's place in the file (stages are listed in their usual order)."""
        return self._stage_index[stage_id]

    def role(self, role_id: str) -> Role | None:
        return next((role for role in self.roles if role.id == role_id), None)

    def people(self, role_id: str) -> tuple[int, ...]:
        role = self.role(role_id)
        return () if role is None else role.people

    def with_people(self, extra: Mapping[str, tuple[int, ...]]) -> DealFile:
        """The file with DEAL_PEOPLE's ids added to its roles (the roles must exist)."""
        roles = tuple(
            Role(role.id, role.title, tuple(dict.fromkeys((*role.people, *extra.get(role.id, ())))))
            for role in self.roles
        )
        return DealFile(
            self.id, self.version, self.languages, roles, self.facts, self.stages, self.rules
        )


# --- the rules of a move ----------------------------------------------------------------


class Refusal(StrEnum):
    """Why a move is refused (locale: deal.refused.<value>)."""

    UNKNOWN_STAGE = "unknown_stage"
    SAME_STAGE = "same_stage"
    NOT_NEXT = "not_next"
    CLOSED = "closed"
    RULE = "rule"


@dataclass(frozen=True)
class MoveRefused:
    refusal: Refusal
    rule: DealRule | None = None


def documents_for(stage: Stage, facts: Mapping[str, bool]) -> tuple[DocumentSpec, ...]:
    """The stage's documents whose conditions hold on the deal's facts, in file order."""
    return tuple(doc for doc in stage.documents if holds(doc.when, facts))


def missing_documents(
    stage: Stage, facts: Mapping[str, bool], accepted: Collection[tuple[str, str]]
) -> tuple[DocumentSpec, ...]:
    """Required documents of `stage` not accepted yet (`accepted`: (stage, document) pairs)."""
    return tuple(
        doc
        for doc in documents_for(stage, facts)
        if doc.required and (stage.id, doc.id) not in accepted
    )


def move_refusal(
    deal_file: DealFile,
    current: str,
    target: str,
    facts: Mapping[str, bool],
    accepted: Collection[tuple[str, str]],
    *,
    closed: bool = False,
) -> MoveRefused | None:
    """None if the deal may move from `current` to `target` now; else why not."""
    stage = deal_file.stage(current)
    wanted = deal_file.stage(target)
    if wanted is None:
        return MoveRefused(Refusal.UNKNOWN_STAGE)
    if closed or stage is None or stage.final:
        return MoveRefused(Refusal.CLOSED)
    if target == current:
        return MoveRefused(Refusal.SAME_STAGE)
    if target not in stage.next:
        return MoveRefused(Refusal.NOT_NEXT)
    for rule in deal_file.rules:
        if rule.kind is not RuleKind.DOCUMENTS_FIRST or rule.enter != target:
            continue
        source = deal_file.stage(rule.stage)
        if source is not None and missing_documents(source, facts, accepted):
            return MoveRefused(Refusal.RULE, rule)
    return None


def payments_open(deal_file: DealFile, current: str | None) -> bool:
    """False while a `no_payments_before` rule's stage lies ahead (in file order)."""
    if current is None or deal_file.stage(current) is None:
        return False
    position = deal_file.order(current)
    return all(
        position >= deal_file.order(rule.stage)
        for rule in deal_file.rules
        if rule.kind is RuleKind.NO_PAYMENTS_BEFORE
    )


def payments_rule(deal_file: DealFile, current: str | None) -> DealRule | None:
    """The rule that keeps payments closed now, if any."""
    if current is None or deal_file.stage(current) is None:
        return None
    position = deal_file.order(current)
    return next(
        (
            rule
            for rule in deal_file.rules
            if rule.kind is RuleKind.NO_PAYMENTS_BEFORE and position < deal_file.order(rule.stage)
        ),
        None,
    )


def default_facts(deal_file: DealFile, answers: Answers) -> dict[str, bool]:
    """Each fact from the lead's checklist answers (facts without a default are false)."""
    return {
        fact.id: fact.default is not None and matches(fact.default, answers)
        for fact in deal_file.facts
    }


def stage_due(stage: Stage, since: datetime) -> datetime | None:
    return None if stage.expected_days is None else since + timedelta(days=stage.expected_days)


def second_rung_at(since: datetime, due: datetime) -> datetime:
    """The head of sales hears of an overdue stage after the stage's time again."""
    return due + (due - since)


def message_text(stage: Stage, language: str, heading: str) -> str:
    """The client's message for the stage: its title, what happens, what we need, how long."""
    parts = [heading, stage.message.now.get(language)]
    if stage.message.need is not None:
        parts.append(stage.message.need.get(language))
    parts.append(stage.message.takes.get(language))
    return "\n\n".join(part.strip() for part in parts if part.strip())


@dataclass(frozen=True)
class Deal:
    """A lead's deal as stored (`deals`)."""

    lead_id: int
    timeline_id: str
    timeline_version: int
    stage: str
    stage_since: datetime
    stage_due_at: datetime | None
    facts: Mapping[str, bool]
    started_at: datetime
    started_by: str
    closed_at: datetime | None = None
    summary_chat_id: int | None = None
    summary_message_id: int | None = None
    overdue_rung: int = 0
    next_rung_at: datetime | None = None
    summary_due_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

"""The deal endpoints of the inbound API: start a deal, move it a stage, set its facts.

Registered on the API sub-application by `register`; the use cases (`DealDesk`) are found
under `DEAL_DESK` on the root application. Refusals are RFC 9457 problems: 404 (no such
lead), 409 (not attended yet, no deal, closed, not an allowed next stage, a deal file
rule), 422 (an unknown stage or fact, a bad body).
"""

from __future__ import annotations

import logging
from typing import Annotated, TypeVar, assert_never

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from bot.domain.deal import Deal, DealFile, payments_open
from bot.services.deal import DealDesk, DealOutcome, DealResult
from bot.web.api.models import FieldError
from bot.web.api.problems import Answer, invalid_body, ok, problem
from bot.web.api.requests import path_lead_id, read_body

logger = logging.getLogger(__name__)

DEAL_DESK = web.AppKey("deal_desk", DealDesk)
ACTOR = "api"
_REQUEST = ConfigDict(strict=True, extra="forbid", frozen=True)
_Body = TypeVar("_Body", bound=BaseModel)
FactId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,19}$")]


class DealStart(BaseModel):
    """Start the lead's deal at the deal file's first stage (the lead attended a viewing)."""

    model_config = _REQUEST

    facts: dict[FactId, bool] = Field(
        default_factory=dict,
        description="Facts of the deal file (e.g. mortgage, married); the rest come from the "
        "lead's checklist answers.",
    )


class DealStageMove(BaseModel):
    """Move the deal to one of the stages allowed next (the deal file's `next:`)."""

    model_config = _REQUEST

    stage: str = Field(min_length=1, max_length=20, description="A stage id of the deal file.")
    note: str | None = Field(
        default=None, max_length=1000, description="Why, for the lead's history."
    )


class DealFacts(BaseModel):
    """Switch facts of the deal (the documents asked for follow them)."""

    model_config = _REQUEST

    facts: dict[FactId, bool] = Field(min_length=1)


class DealState(BaseModel):
    """The deal as it is after the call."""

    lead_id: int
    status: str | None = Field(description="The lead's status.")
    timeline: str
    stage: str
    stage_title: str
    stage_since: str
    stage_due_at: str | None
    closed: bool
    facts: dict[str, bool]
    next_stages: list[str]
    payments_open: bool
    changed: bool = Field(description="False when the call found the deal already so.")


def register(app: web.Application) -> None:
    app.router.add_post("/leads/{lead_id}/deal", start)
    app.router.add_post("/leads/{lead_id}/deal/stage", move)
    app.router.add_post("/leads/{lead_id}/deal/facts", set_facts)


async def start(request: web.Request) -> web.Response:
    desk, lead_id = request.config_dict[DEAL_DESK], path_lead_id(request)
    body = _parse(DealStart, await read_body(request))
    result = await desk.start(lead_id, actor=ACTOR, facts=body.facts)
    return _answer(desk.file, lead_id, result).response()


async def move(request: web.Request) -> web.Response:
    desk, lead_id = request.config_dict[DEAL_DESK], path_lead_id(request)
    body = _parse(DealStageMove, await read_body(request))
    result = await desk.move(lead_id, body.stage, actor=ACTOR, note=body.note)
    return _answer(desk.file, lead_id, result, wanted=body.stage).response()


async def set_facts(request: web.Request) -> web.Response:
    desk, lead_id = request.config_dict[DEAL_DESK], path_lead_id(request)
    body = _parse(DealFacts, await read_body(request))
    result = await desk.set_facts(lead_id, body.facts)
    return _answer(desk.file, lead_id, result).response()


def _state(deal_file: DealFile, deal: Deal, status: str | None, changed: bool) -> DealState:
    stage = deal_file.stage(deal.stage)
    language = "en" if "en" in deal_file.languages else deal_file.languages[0]
    return DealState(
        lead_id=deal.lead_id,
        status=status,
        timeline=deal.timeline_id,
        stage=deal.stage,
        stage_title=deal.stage if stage is None else stage.title.get(language),
        stage_since=deal.stage_since.isoformat(),
        stage_due_at=None if deal.stage_due_at is None else deal.stage_due_at.isoformat(),
        closed=deal.closed,
        facts=dict(deal.facts),
        next_stages=[] if stage is None or deal.closed else list(stage.next),
        payments_open=not deal.closed and payments_open(deal_file, deal.stage),
        changed=changed,
    )


def _answer(deal_file: DealFile, lead_id: int, result: DealResult, *, wanted: str = "") -> Answer:
    deal = result.deal
    status = result.lead_status
    match result.outcome:
        case DealOutcome.STARTED | DealOutcome.MOVED | DealOutcome.FACTS_SET:
            assert deal is not None
            code = 201 if result.outcome is DealOutcome.STARTED else 200
            logger.info("API: lead %d deal %s at %s", lead_id, result.outcome, deal.stage)
            return ok(code, _state(deal_file, deal, status, changed=True))
        case DealOutcome.ALREADY_STARTED | DealOutcome.SAME_STAGE:
            assert deal is not None
            return ok(200, _state(deal_file, deal, status, changed=False))
        case DealOutcome.NOT_FOUND:
            return problem(404, "lead-not-found", f"no lead with id {lead_id}")
        case DealOutcome.NOT_ATTENDED:
            detail = (
                f"lead {lead_id} is {status or 'unknown'}: a deal starts once the lead has "
                "attended a viewing (status attended)"
            )
            return problem(409, "not-attended", detail)
        case DealOutcome.OFF:
            detail = "deal support is off: the bot has no deal file (DEAL_PATH)"
            return problem(409, "deal-support-off", detail)
        case DealOutcome.NO_DEAL:
            detail = f"lead {lead_id} has no deal: start it with POST /leads/{lead_id}/deal"
            return problem(409, "no-deal", detail)
        case DealOutcome.CLOSED:
            return problem(409, "deal-closed", f"the deal of lead {lead_id} is closed")
        case DealOutcome.UNKNOWN_STAGE:
            known = ", ".join(stage.id for stage in deal_file.stages)
            error = FieldError(field="stage", message=f"unknown stage; stages: {known}")
            detail = f"{wanted!r} is not a stage of {deal_file.id}; stages: {known}"
            return problem(422, "unknown-stage", detail, errors=[error])
        case DealOutcome.NOT_NEXT | DealOutcome.OLD_BUTTON:
            assert deal is not None
            stage = deal_file.stage(deal.stage)
            allowed = ", ".join(stage.next) if stage is not None and stage.next else "none"
            detail = f"the deal is at {deal.stage}; it cannot move to {wanted}; allowed: {allowed}"
            return problem(409, "stage-not-allowed", detail)
        case DealOutcome.RULE:
            assert result.rule is not None
            language = "en" if "en" in deal_file.languages else deal_file.languages[0]
            detail = f"rule {result.rule.id}: {result.rule.message.get(language)}"
            return problem(409, "deal-rule", detail)
        case DealOutcome.UNKNOWN_FACT:
            known = ", ".join(fact.id for fact in deal_file.facts) or "none"
            errors = [
                FieldError(field=f"facts.{fact}", message=f"unknown fact; facts: {known}")
                for fact in result.unknown
            ]
            detail = f"unknown fact(s) {', '.join(result.unknown)}; facts: {known}"
            return problem(422, "unknown-fact", detail, errors=errors)
        case _:
            assert_never(result.outcome)


def _parse(model: type[_Body], raw: bytes) -> _Body:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_body(exc) from None

"""GET and PUT /leads/{lead_id}/payments: the CRM reads and sets a lead's payment schedule
(the same use case as staff's `/payments`). PUT is idempotent: the same schedule again
changes nothing and writes no event."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web
from pydantic import ValidationError

from bot.domain.payments import Payment, PlannedPayment, amount_text, parse_amount_text
from bot.services.payments import PaymentDesk, ScheduleOutcome
from bot.web.api.models import FieldError
from bot.web.api.payment_models import PaymentOut, ScheduleIn, ScheduleOut
from bot.web.api.problems import ProblemError, invalid_body, ok, problem
from bot.web.api.requests import path_lead_id, read_body

ACTOR = "api"


def add_payment_routes(app: web.Application, desk: PaymentDesk) -> None:
    handlers = _PaymentHandlers(desk)
    app.router.add_get("/leads/{lead_id}/payments", handlers.get)
    app.router.add_put("/leads/{lead_id}/payments", handlers.put)


def _answer(lead_id: int, schedule: Sequence[Payment]) -> web.Response:
    body = ScheduleOut(
        lead_id=lead_id,
        payments=[
            PaymentOut(
                payment_id=p.id,
                due_on=p.due_on,
                amount=amount_text(p.amount_minor),
                currency=p.currency,
                label=p.label,
                status=p.status.value,
            )
            for p in schedule
        ],
    )
    return ok(200, body).response()


def _not_found(lead_id: int) -> ProblemError:
    return ProblemError(problem(404, "lead-not-found", f"no lead with id {lead_id}"))


class _PaymentHandlers:
    def __init__(self, desk: PaymentDesk) -> None:
        self._desk = desk

    async def get(self, request: web.Request) -> web.Response:
        lead_id = path_lead_id(request)
        schedule = await self._desk.schedule(lead_id)
        if schedule is None:
            raise _not_found(lead_id)
        return _answer(lead_id, schedule)

    async def put(self, request: web.Request) -> web.Response:
        lead_id = path_lead_id(request)
        try:
            body = ScheduleIn.model_validate_json(await read_body(request))
        except ValidationError as exc:
            raise invalid_body(exc) from None
        today = self._desk.today()
        past = [
            FieldError(field=f"payments.{i}.due_on", message=f"must not be before {today}")
            for i, item in enumerate(body.payments)
            if item.due_on < today
        ]
        if past:
            detail = f"due dates must not be in the past (today is {today} for the client)"
            raise ProblemError(problem(422, "past-due-date", detail, errors=past))
        planned = [
            PlannedPayment(
                item.due_on, parse_amount_text(item.amount) or 0, item.currency, item.label
            )
            for item in body.payments
        ]
        result = await self._desk.set_schedule(lead_id, planned, actor=ACTOR)
        if result.outcome is ScheduleOutcome.NOT_FOUND:
            raise _not_found(lead_id)
        return _answer(lead_id, result.schedule)

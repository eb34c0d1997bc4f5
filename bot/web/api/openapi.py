"""The OpenAPI 3.1 document of the API, generated from the pydantic models.

Every schema comes from pydantic's JSON Schema generation (3.1 uses JSON Schema 2020-12,
which is what pydantic emits), so the document says exactly what the validators accept.
Only the routing is written here: which model goes to which path, and which statuses each
operation can answer.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.web.api.deal_routes import DealFacts, DealStageMove, DealStart, DealState
from bot.web.api.models import (
    IdempotencyKey,
    LeadIdParam,
    LeadSnapshot,
    MessageQueued,
    NewMessage,
    Problem,
    StatusChange,
    StatusChanged,
)
from bot.web.api.payment_models import ScheduleIn, ScheduleOut
from bot.web.api.problems import JSON, PROBLEM_JSON

_REF_TEMPLATE = "#/components/schemas/{model}"
_MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (StatusChange, "validation"),
    (NewMessage, "validation"),
    (LeadSnapshot, "serialization"),
    (StatusChanged, "serialization"),
    (MessageQueued, "serialization"),
    (ScheduleIn, "validation"),
    (ScheduleOut, "serialization"),
    (Problem, "serialization"),
    (DealStart, "validation"),
    (DealStageMove, "validation"),
    (DealFacts, "validation"),
    (DealState, "serialization"),
]
_ERRORS = {
    "401": "No or wrong `Authorization: Bearer <token>`.",
    "404": "No such lead (ids are positive integers), or its data was erased.",
    "413": "The body is over 64 KB.",
    "415": "The body is not application/json.",
    "422": "Invalid JSON or body (see `errors`); a reused Idempotency-Key; unknown status.",
    "409": "The status change or deal move is not allowed (a deal file rule, not the next "
    "stage, no deal, not attended), or the same Idempotency-Key is in progress.",
    "429": "Too many requests for this token; wait `Retry-After` seconds.",
}


def build_openapi() -> dict[str, Any]:
    refs, defs = models_json_schema(_MODELS, ref_template=_REF_TEMPLATE)
    ref = {model: schema for (model, _mode), schema in refs.items()}
    lead_id = {
        "name": "lead_id",
        "in": "path",
        "required": True,
        "schema": TypeAdapter(LeadIdParam).json_schema(),
    }
    key = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": TypeAdapter(IdempotencyKey).json_schema(),
    }

    def operation(
        summary: str, ok: str, answer: type[BaseModel], errors: str, body: type[BaseModel] | None
    ) -> dict[str, Any]:
        responses: dict[str, Any] = {ok: {"description": summary, **_content(JSON, ref[answer])}}
        for status in errors.split():
            responses[status] = {
                "description": _ERRORS[status],
                **_content(PROBLEM_JSON, ref[Problem]),
            }
        op: dict[str, Any] = {"summary": summary, "parameters": [lead_id], "responses": responses}
        if body is not None:
            op["parameters"] = [lead_id, key]
            op["requestBody"] = {"required": True, **_content(JSON, ref[body])}
        return op

    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "leadsieve sales desk API", "version": "1"},
        "security": [{"bearer": []}],
        "paths": {
            "/leads/{lead_id}": {
                "get": operation("The lead's snapshot", "200", LeadSnapshot, "401 404 429", None)
            },
            "/leads/{lead_id}/status": {
                "post": operation(
                    "Move the lead to another status",
                    "200",
                    StatusChanged,
                    "401 404 409 413 415 422 429",
                    StatusChange,
                )
            },
            "/leads/{lead_id}/messages": {
                "post": operation(
                    "Send the prospect a message in Telegram",
                    "202",
                    MessageQueued,
                    "401 404 409 413 415 422 429",
                    NewMessage,
                )
            },
            "/leads/{lead_id}/payments": {
                "get": operation("The payment schedule", "200", ScheduleOut, "401 404 429", None),
                # PUT is idempotent by itself: no Idempotency-Key.
                "put": operation(
                    "Replace the unpaid payments (paid ones stay; [] clears)",
                    "200",
                    ScheduleOut,
                    "401 404 413 415 422 429",
                    ScheduleIn,
                )
                | {"parameters": [lead_id]},
            },
            "/leads/{lead_id}/deal": {
                "post": operation(
                    "Start the lead's deal (201; 200 with changed false if it has one)",
                    "201",
                    DealState,
                    "401 404 409 413 415 422 429",
                    DealStart,
                )
            },
            "/leads/{lead_id}/deal/stage": {
                "post": operation(
                    "Move the deal to a stage allowed next; the client is told",
                    "200",
                    DealState,
                    "401 404 409 413 415 422 429",
                    DealStageMove,
                )
            },
            "/leads/{lead_id}/deal/facts": {
                "post": operation(
                    "Switch facts of the deal (mortgage, married, ...)",
                    "200",
                    DealState,
                    "401 404 409 413 415 422 429",
                    DealFacts,
                )
            },
        },
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
    # The deal calls are safe to repeat by themselves: no Idempotency-Key.
    for path in ("/deal", "/deal/stage", "/deal/facts"):
        document["paths"][f"/leads/{{lead_id}}{path}"]["post"]["parameters"] = [lead_id]
    return document


def _content(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {media_type: {"schema": schema}}}

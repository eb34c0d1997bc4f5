"""Every body the sales desk receives matches the published event schema (v1).

Real journeys (chat buttons, the staff card, the manager's report, the sales desk's own
calls) produce every event type the outbox pushes; each delivered body is validated as
it came over the wire, and the lead snapshot of the inbound API against the schema's
`lead` definition.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from bot.domain.events import EventType
from bot.web.api.models import LeadSnapshot
from bot.web.api.problems import ok
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram import TelegramUser
from tests.handlers.flows import answer_rest, consent, consent_up_to_budget, serious_buyer
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.viewings.conftest import ANNA
from tests.viewings.test_booking import pick

SCHEMA: dict[str, Any] = json.loads(
    resources.files("bot.integrations.sales_desk")
    .joinpath("event.schema.json")
    .read_text(encoding="utf-8")
)
REGISTRY: Registry[Any] = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
# Both are appended before the lead's first `lead.qualified`, and the outbox tracks a
# lead only from that event on: the CRM never hears of them.
NEVER_PUSHED = frozenset({EventType.CREATED, EventType.CONSENT_GIVEN})
# The lead-managers' desk has its own journey (test_desk_event_schema.py).
DESK_TYPES = frozenset(t.value for t in EventType if t.value.startswith("desk."))
# Deal support, payments, nurture and privacy have their own journeys too.
AFTER_VIEWING_TYPES = frozenset(
    t.value
    for t in EventType
    if t.value.startswith(("deal.", "payment.", "nurture."))
    or t in (EventType.CONSENT_WITHDRAWN, EventType.DATA_EXPORTED)
)
NIGHT = datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("Europe/Moscow"))


def validator(pointer: str = "") -> Draft202012Validator:
    """The schema, or one of its definitions (`#/$defs/lead`), with formats checked."""
    return Draft202012Validator(
        {"$ref": SCHEMA["$id"] + pointer},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


EVENT = validator()
LEAD = validator("#/$defs/lead")


def problem(checker: Draft202012Validator, instance: Any) -> str | None:
    """The most relevant reason `instance` does not match, with where; None if it does."""
    error = best_match(checker.iter_errors(instance))
    if error is None:
        return None
    return f"{error.json_path}: {error.message}"


# --- journeys -------------------------------------------------------------------------


async def booked_and_moved(desk: Harness) -> TelegramUser:
    """Target, routed, booked, then moved by the prospect."""
    user = desk.prospect(1001, language_code="en", username="anna_k")
    await serious_buyer(user)
    await deliver_all(desk)  # lead.qualified with the snapshot of that moment
    await pick(user, "Mon 23", "10:00")
    await user.click("Reschedule")
    await pick(user, "Tue 24", "11:30")
    return user


async def cancelled_rebooked_no_show(desk: Harness) -> None:
    """The prospect cancels and books again; the sales desk reports a no-show."""
    user = desk.prospect(1002, language_code="en")
    await serious_buyer(user)
    await pick(user, "Mon 23", "14:00")
    await user.click("Cancel")
    await user.click("Yes, cancel")
    await user.click("Book a time")
    await pick(user, "Wed 25", "10:00")
    await desk.app.lead_desk.change_status(2, "no_show", "did not come", actor="api")


async def call_back_then_requalified(desk: Harness) -> None:
    """None of the times suit; then /restart and answers that make a nurture lead."""
    user = desk.prospect(1003, language_code="en")
    await serious_buyer(user, source=None)
    await user.click("None of these suit me")
    await user.send("Saturday after 2 pm")
    await user.send("/restart")
    await answer_rest(user, timeline="In 6–12 months")


async def rejected_and_messaged(desk: Harness) -> None:
    """A rule rejects the lead; the sales desk writes to them now and at night."""
    user = desk.prospect(1004, language_code="en")
    await consent(user)
    await answer_rest(user, purpose="I want to rent a flat")
    await desk.app.lead_desk.send_message(4, "We have rentals too", None, actor="api")
    await desk.app.lead_desk.send_message(4, "Good night", NIGHT, actor="api")


async def assigned_by_hand(desk: Harness) -> TelegramUser:
    """Nobody covers the district: staff hand the lead to Anna, the prospect books."""
    user = desk.prospect(1005, language_code="en")
    await consent_up_to_budget(user)
    await user.send("9000000")
    await user.click("Own funds")
    await user.click("Done ➡️")
    await user.click("This month")
    await user.click("Severnaya Zvezda — Northern district")
    await user.send("Oleg")
    await user.press("📱 Share my phone number")
    await user.click("Any time")
    card = next(
        message
        for message in reversed(desk.telegram.bot_messages(STAFF_CHAT))
        if any(button.get("text") == "→ Anna Petrova" for button in message.inline_buttons())
    )
    await desk.staff_member().click("→ Anna Petrova", card)
    await pick(user, "Thu 26", "10:00")
    return user


async def booked_then_forgotten(desk: Harness, user_id: int) -> None:
    """Erased while its events still wait: each goes out without personal data."""
    user = desk.prospect(user_id, language_code="en")
    await serious_buyer(user)
    await pick(user, "Fri 27", "10:00")
    await user.send("/forget")


async def manager_reports(desk: Harness, label: str) -> None:
    """The report after the slot, as the manager presses it."""
    await desk.app.reminders.run_due()
    manager = desk.telegram.user(ANNA, language_code="en", deliver=desk.feed)
    await manager.click(label)


# --- tests ----------------------------------------------------------------------------


def test_the_schema_is_draft_2020_12_and_lists_every_pushed_type() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].endswith("/events/v1")
    pushed = {event.value for event in EventType} - {EventType.CRM_LINKED.value}
    assert set(SCHEMA["properties"]["type"]["enum"]) == pushed
    assert {"lead", "answer", "reason", "manager", "viewing", "telegram", "change"} <= set(
        SCHEMA["$defs"]
    )


async def test_every_body_of_real_journeys_matches_the_schema(
    desk: Harness, receiver: GenericReceiver
) -> None:
    anna = await booked_and_moved(desk)
    await deliver_all(desk)
    await cancelled_rebooked_no_show(desk)
    await call_back_then_requalified(desk)
    await rejected_and_messaged(desk)
    await assigned_by_hand(desk)
    await deliver_all(desk)
    # Booked now, reported by the manager after its slot (below).
    later = desk.prospect(1006, language_code="en")
    await serious_buyer(later)
    await pick(later, "Fri 27", "14:00")
    # Created last on purpose: SQLite gives the id of an erased newest lead to the next
    # lead, whose lead.created would then go out under the erased lead's tracking.
    await booked_then_forgotten(desk, 1007)
    await deliver_all(desk)

    # Monday 11:30 Moscow, 24 h before Anna's viewing: the reminder, "I'll be there".
    desk.clock.advance(hours=23, minutes=30)
    await desk.app.reminders.run_due()
    await anna.click("I'll be there")
    await desk.app.lead_desk.change_status(1, "attended", "came with his wife", actor="api")
    await desk.app.lead_desk.change_status(1, "deal", "contract signed", actor="api")
    await deliver_all(desk)
    await anna.send("/forget")
    # Thursday 12:30 Moscow, after lead 5's slot: the manager says it was moved.
    desk.clock.advance(days=3, hours=1)
    await manager_reports(desk, "Moved")
    # Friday 16:00 Moscow, after lead 6's slot: the manager says they came.
    desk.clock.advance(days=1, hours=3, minutes=30)
    await manager_reports(desk, "Attended")
    await deliver_all(desk)

    assert receiver.refusals == []
    invalid = {
        f"{received.webhook_id} {received.type}": problem(EVENT, json.loads(received.body))
        for received in receiver.deliveries
    }
    assert {key: why for key, why in invalid.items() if why is not None} == {}

    produced = {received.type for received in receiver.deliveries}
    schema_types = set(SCHEMA["properties"]["type"]["enum"])
    separate = DESK_TYPES | AFTER_VIEWING_TYPES
    assert produced - separate == schema_types - NEVER_PUSHED - separate
    # Both shapes of `data` came: the snapshot, and the bare id of an erased lead, for
    # `lead.erased` and for events of lead 7 delivered after it was erased.
    gone = {r.type for r in receiver.deliveries if "status" not in r.payload["data"]}
    assert gone == {
        "lead.qualified",
        "lead.manager_assigned",
        "viewing.booked",
        "viewing.cancelled",
        "lead.erased",
    }
    changes = [r.payload["data"]["change"] for r in receiver.deliveries]
    actors = {change["actor"].partition(":")[0] for change in changes}
    assert actors == {"checklist", "routing", "prospect", "api", "staff", "manager"}
    assert {change.get("outcome") for change in changes} == {None, "moved", "attended"}


async def test_the_api_snapshot_matches_the_schema(
    desk: Harness, receiver: GenericReceiver
) -> None:
    await assigned_by_hand(desk)
    halfway = desk.prospect(1002, language_code="en")
    await consent_up_to_budget(halfway)  # no verdict, score, name or phone yet
    for lead_id in (1, 2):
        snapshot = await desk.app.lead_desk.lead_snapshot(lead_id)
        assert snapshot is not None
        # The GET handler's answer, serialised as it does (without starting the server).
        body = json.loads(ok(200, LeadSnapshot(dict(snapshot))).body)
        assert problem(LEAD, body) is None
    moved = await desk.app.lead_desk.change_status(1, "cancelled", "", actor="api")
    # The answer of POST /status carries the snapshot after the move.
    assert moved.lead is not None and moved.lead["viewing"]["state"] == "cancelled"
    assert problem(LEAD, json.loads(json.dumps(moved.lead))) is None
    # An event's data is the snapshot plus `change`: the snapshot alone has no `change`.
    await deliver_all(desk)
    pushed = json.loads(receiver.deliveries[-1].body)["data"]
    assert problem(LEAD, pushed) is not None
    del pushed["change"]
    assert problem(LEAD, pushed) is None


async def test_the_schema_refuses_what_the_code_never_sends(
    desk: Harness, receiver: GenericReceiver
) -> None:
    user = desk.prospect(language_code="en")
    await serious_buyer(user)
    await deliver_all(desk)
    await user.send("/forget")
    await deliver_all(desk)
    qualified = json.loads(receiver.deliveries[0].body)
    erased = json.loads(receiver.deliveries[-1].body)
    assert (qualified["type"], erased["type"]) == ("lead.qualified", "lead.erased")
    assert problem(EVENT, qualified) is None and problem(EVENT, erased) is None

    def changed(body: dict[str, Any], edit: Callable[[dict[str, Any]], object]) -> Any:
        edited = copy.deepcopy(body)
        edit(edited)
        return edited

    wrong = {
        "a key the code does not send": changed(
            qualified, lambda b: b["data"].update(email="anna@example.com")
        ),
        "a fractional answer": changed(
            qualified, lambda b: b["data"]["answers"][2].update(value=8.5)
        ),
        "a phone not in E.164": changed(
            qualified, lambda b: b["data"].update(phone="+7 916 123-45-67")
        ),
        "a type that is never pushed": changed(
            qualified, lambda b: b.update(type=EventType.CRM_LINKED.value)
        ),
        "an envelope time with an offset": changed(
            qualified, lambda b: b.update(timestamp="2026-11-22T09:00:00+00:00")
        ),
        "a change without its event id": changed(
            qualified, lambda b: b["data"]["change"].pop("event_id")
        ),
        "another type's facts in the change": changed(
            qualified, lambda b: b["data"]["change"].update(viewing_id=1)
        ),
        "a verdict the checklist has no word for": changed(
            qualified, lambda b: b["data"].update(verdict="hot")
        ),
        "personal data in an erasure": changed(
            erased, lambda b: b["data"].update(phone="+79161234567")
        ),
        "a snapshot in an erasure": changed(erased, lambda b: b.update(data=qualified["data"])),
    }
    assert {why: problem(EVENT, body) is not None for why, body in wrong.items()} == dict.fromkeys(
        wrong, True
    )

"""The privacy events reach the CRM in bodies that match the published schema."""

from __future__ import annotations

import json

from bot.domain.consent import Purpose
from bot.domain.events import EventType
from tests.conftest import Harness
from tests.handlers.flows import serious_buyer
from tests.privacy.test_privacy_command import give
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.sales_desk.test_event_schema import EVENT, problem

PRIVACY_TYPES = {
    EventType.CONSENT_GIVEN.value,
    EventType.CONSENT_WITHDRAWN.value,
    EventType.DATA_EXPORTED.value,
    EventType.ERASED.value,
}


async def test_every_privacy_event_matches_the_schema(
    crm: Harness, receiver: GenericReceiver
) -> None:
    user = crm.prospect(language_code="en")
    await serious_buyer(user)  # with the CRM transfer: it is pushed from qualification on
    await give(crm, Purpose.MARKETING)  # as nurture records it
    await user.send("/mydata")
    await user.send("/privacy")
    await user.click("Withdraw: Offers and follow-ups")
    await user.send("/forget")
    await crm.app.pipe.drain()
    await deliver_all(crm)

    assert receiver.refusals == []
    bodies = {f"{r.webhook_id} {r.type}": json.loads(r.body) for r in receiver.deliveries}
    invalid = {key: problem(EVENT, body) for key, body in bodies.items()}
    assert {key: why for key, why in invalid.items() if why is not None} == {}
    produced = {r.type for r in receiver.deliveries}
    assert PRIVACY_TYPES - produced == set()
    changes = {r.type: r.payload["data"]["change"] for r in receiver.deliveries}
    assert changes[EventType.CONSENT_WITHDRAWN.value]["purpose"] == "marketing"
    assert changes[EventType.DATA_EXPORTED.value]["format"] == "json"

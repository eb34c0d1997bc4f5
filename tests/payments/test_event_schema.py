"""Every payment event of one lead's life reaches the CRM in a body that matches the
published schema (bot/integrations/sales_desk/event.schema.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.domain.events import EventType
from tests.conftest import SALES_DESK_SECRET, Harness
from tests.payments.conftest import HEAD, SCHEDULE, client_with_topic, olga, rita
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.sales_desk.test_event_schema import EVENT, problem

PAYMENT_TYPES = frozenset(t.value for t in EventType if t.value.startswith("payment."))


async def test_every_payment_event_matches_the_schema(
    make_office: Callable[..., Any], receiver: GenericReceiver
) -> None:
    harness: Harness = await make_office(
        sales_desk_url=receiver.url,
        sales_desk_secret=SALES_DESK_SECRET,
        head_of_sales_ids=str(HEAD),
    )
    anna, thread = await client_with_topic(harness)
    await olga(harness).send(SCHEDULE, thread_id=thread)
    timers = harness.app.payments.timers

    harness.clock.current = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a reminder at 10:00
    await timers.run_due()
    await anna.click("✅ I've paid")
    await timers.run_due()
    await rita(harness).click("❌ Не поступил")
    await timers.run_due()
    await anna.click("✅ I've paid")
    await timers.run_due()
    await rita(harness).click("✅ Поступил")
    # The second payment is never paid: rung 1 on 27 December, rung 2 on 31 December.
    harness.clock.current = datetime(2026, 12, 27, 7, 0, tzinfo=UTC)
    await timers.run_due()
    harness.clock.current = datetime(2026, 12, 31, 7, 0, tzinfo=UTC)
    await timers.run_due()
    await deliver_all(harness)

    assert receiver.refusals == []
    bodies = {
        f"{r.webhook_id} {r.type}": json.loads(r.body)
        for r in receiver.deliveries
        if r.type in PAYMENT_TYPES
    }
    invalid = {key: problem(EVENT, body) for key, body in bodies.items()}
    assert {key: why for key, why in invalid.items() if why is not None} == {}
    assert PAYMENT_TYPES - {r.type for r in receiver.deliveries} == set()
    changes = [
        r.payload["data"]["change"]
        for r in receiver.deliveries
        if r.type == EventType.PAYMENT_OVERDUE.value
    ]
    assert [(c["rung"], c["amount"], c["due_on"]) for c in changes] == [
        (1, "500000.50", "2026-12-26"),
        (2, "500000.50", "2026-12-26"),
    ]

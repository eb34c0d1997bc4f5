"""Nurture's events reach the CRM in bodies that match the published schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.consent import Purpose
from bot.storage import consents
from tests.conftest import SALES_DESK_SECRET, Harness
from tests.handlers.flows import answer_rest, consent
from tests.nurture.conftest import (
    ANSWER_AGAIN,
    EVERY,
    FIRST_DUE,
    LATER,
    STOP,
    YES,
    follow_ups,
    nurture_lead,
    run_at,
)
from tests.sales_desk.conftest import deliver_all
from tests.sales_desk.generic_receiver import GenericReceiver
from tests.sales_desk.test_event_schema import EVENT, problem
from tests.viewings.conftest import write_sites


async def test_every_nurture_event_matches_the_schema(
    make_harness: Callable[..., Any], receiver: GenericReceiver, tmp_path: Path
) -> None:
    desk: Harness = await make_harness(
        sites_path=write_sites(tmp_path),
        sales_desk_url=receiver.url,
        sales_desk_secret=SALES_DESK_SECRET,
    )
    anna = await nurture_lead(desk)
    boris = desk.prospect(1002, language_code="en")
    await consent(boris)
    await answer_rest(boris, timeline=LATER, name="Boris")
    await boris.click(YES)

    await run_at(desk, FIRST_DUE)
    await anna.click(ANSWER_AGAIN, follow_ups(desk, 1001)[0])
    await anna.click(LATER)  # the same: nurture again
    await run_at(desk, FIRST_DUE + EVERY)
    await anna.click(STOP, follow_ups(desk, 1001)[-1])
    async with desk.app.db.transaction() as tx:  # Boris withdraws it from /privacy
        await consents.withdraw(
            tx,
            user_id=1002,
            lead_id=2,
            purpose=Purpose.MARKETING,
            by="prospect",
            at=desk.clock.now(),
        )
    await run_at(desk, FIRST_DUE + 2 * EVERY)
    await deliver_all(desk)

    assert receiver.refusals == []
    bodies = {f"{r.webhook_id} {r.type}": json.loads(r.body) for r in receiver.deliveries}
    invalid = {key: problem(EVENT, body) for key, body in bodies.items()}
    assert {key: why for key, why in invalid.items() if why is not None} == {}
    facts = [
        (r.type, {k: v for k, v in r.payload["data"]["change"].items() if k != "event_id"})
        for r in receiver.deliveries
        if r.type.startswith("nurture.") or r.type == "lead.consent_withdrawn"
    ]
    assert [t for t, _ in facts].count("nurture.stopped") == 2
    followed = {"actor": "system", "questions": ["timeline"]}
    assert facts.count(("nurture.followed_up", followed)) == 4  # two each
    assert ("nurture.stopped", {"actor": "prospect", "via": "button"}) in facts
    assert ("nurture.stopped", {"actor": "system", "via": "consent"}) in facts
    withdrawn = {"actor": "prospect", "purpose": "marketing", "version": "1"}
    assert facts.count(("lead.consent_withdrawn", withdrawn)) == 2

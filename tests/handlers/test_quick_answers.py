"""Two messages a prospect sends in quick succession are handled one after the other, in
the order sent, and the per-user locks that keep that order are gone afterwards."""

from __future__ import annotations

import asyncio

from bot.isolation import BoundedEventIsolation
from tests.conftest import Harness
from tests.handlers.flows import cash_buyer_up_to_name


async def test_two_quick_answers_go_to_their_questions_in_order(harness: Harness) -> None:
    user = harness.prospect(language_code="en")
    await cash_buyer_up_to_name(user)

    # Both reach the bot before it has answered the first, as a fast typist's do.
    await asyncio.gather(user.send("Anna"), user.send("8 (916) 765-43-21"))

    lead = await harness.lead()
    assert lead is not None
    assert lead.answers["name"] == "Anna"
    assert lead.answers["phone"] == "+79167654321"
    assert "doesn't look like a phone number" not in "\n".join(user.messages())
    assert "Skip" in user.buttons()  # the optional call time, asked once both are in

    isolation = harness.app.dispatcher.fsm.events_isolation
    assert isinstance(isolation, BoundedEventIsolation)
    assert isolation.locks_kept == 0

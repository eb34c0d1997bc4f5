"""The staff card follows the event log: a crash between a change and its card edit,
or Telegram failing the edit, leaves the card right in the end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.storage import leads
from tests.conftest import STAFF_CHAT, Harness
from tests.handlers.flows import serious_buyer


async def test_a_crash_after_the_change_leaves_no_stale_card(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness()
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None
    # A change commits with its event; the process dies before any consumer runs.
    async with harness.app.db.transaction() as tx:
        await leads.set_callback(tx, lead.id, "after 6 pm please", harness.clock.now())
    await harness.app.close()
    assert "after 6 pm" not in harness.card(lead.staff_thread_id)

    restarted: Harness = await make_harness()
    await restarted.app.announce()  # what run() does first
    assert "📞 Просит позвонить: after 6 pm please" in restarted.card(lead.staff_thread_id)
    edits = restarted.telegram.sent(STAFF_CHAT, "editMessageText")
    assert len(edits) == 1  # once, not once per restart or per event


async def test_a_failed_card_edit_is_retried_by_the_card_job(harness: Harness) -> None:
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None
    # Telegram down for longer than the notifier's five attempts.
    harness.telegram.fail_next(
        "editMessageText", error_code=502, description="Bad Gateway", times=5
    )
    harness.expected_errors.append("gave up on editMessageText")
    async with harness.app.db.transaction() as tx:
        await leads.set_callback(tx, lead.id, "mornings only", harness.clock.now())
    await harness.app.pipe.drain()
    stale = await harness.lead()
    assert stale is not None and stale.card_stale_at is not None
    assert "mornings only" not in harness.card(lead.staff_thread_id)

    await harness.app.staff.publish_pending()  # the job that runs every minute
    fixed = await harness.lead()
    assert fixed is not None and fixed.card_stale_at is None
    assert "mornings only" in harness.card(lead.staff_thread_id)

"""The bot under the stand-in's flood control: bursts of prospects, a 429 in the middle,
edits piling up on one card, and the pending-cards job running all the while."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

from bot.domain.send_policy import SendLimits, Window
from bot.storage import leads
from tests.conftest import STAFF_CHAT, Harness
from tests.fakegram.flood import FloodLimits
from tests.handlers.flows import consent, serious_buyer

# Telegram's counts in shorter windows, so a test takes seconds: a group takes 20 requests a
# second instead of a minute. The stand-in is a little stricter than the bot believes
# (Telegram's real limits are not published exactly), so 429s do happen.
BOT_LIMITS = SendLimits(private=Window(1, 0.05), group=Window(20, 1.0), overall=Window(30, 0.05))
TELEGRAM = FloodLimits(private=(1, 0.05), group=(16, 1.0), overall=(30, 0.05))
FINAL_TEXT = "A manager will call you shortly"


@contextlib.asynccontextmanager
async def pending_card_job(harness: Harness) -> AsyncIterator[list[int]]:
    """Runs the unposted-cards job over and over, as its timer would under a slow group.

    At the end the pass under way finishes, as a timer's pass would: cancelled while it
    waits out a 429 on a card edit, it would leave that card marked for the next pass.
    """
    runs: list[int] = []
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            await harness.app.staff.publish_pending()
            runs.append(1)
            await asyncio.sleep(0.02)

    task = asyncio.create_task(loop())
    try:
        yield runs
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


async def test_forty_prospects_at_once_under_flood_control(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness(send_limits=BOT_LIMITS)
    flood = harness.telegram.enable_flood_control(TELEGRAM)
    users = [harness.prospect(2000 + n, language_code="en") for n in range(40)]
    async with pending_card_job(harness) as runs:
        await asyncio.gather(*(serious_buyer(user) for user in users))
        await harness.passes_done()  # the card passes the burst left running
        await harness.app.pipe.drain()
    assert runs, "the pending-cards job never ran during the burst"

    assert flood.rejected > 0, "no 429 at all: the test did not test the 429 path"
    assert flood.violations == [], "requests reached a chat before their retry_after"

    # Every lead: one topic, one card, posted once.
    cards = Counter(
        r.params["message_thread_id"]
        for r in harness.telegram.sent(STAFF_CHAT, "sendMessage")
        if "лид #" in str(r.params.get("text"))
    )
    topics = harness.telegram.sent(STAFF_CHAT, "createForumTopic")
    assert len(topics) == 40
    assert sorted(cards.values()) == [1] * 40
    async with harness.app.db.read() as conn:
        unposted = await leads.unposted(conn)
    assert unposted == []

    # Every prospect got every answer: all took the same path, so all saw the same number
    # of messages, ending with the last one.
    counts = {len(user.bot_messages()) for user in users}
    assert len(counts) == 1
    assert all(FINAL_TEXT in (user.last_text() or "") for user in users)


async def test_a_429_for_one_chat_does_not_delay_another(harness: Harness) -> None:
    slow, fast = (
        harness.prospect(3001, language_code="en"),
        harness.prospect(3002, language_code="en"),
    )
    harness.telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 2",
        retry_after=2,
        chat_id=slow.chat_id,
    )
    slow_start = asyncio.create_task(slow.send("/start"))
    await harness.telegram.wait_for(lambda r: r.ok is False, chat_id=slow.chat_id)
    # While the slow chat waits out its 2 s, the other prospect goes through the consent.
    await consent(fast)
    assert not slow_start.done()
    assert slow.bot_messages() == []
    await slow_start
    # The greeting (refused once, then sent) and the consent document after it.
    [refused, delivered, document] = harness.telegram.sent(slow.chat_id, "sendMessage", ok=None)
    assert refused.error_code == 429 and delivered.ok and document.ok
    assert delivered.time - refused.time >= 2.0


async def test_edits_of_one_card_waiting_in_line_collapse(harness: Harness) -> None:
    await serious_buyer(harness.prospect(language_code="en"))
    lead = await harness.lead()
    assert lead is not None and lead.staff_message_id is not None
    # Hold the staff group's line with a 429 on the first edit, then pile up edits.
    harness.telegram.fail_next(
        "editMessageText",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=STAFF_CHAT,
    )
    notifier = harness.app.notifier
    before = len(harness.telegram.sent(STAFF_CHAT, "editMessageText", ok=None))
    first = asyncio.create_task(notifier.edit(STAFF_CHAT, lead.staff_message_id, "version 0"))
    await harness.telegram.wait_for(lambda r: r.ok is False, chat_id=STAFF_CHAT)
    later = [
        asyncio.create_task(notifier.edit(STAFF_CHAT, lead.staff_message_id, f"version {n}"))
        for n in range(1, 6)
    ]
    assert await asyncio.gather(first, *later) == [True] * 6
    edits = harness.telegram.sent(STAFF_CHAT, "editMessageText", ok=None)[before:]
    # The one in flight (refused once, then sent) and the latest; versions 1-4 never went.
    assert [r.params["text"] for r in edits] == ["version 0", "version 0", "version 5"]
    card = harness.telegram.chat(STAFF_CHAT).messages[lead.staff_message_id]
    assert card.visible_text == "version 5"


async def test_a_card_waiting_out_a_429_is_not_posted_again_and_gets_later_changes(
    harness: Harness,
) -> None:
    harness.telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=STAFF_CHAT,
    )
    buyer = asyncio.create_task(serious_buyer(harness.prospect(language_code="en")))
    await harness.telegram.wait_for(lambda r: r.ok is False, chat_id=STAFF_CHAT)
    lead = await harness.lead()
    assert lead is not None and lead.staff_posted_at is None
    # While the card waits: a change to the lead, and the pending-cards job comes round.
    async with harness.app.db.transaction() as tx:
        await leads.set_callback(tx, lead.id, "mornings only", harness.clock.now())
    await harness.app.staff.publish_pending()
    assert not buyer.done()
    await buyer

    posted = [
        r
        for r in harness.telegram.sent(STAFF_CHAT, "sendMessage")
        if "лид #" in str(r.params.get("text"))
    ]
    assert len(posted) == 1
    assert len(harness.telegram.sent(STAFF_CHAT, "createForumTopic")) == 1
    posted_lead = await harness.lead()
    assert posted_lead is not None
    assert "mornings only" in harness.card(posted_lead.staff_thread_id)


async def test_a_prospect_is_not_held_up_by_cards_waiting_for_the_staff_group(
    make_harness: Callable[..., Any],
) -> None:
    # The staff group takes one request in 30 s: the card waits long after the topic.
    slow_group = SendLimits(private=None, group=Window(1, 30.0), overall=None)
    harness: Harness = await make_harness(send_limits=slow_group)
    user = harness.prospect(language_code="en")
    await serious_buyer(user)
    assert FINAL_TEXT in (user.last_text() or "")
    # The card is still waiting its turn, yet the prospect is answered at once.
    assert harness.telegram.sent(STAFF_CHAT, "createForumTopic")
    assert not [
        r for r in harness.telegram.sent(STAFF_CHAT, "sendMessage") if "лид #" in str(r.params)
    ]
    await user.send("/language")
    assert "English" in " ".join(user.buttons())

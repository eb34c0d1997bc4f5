"""What must not be lost survives a restart; the same update twice is one document; a
client who blocked the bot does not keep the job busy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.events import EventType
from tests.conftest import Harness
from tests.desk.conftest import OLGA, lead_manager
from tests.documents.conftest import TableDeals, open_deal


async def test_a_restart_between_the_file_and_its_review_copy(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness()
    deal = await open_deal(harness, "signing")
    photo = await deal.prospect.send_photo()  # held for the consent
    await harness.app.close()  # the process stops before anything else happened

    restarted: Harness = await make_harness()
    restarted.app.documents.port = TableDeals()
    deal.harness = restarted
    deal.prospect = restarted.prospect(deal.prospect.user_id, language_code="en")
    await deal.prospect.click("✅ I agree")  # the held passport is still there
    assert deal.client_texts()[-1] == "Got it: Passport. We will check it and let you know."
    # Telegram hands the same update over again (it was not confirmed): still one document.
    await restarted.feed({"update_id": 1, "message": photo.to_dict()})
    assert len(await deal.documents()) == 1
    assert len(await deal.events_of(EventType.DEAL_DOCUMENT_RECEIVED)) == 1
    assert deal.client_texts()[-1] == "Got it: Passport. We will check it and let you know."
    await restarted.app.close()  # and again before the review copy was made

    again: Harness = await make_harness()
    again.app.documents.port = TableDeals()
    deal.harness = again
    assert await deal.run_jobs() == 1
    assert [m.caption for m in deal.review_copies()] == ["📄 Лид #1: Паспорт (этап Подписание)"]
    assert await deal.run_jobs() == 0  # copied once


async def test_a_client_who_blocked_the_bot(harness: Harness) -> None:
    deal = await open_deal(harness, "reservation")
    await deal.prospect.send_photo()
    await deal.run_jobs()
    harness.telegram.block_user(deal.prospect.user_id)
    olga = lead_manager(harness, OLGA, "Olga")
    await olga.click("✅ Принять", deal.review_copies()[0])
    assert await deal.run_jobs() == 0  # the notice could not go and is not retried
    assert await deal.run_jobs() == 0
    assert "✅ Заявка на бронь" in deal.card()  # staff's side is done all the same


async def test_network_trouble_is_retried_later(harness: Harness) -> None:
    deal = await open_deal(harness, "reservation")
    await deal.prospect.send_photo()
    harness.telegram.fail_next(
        "copyMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        times=5,  # longer than the notifier's own tries
    )
    harness.expected_errors.append("gave up on copyMessage")
    assert await deal.run_jobs() == 0
    assert deal.review_copies() == []
    assert await deal.run_jobs() == 0  # not due again yet
    harness.clock.advance(minutes=2)
    assert await deal.run_jobs() == 1
    assert len(deal.review_copies()) == 1

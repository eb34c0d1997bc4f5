"""The daily digest: due at DIGEST_TIME in the team's zone, sent once per day per recipient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.services.digest import MAX_TRIES
from tests.conftest import STAFF_CHAT, Harness
from tests.stats.seed import COHORT, seed, utc

HEAD = 7001


def _digests(harness: Harness, chat_id: int) -> list[str]:
    return [
        m.visible_text
        for m in harness.telegram.bot_messages(chat_id)
        if m.visible_text.startswith("📊 Цифры за вчера")
    ]


async def test_the_digest_goes_once_across_a_restart_and_after_downtime(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness(head_of_sales_ids=(HEAD,))
    head = harness.prospect(HEAD)
    await seed(harness.app.db, *COHORT)

    harness.clock.current = utc("2026-11-21 05:59")  # 08:59 in Moscow
    assert await harness.app.digest.run_due() == 0
    assert _digests(harness, STAFF_CHAT) == []

    harness.clock.current = utc("2026-11-21 06:00")
    assert await harness.app.digest.run_due() == 2
    [digest] = _digests(harness, STAFF_CHAT)
    assert digest.startswith("📊 Цифры за вчера, 2026-11-20\n")
    assert "Пришли: 3" in digest.splitlines()
    assert head.messages()[0] == digest
    # Each digest is followed by its chart.
    assert "photo" in harness.telegram.bot_messages(STAFF_CHAT)[-1].content
    assert "photo" in harness.telegram.bot_messages(HEAD)[-1].content

    harness.clock.advance(minutes=1)
    assert await harness.app.digest.run_due() == 0

    # A restart later that day: the new process knows it was sent.
    restarted: Harness = await make_harness(head_of_sales_ids=(HEAD,))
    restarted.clock.current = utc("2026-11-21 15:00")
    assert await restarted.app.digest.run_due() == 0
    assert len(_digests(harness, STAFF_CHAT)) == 1
    assert len(_digests(harness, HEAD)) == 1

    # Down at 09:00 the next day, up at 17:00: the digest goes out when it comes back.
    restarted.clock.current = utc("2026-11-22 14:00")
    assert await restarted.app.digest.run_due() == 2
    latest = _digests(harness, STAFF_CHAT)[-1]
    assert latest.startswith("📊 Цифры за вчера, 2026-11-21\n")
    assert "За этот период лидов не было." in latest
    assert await restarted.app.digest.run_due() == 0
    assert len(_digests(harness, HEAD)) == 2


async def test_a_head_who_blocked_the_bot_does_not_stop_the_group_or_get_retried_forever(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness(head_of_sales_ids=(HEAD,), digest_time="8:30")
    harness.prospect(HEAD)
    harness.telegram.block_user(HEAD)
    harness.clock.current = utc("2026-11-21 05:30")  # 08:30 in Moscow
    assert await harness.app.digest.run_due() == 1
    assert len(_digests(harness, STAFF_CHAT)) == 1
    for _ in range(MAX_TRIES + 3):
        harness.clock.advance(minutes=1)
        assert await harness.app.digest.run_due() == 0
    assert len(harness.telegram.sent(chat_id=HEAD, ok=False)) == MAX_TRIES
    assert len(_digests(harness, STAFF_CHAT)) == 1

    harness.telegram.unblock_user(HEAD)
    harness.clock.current = utc("2026-11-22 06:00")  # the next day starts afresh
    assert await harness.app.digest.run_due() == 2
    assert len(_digests(harness, HEAD)) == 1


async def test_without_a_staff_group_the_head_still_gets_it(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness(staff_chat_id=None, head_of_sales_ids=(HEAD,))
    harness.prospect(HEAD)
    harness.clock.current = utc("2026-11-21 07:00")
    assert await harness.app.digest.run_due() == 1
    assert len(_digests(harness, HEAD)) == 1


async def test_a_429_on_the_digest_waits_and_sends_it_once(
    make_harness: Callable[..., Any],
) -> None:
    harness: Harness = await make_harness()
    harness.telegram.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
        chat_id=STAFF_CHAT,
    )
    harness.clock.current = utc("2026-11-21 07:00")
    assert await harness.app.digest.run_due() == 1
    assert len(_digests(harness, STAFF_CHAT)) == 1
    assert await harness.app.digest.run_due() == 0
    assert len(harness.telegram.sent(chat_id=STAFF_CHAT, method="sendMessage", ok=False)) == 1

"""Payment reminders at 10:00 in the client's zone, 3, 1 and 0 days ahead: each once,
across a restart, never in quiet hours, only the latest after downtime, and held while the
deal does not allow payment requests yet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.domain.events import EventType
from tests.conftest import Harness
from tests.payments.conftest import (
    SCHEDULE,
    StubDeal,
    client_with_topic,
    events_of,
    olga,
    reminders,
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Moscow time (UTC+3)."""
    return datetime(2026, 11, day, hour - 3, minute, tzinfo=UTC)


async def run_at(harness: Harness, moment: datetime) -> None:
    harness.clock.current = moment
    await harness.app.payments.timers.run_due()


async def test_each_reminder_once_at_ten_local_across_a_restart(
    make_office: Callable[..., Any],
) -> None:
    first: Harness = await make_office()
    anna, thread = await client_with_topic(first)
    await olga(first).send(SCHEDULE, thread_id=thread)

    await run_at(first, at(23, 9, 59))
    assert reminders(anna) == []
    await run_at(first, at(23, 10))
    await run_at(first, at(23, 10, 1))
    [reminder] = reminders(anna)
    assert reminder == (
        "💳 A reminder: your payment of 1,200,000\u00a0₽ (first instalment) is due on "
        "26 November 2026.\nOnce you have paid, press «I've paid» and we will check it."
    )
    assert anna.buttons() == ["✅ I've paid"]
    await first.app.close()

    # A new process on the same database: what was sent is not sent again.
    second: Harness = await make_office()
    await run_at(second, at(23, 11))
    await run_at(second, at(24, 18))
    assert len(reminders(anna)) == 1
    await run_at(second, at(25, 10))
    await run_at(second, at(26, 10))
    await run_at(second, at(26, 12))
    texts = reminders(anna)
    assert len(texts) == 3
    assert texts[2].startswith("💳 Today, 26 November 2026, your payment of 1,200,000\u00a0₽")
    reminded = await events_of(second, EventType.PAYMENT_REMINDED)
    assert [(actor, data["days_before"], data["due_on"]) for actor, data in reminded] == [
        ("system", 3, "2026-11-26"),
        ("system", 1, "2026-11-26"),
        ("system", 0, "2026-11-26"),
    ]


async def test_after_downtime_only_the_latest_reminder_and_never_at_night(
    office: Harness,
) -> None:
    anna, thread = await client_with_topic(office)
    await olga(office).send(SCHEDULE, thread_id=thread)

    # Down from Sunday until Wednesday 22:30: the 3- and 1-day reminders were missed, and it
    # is night at the client's.
    await run_at(office, at(25, 22, 30))
    await run_at(office, at(26, 8, 59))
    assert reminders(anna) == []
    await run_at(office, at(26, 10))
    [only] = reminders(anna)
    assert only.startswith("💳 Today, 26 November 2026")
    [(_, data)] = await events_of(office, EventType.PAYMENT_REMINDED)
    assert data["days_before"] == 0


async def test_a_reminder_time_in_quiet_hours_waits_for_their_end(
    make_office: Callable[..., Any],
) -> None:
    harness: Harness = await make_office(payment_remind_time="07:30")
    anna, thread = await client_with_topic(harness)
    await olga(harness).send(SCHEDULE, thread_id=thread)
    await run_at(harness, at(23, 8, 59))
    assert reminders(anna) == []
    await run_at(harness, at(23, 9))
    assert len(reminders(anna)) == 1


async def test_reminders_wait_while_payments_are_not_open(office: Harness, deal: StubDeal) -> None:
    anna, thread = await client_with_topic(office)
    deal.open = False  # e.g. the contract is not registered yet
    await olga(office).send(SCHEDULE, thread_id=thread)
    await run_at(office, at(23, 10))
    await run_at(office, at(24, 15))
    assert reminders(anna) == []

    deal.open = True  # registered: the latest reminder still meaningful goes out
    await run_at(office, at(24, 15, 1))
    [reminder] = reminders(anna)
    assert "is due on 26 November 2026" in reminder
    await run_at(office, at(24, 16))
    assert len(reminders(anna)) == 1


async def test_a_client_who_blocked_the_bot_loses_nothing_else(office: Harness) -> None:
    anna, thread = await client_with_topic(office)
    await olga(office).send(SCHEDULE, thread_id=thread)
    office.telegram.block_user(anna.user_id)
    await run_at(office, at(23, 10))
    await run_at(office, at(23, 10, 5))
    assert reminders(anna) == []
    assert await events_of(office, EventType.PAYMENT_REMINDED) == []
    async with office.app.db.read() as conn:
        cursor = await conn.execute("SELECT outcome, attempts FROM payment_notices")
        assert [tuple(row) for row in await cursor.fetchall()] == [("blocked", 1)]

    office.telegram.unblock_user(anna.user_id)
    await run_at(office, at(25, 10))  # the next reminder still comes
    assert len(reminders(anna)) == 1


async def test_a_corrected_schedule_does_not_repeat_a_reminder(office: Harness) -> None:
    anna, thread = await client_with_topic(office)
    staff = olga(office)
    await staff.send(SCHEDULE, thread_id=thread)
    await run_at(office, at(23, 10))
    assert len(reminders(anna)) == 1

    # A third payment is added and the second one moved: the first stays as it was.
    corrected = "/payments\n26.11.2026 1 200 000 first instalment\n27.12.2026 500 000,50\n"
    await staff.send(corrected + "26.01.2027 100 000", thread_id=thread)
    await run_at(office, at(23, 11))
    assert len(reminders(anna)) == 1
    async with office.app.db.read() as conn:
        cursor = await conn.execute("SELECT id, due_on FROM payments ORDER BY due_on")
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [(1, "2026-11-26"), (3, "2026-12-27"), (4, "2027-01-26")]  # ids never reused

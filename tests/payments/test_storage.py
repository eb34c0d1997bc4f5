"""The schedule's storage: the next unpaid payment for the client's /deal, replacing the
unpaid payments while paid ones stay, and the compare-and-set moves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.payments import PaymentStatus, PlannedPayment
from bot.storage import payments
from bot.storage.db import Database

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(store: Database) -> Database:
    async with store.transaction() as tx:
        await tx.execute(
            "INSERT INTO leads (id, telegram_user_id, chat_id, status, language, source,"
            " checklist_id, checklist_version, consent_version, consent_at, created_at,"
            " updated_at) VALUES (1, 1001, 1001, 'deal', 'en', 'direct', 'c', 1, '1', ?, ?, ?)",
            (NOW.isoformat(), NOW.isoformat(), NOW.isoformat()),
        )
    return store


async def test_next_unpaid_and_replacing_keeps_what_was_paid(db: Database) -> None:
    first = PlannedPayment(date(2027, 1, 15), 100_00, "RUB", "first")
    second = PlannedPayment(date(2027, 2, 15), 200_00)
    async with db.transaction() as tx:
        assert await payments.next_unpaid(tx, 1) is None
        await payments.replace_unpaid(tx, 1, [second, first], NOW)
        upcoming = await payments.next_unpaid(tx, 1)
        assert upcoming is not None and upcoming.label == "first"

        # Claimed, then paid: a second claim or an answer to an old claim changes nothing.
        assert await payments.claim(tx, upcoming.id, NOW)
        assert not await payments.claim(tx, upcoming.id, NOW)
        assert not await payments.confirm(tx, upcoming.id, 2, NOW, "staff:1")
        assert await payments.confirm(tx, upcoming.id, 1, NOW, "staff:1")
        assert not await payments.not_received(tx, upcoming.id, 1, NOW)

        upcoming = await payments.next_unpaid(tx, 1)
        assert upcoming is not None and upcoming.due_on == date(2027, 2, 15)

        third = PlannedPayment(date(2027, 3, 15), 300_00)
        await payments.replace_unpaid(tx, 1, [third], NOW)
        schedule = await payments.for_lead(tx, 1)
    assert [(p.due_on.month, p.status) for p in schedule] == [
        (1, PaymentStatus.PAID),
        (3, PaymentStatus.DUE),
    ]

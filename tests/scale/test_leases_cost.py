"""What the leases cost one process on the per-update path: after an update that wrote
events, the consumers' leases are taken with one statement and let go with one, however
many consumers there are; an update that wrote none pays nothing."""

from __future__ import annotations

from typing import Any

from bot.storage.sqlite import SQLiteDatabase
from tests.conftest import Harness
from tests.handlers.flows import serious_buyer


async def test_an_update_pays_at_most_one_take_and_one_release(harness: Harness) -> None:
    db = harness.app.db
    assert isinstance(db, SQLiteDatabase)
    statements: list[str] = []
    db.connection.raw.set_trace_callback(statements.append)  # SQLite's own trace
    updates: list[int] = []

    async def feed(update: dict[str, Any]) -> None:
        before = len(statements)
        await harness.feed(update)
        await harness.passes_done()
        lease_statements = [s for s in statements[before:] if "job_leases" in s]
        updates.append(len(lease_statements))

    user = harness.telegram.user(
        1001, first_name="Anna", language_code="en", deliver=feed, phone_number="79161234567"
    )
    await serious_buyer(user)
    db.connection.raw.set_trace_callback(None)

    takes = [s for s in statements if s.lstrip().startswith("INSERT INTO job_leases")]
    releases = [s for s in statements if s.lstrip().startswith("DELETE FROM job_leases")]
    consumers = len(await harness.app.pipe.lag())  # the card, the CRM, time limits, ...
    assert consumers >= 5
    assert takes and all(take.count("'events:") == consumers for take in takes)
    assert len(releases) == len(takes)
    assert max(updates) == 2  # one take, one release
    assert 0 in updates  # most answers write no event: no lease statement at all

"""An update is one unit of work: the prospect's answer, the update's id and the chat's
memory are committed by the update itself, in as few commits as the moment allows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.storage.unit_of_work import GroupCommit, Statement
from tests.conftest import Harness
from tests.handlers.flows import consent

pytestmark = pytest.mark.both_stores

ROOMS_QUESTION = "How many rooms do you need?"


async def count(harness: Harness, table: str) -> int:
    async with (
        harness.app.db.read() as conn,
        conn.execute(f"SELECT COUNT(*) FROM {table}") as cursor,
    ):
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def test_forty_prospects_answering_at_once_cost_fewer_than_two_commits_each(
    harness: Harness,
) -> None:
    prospects = [harness.prospect(2000 + n, language_code="en") for n in range(40)]
    for prospect in prospects:
        await consent(prospect)
    updates, commits = await count(harness, "processed_updates"), harness.app.db.commits

    await asyncio.gather(*(prospect.click("To live in") for prospect in prospects))

    for prospect in prospects:
        assert ROOMS_QUESTION in (prospect.last_text() or "")
    assert await count(harness, "processed_updates") - updates == 40
    spent = harness.app.db.commits - commits
    # Each answer is one commit with its update's id; the memories written after the
    # replies share commits with the others ending at the same moment.
    assert 40 <= spent < 80, spent


async def test_the_update_id_rides_the_answer_when_the_memory_cannot_be_written(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    prospect = harness.prospect(1001, language_code="en")
    await consent(prospect)
    delivered: list[dict[str, Any]] = []
    real_feed = harness.feed

    async def feed(update: dict[str, Any]) -> None:
        delivered.append(update)
        await real_feed(update)

    prospect._deliver_fn = feed
    real_write = GroupCommit.write

    async def memory_lost(self: GroupCommit, statements: list[Statement]) -> None:
        raise ConnectionError("the database went away after the answer was saved")

    monkeypatch.setattr(GroupCommit, "write", memory_lost)
    harness.expected_errors.append("failed")
    await prospect.click("To live in")  # the prospect is told something went wrong
    monkeypatch.setattr(GroupCommit, "write", real_write)
    lead = await harness.lead(1001)
    assert lead is not None and "purpose" in lead.answers  # the answer was saved
    sent = len(harness.telegram.bot_messages(1001))

    await harness.feed(delivered[-1])  # Telegram sends the update again

    assert len(harness.telegram.bot_messages(1001)) == sent  # not answered twice
    await prospect.click("2 rooms")  # and the checklist goes on
    lead = await harness.lead(1001)
    assert lead is not None and "rooms" in lead.answers

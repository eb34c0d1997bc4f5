"""Replicas hear each other's changes to what they keep in memory (PostgreSQL's
LISTEN/NOTIFY): who the managers are, which group is the staff group. The test clock stands
still, so the time-based re-read never comes to the rescue: only the notice can."""

from __future__ import annotations

import pytest

from bot.services.team import JoinResult
from bot.storage.notices import APPLICATION_NAME
from tests.conftest import MANAGER_ID, STAFF_CHAT, Harness
from tests.scale.conftest import Replicas, Store, until


@pytest.fixture(autouse=True)
def _postgres_only(store: Store) -> None:
    if store.name != "postgres":
        pytest.skip("on SQLite the bot is one process: there is no other replica to tell")


async def join(replica: Harness, user_id: int) -> None:
    code = await replica.app.team.invite(MANAGER_ID)
    result, _ = await replica.app.team.join(user_id, "Olga", "en", code)
    assert result is JoinResult.JOINED


async def test_a_manager_who_joins_on_one_replica_is_a_manager_on_the_other_at_once(
    replicas: Replicas,
) -> None:
    one = await replicas.start()
    two = await replicas.start()
    newcomer = 7007
    assert await two.app.team.by_user(newcomer) is None  # the second one now keeps the ids
    await join(one, newcomer)

    async def known() -> bool:
        return await two.app.team.by_user(newcomer) is not None

    await until(known, "the other replica to know the new manager")


async def test_changes_made_while_a_replica_could_not_listen_are_not_missed(
    replicas: Replicas,
) -> None:
    one = await replicas.start()
    two = await replicas.start()
    newcomer = 7008
    assert await two.app.team.by_user(newcomer) is None
    async with one.app.db.read() as conn:  # as a database restart or a network cut would
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
            (APPLICATION_NAME,),
        )

    async def listeners() -> int:
        async with one.app.db.read() as conn:
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?",
                (APPLICATION_NAME,),
            )
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def deaf() -> bool:
        return await listeners() == 0

    await until(deaf, "the listening connections to be gone")
    await join(one, newcomer)  # announced while no replica hears anything

    async def known() -> bool:
        return await listeners() == 2 and await two.app.team.by_user(newcomer) is not None

    await until(known, "the replica to listen again and know the manager who joined meanwhile")


async def test_a_staff_group_bound_on_one_replica_is_the_staff_group_on_all(
    replicas: Replicas,
) -> None:
    one = await replicas.start(staff_chat_id=None)
    two = await replicas.start(staff_chat_id=None)
    assert two.app.staff.chat_id is None and two.app.staff.binding_code is not None
    manager = one.staff_member(MANAGER_ID)
    await manager.send(f"/bind {one.app.staff.binding_code}")
    assert one.app.staff.chat_id == STAFF_CHAT

    async def bound() -> bool:
        return two.app.staff.chat_id == STAFF_CHAT

    await until(bound, "the other replica to know the staff group")
    assert two.app.staff.binding_code is None  # its own code is spent with the binding

"""LEASE_SECONDS: how long a dead replica's jobs wait before another replica takes them."""

from __future__ import annotations

import pytest

from tests.scale.conftest import Replicas
from tests.scale.test_replicas import stop_heartbeat


async def test_another_replica_takes_a_dead_ones_jobs_after_lease_seconds(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await replicas.start(lease_seconds=10)
    b = await replicas.start(lease_seconds=10)
    stop_heartbeat(a, monkeypatch)
    dying = a.app.leases.hold("reminders")
    assert await dying.__aenter__()  # a holds it, then dies without letting go

    replicas.clock.advance(seconds=9)
    async with b.app.leases.hold("reminders") as held:
        assert not held  # still a's
    replicas.clock.advance(seconds=2)
    async with b.app.leases.hold("reminders") as held:
        assert held  # 11 s later: b's

"""/health says whether this replica can work: 200 while the database (and Redis, when the
conversations are there) answer; 503 naming the part that does not, so the reverse proxy
takes the replica out of rotation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import Harness
from tests.operations.conftest import base_url, serving
from tests.redis_server import start_redis, stop_redis


async def health(harness: Harness) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url(harness)}/health") as response,
    ):
        body: dict[str, Any] = await response.json()
        return response.status, body


async def test_health_names_each_part_it_checked(make_harness: Callable[..., Any]) -> None:
    harness = await serving(make_harness)
    assert await health(harness) == (200, {"status": "ok", "database": "ok"})


async def test_a_database_gone_away_makes_the_replica_unavailable(
    make_harness: Callable[..., Any],
) -> None:
    harness = await serving(make_harness)
    harness.expected_errors.append("health")
    await harness.app.db.close()  # as if the file or the server went away

    assert await health(harness) == (503, {"status": "unavailable", "database": "unavailable"})


@pytest.mark.redis
async def test_redis_gone_away_makes_the_replica_unavailable(
    make_harness: Callable[..., Any], tmp_path: Path
) -> None:
    redis = start_redis(tmp_path)  # its own server, to stop
    try:
        harness = await serving(make_harness, redis_url=redis.url)
        assert await health(harness) == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    finally:
        stop_redis(redis)

    status, body = await health(harness)

    assert status == 503
    assert body == {"status": "unavailable", "database": "ok", "redis": "unavailable"}

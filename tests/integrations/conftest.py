"""Calendar integration fixtures: one real Radicale per session, a fresh calendar per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from uuid import uuid4

import httpx
import pytest

from bot.integrations.caldav import CalDavAccount, CalDavClient
from tests.radicale_server import RadicaleServer, start_radicale

USER = "anna"
PASSWORD = "secret-pass"


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """A running Radicale with one user, anna / secret-pass."""
    with start_radicale(tmp_path_factory.mktemp("caldav"), {USER: PASSWORD}) as server:
        yield server


@pytest.fixture
async def account(radicale: RadicaleServer) -> AsyncIterator[CalDavAccount]:
    """Anna's account pointing at an empty calendar of this test's own."""
    log_before = len(radicale.log())
    url = await radicale.make_calendar(USER, PASSWORD, f"work-{uuid4().hex[:12]}")
    yield CalDavAccount(url=url, username=USER, password=PASSWORD)
    # pytest shows captured output only for failing tests: the server's side of the story.
    print(f"Radicale log during the test:\n{radicale.log()[log_before:]}")


@pytest.fixture
async def caldav() -> AsyncIterator[CalDavClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as http:
        yield CalDavClient(http)

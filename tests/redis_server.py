"""A real Redis for tests: one `redis-server` subprocess per pytest session on a free
127.0.0.1 port, in memory only (`--save "" --appendonly no`), emptied before each test.

Tests that need it take the `redis_url` fixture and carry `@pytest.mark.redis`. Without the
`redis-server` binary they fail with a clear message (Debian: `apt-get install redis-server`),
unless LEADSIEVE_TEST_STORES=sqlite deselects them. Loaded as a plugin by tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

HOST = "127.0.0.1"
STORES_VARIABLE = "LEADSIEVE_TEST_STORES"
_START_SECONDS = 10.0


@dataclass(frozen=True)
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(directory: Path) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed (Debian: apt-get install redis-server); "
            f"or run only the SQLite tests with {STORES_VARIABLE}=sqlite",
            pytrace=False,
        )
    port = _free_port()
    log_path = directory / "redis.log"
    # No persistence, no protected mode games: a throw-away server on the loopback only.
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        HOST,
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
        "--logfile",
        str(log_path),
        "--databases",
        "16",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + _START_SECONDS
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            pytest.fail(f"redis-server did not start on port {port}:\n{log}", pytrace=False)
        time.sleep(0.05)
    return RedisServer(port, process, log_path)


def stop_redis(server: RedisServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def redis_deselected() -> bool:
    """LEADSIEVE_TEST_STORES=sqlite: only the tests that need no server but SQLite."""
    stores = {part.strip() for part in os.environ.get(STORES_VARIABLE, "").split(",")}
    stores.discard("")
    return bool(stores) and stores <= {"sqlite"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs the real Redis of tests/redis_server.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not redis_deselected():
        return
    kept = [item for item in items if item.get_closest_marker("redis") is None]
    dropped = [item for item in items if item.get_closest_marker("redis") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        stop_redis(server)


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied: nothing one test wrote is seen by the next."""
    client = Redis.from_url(redis_server.url)
    try:
        await client.flushall()
    finally:
        await client.aclose()
    return redis_server.url

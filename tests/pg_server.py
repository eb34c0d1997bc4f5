"""A throwaway PostgreSQL server for the test session: Debian's binaries, a temp data dir.

Started once per session (`tests/conftest.py`), it holds a template database with every
migration applied; each test gets a fresh copy (CREATE DATABASE … TEMPLATE, a file copy)
and drops it afterwards. The server refuses to run as root, so under root it runs as the
`postgres` system user.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

TEMPLATE = "leadsieve_template"


class PostgresMissing(RuntimeError):
    pass


def find_binaries() -> Path:
    """The directory of initdb and pg_ctl: PG_BIN, else the newest Debian server."""
    configured = os.environ.get("PG_BIN")
    candidates = [Path(configured)] if configured else []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(
            (p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True
        )
        candidates += [p / "bin" for p in versions]
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(Path(which).parent)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise PostgresMissing(
        "PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN); "
        "LEADSIEVE_TEST_STORES=sqlite runs the tests without PostgreSQL"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _run_async(make: Callable[[], Awaitable[Any]]) -> Any:
    """Runs a coroutine to the end in a thread of its own (a test's loop may be running)."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))  # type: ignore[arg-type]
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0] if result else None


class PgServer:
    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="leadsieve-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0

    def _cmd(self, *args: str) -> list[str]:
        if self._as_postgres:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            self._cmd(
                str(self.binaries / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            self._cmd(
                str(self.binaries / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "start",
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            self._cmd(
                str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def make_template(self) -> None:
        """The template database: every migration applied once for the whole session."""
        from bot.storage.migrations import apply_migrations
        from bot.storage.postgres import PostgresDatabase

        async def make() -> None:
            await self._admin(f'CREATE DATABASE "{TEMPLATE}"')
            db = PostgresDatabase(self.url(TEMPLATE), pool_size=1)
            await db.connect()
            try:
                await apply_migrations(db)
            finally:
                await db.close()

        _run_async(make)

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def create_database(self, *, migrated: bool = True) -> str:
        """A fresh database, a copy of the migrated template or empty; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        source = TEMPLATE if migrated else "template0"
        _run_async(lambda: self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        _run_async(lambda: self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

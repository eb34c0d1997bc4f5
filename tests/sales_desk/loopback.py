"""The lifecycle the test receivers share: an aiohttp server on 127.0.0.1.

    class Portal(LoopbackServer):
        def _add_routes(self, app: web.Application) -> None:
            app.router.add_post("/api", self._handle)

        @property
        def url(self) -> str:
            return self._url("/api")

`start` listens on a free port and `stop` closes it (so does `async with`); `go_down` /
`come_up` really stop listening and listen again on the same port, so a client sees a
refused connection in between. `stop` also sets `_closing`, so an answer that is being
delayed (`_closed_while_waiting`) gives up instead of holding the shutdown.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from aiohttp import web

HOST = "127.0.0.1"


class LoopbackServer(ABC):
    """One aiohttp app on 127.0.0.1; subclasses say what it serves in `_add_routes`."""

    _shutdown_timeout = 1.0  # seconds `stop` lets running handlers finish

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None  # kept by `go_down`, so `come_up` gets the same one
        self._closing = asyncio.Event()  # set by `stop`; a new one on every `start`

    @abstractmethod
    def _add_routes(self, app: web.Application) -> None:
        """Adds the routes (and any middlewares) to a new app; called on every `start`."""

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_up(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        """Listens on a free port, or on the same port as before after `go_down`."""
        if self._runner is not None:
            raise RuntimeError(f"{type(self).__name__} is already listening")
        app = web.Application()
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self._shutdown_timeout)
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, self._port or 0, reuse_address=True).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._closing = asyncio.Event()

    async def stop(self) -> None:
        """Stops listening and drops open connections (kept-alive ones too); safe to call
        twice."""
        self._closing.set()  # a delayed answer gives up instead of holding the shutdown
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def go_down(self) -> None:
        """Stop listening (clients get "connection refused") but keep the port and the data
        for `come_up`."""
        if self._runner is None:
            raise RuntimeError(f"{type(self).__name__} is not listening")
        await self.stop()

    async def come_up(self) -> None:
        """Listen again on the port used before `go_down`."""
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} was never started")
        await self.start()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ for subclasses

    def _url(self, path: str) -> str:
        """`http://127.0.0.1:<port><path>`; the same across `go_down` / `come_up`."""
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started; await start() first")
        return f"http://{HOST}:{self._port}{path}"

    async def _closed_while_waiting(self, seconds: float) -> bool:
        """Waits `seconds`, or less if `stop` comes first: then True (the answer gives up)."""
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            return False
        return True

"""Tiny forward proxies on 127.0.0.1 for the TELEGRAM_PROXY tests: an HTTP CONNECT proxy and
a SOCKS5 proxy (RFC 1928, with RFC 1929 user/password). Each records the tunnels it opened
and what the client sent through them, and tunnels only to 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import struct
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"


@dataclass
class Tunnel:
    host: str
    port: int
    sent: bytearray = field(default_factory=bytearray)  # client → target, as it passed


class _Proxy:
    scheme = ""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.credentials = credentials
        self.tunnels: list[Tunnel] = []
        self.refused: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        auth = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"{self.scheme}://{auth}{LOOPBACK}:{self.port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            target = await self._handshake(reader, writer)
            if target is not None:
                await self._relay(reader, writer, target)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Tunnel | None:
        raise NotImplementedError

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tunnel: Tunnel
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(tunnel.host, tunnel.port)

        async def pipe(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter, record: bool
        ) -> None:
            while chunk := await source.read(65536):
                if record:
                    tunnel.sent.extend(chunk)
                sink.write(chunk)
                await sink.drain()
            with contextlib.suppress(OSError):
                sink.write_eof()

        try:
            await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))
        finally:
            up_writer.close()

    def _open(self, host: str, port: int) -> Tunnel | None:
        if host != LOOPBACK:  # never a way out of this machine
            self.refused.append(f"{host}:{port}")
            return None
        tunnel = Tunnel(host, port)
        self.tunnels.append(tunnel)
        return tunnel


class ConnectProxy(_Proxy):
    """HTTP proxy that answers CONNECT (what aiohttp-socks sends for an http:// proxy)."""

    scheme = "http"

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Tunnel | None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, authority, _ = head[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:] if line)
        }
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return None
        if self.credentials is not None:
            expected = base64.b64encode(":".join(self.credentials).encode()).decode()
            if headers.get("proxy-authorization") != f"Basic {expected}":
                self.refused.append(f"{authority} (no or wrong credentials)")
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                return None
        host, _, port = authority.rpartition(":")
        tunnel = self._open(host, int(port))
        if tunnel is None:
            writer.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            return None
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        return tunnel


class Socks5Proxy(_Proxy):
    """SOCKS5 with CONNECT only; user/password when credentials are given."""

    scheme = "socks5"

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Tunnel | None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        wanted = 0x02 if self.credentials else 0x00
        if version != 5 or wanted not in methods:
            writer.write(b"\x05\xff")
            return None
        writer.write(bytes([5, wanted]))
        if self.credentials:
            _, length = await reader.readexactly(2)
            user = (await reader.readexactly(length)).decode()
            (length,) = await reader.readexactly(1)
            password = (await reader.readexactly(length)).decode()
            if (user, password) != self.credentials:
                writer.write(b"\x01\x01")
                self.refused.append("wrong credentials")
                return None
            writer.write(b"\x01\x00")
        _, command, _, kind = await reader.readexactly(4)
        if kind == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif kind == 3:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        else:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        tunnel = self._open(host, port) if command == 1 else None
        if tunnel is None:
            writer.write(b"\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00")
            return None
        writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00")
        return tunnel

"""A real Radicale CalDAV server for tests: a subprocess on 127.0.0.1 with its own storage.

    with start_radicale(tmp_path, {"anna": "secret-pass"}) as server:
        url = await server.make_calendar("anna", "secret-pass")

Users log in with plain-text htpasswd passwords; each may do anything under /<user>/ and
nothing elsewhere (Radicale's `owner_only` rights). Radicale logs at WARNING into
`server.log_path`, never into the test output; `server.log()` reads it back for a failure
message. A pytest fixture is three lines: see tests/integrations/conftest.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import httpx
from icalendar import Calendar

HOST = "127.0.0.1"
_TIMEOUT = httpx.Timeout(10.0)

_CONFIG = """\
[server]
hosts = {host}:{port}
# No artificial delays on errors: tests provoke 401s and 404s on purpose.
delay_on_error = 0

[auth]
type = htpasswd
htpasswd_filename = {users}
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {storage}

[web]
type = none

[logging]
level = warning
"""

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    {props}
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>
"""

_ALL_EVENTS = b"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"/></C:filter>
</C:calendar-query>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class RadicaleServer:
    base_url: str  # no trailing slash: http://127.0.0.1:<port>
    log_path: Path
    process: subprocess.Popen[bytes]

    def calendar_url(self, user: str, name: str = "work") -> str:
        return f"{self.base_url}/{quote(user)}/{quote(name)}/"

    async def make_calendar(
        self, user: str, password: str, name: str = "work", *, display_name: str | None = None
    ) -> str:
        """Creates /<user>/<name>/ as a calendar (MKCALENDAR) and returns its URL."""
        url = self.calendar_url(user, name)
        prop = (
            "" if display_name is None else f"<D:displayname>{escape(display_name)}</D:displayname>"
        )
        async with _client(user, password) as http:
            response = await http.request(
                "MKCALENDAR", url, content=_MKCALENDAR.format(props=prop).encode()
            )
        response.raise_for_status()
        return url

    async def add_event(
        self, calendar_url: str, user: str, password: str, ics: str, uid: str
    ) -> None:
        """Stores a raw iCalendar object as <uid>.ics, as a manager's own calendar app would."""
        async with _client(user, password) as http:
            response = await http.put(
                f"{calendar_url}{quote(uid, safe='')}.ics",
                content=ics.encode(),
                headers={"Content-Type": "text/calendar; charset=utf-8"},
            )
        response.raise_for_status()

    async def events(self, calendar_url: str, user: str, password: str) -> dict[str, str]:
        """UID -> the iCalendar text the server holds now, for every object in the calendar."""
        async with _client(user, password) as http:
            response = await http.request(
                "REPORT",
                calendar_url,
                content=_ALL_EVENTS,
                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
            )
        response.raise_for_status()
        found: dict[str, str] = {}
        root = ET.fromstring(response.content)
        for data in root.iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
            if data.text and data.text.strip():
                calendar = Calendar.from_ical(data.text)
                found[str(calendar.events[0]["UID"])] = data.text
        return found

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def start_radicale(
    tmp_path: Path, users: Mapping[str, str], *, startup_timeout: float = 15.0
) -> Iterator[RadicaleServer]:
    """Runs Radicale until the block ends; raises with its log if it does not come up."""
    root = tmp_path / "radicale"
    root.mkdir(parents=True, exist_ok=True)
    users_file = root / "users"
    users_file.write_text("".join(f"{user}:{password}\n" for user, password in users.items()))
    port = free_port()
    config = root / "config"
    config.write_text(
        _CONFIG.format(host=HOST, port=port, users=users_file, storage=root / "collections")
    )
    log_path = root / "radicale.log"
    env = {key: value for key, value in os.environ.items() if key != "RADICALE_CONFIG"}
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            # --logging-level also quiets what Radicale prints before it reads the config.
            [
                sys.executable,
                "-m",
                "radicale",
                "--config",
                str(config),
                "--logging-level",
                "warning",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = RadicaleServer(base_url=f"http://{HOST}:{port}", log_path=log_path, process=process)
    try:
        _wait_until_listening(server, port, startup_timeout)
        yield server
    finally:
        server.stop()


def _wait_until_listening(server: RadicaleServer, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"Radicale exited at startup:\n{server.log()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Radicale did not listen within {timeout} s:\n{server.log()}"
                ) from None
            time.sleep(0.02)


def _client(user: str, password: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(auth=(user, password), timeout=_TIMEOUT)

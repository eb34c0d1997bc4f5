"""LOG_FORMAT=json: one JSON object per line that a log collector can read field by field."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.logs import JsonFormatter, text_format
from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"bot.test_logs.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_a_record_is_one_line_of_json_with_its_fields() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    logger.info("lead %s qualified: %s", 42, "цель ✅", extra={"lead_id": 42, "update_id": 7})
    logger.warning("second line")
    first, second = stream.getvalue().splitlines()
    entry = json.loads(first)
    assert entry["level"] == "INFO"
    assert entry["logger"] == logger.name
    assert entry["message"] == "lead 42 qualified: цель ✅"
    assert (entry["lead_id"], entry["update_id"]) == (42, 7)
    assert entry["time"].endswith("+00:00") and "T" in entry["time"]
    assert "exception" not in entry
    assert "цель ✅" in first  # kept as it is, not \\u-escaped
    assert json.loads(second)["level"] == "WARNING"


def test_an_exception_comes_with_its_traceback() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    answers: dict[str, int] = {}
    try:
        answers["missing"]
    except KeyError:
        logger.exception("delivery failed", extra={"lead_id": 3})
    [line] = stream.getvalue().splitlines()  # the traceback stays inside the one line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["message"] == "delivery failed"
    assert entry["exception"].startswith("Traceback (most recent call last)")
    assert "KeyError: 'missing'" in entry["exception"]
    assert entry["lead_id"] == 3


def test_an_extra_value_json_cannot_hold_is_written_as_text() -> None:
    stream = io.StringIO()
    _logger(stream).info("moved", extra={"path": Path("/tmp/x")})
    assert json.loads(stream.getvalue())["path"] == "/tmp/x"


def test_the_bot_logs_json_when_asked(tmp_path: Path) -> None:
    # The real entry point: `migrate` logs a line per migration applied, every one JSON.
    env = {
        "PATH": "/usr/bin:/bin",
        "BOT_TOKEN": "123456:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY",
        "DATABASE_PATH": str(tmp_path / "x.sqlite3"),
        "LOG_FORMAT": "json",
        "PYTHONPATH": ":".join(sys.path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    applied = [e for e in entries if e["message"].startswith("applied migration")]
    assert applied and all(e["logger"] == "bot.storage.migrations" for e in applied)
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)


def test_every_line_names_the_replica_when_it_has_a_name() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    logger.handlers[0].setFormatter(JsonFormatter(replica="bot-2"))
    logger.info("lead %s qualified", 42)
    assert json.loads(stream.getvalue())["replica"] == "bot-2"

    record = logging.LogRecord("bot.x", logging.INFO, "", 0, "sent %d%%", (5,), None)
    assert "INFO [bot-1%] bot.x: sent 5%" in logging.Formatter(text_format("bot-1%")).format(record)
    assert "[" not in logging.Formatter(text_format(None)).format(record)


def test_an_unknown_log_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings(_env_file=None, bot_token=TOKEN, log_format="xml")

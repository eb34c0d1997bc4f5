"""Where log lines go and how they look: readable text (the default) or, with
LOG_FORMAT=json, one JSON object per line for a log collector (Loki, ELK, journald)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

__all__ = ["JsonFormatter", "configure_logging", "text_format"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def text_format(replica: str | None) -> str:
    """The text line, with the replica's name after the level when it has one."""
    if replica is None:
        return TEXT_FORMAT
    named = replica.replace("%", "%%")  # a literal in the format string
    return f"%(asctime)s %(levelname)s [{named}] %(name)s: %(message)s"


# What every LogRecord carries; anything else on a record came from `extra=`.
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One line per record: time, level, logger, message, exception and extra fields
    (`logger.info("...", extra={"lead_id": 42})`); non-ASCII text is kept as it is.
    `replica` (REPLICA_NAME) goes on every line, to tell replicas apart in one collector."""

    def __init__(self, replica: str | None = None) -> None:
        super().__init__()
        self._replica = replica

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self._replica is not None:
            entry["replica"] = self._replica
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    level: str,
    log_format: Literal["text", "json"],
    *,
    replica: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Sets up the root logger at start-up (python -m bot); like logging.basicConfig, it
    leaves a root logger that already has handlers (a test runner's) alone."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(replica) if log_format == "json" else logging.Formatter(text_format(replica))
    )
    logging.basicConfig(level=level, handlers=[handler])
    # httpx logs every request URL at INFO; CRM search URLs carry clients' phones.
    logging.getLogger("httpx").setLevel(logging.WARNING)

"""Idempotency-Key for POSTs: a retried request replays the first answer instead of acting twice.

The sales desk retries after timeouts; without this a retried "send a message" would
reach the prospect twice. Per (scope, key) the store keeps a fingerprint of the request
and, once there is one, the answer. `scope` is the sha256 of the caller's API token (never
the token), so two tokens never see each other's keys. An entry whose answer is NULL is in
progress; entries older than 24 hours (counted from the answer) may be replaced.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.storage.codec import dump_time
from bot.storage.db import Database

KEY_TTL = timedelta(hours=24)


class BeginOutcome(StrEnum):
    NEW = "new"  # run the request, then `finish` (or `abandon`)
    REPLAY = "replay"  # answered before: send `status` and `body` again
    CONFLICT = "conflict"  # the key was used for a different request
    IN_PROGRESS = "in_progress"  # the same request is running right now


@dataclass(frozen=True)
class Begin:
    outcome: BeginOutcome
    status: int = 0  # with REPLAY: the stored HTTP status
    body: str = ""  # with REPLAY: the stored JSON body


class IdempotencyStore(Protocol):
    async def begin(self, scope: str, key: str, fingerprint: str, now: datetime) -> Begin: ...

    async def finish(self, scope: str, key: str, status: int, body: str, now: datetime) -> None: ...

    async def abandon(self, scope: str, key: str) -> None: ...


def scope_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(method: str, path: str, body: str) -> str:
    """Of the validated body, so whitespace or key order in the JSON make no difference."""
    return hashlib.sha256(f"{method}\n{path}\n{body}".encode()).hexdigest()


_SELECT = """
SELECT fingerprint, status, body, created_at FROM api_idempotency WHERE scope = ? AND key = ?
"""
# Claiming and restarting are single statements, so of two requests racing on separate
# connections (replicas, PostgreSQL) exactly one sees a row change: no read-then-write.
_INSERT = """
INSERT INTO api_idempotency (scope, key, fingerprint, status, body, created_at)
VALUES (?, ?, ?, NULL, NULL, ?)
ON CONFLICT (scope, key) DO NOTHING
"""
_RESTART = """
UPDATE api_idempotency SET fingerprint = ?, status = NULL, body = NULL, created_at = ?
WHERE scope = ? AND key = ? AND created_at <= ?
"""
_FINISH = """
UPDATE api_idempotency SET status = ?, body = ?, created_at = ?
WHERE scope = ? AND key = ? AND status IS NULL
"""
_ABANDON = "DELETE FROM api_idempotency WHERE scope = ? AND key = ? AND status IS NULL"


class SqliteIdempotencyStore:
    """Keeps entries in `api_idempotency`; `begin` is one transaction, so of two requests
    with the same key exactly one gets NEW."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def begin(self, scope: str, key: str, fingerprint: str, now: datetime) -> Begin:
        async with self._db.transaction() as tx:
            inserted = await tx.execute(_INSERT, (scope, key, fingerprint, dump_time(now)))
            if inserted.rowcount == 1:
                return Begin(BeginOutcome.NEW)
            expired = dump_time(now - KEY_TTL)
            restarted = await tx.execute(
                _RESTART, (fingerprint, dump_time(now), scope, key, expired)
            )
            if restarted.rowcount == 1:
                return Begin(BeginOutcome.NEW)
            async with tx.execute(_SELECT, (scope, key)) as cursor:
                row = await cursor.fetchone()
        if row is None:  # abandoned between the two statements: the caller may retry
            return Begin(BeginOutcome.IN_PROGRESS)
        if row["fingerprint"] != fingerprint:
            return Begin(BeginOutcome.CONFLICT)
        if row["status"] is None:
            return Begin(BeginOutcome.IN_PROGRESS)
        return Begin(BeginOutcome.REPLAY, int(row["status"]), str(row["body"]))

    async def finish(self, scope: str, key: str, status: int, body: str, now: datetime) -> None:
        """Stores the answer; its 24 hours start now."""
        async with self._db.transaction() as tx:
            await tx.execute(_FINISH, (status, body, dump_time(now), scope, key))

    async def abandon(self, scope: str, key: str) -> None:
        """Forgets an unanswered entry, so the same key can be tried again."""
        async with self._db.transaction() as tx:
            await tx.execute(_ABANDON, (scope, key))

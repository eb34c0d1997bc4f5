"""A photo or a document given as a checklist answer, copied into the lead's topic once.

The copy goes through the relay's outbox (bot/services/relay_delivery.py carries it out,
once, across restarts): the job is written with the answer, parked, since the lead has no
topic while it answers; once the lead is qualified (its card and topic come first) the
jobs of the answers it still has are made due, captioned with their question.
A new answer to the question, or Back past it, drops its parked job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from bot.domain.checklist import Checklist, MediaKind
from bot.domain.events import Event, EventType
from bot.i18n import Translator
from bot.storage import relay as relay_store
from bot.storage.codec import dump_time
from bot.storage.db import Connection, Database

# Parked jobs wait this long at most; qualification makes them due at once.
PARKED = timedelta(days=3650)
_ACTOR = "checklist:"  # the relay job's actor: the question the file answers


@dataclass(frozen=True)
class MediaMessage:
    """A prospect's photo or document message, as the checklist answer."""

    kind: MediaKind
    file_id: str
    message_id: int
    album: str | None = None

    @property
    def answer(self) -> str:
        return f"{self.kind.value}:{self.file_id}"


async def keep_copy(
    tx: Connection,
    *,
    lead_id: int,
    chat_id: int,
    question_id: str,
    media: MediaMessage | None,
    at: datetime,
) -> None:
    """The question was answered: its file (if any) waits to be copied into the topic."""
    await drop_copies(tx, lead_id, [question_id])
    if media is None:
        return
    await relay_store.add(
        tx,
        lead_id=lead_id,
        direction=relay_store.Direction.IN,
        action=relay_store.Action.COPY,
        kind=media.kind.value,
        from_chat_id=chat_id,
        message_id=media.message_id,
        actor=f"{_ACTOR}{question_id}",
        due_at=at + PARKED,
        at=at,
    )


async def drop_copies(tx: Connection, lead_id: int, question_ids: Iterable[str]) -> None:
    """Answers taken back: their files are not copied."""
    await tx.executemany(
        _DROP, [(lead_id, f"{_ACTOR}{question_id}") for question_id in question_ids]
    )


class AnswerMedia:
    """The event consumer that releases a qualified lead's files into its topic."""

    def __init__(
        self,
        db: Database,
        checklist: Checklist,
        staff_t: Translator,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._checklist = checklist
        self._t = staff_t
        self._wake = wake

    async def handle_events(self, batch: Sequence[Event]) -> None:
        qualified = {e.lead_id: e.at for e in batch if e.type is EventType.QUALIFIED}
        released = 0
        for lead_id, at in qualified.items():
            async with self._db.transaction() as tx:
                released += await self._release(tx, lead_id, at)
        if released and self._wake is not None:
            self._wake()

    async def _release(self, tx: Connection, lead_id: int, at: datetime) -> int:
        cursor = await tx.execute(_PARKED, (lead_id, f"{_ACTOR}%", relay_store.Action.COPY))
        rows = list(await cursor.fetchall())
        for row in rows:
            question_id = str(row["actor"]).removeprefix(_ACTOR)
            try:
                text = self._checklist.question(question_id).text.get(self._t.language)
                caption: str | None = escape(text)
            except KeyError:
                caption = None  # a question of an older checklist version
            await tx.execute(_RELEASE, (dump_time(at), caption, row["id"]))
        return len(rows)


_DROP = """
DELETE FROM relay_outbox WHERE lead_id = ? AND actor = ? AND state = 'pending'
"""

_PARKED = """
SELECT id, actor FROM relay_outbox
WHERE lead_id = ? AND actor LIKE ? AND action = ? AND state = 'pending'
"""

_RELEASE = """
UPDATE relay_outbox SET due_at = ?, text = ? WHERE id = ?
"""

"""Answers staff saved with /kb add (table knowledge_answers)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.knowledge import SavedAnswer
from bot.storage.codec import dump_time
from bot.storage.db import Connection, Row, insert_returning_id

# Keywords are kept as typed, comma-separated: the table is read whole and small.
_SEPARATOR = ", "

_INSERT = """
INSERT INTO knowledge_answers (language, question, keywords, answer, added_by, added_at)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id
"""
_SELECT_ALL = (
    "SELECT id, language, question, keywords, answer, added_by FROM knowledge_answers ORDER BY id"
)
_DELETE = "DELETE FROM knowledge_answers WHERE id = ?"
# The lead whose topic a staff message is in decides the saved answer's language.
_LEAD_LANGUAGE_IN_TOPIC = """
SELECT language FROM leads WHERE staff_chat_id = ? AND staff_thread_id = ?
ORDER BY id DESC LIMIT 1
"""


def _answer(row: Row) -> SavedAnswer:
    return SavedAnswer(
        id=row["id"],
        language=row["language"],
        question=row["question"],
        keywords=tuple(word.strip() for word in row["keywords"].split(",") if word.strip()),
        answer=row["answer"],
        added_by=row["added_by"],
    )


async def add(
    tx: Connection,
    *,
    language: str,
    question: str,
    keywords: list[str],
    answer: str,
    added_by: int,
    at: datetime,
) -> int:
    new_id = await insert_returning_id(
        tx,
        _INSERT,
        (language, question, _SEPARATOR.join(keywords), answer, added_by, dump_time(at)),
    )
    if new_id is None:
        raise RuntimeError("knowledge_answers insert returned no row id")
    return new_id


async def list_all(tx: Connection) -> list[SavedAnswer]:
    async with tx.execute(_SELECT_ALL) as cursor:
        return [_answer(row) for row in await cursor.fetchall()]


async def remove(tx: Connection, answer_id: int) -> bool:
    cursor = await tx.execute(_DELETE, (answer_id,))
    return cursor.rowcount > 0


async def lead_language_in_topic(tx: Connection, chat_id: int, thread_id: int) -> str | None:
    async with tx.execute(_LEAD_LANGUAGE_IN_TOPIC, (chat_id, thread_id)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row[0])

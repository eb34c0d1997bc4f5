"""The knowledge base: answers from the file plus those staff saved with /kb add.

Implements the `Knowledge` port the relay and the conversation use. Saved answers are
read from the database on each question (a handful of rows), so an answer saved or
removed is used at once, by every part of the bot, and survives a restart.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.clock import Clock
from bot.domain.knowledge import (
    Entry,
    SavedAnswer,
    best_match,
    build_entry,
    parse_keyword_list,
    synonym_table,
)
from bot.domain.knowledge_file import MAX_ANSWER_LENGTH, FileEntry, KnowledgeFile
from bot.domain.knowledge_hit import KnowledgeHit
from bot.storage import knowledge as store
from bot.storage.db import Database

_TAG_RE = re.compile(r"<[^>]+>")


class AddProblem(StrEnum):
    NO_KEYWORDS = "no_keywords"
    BAD_KEYWORDS = "bad_keywords"
    NO_TEXT = "no_text"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class AddResult:
    saved: SavedAnswer | None = None
    problem: AddProblem | None = None
    refused: tuple[str, ...] = ()  # keywords that cannot be used, as typed


class KnowledgeBase:
    def __init__(
        self, db: Database, file: KnowledgeFile, clock: Clock, default_language: str
    ) -> None:
        self._db = db
        self._file = file
        self._clock = clock
        self._default_language = default_language
        self._by_id: dict[str, FileEntry] = {f"file:{entry.id}": entry for entry in file.entries}
        self._file_entries: list[Entry] = file.matcher_entries()
        self._synonyms = synonym_table(
            group for groups in file.synonyms.values() for group in groups
        )

    async def answer(self, language: str, text: str) -> KnowledgeHit | None:
        """The best answer to `text` in `language`, or None when nothing fits well enough.

        Saved answers in `language` come first, newest first: on a tie, what staff wrote
        for this business beats the file's template.
        """
        saved = {
            answer.entry_id: answer
            for answer in reversed(await self.saved())
            if answer.language == language
        }
        entries = [
            build_entry(entry_id, answer.keywords, self._synonyms)
            for entry_id, answer in saved.items()
        ]
        match = best_match([*entries, *self._file_entries], text)
        if match is None:
            return None
        if match.entry_id in saved:
            found = saved[match.entry_id]
            return KnowledgeHit(found.entry_id, found.question, found.answer)
        entry = self._by_id[match.entry_id]
        return KnowledgeHit(
            match.entry_id,
            self._file.text(entry.question, language),
            html.escape(self._file.text(entry.answer, language)),
        )

    async def saved(self) -> list[SavedAnswer]:
        async with self._db.read() as conn:
            return await store.list_all(conn)

    async def add(
        self,
        *,
        keywords_text: str,
        answer_html: str | None,
        chat_id: int,
        thread_id: int | None,
        added_by: int,
    ) -> AddResult:
        """Saves a staff member's reply as an answer; the question shown is its keywords.

        The language is that of the lead whose topic the reply is in, else the default.
        """
        keywords, refused = parse_keyword_list(keywords_text)
        if refused:
            return AddResult(problem=AddProblem.BAD_KEYWORDS, refused=tuple(refused))
        if not keywords:
            return AddResult(problem=AddProblem.NO_KEYWORDS)
        if answer_html is None or not answer_html.strip():
            return AddResult(problem=AddProblem.NO_TEXT)
        if len(answer_html) > MAX_ANSWER_LENGTH:
            return AddResult(problem=AddProblem.TOO_LONG)
        question = ", ".join(keywords)
        async with self._db.transaction() as tx:
            language = None
            if thread_id is not None:
                language = await store.lead_language_in_topic(tx, chat_id, thread_id)
            language = language or self._default_language
            answer_id = await store.add(
                tx,
                language=language,
                question=question,
                keywords=keywords,
                answer=answer_html.strip(),
                added_by=added_by,
                at=self._clock.now(),
            )
        saved = SavedAnswer(
            answer_id, language, question, tuple(keywords), answer_html.strip(), added_by
        )
        return AddResult(saved=saved)

    async def remove(self, answer_id: int) -> bool:
        async with self._db.transaction() as tx:
            return await store.remove(tx, answer_id)


def preview(answer_html: str, length: int = 60) -> str:
    """A short plain-text start of a saved answer, escaped for HTML."""
    text = " ".join(html.unescape(_TAG_RE.sub("", answer_html)).split())
    if len(text) > length:
        cut = text[: length - 1]
        # End on a whole word when there is one to end on.
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return html.escape(text)

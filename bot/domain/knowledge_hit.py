"""What the knowledge base gives back for a prospect's question; the relay and the
conversation depend on this, not on how answers are found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class KnowledgeHit:
    entry_id: str  # stable: "file:<id>" for the YAML file, "saved:<n>" for /kb add
    question: str  # the entry's own wording, shown to staff in the topic
    answer: str  # Telegram HTML, in the prospect's language


class Knowledge(Protocol):
    async def answer(self, language: str, text: str) -> KnowledgeHit | None:
        """The best answer to `text`, or None when nothing fits well enough."""
        ...

"""Words the views put around answers: the media answers' names ("📷 photo") and a number
question's example with its unit ("85 000 km"), in the reader's language."""

from __future__ import annotations

from bot.domain.checklist import (
    NO_BREAK_SPACE,
    MediaKind,
    Question,
    format_number,
)
from bot.i18n import Translator


def media_words(t: Translator) -> dict[MediaKind, str]:
    """What a media answer is called for people; the mark (📷/📄) comes from the domain."""
    return {kind: t(f"answer.media.{kind.value}") for kind in MediaKind}


def number_example(question: Question, t: Translator) -> str:
    """The question's example as people write it, with the unit; "" without an example."""
    if question.example is None:
        return ""
    amount = format_number(question.example, question.decimals, t.language)
    if question.unit is None:
        return amount
    return f"{amount}{NO_BREAK_SPACE}{question.unit.get(t.language)}"

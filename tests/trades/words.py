"""Everything a person saw from the bot in one chat, and the words of flats that must not
be there when the checklist is of another trade."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakegram import FakeTelegram

FLATS_WORDS = re.compile(
    r"квартир|просмотр|новостро|недвижим|жк\b|flat|viewing|new build|apartment|real estate",
    re.IGNORECASE,
)

# Request parameters a person reads: texts, captions, a venue's name and address, a file's
# name, a poll's question.
_READ = ("text", "caption", "title", "address", "question")


def _labels(markup: Any) -> list[str]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [str(button["text"]) for row in rows for button in row if "text" in button]


def received(telegram: FakeTelegram, chat_id: int) -> list[str]:
    """Every text, edit, caption, button label and file name the bot sent to `chat_id`."""
    texts: list[str] = []
    for request in telegram.sent(chat_id):
        params = request.params
        texts += [str(params[key]) for key in _READ if isinstance(params.get(key), str)]
        texts += _labels(params.get("reply_markup"))
        filename = getattr(params.get("document"), "filename", None)
        if isinstance(filename, str):
            texts.append(filename)
    return texts


def toasts(telegram: FakeTelegram) -> list[str]:
    """The texts of every callback answer (toasts and alerts), whoever pressed."""
    return [answer.text for answer in telegram.callback_answers.values() if answer.text]


def flats_words(texts: list[str]) -> list[str]:
    """The texts that speak of flats (none is expected)."""
    return [text for text in texts if FLATS_WORDS.search(text)]

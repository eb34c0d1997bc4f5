"""Everything a person saw from the bot in one chat, and the words of flats that must not
be there when the checklist is of another trade; the lead's card in its topic."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Harness
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


def assert_no_flats(harness: Harness, *chats: int) -> None:
    """Nothing any of these chats received, and no toast, speaks of flats."""
    texts = [text for chat in chats for text in received(harness.telegram, chat)]
    texts += toasts(harness.telegram)
    assert texts, "nothing was received"
    assert flats_words(texts) == []


async def topic_card(harness: Harness, user_id: int = 1001) -> tuple[str, int | None]:
    """The lead's card in its staff topic once the queued work has gone out."""
    await harness.app.pipe.drain()
    await harness.app.relay.delivery.deliver_due()
    lead = await harness.lead(user_id)
    assert lead is not None
    return harness.card(lead.staff_thread_id, lead.id), lead.staff_thread_id

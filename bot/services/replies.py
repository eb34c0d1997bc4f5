"""What a use case wants people to see, as plain data: the chat adapter carries it out.

Use cases never talk to Telegram about the update they serve: they do not know which
callback query to answer or which message a button was on. They return a `Turn` (the
conversation's memory after the step, and the replies in order) and the adapter in
bot/handlers/render.py answers the press, edits the pressed message or sends new ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.views import Screen


class Stage(StrEnum):
    """Where a prospect's chat is, between updates."""

    CONSENT = "consent"
    ANSWERING = "answering"
    DONE = "done"
    WISH = "wish"  # typing when they would like a call instead of the offered times


@dataclass(frozen=True)
class Memory:
    """The chat's short-term memory; answers themselves live with the lead."""

    stage: Stage | None = None
    language: str | None = None
    source: str | None = None  # the deep-link source, kept until consent
    question: str | None = None  # the question asked last
    selection: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # multi ticks

    def selected(self, question_id: str) -> list[str]:
        return list(self.selection.get(question_id, ()))


@dataclass(frozen=True)
class Toast:
    """Answers the button press (a short notice over the chat, or just stops the spinner)."""

    text: str | None = None


@dataclass(frozen=True)
class Send:
    chat_id: int
    screen: Screen


@dataclass(frozen=True)
class Ask:
    """Sends the next question; the adapter remembers it, to mark it answered later.

    `instead`: the question takes the place of the one abandoned with Back (the pressed
    message, else the one asked last), so the chat keeps no question left unanswered.
    """

    chat_id: int
    screen: Screen
    instead: bool = False


@dataclass(frozen=True)
class Replace:
    """Puts the screen on the message the button was on; sends it when there is none."""

    screen: Screen


@dataclass(frozen=True)
class MarkAnswered:
    """Turns the current question's message into its answer (the pressed one, or the one
    asked last when the answer was typed)."""

    text: str


@dataclass(frozen=True)
class Keyboard:
    """New buttons (or none) on the message the button was on."""

    markup: Any | None


@dataclass(frozen=True)
class Venue:
    chat_id: int
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Document:
    chat_id: int
    filename: str
    data: bytes
    caption: str | None = None


Reply = Toast | Send | Ask | Replace | MarkAnswered | Keyboard | Venue | Document
# Carries out one reply at once: lets a use case answer a press before its slow work.
Sink = Callable[[Reply], Awaitable[None]]


@dataclass(frozen=True)
class Turn:
    memory: Memory
    replies: tuple[Reply, ...] = ()


class Plan:
    """Collects a use case's replies and memory changes in order.

    With a sink, `flush()` hands over the replies so far at once (a button press is
    answered before the database work, as people expect a button to react at once); the
    turn then holds only the rest.
    """

    def __init__(self, memory: Memory | None = None, sink: Sink | None = None) -> None:
        self.memory = memory or Memory()
        self.replies: list[Reply] = []
        self._sink = sink

    async def flush(self) -> None:
        if self._sink is None:
            return
        pending, self.replies = self.replies, []
        for reply in pending:
            await self._sink(reply)

    def add(self, *replies: Reply) -> None:
        for reply in replies:
            joined = _joined(self.replies[-1], reply) if self.replies else None
            if joined is None:
                self.replies.append(reply)
            else:
                self.replies[-1] = joined

    def extend(self, turn: Turn) -> None:
        """Another use case's replies, after ours; its memory wins."""
        self.add(*turn.replies)
        self.memory = turn.memory

    def remember(self, **changes: Any) -> None:
        self.memory = replace(self.memory, **changes)

    def turn(self) -> Turn:
        return Turn(self.memory, tuple(self.replies))


# Telegram's limit on a message's text (counted after markup; the raw HTML is longer).
_MAX_TEXT = 4096


def _joined(previous: Reply, reply: Reply) -> Send | Ask | None:
    """Two messages in a row to the same chat, at most one with buttons, as one message.

    "Thank you for your consent!" and the first question read as one message anyway;
    sent as one, the chat gets it at once and Telegram sees one request instead of two.
    """
    if not isinstance(previous, Send) or not isinstance(reply, Send | Ask):
        return None
    if reply.chat_id != previous.chat_id or previous.screen.alone or reply.screen.alone:
        return None
    if isinstance(reply, Ask) and reply.instead:
        return None  # it edits an abandoned question in place: a notice has no place there
    if previous.screen.markup is not None and (
        isinstance(reply, Ask) or reply.screen.markup is not None
    ):
        return None
    text = f"{previous.screen.text}\n\n{reply.screen.text}"
    if len(text) > _MAX_TEXT:
        return None
    markup = previous.screen.markup or reply.screen.markup
    return replace(reply, screen=replace(reply.screen, text=text, markup=markup))

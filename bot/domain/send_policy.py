"""How fast the bot may send, to whom first, and what Telegram's 429 asks of it.

Pure rules for `services/send_queue.py`: no Telegram, no clocks (times are plain seconds
from any monotonic origin), so they are tested with tables.

Telegram's published limits: about 1 message a second in one private chat, 20 messages a
minute in one group (edits and topic changes count), 30 messages a second overall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntEnum


class Priority(IntEnum):
    """Who waits least when the bot must wait: lower goes first."""

    ANSWER = 0  # a prospect waiting for the bot's reply in the chat
    CARD = 1  # a lead card or a notice in the staff group
    DIGEST = 2  # digests, reports, alerts that can wait a little


@dataclass(frozen=True)
class Window:
    """At most `count` counted requests in any `seconds` long span."""

    count: int
    seconds: float

    def scaled(self, factor: float) -> Window:
        return replace(self, seconds=self.seconds * factor)


@dataclass(frozen=True)
class SendLimits:
    """The limits one bot keeps to. `None` means "no limit" (tests against a local stand-in)."""

    private: Window | None = Window(1, 1.0)
    group: Window | None = Window(20, 60.0)
    overall: Window | None = Window(30, 1.0)

    @classmethod
    def unlimited(cls) -> SendLimits:
        return cls(private=None, group=None, overall=None)

    def scaled(self, factor: float) -> SendLimits:
        """The same counts in windows `factor` times as long (0.01: a minute becomes 0.6 s)."""
        return SendLimits(
            private=None if self.private is None else self.private.scaled(factor),
            group=None if self.group is None else self.group.scaled(factor),
            overall=None if self.overall is None else self.overall.scaled(factor),
        )

    def for_chat(self, chat_id: int) -> Window | None:
        return self.private if is_private(chat_id) else self.group


TELEGRAM_LIMITS = SendLimits()

# Methods that do not post or change anything in a chat (reads, answering a button press,
# the bot's own settings): Telegram does not count them against a chat's message limits.
_UNCOUNTED = frozenset(
    {
        "answerCallbackQuery",
        "getChat",
        "getChatMember",
        "getMe",
        "getUpdates",
        "setMyCommands",
        "deleteMyCommands",
        "sendChatAction",
    }
)
# Edits that only the newest matters for: a waiting one is replaced by a newer one.
_COLLAPSIBLE = frozenset({"editMessageText", "editMessageReplyMarkup", "editForumTopic"})


def is_private(chat_id: int) -> bool:
    """Telegram gives users positive ids and groups negative ones."""
    return chat_id > 0


def counts(method: str) -> bool:
    """True if `method` counts against the per-chat and overall limits."""
    return method not in _UNCOUNTED


def default_priority(chat_id: int | None) -> Priority:
    """A private chat is a prospect waiting for an answer; a group is the staff desk."""
    if chat_id is None or is_private(chat_id):
        return Priority.ANSWER
    return Priority.CARD


def collapse_key(
    method: str, chat_id: int | None, target: int | None
) -> tuple[str, int, int] | None:
    """Requests with the same key replace each other while they wait: an edit of one message
    (or topic) only needs its latest version sent."""
    if method not in _COLLAPSIBLE or chat_id is None or target is None:
        return None
    return (method, chat_id, target)


def wait_before(sent_at: Sequence[float], now: float, window: Window | None) -> float:
    """Seconds to wait before the next counted request, given when the earlier ones were sent
    (oldest first): the window must hold fewer than `count` of them."""
    if window is None or window.count <= 0 or len(sent_at) < window.count:
        return 0.0
    oldest_in_window = sent_at[-window.count]
    return max(0.0, oldest_in_window + window.seconds - now)


def overall_wait(
    answered_at: Sequence[float], in_flight: int, now: float, window: Window | None
) -> float | None:
    """Seconds to wait before one more request may start under the bot's overall limit, or
    None: wait until a request in flight is answered.

    Requests to many chats are in flight at once and reach Telegram in any order, so a request
    counts from the moment it starts until a window after it was answered (when it had surely
    reached Telegram). `answered_at` is oldest first.
    """
    if window is None or window.count <= 0:
        return 0.0
    recent = [t for t in answered_at if t + window.seconds > now]
    excess = in_flight + len(recent) - window.count + 1
    if excess <= 0:
        return 0.0
    if excess > len(recent):
        return None
    return recent[excess - 1] + window.seconds - now


def keep_recent(sent_at: list[float], window: Window | None) -> None:
    """Forgets send times no limit will look at again (keeps the last `count`)."""
    keep = 0 if window is None else window.count
    if len(sent_at) > keep:
        del sent_at[: len(sent_at) - keep]


# Telegram's retry_after is whole seconds; a zero or missing one still means "slow down".
MIN_PAUSE = 1.0


def pause_for(retry_after: float | None) -> float:
    """How long a 429 pauses the chat it came for: all of what Telegram asked (a request
    before then is a flood violation that makes the next wait longer), and never nothing."""
    if retry_after is None or retry_after <= 0:
        return MIN_PAUSE
    return float(retry_after)

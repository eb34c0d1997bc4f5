"""Telegram's flood control, for the stand-in: per-chat and overall limits, 429 with
`retry_after`, and a record of every request that came back before its `retry_after`.

Telegram publishes the limits only roughly (about 1 message a second in a private chat, 20 a
minute in a group, 30 a second overall); the stand-in enforces them exactly, over sliding
windows, on requests that post or change something in a chat. A request refused with 429 does
not count. `FloodLimits.scaled` shrinks the windows so tests need not wait minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FloodControl", "FloodLimits", "counted"]

# Methods Telegram counts against the message limits: what posts or changes a message or topic.
_COUNTED_PREFIXES = ("send", "edit", "copy", "forward", "createForumTopic", "pin")
_NOT_COUNTED = frozenset({"sendChatAction"})


def counted(method: str) -> bool:
    return method.startswith(_COUNTED_PREFIXES) and method not in _NOT_COUNTED


@dataclass(frozen=True)
class FloodLimits:
    """(count, seconds): at most `count` counted requests in any `seconds` long span."""

    private: tuple[int, float] = (1, 1.0)
    group: tuple[int, float] = (20, 60.0)
    overall: tuple[int, float] = (30, 1.0)

    def scaled(self, factor: float) -> FloodLimits:
        return FloodLimits(
            private=(self.private[0], self.private[1] * factor),
            group=(self.group[0], self.group[1] * factor),
            overall=(self.overall[0], self.overall[1] * factor),
        )


@dataclass
class FloodControl:
    limits: FloodLimits
    now: Callable[[], float]
    rejected: int = 0  # 429s answered
    violations: list[str] = field(default_factory=list)  # requests before their retry_after
    _accepted: dict[int | str, list[float]] = field(default_factory=dict)
    _overall: list[float] = field(default_factory=list)
    _paused_until: dict[int | str, float] = field(default_factory=dict)

    def check(self, method: str, chat_id: int | str | None) -> int | None:
        """None if the request may go; else the retry_after (whole seconds) of a 429."""
        if chat_id is None or not counted(method):
            return None
        now = self.now()
        paused_until = self._paused_until.get(chat_id)
        if paused_until is not None and now < paused_until:
            early = paused_until - now
            self.violations.append(
                f"flood: {method} to chat {chat_id} came {early:.3f} s before its retry_after"
            )
            return self._refuse(chat_id, now, early)
        chat_times = self._accepted.setdefault(chat_id, [])
        chat_limit = self.limits.private if _is_private(chat_id) else self.limits.group
        for times, (count, seconds) in (
            (chat_times, chat_limit),
            (self._overall, self.limits.overall),
        ):
            if len(times) >= count and times[-count] + seconds > now:
                return self._refuse(chat_id, now, times[-count] + seconds - now)
        for times, (count, _) in ((chat_times, chat_limit), (self._overall, self.limits.overall)):
            times.append(now)
            del times[: max(0, len(times) - count)]
        return None

    def _refuse(self, chat_id: int | str, now: float, wait: float) -> int:
        retry_after = max(1, math.ceil(wait))
        self._paused_until[chat_id] = now + retry_after
        self.rejected += 1
        return retry_after


def _is_private(chat_id: int | str) -> bool:
    return isinstance(chat_id, int) and chat_id > 0

"""Pure rendering: domain data and a translator in, message text and markup out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.notifier import Markup


@dataclass(frozen=True)
class Screen:
    text: str
    markup: Markup | None = None

"""Pure rendering: domain data and a translator in, message text and markup out."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup

from bot.services.notifier import Markup


@dataclass(frozen=True)
class Screen:
    text: str
    markup: Markup | None = None
    # A document of its own (a consent text, kept as it was read): never joined with the
    # message before or after it.
    alone: bool = False

    @property
    def inline(self) -> InlineKeyboardMarkup | None:
        """The markup if it can go on an edited message (only inline keyboards can)."""
        return self.markup if isinstance(self.markup, InlineKeyboardMarkup) else None

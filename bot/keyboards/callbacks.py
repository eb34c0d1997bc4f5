"""Every CallbackData the bot puts on buttons. Prefixes are unique; values are ids.

Checklist ids are at most 20 characters, so every packed value fits Telegram's
64-byte limit (a test packs the longest possible values).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ConsentCb(CallbackData, prefix="cs"):
    agree: bool


class OptionCb(CallbackData, prefix="op"):
    """A single-choice answer."""

    q: str
    o: str


class ToggleCb(CallbackData, prefix="tg"):
    """A multiple-choice option switched on or off."""

    q: str
    o: str


class DoneCb(CallbackData, prefix="dn"):
    q: str


class SkipCb(CallbackData, prefix="sk"):
    q: str


class BackCb(CallbackData, prefix="bk"):
    q: str


class RestartCb(CallbackData, prefix="rs"):
    """Go through the checklist again (returning prospects)."""


class LanguageCb(CallbackData, prefix="lg"):
    lang: str


ALL_CALLBACKS: tuple[type[CallbackData], ...] = (
    ConsentCb,
    OptionCb,
    ToggleCb,
    DoneCb,
    SkipCb,
    BackCb,
    RestartCb,
    LanguageCb,
)

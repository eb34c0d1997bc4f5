"""Callback data: unique prefixes, and the longest possible values fit in 64 bytes."""

from __future__ import annotations

from bot.keyboards.callbacks import (
    ALL_CALLBACKS,
    BackCb,
    ConsentCb,
    DoneCb,
    LanguageCb,
    OptionCb,
    RestartCb,
    SkipCb,
    ToggleCb,
)

LONGEST_ID = "q" * 20  # the checklist validator allows ids of at most 20 characters


def test_prefixes_are_unique() -> None:
    prefixes = [cls.__prefix__ for cls in ALL_CALLBACKS]
    assert len(prefixes) == len(set(prefixes))


def test_packed_values_fit_telegram_limit() -> None:
    packed = [
        ConsentCb(agree=False).pack(),
        OptionCb(q=LONGEST_ID, o=LONGEST_ID).pack(),
        ToggleCb(q=LONGEST_ID, o=LONGEST_ID).pack(),
        DoneCb(q=LONGEST_ID).pack(),
        SkipCb(q=LONGEST_ID).pack(),
        BackCb(q=LONGEST_ID).pack(),
        RestartCb().pack(),
        LanguageCb(lang="en").pack(),
    ]
    for value in packed:
        assert 0 < len(value.encode()) <= 64, value


def test_round_trip() -> None:
    packed = OptionCb(q="purpose", o="live").pack()
    assert OptionCb.unpack(packed) == OptionCb(q="purpose", o="live")

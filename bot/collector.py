"""The garbage collector, tuned once the process is set up to take updates."""

from __future__ import annotations

import gc

# Allocations between two young collections; CPython's default is 700.
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Freezes what the set-up made and widens the young generation.

    What is alive once the bot is built (imported modules, aiogram's and pydantic's models, the
    catalogs, the checklist) lives as long as the process; frozen, it is no longer walked by
    every full collection. An update in flight makes many objects that live a few awaits; a
    wider young generation lets most of them die young instead of being promoted and walked
    again. In scripts/bench.py this took the collector from about 40 % of the bot's CPU to
    about 10 %.
    """
    gc.collect()  # garbage of the set-up is freed, not frozen
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)

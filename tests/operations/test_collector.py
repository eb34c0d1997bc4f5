"""The garbage collector as `python -m bot run` leaves it (run in a process of its own: a
frozen generation would outlive the test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, weakref
import bot.composition  # the bot's imports: what a running bot holds for its whole life
from bot.collector import YOUNG_THRESHOLD, settle

class Node:
    pass

settle()
print(gc.get_freeze_count() > 10_000, gc.get_threshold()[0] == YOUNG_THRESHOLD)
# Garbage made after settling is still collected: a cycle, so reference counts cannot free it.
node = Node()
node.me = node
gone = weakref.ref(node)
del node
gc.collect()
print(gone() is None)
"""


def test_settling_freezes_the_set_up_and_still_collects_new_garbage() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    frozen, widened, collected = result.stdout.split()
    assert frozen == "True", "the imported modules' objects should be frozen"
    assert widened == "True", "the young generation should be widened"
    assert collected == "True", "a cycle made after settling should still be collected"

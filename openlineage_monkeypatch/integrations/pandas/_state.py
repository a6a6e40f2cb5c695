"""Per-thread state shared by the pandas patches.

Only the outermost patched call does lineage work: pandas calls its own public methods internally
(merge calls copy, concat, __getitem__ ...), and those inner calls must neither cost time nor add
edges. `depth` counts patched calls on this thread's stack.
"""

from __future__ import annotations

import threading

local = threading.local()


def depth() -> int:
    return getattr(local, "depth", 0)


def enter() -> int:
    """Mark entry into a patched call; returns the depth before entry (0 = outermost)."""
    before = getattr(local, "depth", 0)
    local.depth = before + 1
    return before


def leave(before: int) -> None:
    local.depth = before

"""Per-thread state shared by the pandas patches.

Only the outermost patched call does lineage work: pandas calls its own public methods internally
(merge calls copy, concat, __getitem__ ...), and those inner calls must neither cost time nor add
edges. `depth` counts patched calls on this thread's stack; a user function that pandas calls back
(an assign lambda, an apply function) runs at depth 0 again, so what it does is tracked.

`user` is the UserCall of the innermost user function running on this thread (None outside one):
it collects what the function touched (hashing, observed labels, other tracked objects).
"""

from __future__ import annotations

import threading


class _Local(threading.local):
    depth = 0
    user = None


local = _Local()


def depth() -> int:
    return local.depth


def enter() -> int:
    """Mark entry into a patched call; returns the depth before entry (0 = outermost)."""
    before = local.depth
    local.depth = before + 1
    return before


def leave(before: int) -> None:
    local.depth = before

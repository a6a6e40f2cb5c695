"""Warnings a patched library raises name the user's line, as they do without us.

Our wrappers add a Python frame between the job and the library. A library warning attributed with
`stacklevel` (pandas' find_stack_level counts its own frames; other calls use a fixed level) would then
land on our frame: the message would name our file, and the default filters, which show a
DeprecationWarning only when it is attributed to `__main__`, would hide or show it differently. While
a library is patched, `warnings.warn` skips our frames when it counts the stack; nothing else changes.
"""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Captured once, before we replace it: a module that ran `from warnings import warn` while we were
# installed keeps our function, which must keep working after uninstall().
_original = warnings.warn


def _warn(message, category=None, stacklevel=1, source=None, *args, **kwargs):
    extra = 0
    try:
        frame = sys._getframe(stacklevel) if stacklevel >= 1 else None
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            frame = frame.f_back
            extra += 1
    except (ValueError, TypeError):  # fewer frames than stacklevel, or an odd stacklevel: as before
        extra = 0
    if isinstance(stacklevel, int) and stacklevel >= 1:
        stacklevel = stacklevel + 1 + extra  # + 1: this function's own frame
    return _original(message, category, stacklevel, source, *args, **kwargs)


def install() -> None:
    if warnings.warn is _original:
        warnings.warn = _warn


def uninstall() -> None:
    if warnings.warn is _warn:
        warnings.warn = _original

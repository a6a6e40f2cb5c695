"""openlineage-monkeypatch: OpenLineage column-level lineage for unchanged pandas, S3 and Snowflake jobs.

Zero-code: install the package and set OPENLINEAGE_MONKEYPATCH_ENABLED=1 in the job's environment.
In notebooks and tests, call `instrument()` (and `uninstrument()`) instead.

This module stays import-light: it is imported by the start-up hook of every Python process.
"""

from __future__ import annotations

import os as _os

from ._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable

__all__ = ["__version__", "instrument", "uninstrument", "flush", "finish"]


def instrument(integrations: Iterable[str] | None = None, *, disabled: Iterable[str] = ()) -> list[str]:
    """Patch the given integrations (default: all enabled ones) now or when their library is imported.

    Returns the names of the integrations that were activated. Safe to call more than once.
    OPENLINEAGE_DISABLED=true makes it do nothing.
    """
    from . import config, registry

    config.reload()
    if config._flag(_os.environ.get("OPENLINEAGE_DISABLED")):
        return []
    skip = set(config.disabled_integrations()) | {name.lower() for name in disabled}
    only = {name.lower() for name in integrations} if integrations is not None else None
    return registry.activate(frozenset(skip), only)


def uninstrument(integrations: Iterable[str] | None = None) -> None:
    """Restore the original functions of the given integrations.

    Without arguments: all of them, and the process hooks; the current run, if it started, ends
    first (COMPLETE), so what was seen so far is not lost.
    """
    from . import registry

    if integrations is None:
        finish()
    registry.deactivate({name.lower() for name in integrations} if integrations is not None else None)


def flush(timeout: float | None = None) -> bool:
    """Deliver queued events now (at most `timeout` seconds, default the flush bound); False if some
    had to be spooled instead."""
    from . import _guard, emitter

    return bool(_guard.setup("emitter", emitter.emitter().flush, timeout))


def finish(event_type: str = "COMPLETE") -> None:
    """End this process's run now (notebooks: one run per call of finish, a new one starts afterwards)."""
    from . import _guard, run

    current = run._run
    if current is not None and current.pid == _os.getpid():
        _guard.setup("run", current.finish, event_type.upper())
        run._run = None

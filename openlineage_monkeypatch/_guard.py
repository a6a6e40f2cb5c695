"""Never break the job: every piece of our code that runs inside a patched call goes through here.

`call(integration, fn, *args)` runs one of our handlers and swallows whatever it raises, logging the
first failure per integration and counting all of them (the counts go into the run's
`monkeypatch_instrumentation` facet). The patched library function itself is never called from here:
patches call the original exactly once, outside any guard, and return its result untouched.

OPENLINEAGE_MONKEYPATCH_TEST_FAULT=raise|garbage|slow makes every guarded handler fail in that way;
the reliability tests use it to prove the job is unaffected.
"""

from __future__ import annotations

import threading
import time

from . import _log

_lock = threading.Lock()
errors: dict[str, int] = {}
_fault: str | None = None
_fault_read = False


class InjectedFault(RuntimeError):
    """Raised by handlers when the test fault switch says so."""


class Garbage:
    """What a handler returns under the `garbage` fault: an object nothing of ours expects."""

    def __repr__(self) -> str:
        return "<garbage>"

    def __getattr__(self, name):
        raise InjectedFault(f"garbage has no {name}")


def fault() -> str | None:
    global _fault, _fault_read
    if not _fault_read:
        from . import config

        _fault = config.settings().fault
        _fault_read = True
    return _fault


def record_error(integration: str, exc: BaseException | None = None) -> None:
    with _lock:
        errors[integration] = errors.get(integration, 0) + 1
    _log.log_once(
        f"error:{integration}",
        "internal error in the %s integration (counted, job unaffected): %r",
        integration,
        exc,
        exc_info=exc is not None and not isinstance(exc, InjectedFault),
    )


def call(integration: str, fn, *args, **kwargs):
    """Run our handler fn(*args, **kwargs); on any error count it and return None."""
    try:
        mode = fault()
        if mode is not None:
            if mode == "raise":
                raise InjectedFault(f"injected fault in {integration}")
            if mode == "slow":
                time.sleep(0.02)
            elif mode == "garbage":
                fn(*args, **kwargs)
                return Garbage()
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the whole point
        record_error(integration, exc)
        return None


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(errors)


def reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    errors.clear()

"""Never break the job: every piece of our code that runs inside a patched call goes through here.

`call(integration, fn, *args)` runs one of our handlers and swallows whatever it raises, logging the
first failure per integration and counting all of them (the counts go into the run's
`monkeypatch_instrumentation` facet). The patched library function itself is never called from here:
patches call the original exactly once, outside any guard, and return its result untouched.

An error inside an integration's handler means the job did touch a dataset through that library,
even if we could not say which: the run is started, so its final event records the error.

OPENLINEAGE_MONKEYPATCH_TEST_FAULT=raise|garbage|slow[:name,...] makes guarded handlers fail in that
way (by default every integration's handlers, not our core); the reliability tests use it to prove
the job is unaffected. Set-up code (instrument(), hooks) runs through `setup()`, which is never faulted.
"""

from __future__ import annotations

import _thread  # start-up path: not threading (see _bootstrap)
import time

from . import _log

CORE = frozenset({"run", "process", "emitter", "bootstrap", "registry"})

_lock = _thread.RLock()
errors: dict[str, int] = {}
_fault: tuple | None = None
_local = _thread._local()


class InjectedFault(RuntimeError):
    """Raised by handlers when the test fault switch says so."""


class Garbage:
    """What a handler returns under the `garbage` fault: an object nothing of ours expects."""

    def __repr__(self) -> str:
        return "<garbage>"

    def __getattr__(self, name):
        raise InjectedFault(f"garbage has no {name}")


def _configured() -> tuple:
    """(fault mode, target integrations) from the settings, read once."""
    global _fault
    if _fault is None:
        from . import config

        settings = config.settings()
        _fault = (settings.fault, settings.fault_targets)
    return _fault


def fault(integration: str | None = None) -> str | None:
    """The injected fault mode for `integration` (None: no fault, or set-up code is running)."""
    mode, _ = _configured()
    if mode is None or getattr(_local, "setup", 0):
        return None
    return mode if integration is None else mode_for(integration)


def mode_for(integration: str) -> str | None:
    """The fault mode configured for `integration`, whether or not set-up code is running now.

    Hot wrappers read it once: None means their handlers may skip call() and catch errors inline."""
    mode, targets = _configured()
    if mode is None:
        return None
    if targets is None:
        return None if integration in CORE else mode
    return mode if integration in targets else None


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
    if integration not in CORE and not getattr(_local, "setup", 0):
        _start_run()


def _start_run() -> None:
    """A handler failed inside a library call the job made: make sure the run reports it."""
    try:
        from . import run

        run.current().ensure_started()
    except Exception:  # noqa: BLE001
        pass


def call(integration: str, fn, *args, **kwargs):
    """Run our handler fn(*args, **kwargs); on any error count it and return None."""
    try:
        mode = fault(integration)
        if mode is not None:
            if mode == "raise":
                raise InjectedFault(f"injected fault in {integration}")
            if mode == "slow":
                time.sleep(0.02)
            elif mode == "garbage":
                fn(*args, **kwargs)
                record_error(integration, InjectedFault(f"injected garbage result in {integration}"))
                return Garbage()
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the whole point
        record_error(integration, exc)
        return None


def setup(integration: str, fn, *args, **kwargs):
    """Like call() for set-up code (patching, hooks): never faulted by the test switch."""
    _local.setup = getattr(_local, "setup", 0) + 1
    try:
        return call(integration, fn, *args, **kwargs)
    finally:
        _local.setup -= 1


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(errors)


def reset_after_fork() -> None:
    global _lock, _fault
    _lock = _thread.RLock()
    _fault = None
    errors.clear()

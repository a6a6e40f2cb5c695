"""The package's own diagnostics: one logger, prefixed lines, each problem reported once.

Lines go to stderr prefixed with "openlineage-monkeypatch:" (or to the file named by
OPENLINEAGE_MONKEYPATCH_LOG, or nowhere with "off"), never through the job's root logger, and every
line passes the secret scrubber first.
"""

from __future__ import annotations

import _thread  # start-up path: not threading (see _bootstrap)

PREFIX = "openlineage-monkeypatch"
_lock = _thread.RLock()
_seen: set[str] = set()
_logger = None


def logger():
    global _logger
    if _logger is not None:
        return _logger
    import logging

    from . import config

    settings = config.settings()
    log = logging.getLogger("openlineage_monkeypatch")
    log.propagate = False
    if not log.handlers:
        target = settings.log.strip()
        if target.lower() in ("off", "none", "null"):
            handler: logging.Handler = logging.NullHandler()
        elif target.lower() in ("stderr", ""):
            handler = _quiet(logging.StreamHandler)()
        elif target.lower() == "stdout":  # never the job's stdout: its bytes must stay the job's own
            handler = _quiet(logging.StreamHandler)()
        else:
            handler = _quiet(logging.FileHandler)(target, delay=True, encoding="utf-8")
        handler.setFormatter(_scrubbing_formatter(logging)(f"{PREFIX}: %(levelname)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(getattr(logging, settings.log_level, None) if isinstance(
        getattr(logging, settings.log_level, None), int) else logging.INFO)
    _logger = log
    return log


def _quiet(handler_class):
    """A handler that drops a line it cannot write instead of printing logging's traceback."""

    class Quiet(handler_class):
        def handleError(self, record) -> None:  # noqa: N802
            pass

    Quiet.__name__ = f"Quiet{handler_class.__name__}"
    return Quiet


def _scrubbing_formatter(logging):
    class ScrubbingFormatter(logging.Formatter):
        def format(self, record) -> str:
            from .redact import scrub_text

            return scrub_text(super().format(record))

    return ScrubbingFormatter


def log_once(key: str, msg: str, *args, level: str = "warning", exc_info=False) -> bool:
    """Log msg the first time `key` is seen in this process; returns whether it was logged."""
    with _lock:
        if key in _seen:
            return False
        _seen.add(key)
    try:
        getattr(logger(), level)(msg, *args, exc_info=exc_info)
    except Exception:
        pass
    return True


def seen(key: str) -> bool:
    """Whether log_once already reported `key` in this process."""
    return key in _seen


def info(msg: str, *args) -> None:
    try:
        logger().info(msg, *args)
    except Exception:
        pass


def debug(msg: str, *args) -> None:
    try:
        log = logger()
        if log.isEnabledFor(10):
            log.debug(msg, *args)
    except Exception:
        pass


def reset_after_fork() -> None:
    global _lock
    _lock = _thread.RLock()

"""Settings read from the environment.

Only the standard library is imported here: the start-up hook reads this module before the job's
first line, so it must stay cheap. The OpenLineage client's own configuration (openlineage.yml,
OPENLINEAGE_URL, OPENLINEAGE__TRANSPORT__*) is left to the client; this module only decides whether
none of it is set, in which case the embedded NDJSON file transport is used.
"""

from __future__ import annotations

import os
import sys

ENABLED = "OPENLINEAGE_MONKEYPATCH_ENABLED"
DISABLED_INTEGRATIONS = "OPENLINEAGE_MONKEYPATCH_DISABLED_INTEGRATIONS"
FLUSH_TIMEOUT = "OPENLINEAGE_MONKEYPATCH_FLUSH_TIMEOUT"
QUEUE_SIZE = "OPENLINEAGE_MONKEYPATCH_QUEUE_SIZE"
DATA_DIR = "OPENLINEAGE_MONKEYPATCH_DATA_DIR"
SPOOL_DIR = "OPENLINEAGE_MONKEYPATCH_SPOOL_DIR"
SQL_TEXT = "OPENLINEAGE_MONKEYPATCH_SQL_TEXT"
LOG = "OPENLINEAGE_MONKEYPATCH_LOG"
LOG_LEVEL = "OPENLINEAGE_MONKEYPATCH_LOG_LEVEL"
FAULT = "OPENLINEAGE_MONKEYPATCH_TEST_FAULT"
RETRY_AFTER = "OPENLINEAGE_MONKEYPATCH_BACKEND_RETRY_AFTER"

TRUE = frozenset({"1", "true", "yes", "on"})


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE


def is_enabled(environ=os.environ) -> bool:
    """True when the job asked for instrumentation and OpenLineage is not switched off."""
    return _flag(environ.get(ENABLED)) and not _flag(environ.get("OPENLINEAGE_DISABLED"))


def disabled_integrations(environ=os.environ) -> frozenset[str]:
    raw = environ.get(DISABLED_INTEGRATIONS, "")
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def _float(environ, name: str, default: float, low: float = 0.0) -> float:
    try:
        return max(low, float(environ.get(name, default)))
    except ValueError:
        return default


def _int(environ, name: str, default: int, low: int = 1) -> int:
    try:
        return max(low, int(environ.get(name, default)))
    except ValueError:
        return default


def default_data_dir(environ=os.environ) -> str:
    """The per-user data folder: XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows."""
    if environ.get(DATA_DIR):
        return os.path.abspath(os.path.expanduser(environ[DATA_DIR]))
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    elif sys.platform == "darwin":
        base = os.path.join(home, "Library", "Application Support")
    else:
        base = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(base, "openlineage-monkeypatch")


def client_transport_configured(environ=os.environ, cwd: str | None = None) -> bool:
    """Whether the OpenLineage client would find a transport of the user's own.

    Mirrors the client's lookup (constructor config aside): $OPENLINEAGE_CONFIG, ./openlineage.yml,
    ~/.openlineage/openlineage.yml, OPENLINEAGE__TRANSPORT* variables, OPENLINEAGE_URL.
    """
    if environ.get("OPENLINEAGE_URL"):
        return True
    if any(key.startswith("OPENLINEAGE__TRANSPORT") for key in environ):
        return True
    candidates = [
        environ.get("OPENLINEAGE_CONFIG"),
        os.path.join(cwd or os.getcwd(), "openlineage.yml"),
        os.path.join(os.path.expanduser("~/.openlineage"), "openlineage.yml"),
    ]
    for path in candidates:
        try:
            if path and os.path.isfile(path) and os.access(path, os.R_OK):
                return True
        except OSError:
            continue
    return False


class Settings:
    """Everything the package reads from the environment, resolved once per process."""

    __slots__ = (
        "namespace", "job_name", "parent_id", "root_parent_id", "flush_timeout", "queue_size",
        "data_dir", "spool_dir", "sql_text", "log", "log_level", "fault", "disabled", "retry_after",
        "own_transport",
    )

    def __init__(self, environ=os.environ) -> None:
        self.namespace = environ.get("OPENLINEAGE_NAMESPACE") or "default"
        self.job_name = environ.get("OPENLINEAGE_JOB_NAME") or None
        self.parent_id = environ.get("OPENLINEAGE_PARENT_ID") or None
        self.root_parent_id = environ.get("OPENLINEAGE_ROOT_PARENT_ID") or None
        self.flush_timeout = _float(environ, FLUSH_TIMEOUT, 5.0)
        self.queue_size = _int(environ, QUEUE_SIZE, 10_000)
        self.data_dir = default_data_dir(environ)
        self.spool_dir = os.path.abspath(environ.get(SPOOL_DIR) or os.path.join(self.data_dir, "spool"))
        sql_text = (environ.get(SQL_TEXT) or "redacted").strip().lower()
        self.sql_text = sql_text if sql_text in ("full", "redacted", "none") else "redacted"
        self.log = environ.get(LOG) or "stderr"
        self.log_level = (environ.get(LOG_LEVEL) or "INFO").upper()
        self.fault = (environ.get(FAULT) or "").strip().lower() or None
        self.disabled = disabled_integrations(environ)
        self.retry_after = _float(environ, RETRY_AFTER, 30.0)
        self.own_transport = client_transport_configured(environ)

    @property
    def events_dir(self) -> str:
        return os.path.join(self.data_dir, "events")

    @property
    def runs_dir(self) -> str:
        return os.path.join(self.data_dir, "runs")

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__} | {"events_dir": self.events_dir}


_settings: Settings | None = None


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def reload() -> Settings:
    """Re-read the environment (tests, forked children, instrument() with overrides)."""
    global _settings
    _settings = Settings()
    return _settings

"""Settings read from the environment.

Only the standard library is imported here: the start-up hook reads this module before the job's
first line, so it must stay cheap. The OpenLineage client's own configuration (openlineage.yml,
OPENLINEAGE_URL, OPENLINEAGE__TRANSPORT__*) is left to the client; this module only decides whether
none of it is set, in which case the embedded NDJSON file transport is used.
"""

from __future__ import annotations

import os
import sys
import time

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
DELIVERY_TIMEOUT = "OPENLINEAGE_MONKEYPATCH_DELIVERY_TIMEOUT"
ERROR_DETAIL = "OPENLINEAGE_MONKEYPATCH_ERROR_DETAIL"
PARENT_ID = "OPENLINEAGE_PARENT_ID"
ROOT_PARENT_ID = "OPENLINEAGE_ROOT_PARENT_ID"
JOB_NAME = "OPENLINEAGE_JOB_NAME"
PARENT_MARK = "OPENLINEAGE_MONKEYPATCH_PARENT_RUN"

# What this process was started with, before it exported its own run to its children
# (process.prepare_child rewrites the parent variables in os.environ). Re-read after a fork.


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the working directory was removed
        return os.path.abspath(os.sep)


STARTUP_CWD = _cwd()
PROCESS_START = time.time()
INHERITED: dict[str, str | None] = {}


def snapshot_inherited(environ=os.environ) -> dict[str, str | None]:
    global INHERITED
    INHERITED = {name: environ.get(name) or None for name in (PARENT_ID, ROOT_PARENT_ID, JOB_NAME, PARENT_MARK)}
    return INHERITED


snapshot_inherited()

TRUE = frozenset({"1", "true", "yes", "on"})


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE


def is_enabled(environ=os.environ) -> bool:
    """True when the job asked for instrumentation and OpenLineage is not switched off."""
    return _flag(environ.get(ENABLED)) and not _flag(environ.get("OPENLINEAGE_DISABLED"))


def disabled_integrations(environ=os.environ) -> frozenset[str]:
    raw = environ.get(DISABLED_INTEGRATIONS, "")
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def _float(environ, name: str, default: float, low: float = 0.0, high: float = 86400.0) -> float:
    try:
        value = float(environ.get(name) or default)
    except (TypeError, ValueError, OverflowError):
        return default
    if value != value:  # NaN
        return default
    return min(high, max(low, value))


def _int(environ, name: str, default: int, low: int = 1, high: int = 10_000_000) -> int:
    try:
        value = int(str(environ.get(name) or default).strip())
    except (TypeError, ValueError, OverflowError):
        return default
    return min(high, max(low, value))


def parse_fault(value: str | None) -> tuple[str | None, frozenset[str] | None]:
    """OPENLINEAGE_MONKEYPATCH_TEST_FAULT: `raise`, `garbage` or `slow`, optionally `:name,name`.

    Without names the fault hits every integration's handlers (not our core: run, process, emitter);
    with names, only those (core names included).
    """
    mode, _, targets = (value or "").strip().lower().partition(":")
    if mode not in ("raise", "garbage", "slow"):
        return None, None
    names = frozenset(t.strip() for t in targets.split(",") if t.strip())
    return mode, names or None


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
        xdg = environ.get("XDG_DATA_HOME") or ""
        base = xdg if os.path.isabs(xdg) else os.path.join(home, ".local", "share")  # XDG: ignore relative
    return os.path.join(base, "openlineage-monkeypatch")


def client_config_file(environ=os.environ, cwd: str | None = None) -> str | None:
    """The openlineage.yml the OpenLineage client would read: $OPENLINEAGE_CONFIG, ./openlineage.yml,
    ~/.openlineage/openlineage.yml (absolute path), or None."""
    candidates = [
        environ.get("OPENLINEAGE_CONFIG"),
        os.path.join(cwd or _cwd(), "openlineage.yml"),
        os.path.join(os.path.expanduser("~/.openlineage"), "openlineage.yml"),
    ]
    for path in candidates:
        try:
            if path and os.path.isfile(path) and os.access(path, os.R_OK):
                return os.path.abspath(path)
        except OSError:
            continue
    return None


def client_transport_configured(environ=os.environ, cwd: str | None = None) -> bool:
    """Whether the OpenLineage client would find a transport of the user's own.

    Mirrors the client's lookup (constructor config aside): $OPENLINEAGE_CONFIG, ./openlineage.yml,
    ~/.openlineage/openlineage.yml, OPENLINEAGE__TRANSPORT* variables, OPENLINEAGE_URL.
    """
    if environ.get("OPENLINEAGE_URL"):
        return True
    if any(key.startswith("OPENLINEAGE__TRANSPORT") for key in environ):
        return True
    return client_config_file(environ, cwd) is not None


class Settings:
    """Everything the package reads from the environment, resolved once per process."""

    __slots__ = (
        "namespace", "job_name", "parent_id", "root_parent_id", "flush_timeout", "queue_size",
        "data_dir", "spool_dir", "sql_text", "log", "log_level", "fault", "fault_targets", "disabled",
        "retry_after", "delivery_timeout", "own_transport", "error_detail", "config_file",
    )

    def __init__(self, environ=os.environ) -> None:
        self.namespace = (environ.get("OPENLINEAGE_NAMESPACE") or "").strip() or "default"
        inherited = INHERITED if environ is os.environ else {
            name: environ.get(name) or None for name in (PARENT_ID, ROOT_PARENT_ID, JOB_NAME, PARENT_MARK)}
        self.job_name = (inherited.get(JOB_NAME) or "").strip() or None
        self.parent_id = inherited.get(PARENT_ID)
        self.root_parent_id = inherited.get(ROOT_PARENT_ID)
        self.flush_timeout = _float(environ, FLUSH_TIMEOUT, 5.0, high=3600.0)
        self.queue_size = _int(environ, QUEUE_SIZE, 10_000)
        self.delivery_timeout = _float(environ, DELIVERY_TIMEOUT, 10.0, low=0.05, high=3600.0)
        try:
            self.data_dir = default_data_dir(environ)
        except Exception:  # noqa: BLE001 - an odd HOME or a NUL byte must not stop the job
            self.data_dir = os.path.join(STARTUP_CWD, ".openlineage-monkeypatch")
        try:
            self.spool_dir = os.path.abspath(os.path.expanduser(environ.get(SPOOL_DIR) or "")
                                             or os.path.join(self.data_dir, "spool"))
        except Exception:  # noqa: BLE001
            self.spool_dir = os.path.join(self.data_dir, "spool")
        sql_text = (environ.get(SQL_TEXT) or "redacted").strip().lower()
        self.sql_text = sql_text if sql_text in ("full", "redacted", "none") else "redacted"
        self.log = environ.get(LOG) or "stderr"
        self.log_level = (environ.get(LOG_LEVEL) or "INFO").upper()
        self.fault, self.fault_targets = parse_fault(environ.get(FAULT))
        self.error_detail = "full" if (environ.get(ERROR_DETAIL) or "").strip().lower() == "full" else "redacted"
        self.disabled = disabled_integrations(environ)
        self.retry_after = _float(environ, RETRY_AFTER, 30.0)
        try:
            self.config_file = client_config_file(environ)
            self.own_transport = self.config_file is not None or bool(environ.get("OPENLINEAGE_URL")) or any(
                key.startswith("OPENLINEAGE__TRANSPORT") for key in environ)
        except Exception:  # noqa: BLE001
            self.config_file = None
            self.own_transport = False

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

"""The one registry of integrations: discovery through entry points, activation, uninstrument.

Integrations are found in the `openlineage_monkeypatch.integrations` entry-point group (ours are
declared there too, in pyproject.toml), each patched by a post-import hook when the job imports the
library, after a supported-version check: an unsupported version is skipped with one warning.
"""

from __future__ import annotations

import _thread  # start-up path: neither threading nor importlib (see _bootstrap)
import sys

from . import _guard, _log
from ._bootstrap import discover_entry_points, when_imported
from .integrations import Integration

GROUP = "openlineage_monkeypatch.integrations"

_lock = _thread.RLock()
_integrations: dict[str, Integration] | None = None
_active: set[str] = set()
_process_hooks = False

BUILTIN = {
    "pandas": "openlineage_monkeypatch.integrations.pandas:integration",
    "boto3": "openlineage_monkeypatch.integrations.boto3:integration",
    "s3fs": "openlineage_monkeypatch.integrations.s3fs:integration",
    "snowflake": "openlineage_monkeypatch.integrations.snowflake:integration",
}


def _load(target: str) -> Integration | None:
    module_name, _, attr = target.partition(":")
    try:
        __import__(module_name)
        obj = sys.modules[module_name]
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
        if isinstance(obj, type):
            obj = obj()
        return obj if isinstance(obj, Integration) or hasattr(obj, "instrument") else None
    except Exception:  # noqa: BLE001
        _log.log_once(f"load:{target}", "could not load integration %s", target, exc_info=True)
        return None


def integrations() -> dict[str, Integration]:
    """Every known integration by name (entry points, with our own as a fallback when not installed)."""
    global _integrations
    with _lock:
        if _integrations is None:
            found = dict(BUILTIN)
            found.update(discover_entry_points(GROUP))
            loaded = {}
            for name, target in found.items():
                integration = _load(target)
                if integration is not None:
                    if not getattr(integration, "name", None):
                        integration.name = name
                    loaded[name] = integration
            _integrations = loaded
        return _integrations


def _on_import(integration: Integration, module) -> None:
    name = integration.name
    if name not in _active or module.__name__ in integration.instrumented_modules:
        return
    version = integration.version_of(module) if integration.library_version is None else integration.library_version
    integration.library_version = version
    if not integration.supports(version):
        integration.skipped_reason = f"{name} {version} is outside the supported range"
        _log.log_once(
            f"unsupported:{name}",
            "%s %s is not a supported version (%s); it is left unpatched",
            name,
            version,
            integration.describe()["supported"],
        )
        return
    integration.instrumented_modules.add(module.__name__)
    from . import _warnings

    _guard.setup("process", _warnings.install)
    _guard.setup(name, integration.instrument, module)


def activate(disabled: frozenset[str] | set[str] = frozenset(), only: set[str] | None = None) -> list[str]:
    """Register post-import hooks for every enabled integration; returns their names."""
    global _process_hooks
    from . import process

    with _lock:
        if not _process_hooks:
            _process_hooks = True
            _guard.setup("process", process.install)
        names = []
        for name, integration in integrations().items():
            if name in disabled or (only is not None and name not in only) or name in _active:
                continue
            _active.add(name)
            names.append(name)
            for module_name in integration.modules:
                when_imported(module_name, lambda module, i=integration: _on_import(i, module))
        return names


def deactivate(names: set[str] | None = None) -> None:
    """Uninstrument the named integrations (None: all of them, and the process-lifecycle hooks)."""
    global _process_hooks
    with _lock:
        if names is None and _process_hooks:
            from . import process

            from . import _warnings

            _guard.setup("process", process.uninstall)
            _guard.setup("process", _warnings.uninstall)
            _process_hooks = False
        for name in list(_active):
            if names is not None and name not in names:
                continue
            _active.discard(name)
            integration = (_integrations or {}).get(name)
            if integration is not None:
                _guard.setup(name, integration.uninstrument)


def reset_after_fork() -> None:
    global _lock
    _lock = _thread.RLock()


def active() -> set[str]:
    return set(_active)

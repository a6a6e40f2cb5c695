"""Start-up hook, imported by openlineage_monkeypatch.pth only when OPENLINEAGE_MONKEYPATCH_ENABLED is set.

It reads the environment and registers import hooks, nothing more: no third-party module is imported
here (wrapt alone costs ~40 ms to import, importlib.metadata ~20 ms), so a process that never imports
pandas, boto3 or the Snowflake connector pays well under a millisecond. Each integration is patched by
a post-import hook when the job itself imports the library.
"""

from __future__ import annotations

import os
import sys
import threading

from . import config

_lock = threading.RLock()
_hooks: dict[str, list] = {}
_finder = None


class _HookedLoader:
    """Delegates to the real loader and runs the post-import hooks once the module has executed."""

    def __init__(self, loader) -> None:
        self.__dict__["_loader"] = loader

    def __getattr__(self, name):
        return getattr(self.__dict__["_loader"], name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        loader = self._loader
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = loader
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = loader
        loader.exec_module(module)
        _notify(module.__name__)


class _PostImportFinder:
    """A meta-path finder that only answers for watched module names (a set lookup for all others)."""

    def __init__(self) -> None:
        self._busy: set[str] = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _hooks or fullname in self._busy:
            return None
        with _lock:
            if fullname in self._busy:
                return None
            self._busy.add(fullname)
        try:
            import importlib.util

            spec = importlib.util.find_spec(fullname)
        except Exception:
            return None
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _HookedLoader(spec.loader)
        return spec

    def invalidate_caches(self) -> None:  # pragma: no cover - importlib protocol
        pass


def _notify(name: str) -> None:
    with _lock:
        hooks = _hooks.pop(name, [])
    module = sys.modules.get(name)
    if module is None:
        return
    for hook in hooks:
        try:
            hook(module)
        except Exception:  # a hook must never break the job's import
            from ._log import log_once

            log_once(f"hook:{name}", "post-import hook for %s failed", name, exc_info=True)


def when_imported(name: str, hook) -> None:
    """Call hook(module) once `name` is imported; at once when it already is."""
    global _finder
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__spec__", None) is not None and not _initializing(module):
        hook(module)
        return
    with _lock:
        _hooks.setdefault(name, []).append(hook)
        if _finder is None:
            _finder = _PostImportFinder()
            sys.meta_path.insert(0, _finder)


def _initializing(module) -> bool:
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def discover_entry_points(group: str) -> list[tuple[str, str]]:
    """(name, "module:attr") of every entry point in `group`, read from the installed metadata files.

    importlib.metadata gives the same answer but costs ~20 ms to import; this scan reads
    entry_points.txt files directly and is used only when instrumentation is enabled.
    """
    found: dict[str, str] = {}
    for folder in list(sys.path):
        try:
            entries = os.scandir(folder or ".")
        except OSError:
            continue
        with entries:
            for entry in entries:
                if not (entry.name.endswith(".dist-info") or entry.name.endswith(".egg-info")):
                    continue
                path = os.path.join(entry.path, "entry_points.txt")
                try:
                    with open(path, encoding="utf-8") as handle:
                        text = handle.read()
                except OSError:
                    continue
                if group not in text:
                    continue
                section = None
                for raw in text.splitlines():
                    line = raw.strip()
                    if not line or line.startswith(("#", ";")):
                        continue
                    if line.startswith("[") and line.endswith("]"):
                        section = line[1:-1].strip()
                    elif section == group and "=" in line:
                        name, _, value = line.partition("=")
                        found.setdefault(name.strip(), value.split("[")[0].strip())
    return sorted(found.items())


def reset_after_fork() -> None:
    """In a forked child: fresh locks (another thread may have held them at the fork)."""
    global _lock
    _lock = threading.RLock()
    if _finder is not None:
        _finder._busy = set()


def install() -> None:
    """Register every enabled integration's post-import hooks and the process-lifecycle hooks."""
    from . import registry

    registry.activate(config.disabled_integrations())


_installed = False


def _main() -> None:
    global _installed
    if _installed or not config.is_enabled():
        return
    _installed = True
    try:
        install()
    except Exception:
        from ._log import log_once

        log_once("bootstrap", "start-up failed; the job runs uninstrumented", exc_info=True)


_main()

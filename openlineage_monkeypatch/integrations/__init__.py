"""The plugin contract every integration follows, ours and third parties' alike.

An integration is an object registered in the `openlineage_monkeypatch.integrations` entry-point
group. It names the modules whose import should trigger it, the distribution and version range it
supports, and implements `instrument(module)` / `uninstrument()`. Importing the integration's own
module must not import the library it patches: the registry imports it at start-up.

    class MyIntegration(Integration):
        name = "mylib"
        modules = ("mylib",)
        distribution = "mylib"
        min_version, max_version = "1.0", "3"

        def instrument(self, module):
            self.patcher.wrap(module.Client, "query", self._on_query)

    integration = MyIntegration()

and in the plugin's pyproject.toml:

    [project.entry-points."openlineage_monkeypatch.integrations"]
    mylib = "mylib_lineage:integration"
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs milliseconds at start-up; annotations here are strings
if TYPE_CHECKING:
    from typing import Any, Callable


def _version_tuple(version: str) -> tuple[int, ...]:
    import re

    parts = []
    for piece in re.split(r"[.+\-]", version):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)


_INHERITED = object()  # marks an attribute a class got from a base class (restore by deleting ours)


class Patcher:
    """Applies wrapt function wrappers and remembers them, so uninstrument() restores the originals."""

    def __init__(self) -> None:
        self._applied: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attribute: str, wrapper: Callable) -> bool:
        """Replace owner.attribute by a wrapt FunctionWrapper around it; False if it is absent."""
        import wrapt

        original = owner.__dict__.get(attribute) if isinstance(owner, type) else getattr(owner, attribute, None)
        inherited = False
        if original is None and isinstance(owner, type):
            if not hasattr(owner, attribute):
                return False
            original = getattr(owner, attribute)
            inherited = True
        if original is None:
            return False
        if isinstance(original, wrapt.FunctionWrapper) and getattr(original, "_self_olmp", False):
            return False
        wrapped = wrapt.FunctionWrapper(original, wrapper)
        wrapped._self_olmp = True
        setattr(owner, attribute, wrapped)
        self._applied.append((owner, attribute, _INHERITED if inherited else original))
        return True

    def replace(self, owner: Any, attribute: str, value: Any) -> None:
        """Set owner.attribute to value (for things wrapt cannot wrap, such as properties)."""
        if isinstance(owner, type) and attribute not in owner.__dict__:
            original = _INHERITED
        else:
            original = owner.__dict__.get(attribute) if isinstance(owner, type) else getattr(owner, attribute)
        setattr(owner, attribute, value)
        self._applied.append((owner, attribute, original))

    def restore(self) -> None:
        while self._applied:
            owner, attribute, original = self._applied.pop()
            try:
                if original is _INHERITED:  # it came from a base class: remove ours, the base shows again
                    delattr(owner, attribute)
                else:
                    setattr(owner, attribute, original)
            except Exception:  # noqa: BLE001
                pass

    def __len__(self) -> int:
        return len(self._applied)


class Integration:
    """Base class of integrations. Subclasses set the class attributes and implement instrument()."""

    name: str = ""
    modules: tuple[str, ...] = ()
    distribution: str | None = None
    min_version: str | None = None
    max_version: str | None = None  # exclusive

    def __init__(self) -> None:
        self.patcher = Patcher()
        self.instrumented_modules: set[str] = set()
        self.library_version: str | None = None
        self.skipped_reason: str | None = None

    def version_of(self, module: Any) -> str | None:
        for attr in ("__version__", "VERSION", "version"):
            value = getattr(module, attr, None)
            if isinstance(value, str):
                return value
            if isinstance(value, tuple) and value and all(isinstance(x, int) for x in value[:3]):
                return ".".join(str(x) for x in value[:3])
        if self.distribution:
            try:
                from importlib.metadata import version

                return version(self.distribution)
            except Exception:  # noqa: BLE001
                return None
        return None

    def supports(self, version: str | None) -> bool:
        if version is None:
            return True
        current = _version_tuple(version)
        if self.min_version and current < _version_tuple(self.min_version):
            return False
        if self.max_version and current >= _version_tuple(self.max_version):
            return False
        return True

    def instrument(self, module: Any) -> None:
        raise NotImplementedError

    def uninstrument(self) -> None:
        self.patcher.restore()
        self.instrumented_modules.clear()

    def describe(self) -> dict:
        return {
            "name": self.name,
            "modules": list(self.modules),
            "library_version": self.library_version,
            "supported": f">={self.min_version or '0'}" + (f",<{self.max_version}" if self.max_version else ""),
            "instrumented": sorted(self.instrumented_modules),
            "skipped": self.skipped_reason,
            "patches": len(self.patcher),
            "imported": any(m in sys.modules for m in self.modules),
        }

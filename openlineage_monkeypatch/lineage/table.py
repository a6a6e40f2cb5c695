"""Side tables that attach provenance to live objects without keeping them alive.

`provenance` maps an object (DataFrame, Series, ndarray, GroupBy, reader...) to what we know of it,
keyed by id() with a weak reference whose callback removes the entry when the object dies: pandas
objects are weak-referenceable but unhashable, so a WeakKeyDictionary cannot hold them.

`carriers` is how integrations hand datasets to each other across a seam:
- an object that carries a dataset (an S3 StreamingBody, a BytesIO filled from S3, an open file);
- bytes or text whose content came from a dataset or a frame (`put_object(Body=buf.getvalue())`),
  recognized by a fingerprint (length plus hashes of the head and tail), in a bounded table;
- local paths that are copies of remote objects (`download_file` then `read_parquet(path)`).
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections import OrderedDict
from typing import Any


class _Ref(weakref.ref):
    __slots__ = ("key",)


class WeakTable:
    """id(obj) -> value, dropped when obj is garbage collected."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[_Ref, Any]] = {}

    def _remove(self, ref: _Ref) -> None:
        entry = self._entries.get(ref.key)
        if entry is not None and entry[0] is ref:
            del self._entries[ref.key]

    def set(self, obj: Any, value: Any) -> bool:
        key = id(obj)
        entry = self._entries.get(key)
        if entry is not None and entry[0]() is obj:
            self._entries[key] = (entry[0], value)
            return True
        try:
            ref = _Ref(obj, self._remove)
        except TypeError:  # not weak-referenceable (str, bytes, int ...)
            return False
        ref.key = key
        self._entries[key] = (ref, value)
        return True

    def get(self, obj: Any, default: Any = None) -> Any:
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0]() is obj:
            return entry[1]
        return default

    def pop(self, obj: Any) -> Any:
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0]() is obj:
            del self._entries[id(obj)]
            return entry[1]
        return None

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


provenance = WeakTable()
"""DataFrame/Series/ndarray/... -> lineage.model.Frame or Values (or integration-specific state)."""

objects = WeakTable()
"""Buffers, bodies, handles -> Carried (a dataset and, when known, the frame behind the bytes)."""


class Carried:
    """What a piece of data carries across a seam: its dataset, and the frame that produced it."""

    __slots__ = ("dataset", "frame", "fields", "action")

    def __init__(self, dataset=None, frame=None, fields=None, action: str | None = None) -> None:
        self.dataset = dataset  # naming.DatasetId or None
        self.frame = frame  # lineage.model.Frame or None (the frame that was serialized into it)
        self.fields = fields  # [(name, type)] of that frame, as written
        self.action = action

    def __repr__(self) -> str:
        return f"Carried({self.dataset!r}, frame={'yes' if self.frame is not None else 'no'})"


_EDGE = 4096
_MAX_CONTENTS = 2048
_lock = threading.Lock()
_contents: OrderedDict[tuple, Carried] = OrderedDict()
_paths: OrderedDict[str, Carried] = OrderedDict()


def fingerprint(data: Any) -> tuple | None:
    """A cheap identity for bytes/str/bytearray/memoryview content: (kind, length, head+tail digest)."""
    try:
        if isinstance(data, str):
            raw = data.encode("utf-8", "surrogatepass")
        elif isinstance(data, (bytes, bytearray)):
            raw = data
        elif isinstance(data, memoryview):
            raw = data.cast("B") if data.format != "B" else data
        else:
            return None
    except Exception:  # noqa: BLE001
        return None
    size = len(raw)
    if size == 0:
        return None
    digest = hashlib.blake2b(bytes(raw[:_EDGE]), digest_size=16)
    if size > _EDGE:
        digest.update(bytes(raw[-_EDGE:]))
    return (size, digest.hexdigest())


def remember_content(data: Any, carried: Carried) -> None:
    key = fingerprint(data)
    if key is None:
        return
    with _lock:
        _contents[key] = carried
        _contents.move_to_end(key)
        while len(_contents) > _MAX_CONTENTS:
            _contents.popitem(last=False)


def content(data: Any) -> Carried | None:
    key = fingerprint(data)
    if key is None:
        return None
    with _lock:
        return _contents.get(key)


def remember_path(path: str | os.PathLike, carried: Carried) -> None:
    key = os.path.abspath(os.fspath(path))
    with _lock:
        _paths[key] = carried
        _paths.move_to_end(key)
        while len(_paths) > _MAX_CONTENTS:
            _paths.popitem(last=False)


def path(path: str | os.PathLike) -> Carried | None:
    try:
        key = os.path.abspath(os.fspath(path))
    except TypeError:
        return None
    with _lock:
        return _paths.get(key)


def forget_path(path: str | os.PathLike) -> None:
    with _lock:
        _paths.pop(os.path.abspath(os.fspath(path)), None)


def sizes() -> dict[str, int]:
    return {"provenance": len(provenance), "objects": len(objects), "contents": len(_contents), "paths": len(_paths)}

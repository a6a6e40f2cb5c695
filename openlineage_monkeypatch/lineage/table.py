"""Side tables that attach provenance to live objects without keeping them alive.

`provenance` maps an object (DataFrame, Series, ndarray, GroupBy, reader...) to what we know of it,
keyed by id() with a weak reference whose callback removes the entry when the object dies: pandas
objects are weak-referenceable but unhashable, so a WeakKeyDictionary cannot hold them.

`carriers` is how integrations hand datasets to each other across a seam:
- an object that carries a dataset (an S3 StreamingBody, a BytesIO filled from S3, an open file);
- bytes or text whose content came from a dataset or a frame (`put_object(Body=buf.getvalue())`),
  recognized by a fingerprint (length plus hashes of the head and tail), in a bounded table;
- local paths that are copies of remote objects (`download_file` then `read_parquet(path)`).

`claims` tell API-level patches (botocore, aiobotocore) that an outer call owns a dataset right now:
a pandas reader on an s3:// path, a boto3 managed transfer. Their requests run on other threads
(s3transfer's workers, fsspec's event loop), so a thread-local cannot say so. A request on a claimed
dataset only adds its action to the claim; the owner reports the dataset once, when it knows the
outcome.
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
        self._callback = self._remove  # one bound method for every weak reference

    def _remove(self, ref: _Ref) -> None:
        entry = self._entries.get(ref.key)
        if entry is not None and entry[0] is ref:
            del self._entries[ref.key]

    def set(self, obj: Any, value: Any) -> bool:
        key = id(obj)
        entries = self._entries
        entry = entries.get(key)
        if entry is not None:
            ref = entry[0]
            if ref() is obj:
                entries[key] = (ref, value)
                return True
        try:
            ref = _Ref(obj, self._callback)
        except TypeError:  # not weak-referenceable (str, bytes, int ...)
            return False
        ref.key = key
        entries[key] = (ref, value)
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

    __slots__ = ("dataset", "frame", "fields", "action", "names")

    def __init__(self, dataset=None, frame=None, fields=None, action: str | None = None, names=None) -> None:
        self.dataset = dataset  # naming.DatasetId or None
        self.frame = frame  # lineage.model.Frame or None (the frame that was serialized into it)
        self.fields = fields  # [(name, type)] of that frame, as written
        self.action = action
        self.names = names  # [(label, field name)] of the written columns (index levels as ("__index__", i))

    def __repr__(self) -> str:
        return f"Carried({self.dataset!r}, frame={'yes' if self.frame is not None else 'no'})"


_EDGE = 4096
_MAX_CONTENTS = 2048
_lock = threading.Lock()
_contents: OrderedDict[tuple, Carried] = OrderedDict()
_paths: OrderedDict[str, Carried] = OrderedDict()


def fingerprint(data: Any) -> tuple | None:
    """A cheap identity of bytes/str/bytearray/memoryview content: (length, digest of head and tail).

    Text is fingerprinted as its UTF-8 bytes, so `s` and `s.encode()` match. ASCII text (the usual
    CSV/JSON) is never copied whole: its byte length is its length (`isascii()` is O(1) in CPython).
    """
    try:
        if isinstance(data, str):
            if data.isascii():
                size = len(data)
                head = data[:_EDGE].encode("ascii")
                tail = data[-_EDGE:].encode("ascii") if size > _EDGE else b""
                return _digest(size, head, tail)
            raw: Any = data.encode("utf-8", "surrogatepass")
        elif isinstance(data, (bytes, bytearray)):
            raw = data
        elif isinstance(data, memoryview):
            raw = data if data.format == "B" and data.ndim == 1 else data.cast("B")
        else:
            return None
    except Exception:  # noqa: BLE001
        return None
    size = len(raw)
    return _digest(size, bytes(raw[:_EDGE]), bytes(raw[-_EDGE:]) if size > _EDGE else b"")


def _digest(size: int, head: bytes, tail: bytes) -> tuple | None:
    if size == 0:
        return None
    digest = hashlib.blake2b(head, digest_size=16)
    if tail:
        digest.update(tail)
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


class Claim:
    """An outer call's hold on a dataset while it runs: what API-level requests did on it meanwhile.

    `dataset` is a naming.DatasetId; with `prefix`, every name under it (`name/...`) is covered
    too (a directory, a partitioned parquet dataset). `actions` counts (action, object type) of the
    requests that succeeded; `errors` the (action, error code) of those that failed.
    """

    __slots__ = ("dataset", "prefix", "api", "write", "actions", "errors", "sources", "__weakref__")

    def __init__(self, dataset, prefix: bool, api: str, write: bool) -> None:
        self.dataset = dataset
        self.prefix = prefix
        self.api = api
        self.write = write
        self.actions: dict[tuple, int] = {}
        self.errors: list[tuple[str, str]] = []
        self.sources: list = []  # datasets copied into this one (UploadPartCopy ...)

    def covers(self, dataset) -> bool:
        if dataset.namespace != self.dataset.namespace:
            return False
        name, mine = dataset.name, self.dataset.name
        if name == mine:
            return True
        if self.prefix:
            return mine in ("", "/") or name.startswith(mine.rstrip("/") + "/")
        return False

    def add(self, action: str, object_type: str | None = None) -> None:
        with _lock:
            key = (action, object_type)
            self.actions[key] = self.actions.get(key, 0) + 1

    def add_error(self, action: str, error: str) -> None:
        with _lock:
            if len(self.errors) < 100:
                self.errors.append((action, error))

    def __repr__(self) -> str:
        return f"Claim({self.dataset!r}, prefix={self.prefix}, api={self.api!r})"


_claims: list[Claim] = []


def claim(dataset, api: str, *, write: bool = False, prefix: bool = False) -> Claim:
    """Hold `dataset` until release(); API-level requests on it add to the returned Claim."""
    held = Claim(dataset, prefix, api, write)
    with _lock:
        _claims.append(held)
    return held


def release(held: Claim) -> None:
    with _lock:
        try:
            _claims.remove(held)
        except ValueError:
            pass


def claimed(dataset, bucket_level: bool = False) -> Claim | None:
    """The innermost claim covering `dataset`; with bucket_level, any claim in its namespace."""
    if not _claims:
        return None
    with _lock:
        for held in reversed(_claims):
            if held.covers(dataset) or (bucket_level and held.dataset.namespace == dataset.namespace):
                return held
    return None


_expected: OrderedDict = OrderedDict()


def expect(dataset, carried: Carried) -> None:
    """Bytes for `dataset` will be sent later (pandas wrote into an fsspec file that uploads when
    closed): the request that sends them carries `carried`, whatever its body looks like."""
    with _lock:
        _expected[dataset] = carried
        _expected.move_to_end(dataset)
        while len(_expected) > 256:
            _expected.popitem(last=False)


def take_expected(dataset) -> Carried | None:
    if not _expected:
        return None
    with _lock:
        return _expected.pop(dataset, None)


def sizes() -> dict[str, int]:
    return {"provenance": len(provenance), "objects": len(objects), "contents": len(_contents), "paths": len(_paths),
            "claims": len(_claims)}

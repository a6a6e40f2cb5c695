"""Where one library hands data to another: what a buffer, a body, a handle or some bytes carry.

pandas writes a frame into a BytesIO and boto3 uploads its bytes; boto3 downloads an object and
pandas parses the body or the local copy. `resolve(obj)` answers "which dataset or frame is this?"
for whatever object crosses the seam, from the side tables in lineage/table.py; `payload(...)`
turns the answer into what run.wrote() needs for the dataset the data lands in.

Nothing here imports pandas, boto3 or fsspec: objects are recognised by their attributes.
"""

from __future__ import annotations

import io
from collections import deque
import os

from .. import naming
from . import table
from .model import Col, Field, source_edges

DIRECT = "direct"  # Carried.action of a handle that reads or writes the dataset itself (an open file)


def dataset_of_handle(obj) -> naming.DatasetId | None:
    """The dataset an open file handle is attached to: fsspec files (s3fs ...) and named local files."""
    fs = getattr(obj, "fs", None)
    path = getattr(obj, "path", None)
    if fs is not None and isinstance(path, str):
        protocol = getattr(fs, "protocol", None)
        if isinstance(protocol, (tuple, list)):
            protocol = protocol[0] if protocol else None
        if protocol in (None, "file", "local"):
            return naming.local_file(path)
        if "://" in path:
            return naming.from_url(path)
        return naming.from_url(f"{protocol}://{path}")
    name = getattr(obj, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if isinstance(name, str) and name and not name.startswith("<"):
        return naming.local_file(name)
    return None


def resolve(obj) -> table.Carried | None:
    """What `obj` carries, or None for buffers and handles we know nothing about (silently)."""
    if obj is None:
        return None
    if isinstance(obj, (bytes, bytearray, memoryview, str)):
        return table.content(obj)
    carried = table.objects.get(obj)
    if carried is not None:
        return carried
    if isinstance(obj, io.BytesIO):
        try:
            with obj.getbuffer() as view:
                return table.content(view)
        except (BufferError, ValueError):
            return None
    if isinstance(obj, io.StringIO):
        try:
            return table.content(obj.getvalue())
        except ValueError:
            return None
    inner = getattr(obj, "_fileobj", None)  # s3transfer's ReadFileChunk around the real file
    if inner is not None and inner is not obj:
        found = resolve(inner)
        if found is not None:
            return found
    dataset = dataset_of_handle(obj)
    if dataset is not None:
        alias = table.path(dataset.name) if dataset.namespace == "file" else None
        if alias is not None and alias.dataset is not None:
            return alias  # a local copy of a remote object
        return table.Carried(dataset, action=DIRECT)
    return None


# -------------------------------------------------------------------------------------------------
# What lands in a dataset: run.wrote() keyword arguments


def _run_state(dataset: naming.DatasetId):
    """(fields, lineage, operations) the run knows of `dataset`: written first, else read."""
    from .. import run

    current = run.current()
    with current.lock:
        state = current.outputs.get(dataset)
        if state is not None and (state.fields or state.lineage):
            return dict(state.fields), state.lineage, state.operations
        state = current.inputs.get(dataset)
        if state is not None and state.fields:
            return dict(state.fields), None, None
    return None


def referenced_fields(lineage: dict | None) -> set[Field]:
    """Every input field a columnLineage facet's data names."""
    found: set[Field] = set()
    if not lineage:
        return found
    for spec in (lineage.get("fields") or {}).values():
        for item in spec.get("inputFields") or ():
            found.add(Field(item["namespace"], item["name"], item["field"]))
    for item in lineage.get("dataset") or ():
        found.add(Field(item["namespace"], item["name"], item["field"]))
    return found


def identity_payload(source: naming.DatasetId, columns=None) -> dict:
    """A byte-for-byte copy of `source`: each known column an IDENTITY of the same-named field."""
    from . import facets

    known = _run_state(source)
    fields = list((columns or {}).items()) if columns else (list(known[0].items()) if known else [])
    out: dict = {"inputs": [source]}
    if fields:
        from .. import run

        run.read(source, fields)  # the copy's input, with the column types this run knows
        cols = [(name, Col(source_edges(Field(source.namespace, source.name, name)))) for name, _ in fields]
        lineage, referenced = facets.column_lineage(cols)
        out.update(fields=fields, lineage=lineage, referenced=referenced)
    return out


def written_payload(dataset: naming.DatasetId) -> dict | None:
    """The lineage of a dataset this run wrote with column lineage (None otherwise)."""
    from .. import run

    current = run.current()
    with current.lock:
        state = current.outputs.get(dataset)
        if state is None or state.lineage is None:
            return None
        lineage, operations, fields = state.lineage, state.operations, list(state.fields.items())
    return {"fields": fields, "lineage": lineage, "operations": operations, "referenced": referenced_fields(lineage)}


def payload(carried: table.Carried | None) -> dict:
    """run.wrote() keyword arguments for data that carried `carried`: a frame's lineage, a staging
    file's lineage, or an IDENTITY copy of a dataset's columns."""
    if carried is None:
        return {}
    if carried.frame is not None or carried.fields:
        out: dict = {}
        if carried.fields:
            out["fields"] = list(carried.fields)
        if carried.frame is not None:
            from . import facets

            names = carried.names or [(name, name) for name, _ in carried.fields or ()]
            lineage, operations, referenced = facets.frame_outputs(carried.frame, names)
            out.update(lineage=lineage, operations=operations, referenced=referenced)
        return out
    if carried.dataset is None:
        return {}
    if carried.action == DIRECT and carried.dataset.namespace == "file":
        return local_payload(carried.dataset.name)[0]
    return identity_payload(carried.dataset)


def local_payload(path) -> tuple[dict, naming.DatasetId | None]:
    """What uploading local file `path` carries, and the local dataset it reads.

    A local copy of a remote object is a copy of that object (IDENTITY); a file this run wrote with
    pandas is a staging file: the upload gets its column lineage and the file is not an input; any
    other file is an input, copied (IDENTITY of its columns when this run knows them).
    """
    alias = table.path(path)
    if alias is not None and alias.dataset is not None:
        return identity_payload(alias.dataset), None
    local = naming.local_file(path)
    written = written_payload(local)
    if written is not None:
        return written, None
    return identity_payload(local), local


# -------------------------------------------------------------------------------------------------
# Rows exported in Python: a frame's rows handed to a DB-API executemany() as plain values


class Export:
    """A frame's rows handed out as Python values (itertuples, to_dict('records'), values, to_records):
    its provenance (never the frame itself), the labels of each row's fields in order, the row count."""

    __slots__ = ("frame", "labels", "rows", "api")

    def __init__(self, frame, labels: tuple, rows: int, api: str) -> None:
        self.frame = frame  # lineage.model.Frame
        self.labels = labels  # column labels, ("__index__", level) for index fields
        self.rows = rows
        self.api = api


_exports: deque = deque(maxlen=32)


def remember_rows(frame, labels, rows: int, api: str) -> None:
    """Remember that the rows of a frame with provenance `frame` left as Python values."""
    labels = tuple(labels)
    if labels and rows > 0:
        _exports.append(Export(frame, labels, rows, api))


def exported_rows(width: int, count: int) -> tuple[list, bool] | None:
    """(exports, approximate): the exports that can be `count` rows of `width` values each.

    Exact shape first (same width, same row count; the most recent export wins, several distinct
    frames of that shape are combined and marked approximate). Else the most recent frames of that
    width with more rows (rows sent in batches, or filtered in Python), marked approximate."""
    exports = list(_exports)
    exact = [e for e in reversed(exports) if len(e.labels) == width and e.rows == count]
    approximate = False
    if not exact:
        exact = [e for e in reversed(exports) if len(e.labels) == width and e.rows > count]
        approximate = True
    if not exact:
        return None
    distinct: list = []
    for e in exact:
        if not any(e.frame is d.frame and e.labels == d.labels for d in distinct):
            distinct.append(e)
    return distinct, approximate or len(distinct) > 1


def rows_frame(width: int, count: int, names: list):
    """A lineage.model.Frame whose columns are `names` (target columns, by position), for `count`
    rows of `width` values exported from frames earlier in the run; (frame, approximate) or None."""
    from . import model

    found = exported_rows(width, count)
    if found is None or len(names) != width:
        return None
    candidates, approximate = found
    columns: dict = {}
    rows = model.NO_EDGES
    for position, name in enumerate(names):
        cols = []
        for export in candidates:
            label = export.labels[position]
            if isinstance(label, tuple) and len(label) == 2 and label[0] == "__index__":
                index = export.frame.index
                col = index[label[1]] if label[1] < len(index) else None
            else:
                col = export.frame.columns.get(label) if _hashable(label) else None
            if col is not None:
                cols.append(col)
        if not cols:
            continue
        col = cols[0] if len(cols) == 1 and not approximate else model.combine(
            cols, subtype=model.IDENTITY, approximate=True)
        columns[name] = col
    for export in candidates:
        rows = rows | export.frame.rows
    if not columns:
        return None
    return model.Frame(columns, rows=rows), approximate


def _hashable(label) -> bool:
    try:
        hash(label)
    except TypeError:
        return False
    return True

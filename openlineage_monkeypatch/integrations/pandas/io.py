"""pandas readers and writers: datasets, schema facets, and the provenance frames start from.

A frame read from a dataset starts fresh: each column (and each named index level, such as an
`index_col`) is an IDENTITY of the same-named field of that dataset, so re-reading a file this run
wrote starts from that file, not past it. Writing a frame reports the output with its schema (column
names and pandas dtype names, written index levels included) and the column lineage of its
provenance.

What a reader or writer is given decides the dataset:
- a path, pathlib.Path, `file://` or `s3://...` URL (userinfo and query strings dropped), a
  directory (a parquet dataset, a partitioned write) or a glob (named by the directory before it);
- an open handle: a named local file, an fsspec file (s3fs ...);
- a buffer or body that carries a dataset across a seam (an S3 StreamingBody, a BytesIO filled by
  download_fileobj, bytes from body.read(), a local copy made by download_file: lineage/seam.py);
- a buffer we know nothing about is ignored, but what pandas writes into it (or returns as str or
  bytes when given no path) carries the frame, so that a later `put_object(Body=...)` knows it.

Remote paths are claimed while pandas runs (lineage/table.py), so the S3 requests s3fs makes on
pandas' behalf are reported as actions of this one dataset, not as datasets of their own.
"""

from __future__ import annotations

import io
import os
import re
import weakref

from ... import _guard, naming, run
from ...lineage import facets, model, seam, table
from . import _state

INTEGRATION = "pandas"

# reader -> (path argument, format)
READERS = {
    "read_csv": ("filepath_or_buffer", "csv"),
    "read_table": ("filepath_or_buffer", "csv"),
    "read_fwf": ("filepath_or_buffer", "fwf"),
    "read_parquet": ("path", "parquet"),
    "read_json": ("path_or_buf", "json"),
    "read_excel": ("io", "excel"),
    "read_feather": ("path", "feather"),
    "read_orc": ("path", "orc"),
    "read_pickle": ("filepath_or_buffer", "pickle"),
    "read_xml": ("path_or_buffer", "xml"),
    "read_html": ("io", "html"),
    "read_stata": ("filepath_or_buffer", "stata"),
    "read_sas": ("filepath_or_buffer", "sas"),
    "read_spss": ("path", "spss"),
}
# writer -> (class that defines it, path argument, index argument, how unnamed index levels are named)
WRITERS = {
    "to_csv": ("NDFrame", "path_or_buf", "index", "plain"),
    "to_json": ("NDFrame", "path_or_buf", "index", "plain"),
    "to_excel": ("NDFrame", "excel_writer", "index", "plain"),
    "to_pickle": ("NDFrame", "path", None, "plain"),
    "to_parquet": ("DataFrame", "path", "index", "arrow"),
    "to_feather": ("DataFrame", "path", None, "none"),
    "to_orc": ("DataFrame", "path", "index", "arrow"),
    "to_xml": ("DataFrame", "path_or_buffer", "index", "plain"),
    "to_stata": ("DataFrame", "path", "write_index", "plain"),
}
# chunked readers: class path -> methods that produce a chunk
CHUNK_READERS = {
    "pandas.io.parsers.readers:TextFileReader": ("read",),
    "pandas.io.json._json:JsonReader": ("read", "__next__"),
    "pandas.io.stata:StataReader": ("read",),
}

_GLOB = re.compile(r"[*?\[]")


class Source:
    """A dataset a reader or writer touches, and how: "path" (opens it), "handle" (an open file of
    it), "alias" (a local copy of it), "carried" (a buffer or body holding its bytes)."""

    __slots__ = ("dataset", "how", "directory", "claim")

    def __init__(self, dataset: naming.DatasetId, how: str, directory: bool = False) -> None:
        self.dataset = dataset
        self.how = how
        self.directory = directory
        self.claim = None

    @property
    def direct(self) -> bool:
        return self.how in ("path", "handle")

    @property
    def system(self) -> str:
        namespace = self.dataset.namespace
        if namespace == "file" or namespace.startswith("file://"):
            return "file"
        return namespace.split("://", 1)[0]


def _normalize(dataset: naming.DatasetId) -> naming.DatasetId:
    """`s3://bucket/dir/` and `s3://bucket/dir` are one dataset."""
    if "://" in dataset.namespace and dataset.name.endswith("/") and dataset.name.strip("/"):
        return naming.DatasetId(dataset.namespace, dataset.name.rstrip("/"))
    return dataset


def path_source(text: str, literal_ok: bool = True, write: bool = False) -> Source | None:
    """The Source a path string names; None for literal data handed in as a string."""
    if "\n" in text or (not literal_ok and text.lstrip()[:1] in ("<", "{", "[")):
        return None
    if text[:4].lower() == "http" and "://" in text:  # "?" starts a query (a presigned URL's), not a glob
        dataset = naming.from_url(text)
        return Source(_normalize(dataset), "path") if dataset is not None else None
    glob = _GLOB.search(text) is not None
    if glob:
        head = text[: _GLOB.search(text).start()]
        text = head.rsplit("/", 1)[0] if "/" in head else "."
        if text.endswith("://") or not text:
            return None
    if "://" in text and not text.lower().startswith("file://"):
        dataset = naming.from_url(text)
        if dataset is None:
            return None
        directory = glob or text.endswith("/")
        return Source(_normalize(dataset), "path", directory)
    dataset = naming.from_url(text)
    if dataset is None:
        return None
    alias = table.path(dataset.name) if dataset.namespace == "file" and not write else None
    if alias is not None and alias.dataset is not None:
        return Source(alias.dataset, "alias")
    # only a read asks (a writer's directory flag is never consulted): no stat on every write
    directory = glob or (not write and dataset.namespace == "file" and os.path.isdir(dataset.name))
    return Source(dataset, "path", directory)


def sources_of(target, literal_ok: bool = True, write: bool = False) -> list[Source]:
    """Datasets a reader's (or writer's) target argument names; [] for unknown buffers.

    A writer writes the file it is given, even when that file was a local copy of a remote object."""
    if isinstance(target, bytes):
        try:
            target = os.fsdecode(target)
        except (UnicodeDecodeError, TypeError):
            target = None
    if isinstance(target, (str, os.PathLike)):
        source = path_source(os.fspath(target), literal_ok, write)
        return [source] if source is not None else []
    if isinstance(target, (list, tuple)):
        found = []
        for item in target:
            if isinstance(item, (str, os.PathLike)):
                source = path_source(os.fspath(item), literal_ok, write)
                if source is not None:
                    found.append(source)
        return found
    inner = getattr(target, "_io", None)  # pd.ExcelFile
    if inner is not None and type(target).__name__ == "ExcelFile":
        return sources_of(inner, literal_ok, write)
    handles = getattr(target, "_handles", None)  # pd.ExcelWriter
    if handles is not None and hasattr(handles, "handle"):
        return sources_of(handles.handle, literal_ok, write)
    if write:
        dataset = seam.dataset_of_handle(target)
        return [Source(dataset, "handle")] if dataset is not None else []
    carried = seam.resolve(target)
    if carried is None or carried.dataset is None:
        return []
    return [Source(carried.dataset, "handle" if carried.action == seam.DIRECT else "carried")]


def _claim(sources: list[Source], api: str, write: bool) -> None:
    for source in sources:
        if source.direct and source.system != "file":
            source.claim = table.claim(source.dataset, api, write=write, prefix=True)


def _release(sources: list[Source]) -> None:
    for source in sources:
        if source.claim is not None:
            table.release(source.claim)


def _object_type(source: Source) -> str | None:
    """What an access applies to: every object under a prefix (a directory, a glob, a partitioned
    write: the dataset is named by the directory) or one object."""
    if source.directory:
        return "PREFIX"
    return "OBJECT" if source.system == "s3" else None


def _logical_actions(source: Source, write: bool) -> list[tuple[str, str | None]]:
    if source.system == "s3":
        actions = [("s3:PutObject" if write else "s3:GetObject", _object_type(source))]
        if source.directory and not write:
            actions.append(("s3:ListBucket", "BUCKET"))
        return actions
    return [("write" if write else "read", None)]


def _report_actions(source: Source, api: str, write: bool) -> str | None:
    """Report the requests a claim saw; returns the action the reader/writer still has to add."""
    from ..boto3 import operations

    if source.claim is not None and operations.flush(source.claim, output=write):
        return None
    if not source.direct or (write and source.how == "handle" and source.system == "s3"):
        return None  # an s3fs file sends its bytes when closed: that request reports the action
    actions = _logical_actions(source, write)
    for action, object_type in actions[1:]:
        run.access(source.dataset, action, system=source.system, api=api, object_type=object_type, output=write)
    return actions[0][0]


def _report_failure(sources: list[Source], api: str, error: BaseException, write: bool) -> None:
    from ..boto3 import operations

    for source in sources:
        if not source.direct:
            continue
        action = _logical_actions(source, write)[0][0]
        if source.claim is not None and source.claim.errors:
            operations.fail(source.claim, error, action)
        elif isinstance(error, OSError):
            run.failed(source.dataset, action, operations.error_code(error))


# -------------------------------------------------------------------------------------------------
# schemas and fresh provenance


def _index_levels(index) -> list[tuple[object, str]]:
    """(name, dtype name) of each level of an index."""
    names = list(index.names)
    if len(names) == 1:
        return [(names[0], dtype_name(index.dtype))]
    levels = getattr(index, "levels", None)
    return [(name, dtype_name(levels[i].dtype) if levels is not None else "object") for i, name in enumerate(names)]


_last_columns: tuple = (None, ())  # (weak reference to a columns Index, its labels)


def column_labels(frame) -> list:
    """frame.columns as a list. Converting an Arrow-backed Index costs microseconds each time; an
    Index is immutable, so the labels of the last one seen are kept (the Index only weakly)."""
    global _last_columns
    index = frame.columns
    ref, labels = _last_columns
    if ref is not None and ref() is index:
        return list(labels)
    labels = index.tolist()
    try:
        _last_columns = (weakref.ref(index), tuple(labels))
    except TypeError:
        pass
    return labels


def column_dtypes(frame) -> list[tuple[object, str]]:
    """(label, dtype name) of each column. `frame.dtypes` builds a Series (tens of µs even for two
    columns); the block manager's array of dtypes is what it is built from."""
    labels = column_labels(frame)
    try:
        dtypes = frame._mgr.get_dtypes()
        if len(dtypes) != len(labels):
            raise ValueError
    except Exception:  # noqa: BLE001 - private API: fall back to the public one
        dtypes = frame.dtypes.tolist()
    return [(label, dtype_name(dtype)) for label, dtype in zip(labels, dtypes)]


_dtype_names: dict = {}


def dtype_name(dtype) -> str:
    """str(dtype), cached: numpy builds the name anew each time (several µs)."""
    try:
        name = _dtype_names.get(dtype)
    except TypeError:
        return str(dtype)
    if name is None:
        name = str(dtype)
        if len(_dtype_names) < 1024:
            _dtype_names[dtype] = name
    return name


def read_fields(obj) -> list[tuple[str, str]]:
    """Schema of what a reader returned: named index levels (columns of the file), then columns."""
    import pandas as pd

    fields = [(str(name), dtype) for name, dtype in _index_levels(obj.index) if name is not None]
    if isinstance(obj, pd.Series):
        fields.append((_series_name(obj), str(obj.dtype)))
    else:
        fields.extend((str(label), dtype) for label, dtype in column_dtypes(obj))
    return fields


def _series_name(series) -> str:
    return str(series.name) if series.name is not None else "0"


def fresh_provenance(datasets: list[naming.DatasetId], obj, op: model.Op):
    """The provenance of a frame or Series just read from `datasets`: IDENTITY of same-named fields."""
    import pandas as pd

    is_series = isinstance(obj, pd.Series)
    labels = [0] if is_series else obj.columns.tolist()
    names = [_series_name(obj)] if is_series else [str(label) for label in labels]
    level_names = list(obj.index.names)
    named_levels = [(i, str(name)) for i, name in enumerate(level_names) if name is not None]
    frames = []
    for dataset in datasets:
        columns = model.frame_from_dataset(dataset.namespace, dataset.name, labels, names, op=op).columns
        levels = model.frame_from_dataset(dataset.namespace, dataset.name, [i for i, _ in named_levels],
                                          [n for _, n in named_levels], op=op).columns
        frames.append((columns, levels))
    if len(frames) == 1:
        columns, levels = frames[0]
    else:
        columns = {label: model.combine([f[0][label] for f in frames], subtype=model.IDENTITY)
                   for label in frames[0][0]}
        levels = {i: model.combine([f[1][i] for f in frames], subtype=model.IDENTITY) for i in frames[0][1]}
    index = tuple(levels.get(i, model.EMPTY) for i in range(len(level_names)))
    if is_series:
        return model.Values(columns[0], index)
    return model.Frame(columns, index)


def frame_provenance(obj):
    """The engine's provenance of a DataFrame or Series as a Frame (None when it has none)."""
    prov = table.provenance.get(obj)
    if isinstance(prov, model.Values):
        label = obj.name if obj.name is not None else 0
        return model.Frame({label: prov.col}, prov.index, prov.rows, prov.row_history)
    return prov if isinstance(prov, model.Frame) else None


def output_names(obj, writer: str, options: dict, prov=None) -> tuple[list[tuple[object, str]], list[tuple[str, str]]]:
    """([(label, field name)], [(field name, dtype)]) of what a writer writes, index levels included.

    Named index levels are written under their names (or index_label); unnamed ones only matter when
    their values came from somewhere, and get the name the format gives them.
    """
    import pandas as pd

    spec = WRITERS[writer]
    is_series = isinstance(obj, pd.Series)
    names: list[tuple[object, str]] = []
    fields: list[tuple[str, str]] = []
    if _index_written(obj, writer, spec, options):
        labels = options.get("index_label")
        if isinstance(labels, str):
            labels = [labels]
        elif labels is not None and not isinstance(labels, (list, tuple)):
            labels = None
        levels = _index_levels(obj.index)
        for i, (name, dtype) in enumerate(levels):
            if labels is not None and i < len(labels) and labels[i] is not None:
                name = labels[i]
            if name is None:
                col = prov.index[i] if prov is not None and i < len(prov.index) else None
                if col is None or not col.edges:
                    continue
                if spec[3] == "arrow":
                    name = f"__index_level_{i}__"
                else:
                    name = "index" if len(levels) == 1 else f"level_{i}"
            names.append((("__index__", i), str(name)))
            fields.append((str(name), dtype))
    if is_series:
        label = obj.name if obj.name is not None else 0
        header = options.get("header")
        name = str(header[0]) if isinstance(header, (list, tuple)) and header else _series_name(obj)
        names.append((label, name))
        fields.append((name, str(obj.dtype)))
        return names, fields
    dtypes = dict(column_dtypes(obj))
    columns = options.get("columns") if writer in ("to_csv", "to_excel") else None
    if writer == "to_xml":
        chosen = [c for key in ("attr_cols", "elem_cols") for c in (options.get(key) or ())]
        columns = chosen or None
    labels = list(columns) if columns is not None else column_labels(obj)
    header = options.get("header")
    aliases = list(header) if writer in ("to_csv", "to_excel") and isinstance(header, (list, tuple)) else None
    for position, label in enumerate(labels):
        name = str(aliases[position]) if aliases is not None and position < len(aliases) else str(label)
        try:
            dtype = dtypes.get(label)
        except TypeError:  # an unhashable label
            dtype = None
        names.append((label, name))
        fields.append((name, dtype))
    return names, fields


def _index_written(obj, writer: str, spec, options: dict) -> bool:
    import pandas as pd

    argument = spec[2]
    if writer == "to_pickle":
        return True
    if argument is None:
        return False
    index = options.get(argument, None if writer in ("to_parquet", "to_orc", "to_json") else True)
    if writer == "to_json":
        orient = options.get("orient") or ("index" if isinstance(obj, pd.Series) else "columns")
        if orient in ("records", "values"):
            return False
        return index is not False
    if writer in ("to_parquet", "to_orc") and index is None:
        # a RangeIndex is kept as metadata only, but a named one comes back when read
        return not isinstance(obj.index, pd.RangeIndex) or obj.index.name is not None
    return bool(index)


# -------------------------------------------------------------------------------------------------
# readers


class ReadPlan:
    __slots__ = ("reader", "sources", "op")

    def __init__(self, reader: str, sources: list[Source]) -> None:
        self.reader = reader
        self.sources = sources
        self.op = None


_FS_SCHEMES = {"s3": "s3", "s3a": "s3", "gcs": "gs", "gs": "gs", "abfs": "abfs", "az": "abfs", "hdfs": "hdfs"}


def on_filesystem(target, filesystem):
    """A path handed to a reader with `filesystem=` (pyarrow or fsspec): `bucket/key` is remote."""
    if filesystem is None or not isinstance(target, (str, os.PathLike)):
        return target
    text = os.fspath(target)
    if "://" in text:
        return text
    protocol = getattr(filesystem, "type_name", None) or getattr(filesystem, "protocol", None)
    if isinstance(protocol, (tuple, list)):
        protocol = protocol[0] if protocol else None
    scheme = _FS_SCHEMES.get(protocol) if isinstance(protocol, str) else None
    return f"{scheme}://{text.lstrip('/')}" if scheme else text


def begin_read(holder: list, reader: str, args, kwargs) -> None:
    argument, fmt = READERS[reader]
    target = on_filesystem(args[0] if args else kwargs.get(argument), kwargs.get("filesystem"))
    sources = sources_of(target, literal_ok=fmt not in ("json", "xml", "html"))
    if not sources:
        return
    plan = ReadPlan(reader, sources)
    plan.op = model.step_op(f"pandas.{reader}", model.user_location(1))
    holder.append(plan)
    _claim(sources, f"pandas.{reader}", write=False)


def _frames_of(result) -> list:
    import pandas as pd

    if isinstance(result, (pd.DataFrame, pd.Series)):
        return [result]
    if isinstance(result, dict):
        return [v for v in result.values() if isinstance(v, (pd.DataFrame, pd.Series))]
    if isinstance(result, list):
        return [v for v in result if isinstance(v, (pd.DataFrame, pd.Series))]
    return []


def end_read(holder: list, result, error: BaseException | None) -> None:
    if not holder:
        return
    plan: ReadPlan = holder[0]
    api = f"pandas.{plan.reader}"
    try:
        if error is not None:
            if isinstance(error, Exception):
                _report_failure(plan.sources, api, error, write=False)
            return
        frames = _frames_of(result)
        fields: dict[str, str] = {}
        for frame in frames:
            fields.update(read_fields(frame))
        for source in plan.sources:
            action = _report_actions(source, api, write=False)
            run.read(source.dataset, list(fields.items()), action=action, system=source.system, api=api,
                     object_type=_object_type(source))
        datasets = [s.dataset for s in plan.sources]
        for frame in frames:
            table.provenance.set(frame, fresh_provenance(datasets, frame, plan.op))
        if not frames and result is not None and type(result).__name__ in _CHUNK_CLASS_NAMES:
            table.provenance.set(result, ChunkSource(plan.reader, plan.sources))
    finally:
        _release(plan.sources)


class ChunkSource:
    """What an iterator returned by a reader (chunksize=/iterator=) reads: its chunks' datasets."""

    __slots__ = ("reader", "sources")

    def __init__(self, reader: str, sources: list[Source]) -> None:
        self.reader = reader
        self.sources = [Source(s.dataset, s.how, s.directory) for s in sources]


_CHUNK_CLASS_NAMES = {path.rsplit(":", 1)[1] for path in CHUNK_READERS}


def begin_chunk(holder: list, reader_obj) -> None:
    chunks = table.provenance.get(reader_obj)
    if not isinstance(chunks, ChunkSource):
        return
    plan = ReadPlan(chunks.reader, [Source(s.dataset, s.how, s.directory) for s in chunks.sources])
    plan.op = model.step_op(f"pandas.{chunks.reader}", model.user_location(1), detail="chunk")
    holder.append(plan)
    _claim(plan.sources, f"pandas.{chunks.reader}", write=False)


def end_chunk(holder: list, result, error: BaseException | None) -> None:
    if not holder:
        return
    plan: ReadPlan = holder[0]
    api = f"pandas.{plan.reader}"
    try:
        if error is not None:
            if isinstance(error, Exception) and not isinstance(error, StopIteration):
                _report_failure(plan.sources, api, error, write=False)
            return
        frames = _frames_of(result)
        fields: dict[str, str] = {}
        for frame in frames:
            fields.update(read_fields(frame))
        for source in plan.sources:
            from ..boto3 import operations

            if source.claim is not None:
                operations.flush(source.claim, output=False)
            run.read(source.dataset, list(fields.items()), system=source.system, api=api)
        datasets = [s.dataset for s in plan.sources]
        for frame in frames:
            table.provenance.set(frame, fresh_provenance(datasets, frame, plan.op))
    finally:
        _release(plan.sources)


# -------------------------------------------------------------------------------------------------
# writers


class WritePlan:
    __slots__ = ("writer", "obj", "options", "target", "sources", "mode")

    def __init__(self, writer, obj, options, target, sources, mode) -> None:
        self.writer = writer
        self.obj = obj
        self.options = options
        self.target = target
        self.sources = sources
        self.mode = mode  # "dataset", "return" (str/bytes result), "buffer"


_signatures: dict[str, object] = {}
_positional: dict[str, tuple[str, ...]] = {}


def _options(writer: str, method, args, kwargs) -> dict:
    """The writer's arguments by name. Signature.bind_partial costs tens of µs a call: the common
    case (a few positional arguments, keywords the writer names) is mapped directly."""
    import inspect

    signature = _signatures.get(writer)
    if signature is None:
        params = list(inspect.signature(method).parameters.values())[1:]  # without self
        signature = _signatures[writer] = inspect.Signature(params)
        _positional[writer] = tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    names = _positional[writer]
    if len(args) <= len(names):
        options = dict(zip(names, args))
        known = signature.parameters
        if all(key in known and key not in options
               and known[key].kind not in (known[key].VAR_KEYWORD, known[key].POSITIONAL_ONLY) for key in kwargs):
            options.update(kwargs)
            return options
    try:
        bound = signature.bind_partial(*args, **kwargs)
    except TypeError:
        return dict(kwargs)
    options = dict(bound.arguments)
    extra = options.pop("kwargs", None)
    if isinstance(extra, dict):
        options.update(extra)
    return options


def begin_write(holder: list, writer: str, method, obj, args, kwargs) -> None:
    options = _options(writer, method, args, kwargs)
    argument = WRITERS[writer][1]
    target = on_filesystem(options.get(argument), options.get("filesystem"))
    if target is None:
        holder.append(WritePlan(writer, obj, options, None, [], "return"))
        return
    sources = sources_of(target, write=True)
    if sources:
        for source in sources:
            if writer == "to_parquet" and options.get("partition_cols"):
                source.directory = True
        holder.append(WritePlan(writer, obj, options, target, sources, "dataset"))
        _claim(sources, f"pandas.{type(obj).__name__}.{writer}", write=True)
    elif not isinstance(target, (str, os.PathLike)):
        holder.append(WritePlan(writer, obj, options, target, [], "buffer"))


def end_write(holder: list, result, error: BaseException | None) -> None:
    if not holder:
        return
    plan: WritePlan = holder[0]
    api = f"pandas.{type(plan.obj).__name__}.{plan.writer}"
    try:
        if error is not None:
            if isinstance(error, Exception):
                _report_failure(plan.sources, api, error, write=True)
            return
        prov = frame_provenance(plan.obj)
        names, fields = output_names(plan.obj, plan.writer, plan.options, prov)
        if plan.mode != "dataset":
            carried = table.Carried(frame=prov, fields=fields, names=names)
            if plan.mode == "return":
                table.remember_content(result, carried)
            else:
                _carry_buffer(plan.target, carried)
            return
        lineage = operations_data = None
        referenced: set = set()
        if prov is not None:
            lineage, operations_data, referenced = facets.frame_outputs(prov, names)
        for source in plan.sources:
            if source.system == "file":
                table.forget_path(source.dataset.name)
            data = {"fields": fields, "lineage": lineage, "operations": operations_data, "referenced": referenced}
            if any(cls.__name__ == "ExcelWriter" for cls in type(plan.target).__mro__):
                data = _merge_sheets(source.dataset, data)
            if source.how == "handle" and source.system != "file":
                table.expect(source.dataset, table.Carried(source.dataset, prov, fields, names=names))
            action = _report_actions(source, api, write=True)
            extra = {"facets": {"lifecycleStateChange": None}} if source.system == "s3" else {}
            run.wrote(source.dataset, action=action, system=source.system, api=api,
                      object_type=_object_type(source), **extra, **data)
    finally:
        _release(plan.sources)


def _carry_buffer(target, carried: table.Carried) -> None:
    table.objects.set(target, carried)
    if isinstance(target, io.BytesIO):
        with target.getbuffer() as view:
            table.remember_content(view, carried)
    elif isinstance(target, io.StringIO):
        table.remember_content(target.getvalue(), carried)


def _merge_sheets(dataset: naming.DatasetId, data: dict) -> dict:
    """Several to_excel calls into one ExcelWriter write one workbook: the union of their sheets."""
    current = run.current()
    with current.lock:
        state = current.outputs.get(dataset)
        if state is None:
            return data
        old_fields, old_lineage, old_operations = dict(state.fields), state.lineage, state.operations
    fields = dict(old_fields)
    fields.update(data["fields"])
    merged = dict(data)
    merged["fields"] = list(fields.items())
    if old_lineage and data.get("lineage") is not None:
        lineage = {"fields": {**old_lineage.get("fields", {}), **data["lineage"].get("fields", {})}}
        rows = list(old_lineage.get("dataset") or ()) + [
            item for item in data["lineage"].get("dataset") or () if item not in (old_lineage.get("dataset") or ())]
        if rows:
            lineage["dataset"] = rows
        merged["lineage"] = lineage
        merged["referenced"] = set(data.get("referenced") or ()) | seam.referenced_fields(old_lineage)
        if old_operations and data.get("operations"):
            fields_ops = {**old_operations.get("fields", {}), **data["operations"].get("fields", {})}
            merged["operations"] = {**data["operations"], "fields": fields_ops}
    elif old_lineage and data.get("lineage") is None:
        merged["lineage"], merged["operations"] = old_lineage, old_operations
        merged["referenced"] = seam.referenced_fields(old_lineage)
    return merged


# -------------------------------------------------------------------------------------------------
# wrappers


def _reader_wrapper(reader: str):
    def wrapper(wrapped, instance, args, kwargs):
        before = _state.enter()
        if before:
            try:
                return wrapped(*args, **kwargs)
            finally:
                _state.leave(before)
        holder: list = []
        try:
            _guard.call(INTEGRATION, begin_read, holder, reader, args, kwargs)
            try:
                result = wrapped(*args, **kwargs)
            except BaseException as error:  # claims are released even on KeyboardInterrupt
                _guard.call(INTEGRATION, end_read, holder, None, error)
                raise
            _guard.call(INTEGRATION, end_read, holder, result, None)
            return result
        finally:
            _state.leave(before)

    return wrapper


def _chunk_wrapper(wrapped, instance, args, kwargs):
    before = _state.enter()
    if before:
        try:
            return wrapped(*args, **kwargs)
        finally:
            _state.leave(before)
    holder: list = []
    try:
        _guard.call(INTEGRATION, begin_chunk, holder, instance)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:  # claims are released even on KeyboardInterrupt
            _guard.call(INTEGRATION, end_chunk, holder, None, error)
            raise
        _guard.call(INTEGRATION, end_chunk, holder, result, None)
        return result
    finally:
        _state.leave(before)


def _writer_wrapper(writer: str, method):
    def wrapper(wrapped, instance, args, kwargs):
        before = _state.enter()
        if before:
            try:
                return wrapped(*args, **kwargs)
            finally:
                _state.leave(before)
        holder: list = []
        try:
            _guard.call(INTEGRATION, begin_write, holder, writer, method, instance, args, kwargs)
            try:
                result = wrapped(*args, **kwargs)
            except BaseException as error:  # claims are released even on KeyboardInterrupt
                _guard.call(INTEGRATION, end_write, holder, None, error)
                raise
            _guard.call(INTEGRATION, end_write, holder, result, None)
            return result
        finally:
            _state.leave(before)

    return wrapper


def instrument(integration, pd) -> None:
    import importlib

    model.skip_frames_from(os.path.dirname(pd.__file__))
    for reader in READERS:
        if hasattr(pd, reader):
            integration.patcher.wrap(pd, reader, _reader_wrapper(reader))
    from pandas.core.generic import NDFrame

    owners = {"NDFrame": NDFrame, "DataFrame": pd.DataFrame}
    for writer, (owner_name, *_rest) in WRITERS.items():
        owner = owners[owner_name]
        method = owner.__dict__.get(writer)
        if method is not None:
            integration.patcher.wrap(owner, writer, _writer_wrapper(writer, method))
    for path, methods in CHUNK_READERS.items():
        module_name, _, class_name = path.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        for name in methods:
            if name in cls.__dict__:
                integration.patcher.wrap(cls, name, _chunk_wrapper)

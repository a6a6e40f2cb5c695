"""pandas readers and writers: datasets, schema facets, and the provenance frames start from.

A frame read from a dataset starts fresh: each column is an IDENTITY of the same-named field of that
dataset (so re-reading a file this run wrote starts from that file, not past it). Writing a frame
reports the output with its schema and the column lineage of its provenance.
"""

from __future__ import annotations

import os

from ... import naming, run
from ...lineage import facets, model, table
from . import _state

INTEGRATION = "pandas"

# reader name -> name of its path argument
READERS = {
    "read_csv": "filepath_or_buffer",
    "read_table": "filepath_or_buffer",
    "read_parquet": "path",
    "read_json": "path_or_buf",
}
# DataFrame writer name -> name of its path argument
WRITERS = {
    "to_csv": "path_or_buf",
    "to_parquet": "path",
    "to_json": "path_or_buf",
}


def dataset_for(target) -> naming.DatasetId | None:
    """The dataset a path argument names; None for buffers and handles we know nothing about."""
    if isinstance(target, (str, os.PathLike)):
        text = os.fspath(target)
        if "\n" in text:  # literal data, not a path
            return None
        alias = table.path(text) if "://" not in text else None
        if alias is not None and alias.dataset is not None:
            return alias.dataset
        return naming.from_url(text)
    carried = table.objects.get(target)
    if carried is not None:
        return carried.dataset
    return None


def schema_fields(frame, names=None) -> list[tuple[str, str]]:
    dtypes = frame.dtypes
    return [(str(label) if names is None else names[i], str(dtype)) for i, (label, dtype) in enumerate(dtypes.items())]


def _target(args, kwargs, name):
    if args:
        return args[0]
    return kwargs.get(name)


def on_read(reader: str, result, target) -> None:
    import pandas as pd

    dataset = dataset_for(target)
    if dataset is None or not isinstance(result, pd.DataFrame):
        return
    system = "s3" if dataset.namespace.startswith("s3://") else "file"
    action = "s3:GetObject" if system == "s3" else "read"
    run.read(dataset, schema_fields(result), action=action, system=system, api=f"pandas.{reader}")
    op = model.Op(f"pandas.{reader}", model.user_location(3))
    table.provenance.set(result, model.frame_from_dataset(dataset.namespace, dataset.name, result.columns, op=op))


def output_names(frame, index: bool) -> list[tuple[object, str]]:
    """(label, field name) of every column the writer writes, index levels included when written."""
    names: list[tuple[object, str]] = []
    if index:
        levels = list(frame.index.names)
        for level, name in enumerate(levels):
            if name is not None:
                names.append((("__index__", level), str(name)))
    for label in frame.columns:
        names.append((label, str(label)))
    return names


def on_write(writer: str, frame, target, index: bool) -> None:
    dataset = dataset_for(target)
    if dataset is None:
        return
    names = output_names(frame, index)
    fields = [(name, None) for _, name in names]
    dtypes = {str(label): str(dtype) for label, dtype in frame.dtypes.items()}
    fields = [(name, dtypes.get(name)) for name in (n for _, n in names)]
    prov = table.provenance.get(frame)
    lineage = operations = None
    referenced: set = set()
    if prov is not None:
        lineage, operations, referenced = facets.frame_outputs(prov, names)
    system = "s3" if dataset.namespace.startswith("s3://") else "file"
    action = "s3:PutObject" if system == "s3" else "write"
    run.wrote(dataset, fields, lineage=lineage, operations=operations, referenced=referenced, action=action,
              system=system, api=f"pandas.DataFrame.{writer}")


def _reader_wrapper(reader: str, arg: str):
    def wrapper(wrapped, instance, args, kwargs):
        before = _state.enter()
        try:
            result = wrapped(*args, **kwargs)
        finally:
            _state.leave(before)
        if before == 0:
            from ... import _guard

            _guard.call(INTEGRATION, on_read, reader, result, _target(args, kwargs, arg))
        return result

    return wrapper


def _writer_wrapper(writer: str, arg: str):
    def wrapper(wrapped, instance, args, kwargs):
        before = _state.enter()
        try:
            result = wrapped(*args, **kwargs)
        finally:
            _state.leave(before)
        if before == 0:
            from ... import _guard

            index = kwargs.get("index", True)
            if writer == "to_json" and index is True:
                index = kwargs.get("orient") not in ("records", "values")
            _guard.call(INTEGRATION, on_write, writer, instance, _target(args, kwargs, arg), bool(index))
        return result

    return wrapper


def instrument(integration, pd) -> None:
    for reader, arg in READERS.items():
        integration.patcher.wrap(pd, reader, _reader_wrapper(reader, arg))
    for writer, arg in WRITERS.items():
        integration.patcher.wrap(pd.DataFrame, writer, _writer_wrapper(writer, arg))

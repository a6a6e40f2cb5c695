"""pandas readers and writers: datasets, schema facets, and the provenance frames start from."""

from __future__ import annotations

import os

from ... import _guard, naming, run
from ...lineage import facets, model, table


def _dataset_for(target):
    if isinstance(target, (str, os.PathLike)):
        return naming.from_url(os.fspath(target))
    return None


def _fields(frame):
    return [(str(c), str(t)) for c, t in frame.dtypes.items()]


def instrument(integration, pd) -> None:
    def on_read(frame, target):
        dataset = _dataset_for(target)
        if dataset is None:
            return
        run.read(dataset, _fields(frame), action="read", system="file")
        table.provenance.set(frame, model.frame_from_dataset(dataset.namespace, dataset.name, frame.columns))

    def read_csv(wrapped, instance, args, kwargs):
        result = wrapped(*args, **kwargs)
        target = args[0] if args else kwargs.get("filepath_or_buffer")
        _guard.call("pandas", on_read, result, target)
        return result

    def on_write(frame, target, index):
        dataset = _dataset_for(target)
        if dataset is None:
            return
        prov = table.provenance.get(frame)
        names = [(c, str(c)) for c in frame.columns]
        lineage = ops = None
        referenced = set()
        if prov is not None:
            lineage, ops, referenced = facets.frame_outputs(prov, names)
        run.wrote(dataset, _fields(frame), lineage=lineage, operations=ops, referenced=referenced,
                  action="write", system="file")

    def to_csv(wrapped, instance, args, kwargs):
        result = wrapped(*args, **kwargs)
        target = args[0] if args else kwargs.get("path_or_buf")
        _guard.call("pandas", on_write, instance, target, kwargs.get("index", True))
        return result

    integration.patcher.wrap(pd, "read_csv", read_csv)
    integration.patcher.wrap(pd.DataFrame, "to_csv", to_csv)

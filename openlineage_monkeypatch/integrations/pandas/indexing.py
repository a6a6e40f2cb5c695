""".loc / .iloc / .at / .iat: reading and assigning through the indexers."""

from __future__ import annotations

from ...lineage import model
from ...lineage.model import CONDITIONAL, EMPTY, FILTER, NO_EDGES, Frame, Values
from . import core
from .common import emit_frame, emit_values, row_edges, union
from .core import PROV, col_of, flatten, is_bool_mask, is_label, prov
from .frame_ops import select, value_col

ALL = slice(None)


def _split(obj, key):
    if isinstance(obj, core.DataFrame) and isinstance(key, tuple) and len(key) == 2:
        return key[0], key[1]
    return key, ALL


def _is_all(part) -> bool:
    return isinstance(part, slice) and part.start is None and part.stop is None and part.step is None


def _row_part(call, src, part, positional: bool):
    """(kind, edges): kind 'all', 'scalar' (one row) or 'some'; edges: what decided the rows."""
    if _is_all(part):
        return "all", NO_EDGES
    if callable(part):
        user = call.user
        found = Values(union(user.results.values())) if user is not None and user.results else None
        return "some", _edges_of(found)
    if isinstance(part, slice):
        if positional or (part.start is None or isinstance(part.start, int)) and (
                part.stop is None or isinstance(part.stop, int)):
            return "some", NO_EDGES
        return "some", row_edges(src.index, FILTER)
    found = prov(part) if not is_label(part) else None
    if found is not None:
        return "some", _edges_of(found)
    if is_label(part):
        return "scalar", NO_EDGES if positional else row_edges(src.index, FILTER)
    if is_bool_mask(part) or positional:
        return "some", NO_EDGES
    return "some", row_edges(src.index, FILTER)


def _edges_of(found) -> frozenset:
    col = col_of(found)
    edges = set(model.compose_indirect(col.edges, FILTER)) if col is not None and col.edges else set()
    if found is not None and getattr(found, "rows", None):
        edges.update(found.rows)
    return frozenset(edges)


def _labels(obj, part, positional: bool):
    """Column labels selected by the column part of a key."""
    if _is_all(part):
        return list(core.labels(obj.columns))
    if positional:
        try:
            picked = obj.columns[part]
        except Exception:  # noqa: BLE001
            return None
        return [picked] if is_label(picked) and not hasattr(picked, "__len__") or isinstance(picked, (str, tuple)) \
            else list(picked)
    if is_label(part):
        return [part]
    if isinstance(part, slice):
        try:
            return list(obj.columns[obj.columns.slice_indexer(part.start, part.stop, part.step)])
        except Exception:  # noqa: BLE001
            return None
    if is_bool_mask(part):
        try:
            return list(obj.columns[list(part) if isinstance(part, list) else part])
        except Exception:  # noqa: BLE001
            return None
    try:
        return list(part)
    except TypeError:
        return None


def getitem(positional: bool):
    def handler(call):
        indexer = call.instance
        obj = getattr(indexer, "obj", None)
        src = PROV.get(obj)
        key = call.args[0] if call.args else None
        rows_key, cols_key = _split(obj, key)
        key_found = None if is_label(rows_key) or isinstance(rows_key, slice) or callable(rows_key) else prov(rows_key)
        if src is None and key_found is None and not (callable(rows_key) and call.user and call.user.results):
            return None
        if src is None:
            src = core.blank_frame(obj) if isinstance(obj, core.DataFrame) else Values(EMPTY)
        result = call.result
        kind, edges = _row_part(call, src, rows_key, positional)
        op = call.op() if edges else None
        if isinstance(src, Values):
            if isinstance(result, core.Series):
                return emit_values(call, result, src.col, src, edges, op)
            return emit_values(call, result, src.col, src, index=())
        if isinstance(result, core.DataFrame):
            return emit_frame(call, result, select(src, result.columns), src, edges, op)
        if isinstance(result, core.Series):
            if kind == "scalar" and not (is_label(cols_key) and not _is_all(cols_key) and result.name == cols_key):
                # a row: one value from each selected column
                try:
                    labels = list(result.index)
                except Exception:  # noqa: BLE001
                    labels = []
                cols = [src.columns[label] for label in labels if _has(src.columns, label)]
                return emit_values(call, result, union(cols or list(src.columns.values())), src, edges, op,
                                   index=())
            labels = _labels(obj, cols_key, positional)
            if labels and len(labels) == 1:
                return emit_values(call, result, src.col(labels[0]), src, edges, op)
            return emit_values(call, result, flatten(src), src, edges, op)
        # a scalar
        labels = _labels(obj, cols_key, positional)
        if labels and len(labels) == 1:
            return emit_values(call, result, src.col(labels[0]), src, index=())
        return None

    return handler


def _has(mapping, label) -> bool:
    try:
        return label in mapping
    except TypeError:
        return False


def setitem(positional: bool):
    def handler(call):
        indexer = call.instance
        obj = getattr(indexer, "obj", None)
        if len(call.args) < 2 or obj is None:
            return None
        key, value = call.args[0], call.args[1]
        src = PROV.get(obj)
        found = prov(value) if not isinstance(value, (str, int, bool)) else None
        rows_key, cols_key = _split(obj, key)
        key_found = None if is_label(rows_key) or isinstance(rows_key, slice) or callable(rows_key) else prov(rows_key)
        if src is None and found is None and key_found is None:
            return None
        if src is None:
            src = core.blank_frame(obj) if isinstance(obj, core.DataFrame) else Values(EMPTY)
        kind, edges = _row_part(call, src, rows_key, positional)
        cond = frozenset((e[0], model.INDIRECT, CONDITIONAL if e[2] == FILTER else e[2], False) for e in edges)
        if isinstance(src, Values):
            new = value_col(found, src.rows)
            col = new if kind == "all" and found is not None else union((src.col, new))
            values = Values(model.with_edges(col, cond), src.index, src.rows, src.row_history)
            PROV.set(obj, values)
            return values
        labels = _labels(obj, cols_key, positional)
        if labels is None:
            labels = list(core.labels(obj.columns))
        columns = dict(src.columns)
        value_frame = found if isinstance(found, Frame) and isinstance(value, core.DataFrame) else None
        for position, label in enumerate(labels):
            if value_frame is not None:
                try:
                    source_label = label if label in value.columns else value.columns[position]
                except Exception:  # noqa: BLE001
                    source_label = label
                new = value_col(Values(value_frame.col(source_label), value_frame.index, value_frame.rows),
                                src.rows)
            else:
                new = value_col(found, src.rows)
            old = columns.get(label, EMPTY)
            col = new if kind == "all" else union((old, new))
            columns[label] = model.with_edges(col, cond)
        for label in core.labels(obj.columns):
            if label not in columns:
                columns[label] = EMPTY
        frame = Frame(columns, src.index, src.rows, src.row_history)
        PROV.set(obj, frame)
        return frame

    return handler


def scalar_getitem(positional: bool):
    def handler(call):
        indexer = call.instance
        obj = getattr(indexer, "obj", None)
        src = PROV.get(obj)
        if src is None:
            return None
        if isinstance(src, Values):
            return emit_values(call, call.result, src.col, src, index=())
        key = call.args[0] if call.args else None
        if isinstance(key, tuple) and len(key) == 2:
            label = key[1]
            if positional:
                try:
                    label = obj.columns[label]
                except Exception:  # noqa: BLE001
                    return None
            col = src.columns.get(label) if _has(src.columns, label) else None
            if col is not None:
                return emit_values(call, call.result, col, src, index=())
        return None

    return handler


def scalar_setitem(positional: bool):
    def handler(call):
        indexer = call.instance
        obj = getattr(indexer, "obj", None)
        if len(call.args) < 2:
            return None
        key, value = call.args[0], call.args[1]
        src = PROV.get(obj)
        found = prov(value) if not isinstance(value, (str, int, bool)) else None
        if src is None and found is None:
            return None
        if src is None:
            src = core.blank_frame(obj) if isinstance(obj, core.DataFrame) else Values(EMPTY)
        new = value_col(found)
        if isinstance(src, Values):
            values = Values(union((src.col, new)), src.index, src.rows, src.row_history)
            PROV.set(obj, values)
            return values
        if isinstance(key, tuple) and len(key) == 2:
            label = key[1]
            if positional:
                try:
                    label = obj.columns[label]
                except Exception:  # noqa: BLE001
                    return None
            columns = dict(src.columns)
            columns[label] = union((columns.get(label, EMPTY), new))
            for existing in core.labels(obj.columns):
                columns.setdefault(existing, EMPTY)
            frame = Frame(columns, src.index, src.rows, src.row_history)
            PROV.set(obj, frame)
            return frame
        return None

    return handler


def instrument(integration, pd) -> None:
    from pandas.core import indexing

    patch = core.patch
    for cls_name, positional in (("_LocIndexer", False), ("_iLocIndexer", True)):
        cls = getattr(indexing, cls_name, None)
        if cls is None:
            continue
        patch(integration, cls, "__getitem__", getitem(positional), f"{cls_name}.__getitem__", callables="nested")
        patch(integration, cls, "__setitem__", setitem(positional), f"{cls_name}.__setitem__", callables="nested")
    for cls_name, positional in (("_AtIndexer", False), ("_iAtIndexer", True)):
        cls = getattr(indexing, cls_name, None)
        if cls is None:
            continue
        patch(integration, cls, "__getitem__", scalar_getitem(positional), f"{cls_name}.__getitem__")
        patch(integration, cls, "__setitem__", scalar_setitem(positional), f"{cls_name}.__setitem__")

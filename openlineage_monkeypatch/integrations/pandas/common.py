"""Building blocks of the operation handlers: column mapping, row edges, results."""

from __future__ import annotations

import re

from ...lineage import model
from ...lineage.model import (AGGREGATION, EMPTY, IDENTITY, NO_EDGES, SORT, TRANSFORMATION, WINDOW, Col,
                              Frame, Values)
from . import core
from .core import PROV, col_of, prov

T, I, A = TRANSFORMATION, IDENTITY, AGGREGATION


def target_of(call):
    """The object an operation produced: its result, or the instance for inplace=True."""
    result = call.result
    if result is None and call.kwargs.get("inplace"):
        return call.instance
    return result


def step(col: Col, op, subtype: str | None, masking: bool = False) -> Col:
    """col after a DIRECT step; columns without sources stay as they are (no history for constants)."""
    if not col.edges:
        return col
    return col.then(op, subtype, masking)


def union(cols, op=None, subtype: str = IDENTITY, approximate: bool = False, masking: bool = False) -> Col:
    cols = [c for c in cols if c is not None]
    if not cols:
        return EMPTY if not approximate else Col(approximate=True)
    if len(cols) == 1 and op is None and not approximate and not masking and subtype == IDENTITY:
        return cols[0]
    return model.combine(cols, op, subtype, masking, approximate=approximate)


def with_extra(col: Col, extra: Col | None, op, subtype=T) -> Col:
    if extra is None or not extra.edges:
        return step(col, op, subtype) if subtype is not None else col
    return model.combine((col, extra), op, subtype)


def cols_for(frame: Frame, labels) -> list[Col]:
    """The Cols of `labels` (a label or a list of them) in frame; unknown labels are skipped."""
    if labels is None:
        return []
    if not isinstance(labels, (list, tuple, set)) or (isinstance(labels, tuple) and labels in frame.columns):
        labels = [labels]
    out = []
    for label in labels:
        if core.is_label(label):
            col = frame.columns.get(label)
            if col is not None:
                out.append(col)
        else:
            found = prov(label)
            col = col_of(found)
            if col is not None:
                out.append(col)
    return out


def index_levels(frame: Frame, obj, names) -> list[Col]:
    """Cols of the index levels of obj named `names` (a name, a level number, or a list)."""
    if not frame.index:
        return []
    if not isinstance(names, (list, tuple)):
        names = [names]
    try:
        level_names = list(obj.index.names)
    except Exception:  # noqa: BLE001
        return []
    out = []
    for name in names:
        if isinstance(name, int) and name not in level_names and 0 <= name < len(frame.index):
            out.append(frame.index[name])
            continue
        for i, level in enumerate(level_names):
            if level == name and i < len(frame.index):
                out.append(frame.index[i])
    return out


def key_cols(frame: Frame, obj, keys) -> list[Col]:
    """Cols of keys given as labels (columns first, then index level names), Series or arrays."""
    if keys is None:
        return []
    if not isinstance(keys, list):
        keys = [keys]
    out = []
    columns = frame.columns
    for key in keys:
        if core.is_label(key):
            col = columns.get(key)
            if col is not None:
                out.append(col)
            else:
                out.extend(index_levels(frame, obj, key))
        else:
            found = prov(key)
            col = col_of(found)
            if col is not None:
                out.append(col)
            elif core.Index is not None and isinstance(key, core.Index):
                continue
    return out


def row_edges(cols, subtype: str) -> frozenset:
    edges: set = set()
    for col in cols:
        if col is not None and col.edges:
            edges.update(model.compose_indirect(col.edges, subtype))
    return frozenset(edges)


def same_labels(a, b) -> bool:
    if a is b:
        return True
    try:
        return len(a) == len(b) and core.labels(a) == core.labels(b)
    except Exception:  # noqa: BLE001
        return False


def map_columns(src: Frame, src_labels, out_labels, op=None, subtype: str | None = None, extra: Col | None = None,
                masking: bool = False) -> dict:
    """Output label -> Col for an operation that keeps columns (by label, else by position)."""
    columns = src.columns
    outs = out_labels if isinstance(out_labels, (list, tuple)) else core.labels(out_labels)
    ins = None
    if src_labels is not None:
        ins = src_labels if isinstance(src_labels, (list, tuple)) else core.labels(src_labels)
    plain = op is None or (subtype is None and extra is None and not masking)
    if ins is not None and len(ins) == len(outs) and (ins is outs or ins == outs):
        if src.labels is outs or (len(columns) == len(outs) and tuple(columns) == outs):
            src.labels = outs
            if plain:
                return columns
            if extra is not None and extra.edges:
                return {label: model.combine((col, extra), op, subtype or T, masking)
                        for label, col in columns.items()}
            return {label: step(col, op, subtype or I, masking) for label, col in columns.items()}
    try:  # every output label is a column of the source (a selection, a reorder, rows dropped ...)
        out = {label: columns[label] for label in outs}
    except (KeyError, TypeError):
        out = None
    if out is not None:
        if extra is not None and extra.edges:
            return {label: model.combine((col, extra), op, subtype or T, masking) for label, col in out.items()}
        if subtype is not None or masking:
            return {label: step(col, op, subtype or I, masking) for label, col in out.items()}
        return out
    out = {}
    by_position = False
    if ins is not None and len(ins) == len(outs):
        try:
            for label in outs:
                if label not in columns:
                    by_position = True
                    break
        except TypeError:
            by_position = True
    pairs = zip(outs, ins) if by_position else ((label, label) for label in outs)
    fallback = None
    for out_label, in_label in pairs:
        try:
            col = columns.get(in_label)
        except TypeError:
            col = None
        if col is None:
            if fallback is None:
                fallback = core.flatten(src)
                fallback = Col(fallback.edges, fallback.history, True) if fallback.edges else EMPTY
            col = fallback
        if extra is not None and extra.edges:
            col = model.combine((col, extra), op, subtype or T, masking)
        elif subtype is not None or masking:
            col = step(col, op, subtype or I, masking)
        if out_label in out and out[out_label] is not col:
            col = union((out[out_label], col))
        out[out_label] = col
    return out


def emit_frame(call, target, columns: dict, src: Frame | None, rows: frozenset | None = None, op=None,
               index: tuple | None = None):
    """Record a Frame for target: these columns, src's index and rows (plus `rows` edges)."""
    if target is None:
        return None
    base_rows = src.rows if src is not None else NO_EDGES
    history = src.row_history if src is not None else None
    if rows:
        base_rows = base_rows | rows
        history = model.node(op.name, op.location, (history,) if history is not None else ()) if op is not None \
            else history
    frame = Frame(columns, src.index if index is None and src is not None else (index or ()), base_rows, history)
    if src is not None and columns is getattr(src, "columns", None):
        frame.labels = src.labels
    PROV.set(target, frame)
    return frame


def emit_values(call, target, col: Col, src, rows: frozenset | None = None, op=None, index: tuple | None = None):
    """Record Values for target (a Series, an array, a scalar)."""
    if target is None or col is None:
        return None
    base_rows = src.rows if src is not None else NO_EDGES
    history = src.row_history if src is not None else None
    if rows:
        base_rows = base_rows | rows
        if op is not None:
            history = model.node(op.name, op.location, (history,) if history is not None else ())
    values = Values(col, (src.index if src is not None else ()) if index is None else index, base_rows, history)
    if not PROV.set(target, values):
        core.remember_scalar(target, values)
    return values


def emit(call, target, found):
    """Record provenance (Frame or Values) for target, whatever its kind."""
    if target is None or found is None:
        return None
    if isinstance(target, core.DataFrame) and isinstance(found, Values):
        columns = {label: found.col for label in core.labels(target.columns)}
        found = Frame(columns, found.index, found.rows, found.row_history)
    elif not isinstance(target, core.DataFrame) and isinstance(found, Frame):
        found = Values(core.flatten(found), found.index, found.rows, found.row_history)
    if not PROV.set(target, found) and isinstance(found, Values):
        core.remember_scalar(target, found)
    return found


def merge_rows(*found) -> frozenset:
    edges: set = set()
    for item in found:
        if item is not None and hasattr(item, "rows") and item.rows:
            edges.update(item.rows)
    return frozenset(edges)


def order_edges(rows: frozenset) -> frozenset:
    """The SORT edges of a frame's rows, as WINDOW edges of a column computed over that order."""
    return frozenset((e[0], model.INDIRECT, WINDOW, False) for e in rows if e[2] == SORT)


_NAME = re.compile(r"`([^`]+)`|([A-Za-z_][A-Za-z_0-9]*)")


def expression_labels(expr: str, labels) -> list:
    """Column labels an eval/query expression names (identifiers and `backticked names`)."""
    found = []
    seen = set()
    text = _strip_strings(expr)
    by_str = {}
    for label in labels:
        if isinstance(label, str):
            by_str.setdefault(label, label)
    for match in _NAME.finditer(text):
        name = match.group(1) or match.group(2)
        start = match.start()
        if start > 0 and text[start - 1] in "@.":
            continue
        label = by_str.get(name)
        if label is not None and label not in seen:
            seen.add(label)
            found.append(label)
    return found


def _strip_strings(expr: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", " ", expr)


ORDER_DEPENDENT = frozenset({"cumsum", "cumprod", "cummax", "cummin", "shift", "diff", "pct_change", "ffill",
                             "bfill", "cumcount", "interpolate"})

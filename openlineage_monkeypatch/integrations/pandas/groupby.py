"""groupby, resample and windows (rolling / expanding / ewm), grouped or not.

The groupby (or window) object carries a `Grouped` state: the source provenance, the key columns and
how the result is shaped. Aggregations give one row per group (values DIRECT AGGREGATION, keys kept
as IDENTITY in the index or as columns, GROUP_BY on the keys for the whole output); row-preserving
steps (cumulative, rank, shift, transform, windows) keep the rows and add a per-column INDIRECT
WINDOW edge for the keys (and for the order the rows were sorted in, when the step depends on it).
"""

from __future__ import annotations

from ... import run
from ...lineage import model
from ...lineage.model import EMPTY, FILTER, GROUP_BY, NO_EDGES, WINDOW, Frame, Values
from . import core
from .common import A, I, T, emit_frame, emit_values, key_cols, order_edges, row_edges, step, union
from .core import PROV, col_of, flatten, is_label, prov, wrap_callables


class Grouped:
    """Provenance state of a groupby, resampler or window object (no reference to pandas objects)."""

    __slots__ = ("source", "keys", "key_labels", "as_index", "selection", "kind", "window", "frame_source")

    def __init__(self, source, keys, key_labels, as_index=True, selection=None, kind="groupby", window=NO_EDGES,
                 frame_source=True):
        self.source = source  # Frame or Values
        self.keys = keys  # list[Col] of the group keys
        self.key_labels = key_labels  # labels of keys that are columns of the source (or None)
        self.as_index = as_index
        self.selection = selection  # None, a label, or a list of labels
        self.kind = kind  # "groupby", "resample", "window"
        self.window = window  # extra INDIRECT WINDOW edges (window 'on' column, time index ...)
        self.frame_source = frame_source

    def derive(self, **changes) -> "Grouped":
        new = Grouped(self.source, self.keys, self.key_labels, self.as_index, self.selection, self.kind,
                      self.window, self.frame_source)
        for name, value in changes.items():
            setattr(new, name, value)
        return new


AGGREGATIONS = frozenset({"sum", "mean", "median", "min", "max", "count", "std", "var", "sem", "prod", "nunique",
                          "first", "last", "any", "all", "quantile", "skew", "kurt", "idxmax", "idxmin",
                          "describe", "ohlc", "agg", "aggregate", "corr", "cov", "value_counts", "size"})
CUMULATIVE = frozenset({"cumsum", "cumprod", "cummax", "cummin", "cumcount", "rank", "ewm"})
SHIFTS = frozenset({"shift", "diff", "pct_change", "ffill", "bfill", "fillna", "interpolate", "transform"})
SELECTIONS = frozenset({"head", "tail", "nth", "filter", "sample", "get_group"})


def _key_list(by):
    if by is None:
        return []
    if isinstance(by, list):
        return by
    return [by]


def groupby(call):
    obj = call.instance
    src = PROV.get(obj)
    by = call.arg(0, "by")
    level = call.kwargs.get("level")
    keys = []
    labels = []
    if src is None:
        found = [prov(k) for k in _key_list(by) if not is_label(k)]
        if not any(f is not None for f in found):
            return None
        src = core.blank_frame(obj) if isinstance(obj, core.DataFrame) else Values(EMPTY)
    for key in _key_list(by):
        if isinstance(src, Frame) and is_label(key) and _has(src.columns, key):
            keys.append(src.columns[key])
            labels.append(key)
            continue
        is_grouper = isinstance(key, core.pd.Grouper)
        grouper_key = getattr(key, "key", None) if is_grouper else None
        if grouper_key is not None and isinstance(src, Frame) and _has(src.columns, grouper_key):
            keys.append(src.columns[grouper_key])
            labels.append(grouper_key)
            continue
        if is_grouper or callable(key) or isinstance(key, dict):
            lvl = getattr(key, "level", None)
            keys.extend(_index_cols(src, obj, lvl))
            labels.append(None)
            continue
        if is_label(key):
            keys.extend(_index_cols(src, obj, key))
            labels.append(None)
            continue
        found = prov(key)
        col = col_of(found)
        keys.append(col if col is not None else EMPTY)
        labels.append(None)
    if level is not None:
        keys.extend(_index_cols(src, obj, level))
        labels.append(None)
    as_index = call.kwargs.get("as_index", True)
    state = Grouped(src, keys, labels, as_index, None, "groupby", NO_EDGES, isinstance(src, Frame))
    PROV.set(call.result, state)
    return None


def _index_cols(src, obj, level):
    if not src.index:
        return []
    if level is None:
        return list(src.index)
    try:
        names = list(obj.index.names)
    except Exception:  # noqa: BLE001
        return list(src.index)
    out = []
    for item in level if isinstance(level, (list, tuple)) else [level]:
        if isinstance(item, int) and item not in names and item < len(src.index):
            out.append(src.index[item])
        elif item in names and names.index(item) < len(src.index):
            out.append(src.index[names.index(item)])
    return out


def _has(mapping, label) -> bool:
    try:
        return label in mapping
    except TypeError:
        return False


def select(call):
    """gb['col'], gb[['a', 'b']], gb.col."""
    state = PROV.get(call.instance)
    if not isinstance(state, Grouped):
        return None
    key = call.args[0] if call.args else None
    result = call.result
    if result is None or not hasattr(result, "__class__") or isinstance(result, (core.DataFrame, core.Series)):
        return None
    PROV.set(result, state.derive(selection=key))
    return None


def resample(call):
    obj = call.instance
    src = PROV.get(obj)
    if src is None:
        return None
    on = call.kwargs.get("on")
    level = call.kwargs.get("level")
    if on is not None and isinstance(src, Frame):
        keys = key_cols(src, obj, on)
        labels = [on]
    else:
        keys = _index_cols(src, obj, level)
        labels = [None]
    PROV.set(call.result, Grouped(src, keys, labels, True, None, "resample", NO_EDGES, isinstance(src, Frame)))
    return None


def window(kind: str):
    """rolling / expanding / ewm on a frame, a series or a groupby."""

    def handler(call):
        obj = call.instance
        found = PROV.get(obj)
        if found is None:
            return None
        if isinstance(found, Grouped):
            state = found.derive(kind="window")
        else:
            state = Grouped(found, [], [], True, None, "window", NO_EDGES, isinstance(found, Frame))
        on = call.kwargs.get("on")
        extra = NO_EDGES
        if on is not None and isinstance(state.source, Frame):
            extra = row_edges(key_cols(state.source, obj if not isinstance(found, Grouped) else None, on), WINDOW) \
                if not isinstance(found, Grouped) else row_edges([state.source.col(on)], WINDOW)
        elif kind == "rolling" and isinstance(call.arg(0, "window"), str) and state.source.index:
            extra = row_edges(state.source.index, WINDOW)
        state.window = state.window | extra
        state.kind = "window"
        PROV.set(call.result, state)
        return None

    return handler


def _values_labels(state: Grouped, obj_columns=None):
    src = state.source
    if state.selection is not None:
        sel = state.selection
        return sel if isinstance(sel, list) else ([sel] if is_label(sel) else list(sel))
    if isinstance(src, Frame):
        keys = {label for label in state.key_labels if label is not None}
        return [label for label in src.columns if label not in keys]
    return None


def _resolve(state: Grouped, label, named: dict):
    """The source Col an output column of an aggregation comes from (None: unknown)."""
    src = state.source
    if not isinstance(src, Frame):
        return src.col
    if label in named:
        source_label = named[label]
        return src.columns.get(source_label) if _has(src.columns, source_label) else None
    if _has(src.columns, label):
        return src.columns[label]
    if isinstance(label, tuple) and label and _has(src.columns, label[0]):
        return src.columns[label[0]]
    sel = state.selection
    if sel is not None and is_label(sel) and _has(src.columns, sel):
        return src.columns[sel]
    return None


def _named_aggs(call) -> dict:
    named = {}
    for name, spec in call.kwargs.items():
        column = getattr(spec, "column", None)
        if column is None and isinstance(spec, tuple) and len(spec) == 2:
            column = spec[0]
        if column is not None:
            named[name] = column
    return named


def _key_label_cols(state: Grouped) -> dict:
    out = {}
    for label, col in zip(state.key_labels, state.keys):
        if label is not None:
            out[label] = col
    return out


def aggregate(call, method: str):
    state = PROV.get(call.instance)
    result = call.result
    if not isinstance(state, Grouped) or result is None:
        return None
    src = state.source
    op = call.op()
    user = call.user
    keys_rows = row_edges(state.keys, GROUP_BY) if state.kind != "window" else NO_EDGES
    if src.rows and not _order_dependent(call, method) and any(e[2] == model.SORT for e in src.rows):
        # one row per group, in key order: how the rows were sorted before no longer shapes anything
        src = _without_sorts(src)
    group_index = tuple(state.keys) if state.as_index else ()
    key_cols_by_label = _key_label_cols(state)
    named = _named_aggs(call)
    size_like = method in ("size", "value_counts") and state.selection is None
    user_cols = []
    if user is not None:
        user_cols = list(user.results.values()) + user.touched
    values_col = None

    def source_col(label):
        nonlocal values_col
        if size_like and not (isinstance(label, str) and False):
            return None
        col = _resolve(state, label, named)
        if col is None:
            if values_col is None:
                labels = _values_labels(state)
                cols = [src.col(l) for l in labels if _has(src.columns, l)] if isinstance(src, Frame) and labels \
                    else [col_of(src)]
                values_col = union(cols, None, I, approximate=True)
            return values_col
        return col

    if isinstance(result, core.DataFrame):
        columns = {}
        for label in core.labels(result.columns):
            if not state.as_index and _has(key_cols_by_label, label) and label not in named:
                columns[label] = key_cols_by_label[label]
                continue
            if size_like or label == "size" and method == "size":
                columns[label] = EMPTY
                continue
            col = source_col(label)
            if user_cols:
                col = union([col] + user_cols if col is not None else user_cols, op, A,
                            masking=user.hashed)
            else:
                col = step(col, op, A) if col is not None else EMPTY
            columns[label] = col
        index = group_index if state.as_index else ()
        return emit_frame(call, result, columns, src, keys_rows, op, index=index)
    if isinstance(result, core.Series):
        if size_like or method == "size":
            col = EMPTY
            if method == "value_counts" and state.selection is not None:
                col = EMPTY
        else:
            sel = state.selection
            if isinstance(src, Values):
                col = src.col
            elif sel is not None and is_label(sel) and _has(src.columns, sel):
                col = src.columns[sel]
            else:
                labels = _values_labels(state) or []
                col = union([src.col(l) for l in labels if _has(src.columns, l)] or [flatten(src)])
            col = union([col] + user_cols, op, A, masking=user.hashed if user else False) if user_cols \
                else step(col, op, A)
        index = group_index
        if method == "value_counts" and state.selection is not None and isinstance(src, Frame):
            sel = state.selection
            if is_label(sel) and _has(src.columns, sel):
                index = group_index + (src.columns[sel],)
        return emit_values(call, result, col, src, keys_rows, op, index=index)
    # a scalar (rare for groupby)
    return None


ORDER_DEPENDENT_AGGS = frozenset({"first", "last", "nth", "apply", "head", "tail", "ohlc", "idxmax", "idxmin"})


def _order_dependent(call, method: str) -> bool:
    if method in ORDER_DEPENDENT_AGGS or call.user is not None:
        return True
    if method in ("agg", "aggregate"):
        return any(isinstance(f, str) and f in ORDER_DEPENDENT_AGGS for f in _agg_functions(call))
    return False


def _agg_functions(call) -> list:
    """The function names/objects an agg() call names, whatever its spelling."""
    out = []

    def collect(spec):
        if isinstance(spec, (list, tuple)):
            out.extend(spec)
        elif isinstance(spec, dict):
            for value in spec.values():
                collect(value)
        else:
            out.append(spec)

    for arg in call.args[:1]:
        collect(arg)
    if "func" in call.kwargs:
        collect(call.kwargs["func"])
    for name, spec in call.kwargs.items():
        func = getattr(spec, "aggfunc", None)
        if func is None and isinstance(spec, tuple) and len(spec) == 2:
            func = spec[1]
        if func is not None:
            out.append(func)
    return out


def _without_sorts(src):
    rows = frozenset(e for e in src.rows if e[2] != model.SORT)
    if isinstance(src, Frame):
        return Frame(src.columns, src.index, rows, src.row_history)
    return Values(src.col, src.index, rows, src.row_history)


def row_preserving(call, method: str):
    state = PROV.get(call.instance)
    result = call.result
    if not isinstance(state, Grouped) or result is None:
        return None
    src = state.source
    op = call.op()
    user = call.user
    if method in CUMULATIVE or state.kind == "window":
        subtype = A
    elif method == "transform":
        func = call.arg(0, "func")
        subtype = A if isinstance(func, str) and func in AGGREGATIONS else T
    else:
        subtype = T
    window_edges = set(row_edges(state.keys, WINDOW)) | set(state.window)
    if method in CUMULATIVE or method in ("shift", "diff", "pct_change", "ffill", "bfill") or state.kind == "window":
        window_edges |= order_edges(src.rows)
    if state.kind == "resample":
        window_edges = set(row_edges(state.keys, GROUP_BY))
    window_edges = frozenset(window_edges)
    user_cols = (list(user.results.values()) + user.touched) if user is not None else []
    masking = user.hashed if user is not None else False

    def make(col):
        if method == "cumcount":
            col = EMPTY
        elif user_cols:
            col = union(([col] if col is not None else []) + user_cols, op, subtype, masking=masking)
        elif col is not None:
            col = step(col, op, subtype)
        else:
            col = EMPTY
        return model.with_edges(col, window_edges)

    index = src.index
    if state.kind == "window" and state.keys:
        index = tuple(state.keys) + tuple(src.index)
    if isinstance(result, core.DataFrame):
        columns = {}
        for label in core.labels(result.columns):
            columns[label] = make(_resolve(state, label, {}))
        return emit_frame(call, result, columns, src, index=index)
    if isinstance(result, core.Series):
        if isinstance(src, Values):
            col = src.col
        else:
            sel = state.selection
            col = src.columns.get(sel) if is_label(sel) and _has(src.columns, sel) else None
            if col is None and method != "cumcount":
                labels = _values_labels(state) or []
                col = union([src.col(l) for l in labels if _has(src.columns, l)] or [flatten(src)],
                            approximate=True)
        return emit_values(call, result, make(col), src, index=index)
    return None


def selection_rows(call, method: str):
    state = PROV.get(call.instance)
    result = call.result
    if not isinstance(state, Grouped) or result is None:
        return None
    src = state.source
    op = call.op()
    edges = set(row_edges(state.keys, FILTER))
    edges |= {(e[0], model.INDIRECT, FILTER, False) for e in src.rows if e[2] == model.SORT}
    user = call.user
    if method == "filter" and user is not None:
        cols = list(user.results.values()) + user.touched
        if not cols and isinstance(src, Frame):
            cols = list(src.columns.values())
        edges |= row_edges(cols, FILTER)
    edges = frozenset(edges)
    if isinstance(result, core.DataFrame) and isinstance(src, Frame):
        columns = {label: src.columns.get(label, EMPTY) if _has(src.columns, label) else EMPTY
                   for label in core.labels(result.columns)}
        return emit_frame(call, result, columns, src, edges, op)
    if isinstance(result, core.Series):
        col = src.col if isinstance(src, Values) else (
            src.columns.get(state.selection) if is_label(state.selection) and _has(src.columns, state.selection)
            else flatten(src))
        return emit_values(call, result, col or EMPTY, src, edges, op)
    return None


def apply(call):
    """groupby(...).apply(func): per group results; one row per group or the rows kept."""
    state = PROV.get(call.instance)
    result = call.result
    if not isinstance(state, Grouped) or result is None:
        return None
    user = call.user
    if user is None:
        func = call.arg(0, "func")
        if isinstance(func, str):
            return dispatch(call, func)
        return aggregate(call, "apply")
    try:
        same_rows = isinstance(result, (core.DataFrame, core.Series)) and len(result) == len(
            call.instance.obj) and not state.as_index is False and result.index.nlevels == getattr(
            call.instance.obj, "index").nlevels
    except Exception:  # noqa: BLE001
        same_rows = False
    if not user.results and not user.touched:
        run.opaque_operation("GroupBy.apply")
    if same_rows and state.kind != "resample":
        return row_preserving(call, "transform")
    return aggregate(call, "apply")


def prepare(call):
    state = PROV.get(call.instance)
    if not isinstance(state, Grouped):
        return wrap_callables(call, True, None, "values")
    source = state.source
    if isinstance(source, Frame) and state.selection is not None:
        sel = state.selection
        if is_label(sel) and _has(source.columns, sel):
            source = Values(source.columns[sel], source.index, source.rows, source.row_history)
    return wrap_callables(call, True, source, "frames")


def dispatch(call, method: str):
    state = PROV.get(call.instance)
    if isinstance(state, Grouped) and state.kind == "window":
        return row_preserving(call, method)
    if method in AGGREGATIONS:
        return aggregate(call, method)
    if method in SELECTIONS:
        return selection_rows(call, method)
    if method == "apply":
        return apply(call)
    if method in CUMULATIVE or method in SHIFTS:
        return row_preserving(call, method)
    state = PROV.get(call.instance)
    if isinstance(state, Grouped) and state.kind == "window":
        return row_preserving(call, method)
    if isinstance(state, Grouped) and state.kind == "resample":
        return aggregate(call, method)
    return aggregate(call, method)


def method_handler(method: str):
    def handler(call):
        return dispatch(call, method)

    return handler


SKIP = frozenset({"plot", "hist", "boxplot", "pipe", "get_group", "indices", "groups", "ngroup", "ngroups"})


def instrument(integration, pd) -> None:
    patch = core.patch
    for owner in (pd.DataFrame, pd.Series):
        patch(integration, owner, "groupby", groupby, f"{owner.__name__}.groupby")
        patch(integration, owner, "resample", resample, f"{owner.__name__}.resample")
        for name in ("rolling", "expanding", "ewm"):
            patch(integration, owner, name, window(name), f"{owner.__name__}.{name}")
    try:
        from pandas.api import typing as pd_typing
    except Exception:  # noqa: BLE001
        return
    classes = []
    for name in ("DataFrameGroupBy", "SeriesGroupBy", "Resampler", "Rolling", "Expanding", "ExponentialMovingWindow",
                 "RollingGroupBy", "ExpandingGroupBy", "ExponentialMovingWindowGroupBy", "Window"):
        cls = getattr(pd_typing, name, None)
        if cls is not None:
            classes.append(cls)
    import inspect

    base = getattr(pd.core.groupby.groupby, "BaseGroupBy", None)
    if base is not None and "__iter__" in vars(base):
        integration.patcher.wrap(base, "__iter__", _iterate)
    done = set()
    for cls in classes:
        for klass in cls.__mro__:
            if klass is object or klass.__module__.split(".")[0] != "pandas":
                continue
            for name, value in list(vars(klass).items()):
                if name.startswith("_") and name != "__getitem__":
                    continue
                if name in SKIP or (klass, name) in done:
                    continue
                if isinstance(value, (property, staticmethod, classmethod, type)) or not callable(value):
                    continue
                done.add((klass, name))
                if name == "__getitem__":
                    patch(integration, klass, name, select, f"{klass.__name__}.{name}", callables=None)
                elif name in ("rolling", "expanding", "ewm"):
                    patch(integration, klass, name, window(name), f"{klass.__name__}.{name}")
                elif name == "resample":
                    patch(integration, klass, name, resample_grouped, f"{klass.__name__}.{name}")
                else:
                    patch(integration, klass, name, method_handler(name), f"{klass.__name__}.{name}",
                          prepare=prepare)
    del inspect


def _iterate(wrapped, instance, args, kwargs):
    """for key, group in df.groupby(...): each group carries the source's provenance, filtered by key."""
    iterator = wrapped(*args, **kwargs)
    if core.local.depth:
        return iterator
    state = PROV.get(instance)
    if not isinstance(state, Grouped):
        return iterator
    return _tagged(iterator, state)


def _tagged(iterator, state):
    from ... import _guard

    for item in iterator:
        _guard.call(core.INTEGRATION, _tag_group, item, state)
        yield item


def _tag_group(item, state: Grouped) -> None:
    group = item[1] if isinstance(item, tuple) and len(item) == 2 else None
    if group is None:
        return
    src = state.source
    rows = src.rows | row_edges(state.keys, FILTER)
    if isinstance(group, core.DataFrame) and isinstance(src, Frame):
        frame = core.sub_frame(src, group.columns)
        PROV.set(group, Frame(frame.columns, src.index, rows, src.row_history))
    elif isinstance(group, core.Series):
        sel = state.selection
        if isinstance(src, Values):
            col = src.col
        elif is_label(sel) and _has(src.columns, sel):
            col = src.columns[sel]
        else:
            col = flatten(src)
        PROV.set(group, Values(col, src.index, rows, src.row_history))


def resample_grouped(call):
    state = PROV.get(call.instance)
    if not isinstance(state, Grouped):
        return None
    new = state.derive(kind="resample")
    src = state.source
    on = call.kwargs.get("on")
    if on is not None and isinstance(src, Frame) and _has(src.columns, on):
        new.keys = list(state.keys) + [src.columns[on]]
    else:
        new.keys = list(state.keys) + list(src.index)
    PROV.set(call.result, new)
    return None

"""Column provenance through DataFrame/Series operations (the engine's pandas front end).

Every public method of DataFrame and Series is patched: the ones listed here with a handler that
knows their semantics, every other one (except writers, plotting and metadata) with the opaque
fallback, which over-approximates (every source of the inputs, marked approximate) rather than lose
an edge. See README "Column lineage in pandas" for the operation -> transformation table.
"""

from __future__ import annotations

import os

from ...lineage import model, seam
from . import accessors, core, functions, groupby, indexing, numpy_funcs, reshape
from .common import A, I, T
from .frame_ops import (astype, binary, df_delitem, df_eval, df_getitem, df_insert, df_isetitem, df_pop,
                        df_set_axis_private, df_setitem, drop, drop_duplicates, dropna, filter_labels,
                        identity_reshape, keep, nlargest, opaque, query, reduce, reindex, rename_like,
                        select_columns, sort_index, sort_values, unary, where)

ARITHMETIC = ("add", "sub", "mul", "div", "truediv", "floordiv", "mod", "pow", "radd", "rsub", "rmul", "rdiv",
              "rtruediv", "rfloordiv", "rmod", "rpow", "divide", "multiply", "subtract", "eq", "ne", "lt", "le",
              "gt", "ge", "divmod", "rdivmod", "combine", "combine_first", "dot", "align_arith")
DUNDER_BINARY = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
                 "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__and__",
                 "__rand__", "__or__", "__ror__", "__xor__", "__rxor__", "__eq__", "__ne__", "__lt__", "__le__",
                 "__gt__", "__ge__", "__matmul__", "__rmatmul__", "__divmod__", "__rdivmod__")
DUNDER_INPLACE = ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__",
                  "__iand__", "__ior__", "__ixor__")
DUNDER_UNARY = ("__neg__", "__pos__", "__abs__", "__invert__", "__round__")

REDUCTIONS = ("sum", "mean", "median", "min", "max", "std", "var", "sem", "prod", "product", "count", "nunique",
              "any", "all", "kurt", "kurtosis", "skew", "idxmax", "idxmin", "mode", "describe", "argmax", "argmin",
              "autocorr", "memory_usage_values", "item", "first_valid_index_values")
PAIRWISE = ("corr", "cov", "corrwith")
ELEMENTWISE = ("abs", "round", "clip", "fillna", "ffill", "bfill", "interpolate", "replace", "isna", "isnull",
               "notna", "notnull", "isin", "between", "tz_convert", "tz_localize", "to_period", "to_timestamp",
               "duplicated", "argsort", "searchsorted_values", "update", "repeat", "convert_dtypes_t")
CUMULATIVE = ("cumsum", "cumprod", "cummax", "cummin", "rank")
SHIFTS = ("shift", "diff", "pct_change")
IDENTITY_OPS = ("copy", "head", "tail", "sample", "take", "truncate", "at_time", "between_time", "asfreq", "asof",
                "set_flags", "swaplevel", "reorder_levels", "droplevel", "rename_axis", "infer_objects",
                "reindex_like", "align", "xs", "get")
RENAMES = ("rename", "add_prefix", "add_suffix", "set_axis")
# never patched: writers (io.py / sql_io.py own them), plotting, metadata, iteration helpers
EXCLUDED = frozenset({"plot", "hist", "boxplot", "info", "keys", "equals", "memory_usage", "items", "iterrows",
                      "itertuples", "first_valid_index", "last_valid_index", "sparse", "style", "cat", "dt", "str",
                      "list", "struct", "from_dict", "from_records", "from_arrow", "to_dict", "to_list", "tolist",
                      "to_records", "to_string", "to_html", "to_latex", "to_markdown", "to_clipboard", "to_xarray",
                      "pipe", "__array__"})


def _cumulative(name: str):
    base = keep(A)

    def handler(call):
        found = base(call)
        return _add_order(call, found)

    return handler


def _shift(name: str):
    base = keep(T)

    def handler(call):
        found = base(call)
        return _add_order(call, found)

    return handler


def _add_order(call, found):
    """Order-dependent steps: the SORT edges of the rows become WINDOW edges of the columns."""
    from .common import order_edges, target_of

    if found is None or not found.rows:
        return found
    extra = order_edges(found.rows)
    if not extra:
        return found
    target = target_of(call)
    if isinstance(found, model.Frame):
        columns = {label: model.with_edges(col, extra) if col.edges else col for label, col in found.columns.items()}
        new = model.Frame(columns, found.index, found.rows, found.row_history)
    else:
        new = model.Values(model.with_edges(found.col, extra), found.index, found.rows, found.row_history)
    core.PROV.set(target, new)
    return new


def _map_handler(call):
    func = call.arg(0, "arg" if isinstance(call.instance, core.Series) else "func")
    if isinstance(func, str) or (func is not None and not callable(func) and isinstance(call.instance, core.Series)
                                 and not isinstance(func, dict)):
        return functions.elementwise_map(call)
    return functions.elementwise_map(call)


def _series_apply(call):
    func = call.arg(0, "func")
    if isinstance(func, (str, list, dict)):
        return functions.aggregate_like(call, core.PROV.get(call.instance), func)
    return functions.elementwise_map(call) if call.user is not None else keep(T)(call)


def _transform(call):
    if call.user is not None:
        return functions.apply_agg_callable(call)
    return functions.aggregate_like(call, core.PROV.get(call.instance), call.arg(0, "func"))


def _value_counts(call):
    obj = call.instance
    src = core.PROV.get(obj)
    result = call.result
    if src is None or result is None:
        return None
    from .common import emit_values, row_edges

    op = call.op()
    if isinstance(src, model.Values):
        keys = [src.col]
    else:
        subset = call.arg(0, "subset")
        from .common import key_cols

        keys = key_cols(src, obj, subset) if subset is not None else list(src.columns.values())
    rows = row_edges(keys, model.GROUP_BY)
    index = tuple(keys)
    return emit_values(call, result, model.EMPTY, src, rows, op, index=index)


def _head_tail(call):
    """head/tail: after a sort, the sort keys decide which rows are kept (a top-N)."""
    found = identity_reshape(call)
    if found is None or not found.rows:
        return found
    extra = frozenset((e[0], model.INDIRECT, model.FILTER, False) for e in found.rows if e[2] == model.SORT)
    if not extra or extra <= found.rows:
        return found
    from .common import target_of

    rows = found.rows | extra
    new = model.Frame(found.columns, found.index, rows, found.row_history) if isinstance(found, model.Frame) \
        else model.Values(found.col, found.index, rows, found.row_history)
    core.PROV.set(target_of(call), new)
    return new


def _duplicated(call):
    """duplicated(subset): a flag computed from the subset's values (every column without a subset)."""
    obj = call.instance
    src = core.PROV.get(obj)
    if src is None:
        return None
    from .common import emit_values, key_cols, union

    if isinstance(src, model.Values):
        cols = [src.col]
    else:
        subset = call.arg(0, "subset")
        cols = key_cols(src, obj, list(subset) if isinstance(subset, tuple) and subset not in src.columns
                        else subset) if subset is not None else list(src.columns.values())
    return emit_values(call, call.result, union(cols, call.op(), T), src)


def _pairwise(call):
    """corr/cov/corrwith: every cell comes from two columns, so each column from all of them."""
    obj = call.instance
    src = core.PROV.get(obj)
    result = call.result
    if src is None or result is None:
        return None
    from .common import emit_frame, emit_values, union

    other = core.col_of(core.prov(call.arg(0, "other")))
    if isinstance(src, model.Values):
        col = union([src.col] + ([other] if other is not None else []), call.op(), A)
        return emit_values(call, result, col, src, index=())
    cols = list(src.columns.values()) + ([other] if other is not None else [])
    col = union(cols, call.op(), A)
    if isinstance(result, core.DataFrame):
        return emit_frame(call, result, {label: col for label in core.labels(result.columns)}, src, index=())
    return emit_values(call, result, col, src, index=())


def _combine_first(call):
    """combine_first: each value is chosen from one side or the other, as it is."""
    obj = call.instance
    src = core.PROV.get(obj)
    other = core.prov(call.arg(0, "other"))
    result = call.result
    if (src is None and other is None) or result is None:
        return None
    from .common import emit_frame, emit_values, union

    if isinstance(result, core.DataFrame):
        columns = {}
        for label in core.labels(result.columns):
            parts = [src.col(label) if isinstance(src, model.Frame) else model.EMPTY,
                     other.col(label) if isinstance(other, model.Frame) else model.EMPTY]
            columns[label] = union(parts, call.op(), I) if any(p.edges for p in parts) else model.EMPTY
        return emit_frame(call, result, columns, src if isinstance(src, model.Frame) else None)
    parts = [core.col_of(src), core.col_of(other)]
    return emit_values(call, result, union(parts, call.op(), I), src if isinstance(src, model.Values) else None)


def _unique(call):
    src = core.PROV.get(call.instance)
    if src is None:
        return None
    from .common import emit_values

    col = src.col if isinstance(src, model.Values) else core.flatten(src)
    return emit_values(call, call.result, col, src, index=())


DATAFRAME_HANDLERS = {
    "__getitem__": (df_getitem, None),
    "__setitem__": (df_setitem, None),
    "__delitem__": (df_delitem, None),
    # attribute access (df.col, row.col) goes through __getitem__: no need to patch __getattr__
    "__getattr__": (None, None),
    "__init__": (functions.frame_init, None),
    "pop": (df_pop, None),
    "insert": (df_insert, None),
    "isetitem": (df_isetitem, None),
    "assign": (functions.assign, functions.prepare_assign),
    "apply": (functions.apply, functions.prepare_apply),
    "map": (functions.elementwise_map, None),
    "applymap": (functions.elementwise_map, None),
    "agg": (functions.agg, None),
    "aggregate": (functions.agg, None),
    "transform": (_transform, None),
    "set_index": (functions.set_index, None),
    "reset_index": (functions.reset_index, None),
    "squeeze": (functions.squeeze, None),
    "astype": (astype, None),
    "drop": (drop, None),
    "sort_values": (sort_values, None),
    "sort_index": (sort_index, None),
    "drop_duplicates": (drop_duplicates, None),
    "dropna": (dropna, None),
    "nlargest": (nlargest, None),
    "nsmallest": (nlargest, None),
    "query": (query, "level"),
    "eval": (df_eval, "level"),
    "filter": (filter_labels, None),
    "select_dtypes": (select_columns, None),
    "select": (select_columns, None),
    "reindex": (reindex, None),
    "where": (where, None),
    "mask": (where, None),
    "value_counts": (_value_counts, None),
    "convert_dtypes": (keep(I), None),
}

SERIES_HANDLERS = {
    "__getitem__": (identity_reshape, None),
    "__setitem__": (None, None),
    "__getattr__": (None, None),
    "__init__": (functions.series_init, None),
    "apply": (_series_apply, None),
    "map": (functions.elementwise_map, None),
    "agg": (functions.agg, None),
    "aggregate": (functions.agg, None),
    "transform": (_transform, None),
    "reset_index": (functions.reset_index, None),
    "to_numpy": (functions.to_numpy, None),
    "to_frame": (functions.to_frame, None),
    "astype": (astype, None),
    "drop": (drop, None),
    "sort_values": (sort_values, None),
    "sort_index": (sort_index, None),
    "drop_duplicates": (drop_duplicates, None),
    "dropna": (dropna, None),
    "nlargest": (nlargest, None),
    "nsmallest": (nlargest, None),
    "filter": (filter_labels, None),
    "reindex": (reindex, None),
    "where": (where, None),
    "mask": (where, None),
    "value_counts": (_value_counts, None),
    "unique": (_unique, None),
    "convert_dtypes": (keep(I), None),
}


def _series_getitem(call):
    """s[mask] filters; s[label] is one value; s[slice] keeps the rows' edges."""
    from .common import emit_values, union
    from .frame_ops import mask_rows

    series = call.instance
    src = core.PROV.get(series)
    key = call.args[0] if call.args else None
    if callable(key) and call.user is not None and call.user.results:
        key_found = model.Values(union(call.user.results.values()))
    else:
        key_found = core.prov(key) if not core.is_label(key) and not isinstance(key, (list, slice)) else None
    if src is None and key_found is None:
        return None
    if src is None:
        src = model.Values(model.EMPTY)
    result = call.result
    if key_found is not None and isinstance(result, core.Series):
        return emit_values(call, result, src.col, src, mask_rows(key_found), call.op())
    if isinstance(result, core.Series):
        return emit_values(call, result, src.col, src)
    return emit_values(call, result, src.col, src, index=())


def _series_setitem(call):
    from .frame_ops import conditional, value_col

    series = call.instance
    if len(call.args) < 2:
        return None
    key, value = call.args[0], call.args[1]
    src = core.PROV.get(series)
    found = core.prov(value) if not isinstance(value, (str, int, bool)) else None
    key_found = core.prov(key) if not core.is_label(key) and not isinstance(key, (list, slice)) else None
    if src is None and found is None and key_found is None:
        return None
    if src is None:
        src = model.Values(model.EMPTY)
    from .common import union

    col = model.with_edges(union((src.col, value_col(found))), conditional(key_found, src.rows))
    values = model.Values(col, src.index, src.rows, src.row_history)
    core.PROV.set(series, values)
    return values


def _tag_item(frame, label, series) -> None:
    """A column DataFrame.items() yields: the frame's column of that label."""
    src = core.PROV.get(frame)
    if not isinstance(src, model.Frame) or not isinstance(series, core.Series):
        return
    col = src.columns.get(label) if core.is_label(label) and label in src.columns else None
    core.PROV.set(series, model.Values(col if col is not None else core.flatten(src), src.index, src.rows,
                                       src.row_history))


def _items(wrapped, instance, args, kwargs):
    """DataFrame.items(): a generator; each column it yields carries the frame's column provenance
    (pandas builds them with the private _ixs, which is not patched: pandas calls it for itself a lot)."""
    items = wrapped(*args, **kwargs)
    if core.local.depth or core.PROV.get(instance) is None:
        return items
    return _tagged_items(items, instance)


def _tagged_items(items, frame):
    from ... import _guard

    local = core.local
    for label, series in items:
        if not local.depth:
            _guard.call(core.INTEGRATION, _tag_item, frame, label, series)
        yield label, series


def _tracked_axis(base, setter):
    """A subclass of pandas' AxisProperty (df.columns, df.index, s.index) whose __set__ runs `setter`
    around the original; reading the axis stays pandas' own C code."""

    class TrackedAxis(base):
        __slots__ = ()
        __doc__ = base.__dict__["__doc__"] if "__doc__" in base.__dict__ else None

        def __set__(self, obj, value):
            if core.local.depth:
                return base.__set__(self, obj, value)
            return setter(lambda *args: base.__set__(self, obj, value), obj, (self.axis, value), {})

    TrackedAxis.__name__ = TrackedAxis.__qualname__ = "TrackedAxisProperty"
    return TrackedAxis


def _patch_axes(integration, pd) -> None:
    """Assigning df.columns / df.index / s.index (the axis properties call the private _set_axis)."""
    setter = core.make_wrapper(core.Spec("DataFrame._set_axis", df_set_axis_private, callables=None))
    for owner, names in ((pd.DataFrame, ("columns", "index")), (pd.Series, ("index",))):
        for name in names:
            original = owner.__dict__.get(name)
            base = type(original)
            if original is None or base.__name__ != "AxisProperty" or not hasattr(original, "axis"):
                continue
            tracked = _tracked_axis(base, setter)(original.axis, original.__doc__ or "")
            integration.patcher.replace(owner, name, tracked)


def _frame_update(call):
    """df.update(other): in place, each column takes values from other's same-labelled column."""
    df = call.instance
    src = core.PROV.get(df)
    other = call.arg(0, "other")
    found = core.prov(other)
    if src is None and found is None:
        return None
    from .common import union

    if isinstance(df, core.Series):
        base = src if isinstance(src, model.Values) else model.Values(model.EMPTY)
        values = model.Values(union((base.col, core.col_of(found) or model.EMPTY)), base.index, base.rows,
                              base.row_history)
        core.PROV.set(df, values)
        return values
    src = src if isinstance(src, model.Frame) else core.blank_frame(df)

    columns = dict(src.columns)
    for label in core.labels(df.columns):
        if isinstance(found, model.Frame):
            extra = found.columns.get(label)
        elif isinstance(found, model.Values) and getattr(other, "name", None) == label:
            extra = found.col
        else:
            extra = None
        if extra is not None and extra.edges:
            columns[label] = union((columns.get(label, model.EMPTY), extra))
    frame = model.Frame(columns, src.index, src.rows, src.row_history)
    core.PROV.set(df, frame)
    return frame


def _series_factorize(call):
    src = core.PROV.get(call.instance)
    result = call.result
    if not isinstance(src, model.Values) or not isinstance(result, tuple) or not result:
        return None
    from .common import emit_values, step

    return emit_values(call, result[0], step(src.col, call.op(), T), src)


def _values_property(prop):
    """The .values property: the array it returns carries the provenance of what it came from."""
    local = core.local
    fget = prop.fget

    def values(self):
        result = fget(self)
        if local.depth:
            return result
        found = core.PROV.get(self)
        if found is not None:
            from ... import _guard

            _guard.call(core.INTEGRATION, _tag_array, result, found)
            if type(found) is model.Frame:
                _guard.call(core.INTEGRATION, _export_rows, self, found, "DataFrame.values")
        return result

    return property(values, prop.fset, prop.fdel, prop.__doc__)


def _export_rows(frame, found, api: str, index_levels: int = 0) -> None:
    """The frame's rows leave as Python values (to be sent to a database by executemany, say):
    remember the frame's provenance, the labels of each row's fields in order and the row count.
    `index_levels` leading fields of each row come from the index."""
    if not isinstance(found, model.Frame) or not isinstance(frame, core.DataFrame):
        return
    labels = core.labels(frame.columns)
    if index_levels:
        labels = tuple(("__index__", level) for level in range(index_levels)) + labels
    seam.remember_rows(found, labels, len(frame), api)


def _frame_to_numpy(call):
    found = functions.to_numpy(call)
    _export_rows(call.instance, core.PROV.get(call.instance), "DataFrame.to_numpy")
    return found


def _row_export(api: str, index_arg: tuple | None = None, orients: tuple | None = None):
    """A wrapt wrapper for a DataFrame method that hands its rows out as Python values (not patched
    as an operation: the result is no DataFrame); the rows are remembered for seam.rows_frame."""
    from ... import _guard

    local = core.local

    def remember(instance, args, kwargs):
        if orients is not None and (args[0] if args else kwargs.get("orient", "dict")) not in orients:
            return
        levels = 0
        if index_arg is not None:
            position, name, default = index_arg
            if (args[position] if len(args) > position else kwargs.get(name, default)):
                # itertuples yields the index as one field (a tuple for a MultiIndex): its first level
                levels = 1 if api == "DataFrame.itertuples" else instance.index.nlevels
        _export_rows(instance, core.PROV.get(instance), api, levels)

    def wrapper(wrapped, instance, args, kwargs):
        result = wrapped(*args, **kwargs)
        if not local.depth:
            _guard.call(core.INTEGRATION, remember, instance, args, kwargs)
        return result

    return wrapper


def _tag_array(array, found):
    if isinstance(array, core.ndarray):
        col = found.col if isinstance(found, model.Values) else core.flatten(found)
        core.PROV.set(array, model.Values(col, found.index, found.rows, found.row_history))


SERIES_HANDLERS["__getitem__"] = (_series_getitem, None)
SERIES_HANDLERS["__setitem__"] = (_series_setitem, None)
SERIES_HANDLERS["__getattr__"] = (None, None)
SERIES_HANDLERS["get"] = (_series_getitem, None)


def _fill(table: dict) -> None:
    for name in ARITHMETIC + DUNDER_BINARY:
        table.setdefault(name, (binary, None))
    for name in DUNDER_INPLACE:
        table.setdefault(name, (binary, None))
    for name in DUNDER_UNARY:
        table.setdefault(name, (unary, None))
    for name in REDUCTIONS:
        table.setdefault(name, (reduce(A), None))
    table.setdefault("quantile", (reduce(A, axis_position=1), None))
    for name in PAIRWISE:
        table.setdefault(name, (reduce(A), None))
    for name in ELEMENTWISE:
        table.setdefault(name, (keep(T, extra_args=True), None))
    for name in CUMULATIVE:
        table.setdefault(name, (_cumulative(name), None))
    for name in SHIFTS:
        table.setdefault(name, (_shift(name), None))
    for name in IDENTITY_OPS:
        table.setdefault(name, (identity_reshape, None))
    for name in RENAMES:
        table.setdefault(name, (rename_like, None))


_fill(DATAFRAME_HANDLERS)
_fill(SERIES_HANDLERS)
DATAFRAME_HANDLERS["get"] = (df_getitem, None)
DATAFRAME_HANDLERS["update"] = (_frame_update, None)
DATAFRAME_HANDLERS["to_numpy"] = (_frame_to_numpy, None)
for _table in (DATAFRAME_HANDLERS, SERIES_HANDLERS):
    _table["head"] = (_head_tail, None)
    _table["tail"] = (_head_tail, None)
    _table["duplicated"] = (_duplicated, None)
    _table["combine_first"] = (_combine_first, None)
    for _name in PAIRWISE:
        _table[_name] = (_pairwise, None)
SERIES_HANDLERS["factorize"] = (_series_factorize, None)
SERIES_HANDLERS["update"] = (_frame_update, None)
SERIES_HANDLERS["squeeze"] = (identity_reshape, None)
DATAFRAME_HANDLERS["xs"] = (opaque("DataFrame.xs"), None)
DATAFRAME_HANDLERS["dot"] = (reduce(A), None)

# methods patched elsewhere (groupby.py, reshape.py, numpy_funcs.py)
ELSEWHERE = frozenset({"groupby", "resample", "rolling", "expanding", "ewm", "merge", "join", "melt", "pivot",
                       "pivot_table", "stack", "unstack", "transpose", "explode", "case_when", "__array_ufunc__"})


def _one_level_deeper(call):
    """query/eval look the user's '@variables' up a fixed number of frames above them, and our wrappers
    add frames: hand pandas the user's namespaces instead (what it would have found there)."""
    import sys

    kwargs = call.kwargs
    if "local_dict" in kwargs and "global_dict" in kwargs:
        return None
    frame = sys._getframe(1)
    own = model._PACKAGE_DIR + os.sep
    while frame is not None and frame.f_code.co_filename.startswith(own):
        frame = frame.f_back
    level = kwargs.get("level", 0)
    while frame is not None and level > 0:
        frame = frame.f_back
        level -= 1
    if frame is None:
        return None
    kwargs = dict(kwargs)
    if kwargs.get("local_dict") is None:
        kwargs["local_dict"] = frame.f_locals
    if kwargs.get("global_dict") is None:
        kwargs["global_dict"] = frame.f_globals
    return call.args, kwargs


def _find_stack_level() -> int:
    # replaces the code of pandas.util._exceptions.find_stack_level: warnings point at the user's line,
    # not at our wrapper (only local names: the code runs with that module's globals)
    import os as _os
    import sys as _sys

    import pandas as _pd

    pkg_dir = _os.path.dirname(_pd.__file__) + _os.sep
    test_dir = _os.path.join(pkg_dir, "tests") + _os.sep
    skip = getattr(_pd, "_olmp_skip_dirs", ())
    frame = _sys._getframe(0)
    n = 0
    while frame:
        filename = frame.f_code.co_filename
        if (filename.startswith(pkg_dir) and not filename.startswith(test_dir)) or (skip and filename.startswith(skip)):
            frame = frame.f_back
            n += 1
        else:
            break
    del frame
    return n


def _fix_warning_locations(integration, pd) -> None:
    try:
        from pandas.util import _exceptions
    except Exception:  # noqa: BLE001
        return
    function = getattr(_exceptions, "find_stack_level", None)
    if function is None or getattr(function, "__code__", None) is None or function.__code__.co_freevars:
        return
    pd._olmp_skip_dirs = (os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep,)
    integration.patcher.replace(function, "__code__", _find_stack_level.__code__)


def _public_methods(cls) -> list[str]:
    import inspect

    names = []
    for name in dir(cls):
        if name.startswith("_") or name in EXCLUDED or name.startswith(("to_", "from_")):
            continue
        try:
            value = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if isinstance(value, (property, staticmethod, classmethod, type)) or not callable(value):
            continue
        if type(value).__name__ in ("CachedAccessor", "Accessor", "AxisProperty"):
            continue
        names.append(name)
    return names


def instrument(integration, pd) -> None:
    import numpy

    core.bind(pd)
    model.skip_frames_from(os.path.dirname(pd.__file__), os.path.dirname(numpy.__file__))
    try:
        import wrapt

        model.skip_frames_from(os.path.dirname(wrapt.__file__))
    except Exception:  # noqa: BLE001
        pass
    patch = core.patch
    _fix_warning_locations(integration, pd)
    for owner, table in ((pd.DataFrame, DATAFRAME_HANDLERS), (pd.Series, SERIES_HANDLERS)):
        kind = owner.__name__
        names = set(table) | set(_public_methods(owner))
        for name in sorted(names - ELSEWHERE):
            if name in EXCLUDED or (name.startswith(("to_", "from_")) and name not in table):
                continue
            handler, prepare = table.get(name, (None, None))
            if prepare == "level":
                prepare = _one_level_deeper
            if name in table and handler is None:
                continue
            if handler is None:
                handler = opaque(f"{kind}.{name}")
            callables = "nested" if name in ("agg", "aggregate", "apply", "transform", "where", "mask") else "flat"
            if name in ("__init__", "__getattr__") or name in DUNDER_BINARY or \
                    name in DUNDER_UNARY:
                callables = None
            patch(integration, owner, name, handler, f"{kind}.{name}", prepare=prepare, callables=callables)
    integration.patcher.wrap(pd.DataFrame, "items", _items)
    for name, index_arg, orients in (("itertuples", (0, "index", True), None), ("iterrows", None, None),
                                     ("to_records", (0, "index", True), None),
                                     ("to_dict", None, ("records", "split", "tight"))):
        integration.patcher.wrap(pd.DataFrame, name, _row_export(f"DataFrame.{name}", index_arg, orients))
    _patch_axes(integration, pd)
    for name in ("pipe",):
        for owner in (pd.DataFrame, pd.Series):
            patch(integration, owner, name, functions.pipe, f"{owner.__name__}.{name}", callables="nested")
    import inspect

    for owner in (pd.DataFrame, pd.Series):
        prop = inspect.getattr_static(owner, "values", None)
        if isinstance(prop, property) and prop.fget is not None and "values" in owner.__dict__:
            integration.patcher.replace(owner, "values", _values_property(prop))
    indexing.instrument(integration, pd)
    accessors.instrument(integration, pd)
    groupby.instrument(integration, pd)
    reshape.instrument(integration, pd)
    numpy_funcs.instrument(integration, pd)

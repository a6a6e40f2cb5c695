"""Operations that run the user's functions: apply, map, agg, transform, assign, pipe; constructors;
set_index/reset_index; conversions to arrays."""

from __future__ import annotations

from ...lineage.model import EMPTY, NO_EDGES, Col, Frame, Values
from . import core
from .common import A, I, T, emit, emit_frame, emit_values, key_cols, map_columns, step, target_of, union
from .core import PROV, UserCall, col_of, flatten, is_label, prov, track, wrap_callables
from .frame_ops import value_col

AGG_NAMES = frozenset({"sum", "mean", "median", "min", "max", "count", "size", "std", "var", "sem", "prod",
                       "nunique", "first", "last", "any", "all", "quantile", "skew", "kurt", "idxmax", "idxmin",
                       "describe", "mode", "nth", "ohlc", "product", "cumsum", "cumprod", "cummax", "cummin",
                       "rank"})


def _axis(call, position: int) -> int:
    axis = call.kwargs.get("axis", call.args[position] if len(call.args) > position else 0)
    return 1 if axis in (1, "columns") else 0


# ---------------------------------------------------------------------------------------------
# apply / map / transform / agg


def prepare_apply(call):
    obj = call.instance
    source = PROV.get(obj)
    mode = "values"
    if isinstance(obj, core.DataFrame):
        if call.kwargs.get("raw"):
            mode = "raw"
        else:
            mode = "rows" if _axis(call, 1) == 1 else "columns"
    return wrap_callables(call, True, source, mode)


def apply(call):
    obj = call.instance
    src = PROV.get(obj)
    user = call.user
    func = call.arg(0, "func")
    target = target_of(call)
    if target is None:
        return None
    if user is None:  # a string, a ufunc, a list/dict of them: like agg/transform
        return aggregate_like(call, src, func)
    if src is None and not user.results and not user.touched:
        return None
    op = call.op()
    hashed = user.hashed
    if isinstance(src, Values) or src is None:
        base = [src.col] if isinstance(src, Values) else []
        extra = list(user.results.values()) + user.touched
        col = union(base + extra, op, T, approximate=bool(user.touched) and not base, masking=hashed) \
            if base + extra else None
        if col is None:
            return None
        if isinstance(target, core.DataFrame):
            return emit_frame(call, target, {label: col for label in core.labels(target.columns)}, src)
        return emit_values(call, target, col, src)
    # a DataFrame
    if user.mode == "rows" or user.mode == "raw":
        if user.mode == "raw":
            cols, approximate = list(src.columns.values()), True
        else:
            cols, approximate = user.read_cols(src)
        cols = cols + user.touched
        col = union(cols, op, T, approximate=approximate, masking=hashed)
        if isinstance(target, core.DataFrame):
            return emit_frame(call, target, {label: col for label in core.labels(target.columns)}, src)
        return emit_values(call, target, col, src)
    # column-wise: each column's function result by label
    results = user.results
    if isinstance(target, core.DataFrame):
        columns = {}
        for label in core.labels(target.columns):
            col = results.get(label) if _has(results, label) else None
            if col is None:
                base = src.columns.get(label) if _has(src.columns, label) else None
                col = step(base, op, T, hashed) if base is not None else union(list(src.columns.values()), op, T,
                                                                                 approximate=True)
            elif hashed:
                col = step(col, op, T, True)
            columns[label] = col
        return emit_frame(call, target, columns, src)
    cols = [c for c in results.values()] or list(src.columns.values())
    subtype = A if not results else I
    return emit_values(call, target, union(cols, op, subtype, masking=hashed), src, index=())


def _has(mapping, label) -> bool:
    try:
        return label in mapping
    except TypeError:
        return False


def aggregate_like(call, src, func):
    """agg/aggregate/transform/apply with strings, lists or dicts of function names."""
    target = target_of(call)
    if src is None or target is None:
        return None
    op = call.op()
    name = call.name.rsplit(".", 1)[-1]
    if name == "transform":
        subtype = A if isinstance(func, str) and func in AGG_NAMES else T
    elif name == "apply" and isinstance(func, str) and func not in AGG_NAMES:
        subtype = T
    else:
        subtype = A
    if isinstance(src, Values):
        col = step(src.col, op, subtype)
        if isinstance(target, core.DataFrame):
            return emit_frame(call, target, {label: col for label in core.labels(target.columns)}, src)
        return emit_values(call, target, col, src, index=src.index if subtype != A else ())
    if isinstance(target, core.DataFrame):
        columns = {}
        fallback = None
        for label in core.labels(target.columns):
            key = label
            if not _has(src.columns, key) and isinstance(label, tuple) and label and _has(src.columns, label[0]):
                key = label[0]
            col = src.columns.get(key) if _has(src.columns, key) else None
            if col is None:
                if fallback is None:
                    fallback = union(list(src.columns.values()), None, I, approximate=True)
                col = fallback
            columns[label] = step(col, op, subtype)
        index = src.index if subtype != A else ()
        return emit_frame(call, target, columns, src, index=index)
    if isinstance(target, core.Series):
        if isinstance(func, dict):
            labels = list(func)
        else:
            try:
                labels = list(target.index) if len(target.index) <= 2 * len(src.columns) + 8 else []
            except Exception:  # noqa: BLE001
                labels = []
        cols = [src.columns[label] for label in labels if _has(src.columns, label)]
        return emit_values(call, target, union(cols or list(src.columns.values()), op, subtype), src, index=())
    return emit_values(call, target, union(list(src.columns.values()), op, subtype), src, index=())


def agg(call):
    if call.user is not None:
        return apply_agg_callable(call)
    return aggregate_like(call, PROV.get(call.instance), call.arg(0, "func"))


def apply_agg_callable(call):
    """agg/transform with a user function: per column results, aggregated."""
    src = PROV.get(call.instance)
    user = call.user
    target = target_of(call)
    if target is None or (src is None and not user.results):
        return None
    op = call.op()
    name = call.name.rsplit(".", 1)[-1]
    subtype = T if name == "transform" else A
    if isinstance(src, Values) or src is None:
        cols = ([src.col] if src is not None else []) + list(user.results.values()) + user.touched
        col = union(cols, op, subtype, masking=user.hashed)
        if isinstance(target, core.DataFrame):
            return emit_frame(call, target, {label: col for label in core.labels(target.columns)}, src)
        return emit_values(call, target, col, src, index=src.index if src is not None and subtype == T else ())
    if isinstance(target, core.DataFrame):
        columns = {}
        for label in core.labels(target.columns):
            key = label
            if not _has(src.columns, key) and isinstance(label, tuple) and label and _has(src.columns, label[0]):
                key = label[0]
            col = user.results.get(key) if _has(user.results, key) else None
            base = src.columns.get(key) if _has(src.columns, key) else None
            if col is None and base is None:
                col = union(list(src.columns.values()), None, I, approximate=True)
            col = union([c for c in (base, col) if c is not None], op, subtype, masking=user.hashed)
            columns[label] = col
        return emit_frame(call, target, columns, src, index=src.index if subtype == T else ())
    cols = list(user.results.values()) or list(src.columns.values())
    return emit_values(call, target, union(cols, op, subtype, masking=user.hashed), src, index=())


def elementwise_map(call):
    """Series.map / DataFrame.map(applymap) / Series.apply with an element function, Series.replace ..."""
    obj = call.instance
    src = PROV.get(obj)
    user = call.user
    arg = call.arg(0, "arg" if isinstance(obj, core.Series) else "func")
    lookup = prov(arg) if arg is not None and not callable(arg) and not isinstance(arg, (str, dict)) else None
    if src is None and lookup is None and (user is None or not user.touched):
        return None
    target = target_of(call)
    if target is None:
        return None
    op = call.op()
    hashed = user is not None and user.hashed
    extra = []
    if lookup is not None:
        extra.append(col_of(lookup))
    if user is not None and user.touched:
        extra.extend(user.touched)
    approximate = user is not None and bool(user.touched)
    if src is None:
        src = core.blank_frame(obj) if isinstance(obj, core.DataFrame) else Values(EMPTY)
    if isinstance(src, Frame) and isinstance(target, core.DataFrame):
        extra_col = union(extra) if extra else None
        columns = map_columns(src, obj.columns, target.columns, op, T, extra_col, hashed)
        if approximate:
            columns = {label: Col(col.edges, col.history, True) for label, col in columns.items()}
        return emit_frame(call, target, columns, src)
    if isinstance(src, Values):
        col = union([src.col] + extra, op, T, approximate=approximate, masking=hashed)
        return emit(call, target, Values(col, src.index, src.rows, src.row_history))
    return None


def pipe(call):
    return None


# ---------------------------------------------------------------------------------------------
# assign


def prepare_assign(call):
    obj = call.instance
    kwargs = call.kwargs
    if not kwargs:
        return None
    base = PROV.get(obj)
    state = {"columns": dict(base.columns) if isinstance(base, Frame) else None, "done": {}, "base": base}
    user = UserCall(call, base, "frames")
    call.user = user
    changed = False
    new_kwargs = {}
    for name, value in kwargs.items():
        if core._is_user_function(value):
            new_kwargs[name] = track(value, user, _assign_before(state, name, kwargs),
                                     _assign_after(state, name))
            changed = True
        else:
            new_kwargs[name] = value
    call.kwargs = dict(kwargs)
    call.kwargs["__olmp_state__"] = state
    return (call.args, new_kwargs) if changed else None


def _current(state, kwargs, upto):
    base = state["base"]
    columns = dict(state["columns"]) if state["columns"] is not None else {}
    rows = base.rows if isinstance(base, Frame) else NO_EDGES
    for name, value in kwargs.items():
        if name == upto:
            break
        if name in state["done"]:
            columns[name] = state["done"][name]
        else:
            columns[name] = value_col(prov(value), rows)
    return Frame(columns, base.index if isinstance(base, Frame) else (), rows,
                 base.row_history if isinstance(base, Frame) else None)


def _assign_before(state, name, kwargs):
    def before(args):
        if args and isinstance(args[0], core.DataFrame):
            frame = _current(state, kwargs, name)
            if state["columns"] is None and not any(c.edges for c in frame.columns.values()):
                return
            PROV.set(args[0], frame)

    return before


def _assign_after(state, name):
    def after(args, result):
        found = prov(result)
        base = state["base"]
        state["done"][name] = value_col(found, base.rows if isinstance(base, Frame) else NO_EDGES)

    return after


def assign(call):
    obj = call.instance
    state = call.kwargs.get("__olmp_state__")
    kwargs = {k: v for k, v in call.kwargs.items() if k != "__olmp_state__"}
    base = PROV.get(obj) if state is None else state["base"]
    done = state["done"] if state is not None else {}
    target = call.result
    if not isinstance(target, core.DataFrame):
        return None
    if base is None and not done and not any(prov(v) is not None for v in kwargs.values()):
        return None
    columns = dict(base.columns) if isinstance(base, Frame) else {label: EMPTY for label in core.labels(obj.columns)}
    rows = base.rows if isinstance(base, Frame) else NO_EDGES
    for name, value in kwargs.items():
        columns[name] = done[name] if name in done else value_col(prov(value), rows)
    for label in core.labels(target.columns):
        columns.setdefault(label, EMPTY)
    return emit_frame(call, target, columns, base if isinstance(base, Frame) else None)


# ---------------------------------------------------------------------------------------------
# index <-> columns


def set_index(call):
    obj = call.instance
    src = PROV.get(obj)
    keys = call.arg(0, "keys")
    if not isinstance(src, Frame):
        found = [prov(k) for k in (keys if isinstance(keys, list) else [keys]) if not is_label(k)]
        if not any(found):
            return None
        src = core.blank_frame(obj)
    target = target_of(call)
    if not isinstance(target, core.DataFrame):
        return None
    key_list = keys if isinstance(keys, list) else [keys]
    index = []
    if call.kwargs.get("append"):
        index.extend(src.index or [EMPTY] * obj.index.nlevels)
    for key in key_list:
        if is_label(key) and _has(src.columns, key):
            index.append(src.columns[key])
        else:
            cols = key_cols(src, obj, key) if not is_label(key) else []
            index.append(union(cols) if cols else EMPTY)
    columns = {label: src.columns.get(label, EMPTY) for label in target.columns if _has_label(label)}
    return emit_frame(call, target, columns, src, index=tuple(index))


def _has_label(label) -> bool:
    try:
        hash(label)
        return True
    except TypeError:
        return False


def reset_index(call):
    obj = call.instance
    src = PROV.get(obj)
    if src is None:
        return None
    target = target_of(call)
    if target is None:
        return None
    drop = call.kwargs.get("drop", False)
    level = call.kwargs.get("level", call.args[0] if call.args else None)
    try:
        nlevels = obj.index.nlevels if target is not obj else max(len(src.index), 1)
        names = list(obj.index.names) if target is not obj else [None] * nlevels
    except Exception:  # noqa: BLE001
        return None
    index_cols = list(src.index) + [EMPTY] * (nlevels - len(src.index))
    if level is None:
        reset = list(range(nlevels))
    else:
        levels = level if isinstance(level, (list, tuple)) else [level]
        reset = []
        for item in levels:
            if isinstance(item, int) and item not in names:
                reset.append(item)
            elif item in names:
                reset.append(names.index(item))
        reset.sort()
    kept_index = tuple(index_cols[i] for i in range(nlevels) if i not in reset)
    if not any(c.edges for c in kept_index):
        kept_index = ()
    if isinstance(src, Values):
        if not isinstance(target, core.DataFrame):
            return emit_values(call, target, src.col, src, index=kept_index)
        labels = list(core.labels(target.columns))
        columns = {}
        n_new = len(labels) - 1
        for i, label in enumerate(labels):
            if i < n_new and i < len(reset):
                columns[label] = index_cols[reset[i]]
            else:
                columns[label] = src.col
        return emit_frame(call, target, columns, src, index=kept_index)
    if not isinstance(target, core.DataFrame):
        return None
    labels = list(core.labels(target.columns))
    old = src.columns
    columns = {}
    n_new = 0 if drop else len(labels) - len(old)
    for i, label in enumerate(labels):
        if i < n_new and i < len(reset):
            col = index_cols[reset[i]]
        else:
            col = old.get(label, EMPTY) if _has_label(label) else EMPTY
        columns[label] = col if label not in columns else union((columns[label], col))
    return emit_frame(call, target, columns, src, index=kept_index)


# ---------------------------------------------------------------------------------------------
# constructors and conversions


def frame_init(call):
    df = call.instance
    data = call.arg(0, "data")
    if data is None or isinstance(data, (str, bytes, int, float)):
        return None
    columns = {}
    found_any = False
    rows: set = set()
    index = ()
    if isinstance(data, dict):
        if len(data) > 100_000:
            return None
        founds = {}
        for label, value in data.items():
            found = prov(value) if not isinstance(value, (str, int, float, list)) else None
            if found is not None:
                founds[label] = found
        if founds:
            found_any = True
            # rows every value shares shape the frame; the others stay with their column
            shared = None
            for found in founds.values():
                shared = set(found.rows) if shared is None else shared & found.rows
                if not index and getattr(found, "index", ()):
                    index = found.index
            rows.update(shared or ())
            for label, found in founds.items():
                columns[label] = value_col(found, frozenset(rows))
    elif isinstance(data, core.DataFrame):
        found = PROV.get(data)
        if isinstance(found, Frame):
            found_any = True
            columns = dict(found.columns)
            rows.update(found.rows)
            index = found.index
    elif isinstance(data, (core.Series, core.ndarray)):
        found = prov(data)
        if found is not None:
            found_any = True
            rows.update(getattr(found, "rows", ()))
            index = getattr(found, "index", ()) or ()
            col = value_col(found, frozenset(rows))
            approximate = isinstance(data, core.ndarray) and getattr(data, "ndim", 1) > 1
            for label in core.labels(df.columns):
                columns[label] = Col(col.edges, col.history, True) if approximate else col
    elif isinstance(data, (list, tuple)) and data and len(data) <= 10_000 and isinstance(
            data[0], (core.Series, core.DataFrame, core.ndarray)):
        found = [prov(item) for item in data]
        found = [f for f in found if f is not None]
        if found:
            found_any = True
            col = union([col_of(f) for f in found], approximate=True)
            for label in core.labels(df.columns):
                columns[label] = col
    if not found_any:
        return None
    out = {}
    for label in core.labels(df.columns):
        out[label] = columns.get(label, EMPTY) if _has_label(label) else EMPTY
    frame = Frame(out, index, frozenset(rows))
    PROV.set(df, frame)
    return frame


def series_init(call):
    series = call.instance
    data = call.arg(0, "data")
    if data is None or isinstance(data, (str, bytes, int, float, list, dict)):
        return None
    found = prov(data)
    if found is None:
        return None
    values = Values(value_col(found), getattr(found, "index", ()), getattr(found, "rows", NO_EDGES))
    PROV.set(series, values)
    return values


def to_numpy(call):
    src = PROV.get(call.instance)
    if src is None:
        return None
    col = src.col if isinstance(src, Values) else flatten(src)
    return emit_values(call, call.result, col, src)


def to_frame(call):
    src = PROV.get(call.instance)
    target = call.result
    if not isinstance(src, Values) or not isinstance(target, core.DataFrame):
        return None
    return emit_frame(call, target, {label: src.col for label in core.labels(target.columns)}, src)


def squeeze(call):
    src = PROV.get(call.instance)
    result = call.result
    if src is None or result is None:
        return None
    if isinstance(src, Frame) and isinstance(result, core.Series):
        name = getattr(result, "name", None)
        col = src.columns.get(name) if _has(src.columns, name) else None
        return emit_values(call, result, col if col is not None else flatten(src), src)
    return emit(call, result, src)

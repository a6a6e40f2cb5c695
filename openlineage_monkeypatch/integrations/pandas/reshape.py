"""merge / join / concat and the reshaping operations (melt, pivot, stack, dummies ...)."""

from __future__ import annotations

from ... import run
from ...lineage import model
from ...lineage.model import EMPTY, GROUP_BY, JOIN, Frame, Values
from . import core
from .common import A, I, T, emit_frame, emit_values, key_cols, merge_rows, row_edges, step, union
from .core import PROV, col_of, is_label, prov


def _has(mapping, label) -> bool:
    try:
        return label in mapping
    except TypeError:
        return False


def _frame(obj):
    found = PROV.get(obj)
    if isinstance(found, Frame):
        return found
    if isinstance(found, Values) and isinstance(obj, core.Series):
        name = obj.name
        return Frame({name: found.col}, found.index, found.rows, found.row_history)
    if isinstance(obj, core.Series):
        return Frame({obj.name: EMPTY})
    return core.blank_frame(obj)


def _labels(obj):
    if isinstance(obj, core.Series):
        return [obj.name]
    return list(core.labels(obj.columns))


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


def merge_frames(call, left, right, how, on, left_on, right_on, left_index, right_index, suffixes, indicator):
    result = call.result
    if not isinstance(result, core.DataFrame):
        return None
    lp, rp = PROV.get(left), PROV.get(right)
    if lp is None and rp is None:
        return None
    lf, rf = _frame(left), _frame(right)
    l_labels, r_labels = _labels(left), _labels(right)
    on, left_on, right_on = _as_list(on), _as_list(left_on), _as_list(right_on)
    if not on and not left_on and not right_on and not left_index and not right_index:
        on = [label for label in l_labels if label in set(r_labels)]
    if on:
        left_on = right_on = on
    l_keys = _key_cols(lf, left, left_on) if left_on else (list(lf.index) if left_index else [])
    r_keys = _key_cols(rf, right, right_on) if right_on else (list(rf.index) if right_index else [])
    rows = row_edges(l_keys + r_keys, JOIN) | lf.rows | rf.rows
    op = call.op()
    lsuf, rsuf = (suffixes or ("_x", "_y")) if not isinstance(suffixes, str) else (suffixes, "")
    common_keys = set()
    for lk, rk in zip(left_on, right_on):
        if is_label(lk) and is_label(rk) and lk == rk:
            common_keys.add(lk)
    overlap = (set(l_labels) & set(r_labels)) - common_keys
    mapping: dict = {}
    for label in l_labels:
        out = label
        if label in overlap and lsuf:
            out = f"{label}{lsuf}"
        col = lf.col(label)
        if label in common_keys:
            r_col = rf.col(label)
            if how == "right":
                col = r_col
            elif how in ("outer", "full"):
                col = union((col, r_col))
        mapping[out] = col
    for label in r_labels:
        if label in common_keys:
            continue
        out = f"{label}{rsuf}" if label in overlap and rsuf else label
        col = rf.col(label)
        if out in mapping:
            mapping[out] = union((mapping[out], col))
        else:
            mapping[out] = col
    if indicator:
        name = indicator if isinstance(indicator, str) else "_merge"
        mapping[name] = union(l_keys + r_keys, op, T) if l_keys or r_keys else EMPTY
    columns = {}
    fallback = None
    for label in core.labels(result.columns):
        col = mapping.get(label) if _has(mapping, label) else None
        if col is None:
            if fallback is None:
                fallback = union(list(lf.columns.values()) + list(rf.columns.values()), None, I, approximate=True)
            col = fallback
        columns[label] = col
    index = ()
    if left_index and right_index:
        if how == "right":
            index = rf.index
        elif how in ("outer", "full"):
            index = tuple(union((a, b)) for a, b in zip(lf.index, rf.index)) if lf.index and rf.index else ()
        else:
            index = lf.index
    elif left_index and not right_index:
        index = rf.index
    elif right_index and not left_index:
        index = lf.index
    frame = Frame(columns, index, rows, model.node(op.name, op.location, tuple(
        h for h in (lf.row_history, rf.row_history) if h is not None)))
    PROV.set(result, frame)
    return frame


def _key_cols(frame, obj, keys):
    out = []
    for key in keys:
        if is_label(key):
            cols = key_cols(frame, obj, key)
            out.extend(cols)
        else:
            col = col_of(prov(key))
            if col is not None:
                out.append(col)
    return out


def frame_merge(call):
    left = call.instance
    right = call.arg(0, "right")
    return merge_frames(call, left, right, call.kwargs.get("how", "inner"), call.kwargs.get("on"),
                        call.kwargs.get("left_on"), call.kwargs.get("right_on"),
                        call.kwargs.get("left_index", False), call.kwargs.get("right_index", False),
                        call.kwargs.get("suffixes", ("_x", "_y")), call.kwargs.get("indicator", False))


def pd_merge(call):
    left = call.arg(0, "left")
    right = call.arg(1, "right")
    how = call.arg(2, "how", "inner")
    return merge_frames(call, left, right, how, call.arg(3, "on"), call.kwargs.get("left_on"),
                        call.kwargs.get("right_on"), call.kwargs.get("left_index", False),
                        call.kwargs.get("right_index", False), call.kwargs.get("suffixes", ("_x", "_y")),
                        call.kwargs.get("indicator", False))


def pd_merge_asof(call):
    left = call.arg(0, "left")
    right = call.arg(1, "right")
    frame = merge_frames(call, left, right, "left", call.kwargs.get("on"), call.kwargs.get("left_on"),
                         call.kwargs.get("right_on"), call.kwargs.get("left_index", False),
                         call.kwargs.get("right_index", False), call.kwargs.get("suffixes", ("_x", "_y")), False)
    if frame is not None and call.kwargs.get("by") is not None:
        lf, rf = _frame(left), _frame(right)
        by = _as_list(call.kwargs.get("by"))
        extra = row_edges(_key_cols(lf, left, by) + _key_cols(rf, right, by), JOIN)
        frame = Frame(frame.columns, frame.index, frame.rows | extra, frame.row_history)
        PROV.set(call.result, frame)
    return frame


def join(call):
    left = call.instance
    other = call.arg(0, "other")
    on = call.kwargs.get("on")
    how = call.kwargs.get("how", "left")
    lsuffix, rsuffix = call.kwargs.get("lsuffix", ""), call.kwargs.get("rsuffix", "")
    if isinstance(other, (list, tuple)):
        result = call.result
        frames = [left] + list(other)
        found = [PROV.get(f) for f in frames]
        if not any(f is not None for f in found):
            return None
        fs = [_frame(f) for f in frames]
        keys = [c for f in fs for c in f.index]
        rows = row_edges(keys, JOIN)
        for f in fs:
            rows = rows | f.rows
        columns = {}
        by_label = {}
        for f, obj in zip(fs, frames):
            for label in _labels(obj):
                col = f.col(label)
                by_label[label] = union((by_label[label], col)) if label in by_label else col
        for label in core.labels(result.columns):
            columns[label] = by_label.get(label, EMPTY) if _has(by_label, label) else EMPTY
        frame = Frame(columns, fs[0].index, rows)
        PROV.set(result, frame)
        return frame
    if on is not None:
        return merge_frames(call, left, other, how, None, on, None, False, True, (lsuffix, rsuffix), False)
    return merge_frames(call, left, other, how, None, None, None, True, True, (lsuffix, rsuffix), False)


def concat(call):
    objs = call.arg(0, "objs")
    if isinstance(objs, dict):
        objs = list(objs.values())
    try:
        objs = [o for o in objs if o is not None]
    except TypeError:
        return None
    result = call.result
    if not objs or result is None:
        return None
    found = [PROV.get(o) for o in objs]
    if not any(f is not None for f in found):
        return None
    axis = call.kwargs.get("axis", 0)
    rows = merge_rows(*found)
    if axis in (1, "columns"):
        if not isinstance(result, core.DataFrame):
            return None
        ordered = []
        for obj, f in zip(objs, found):
            frame = _frame(obj)
            for label in _labels(obj):
                ordered.append(frame.col(label))
        labels = list(core.labels(result.columns))
        if len(ordered) == len(labels):
            columns = {}
            for label, col in zip(labels, ordered):
                columns[label] = col if label not in columns else union((columns[label], col))
        else:
            every = union(ordered, approximate=True)
            columns = {label: every for label in labels}
        index = ()
        for f in found:
            if f is not None and f.index:
                index = f.index
                break
        frame = Frame(columns, index, rows)
        PROV.set(result, frame)
        return frame
    if isinstance(result, core.Series):
        col = union([col_of(f) for f in found if f is not None])
        return emit_values(call, result, col, None, rows, index=_union_index(found))
    if not isinstance(result, core.DataFrame):
        return None
    by_label: dict = {}
    for obj in objs:
        frame = _frame(obj)
        for label in _labels(obj):
            col = frame.col(label)
            if label in by_label:
                if by_label[label] is not col:
                    by_label[label] = union((by_label[label], col))
            else:
                by_label[label] = col
    columns = {}
    for label in core.labels(result.columns):
        columns[label] = by_label.get(label, EMPTY) if _has(by_label, label) else EMPTY
    index = () if call.kwargs.get("ignore_index") else _union_index(found)
    frame = Frame(columns, index, rows)
    PROV.set(result, frame)
    return frame


def _union_index(found) -> tuple:
    indexes = [f.index for f in found if f is not None and f.index]
    if not indexes:
        return ()
    width = min(len(i) for i in indexes)
    return tuple(union([i[level] for i in indexes]) for level in range(width))


# ---------------------------------------------------------------------------------------------
# reshaping


def melt(call):
    frame_obj = call.instance if isinstance(call.instance, core.DataFrame) else call.arg(0, "frame")
    src = PROV.get(frame_obj)
    result = call.result
    if not isinstance(src, Frame) or not isinstance(result, core.DataFrame):
        return None
    offset = 0 if isinstance(call.instance, core.DataFrame) else 1
    id_vars = _as_list(call.arg(offset, "id_vars"))
    value_vars = call.arg(offset + 1, "value_vars")
    value_vars = _as_list(value_vars) if value_vars is not None else [
        label for label in core.labels(frame_obj.columns) if label not in set(id_vars)]
    var_name = call.arg(offset + 2, "var_name") or "variable"
    value_name = call.arg(offset + 3, "value_name", "value")
    op = call.op()
    value_col = union([src.col(v) for v in value_vars if _has(src.columns, v)], op, I)
    columns = {}
    for label in core.labels(result.columns):
        if _has(src.columns, label) and label in id_vars:
            columns[label] = src.columns[label]
        elif label == value_name:
            columns[label] = value_col
        elif label == var_name:
            columns[label] = EMPTY
        else:
            columns[label] = src.col(label) if _has(src.columns, label) else EMPTY
    return emit_frame(call, result, columns, src, index=())


def pivot_table(call, aggregate: bool):
    frame_obj = call.instance if isinstance(call.instance, core.DataFrame) else call.arg(0, "data")
    src = PROV.get(frame_obj)
    result = call.result
    if not isinstance(src, Frame) or result is None:
        return None
    offset = 0 if isinstance(call.instance, core.DataFrame) else 1
    if aggregate:
        values = call.arg(offset, "values")
        index = call.arg(offset + 1, "index")
        columns_key = call.arg(offset + 2, "columns")
    else:
        columns_key = call.arg(offset, "columns")
        index = call.arg(offset + 1, "index")
        values = call.arg(offset + 2, "values")
    op = call.op()
    subtype = A if aggregate else I
    index_cols = key_cols(src, frame_obj, _as_list(index)) if index is not None else list(src.index)
    column_cols = key_cols(src, frame_obj, _as_list(columns_key)) if columns_key is not None else []
    used = set(_as_list(index)) | set(_as_list(columns_key))
    value_labels = _as_list(values) if values is not None else [
        label for label in src.columns if _has_hashable(label) and label not in used]
    rows = row_edges(index_cols + column_cols, GROUP_BY)
    if isinstance(result, core.Series):
        col = union([src.col(v) for v in value_labels if _has(src.columns, v)], op, subtype)
        return emit_values(call, result, col, src, rows, op, index=tuple(index_cols))
    if not isinstance(result, core.DataFrame):
        return None
    by_value = {v: step(src.col(v), op, subtype) for v in value_labels if _has(src.columns, v)}
    every = union(list(by_value.values()), None, I, approximate=len(by_value) > 1) if by_value else EMPTY
    out = {}
    for label in core.labels(result.columns):
        head = label[0] if isinstance(label, tuple) and label else label
        if _has(by_value, head) and (len(value_labels) > 1 or isinstance(label, tuple)):
            col = by_value[head]
        elif len(by_value) == 1:
            col = next(iter(by_value.values()))
        else:
            col = every
        out[label] = col
    index_tuple = tuple(index_cols) if index_cols else ()
    return emit_frame(call, result, out, src, rows, op, index=index_tuple)


def _has_hashable(label) -> bool:
    try:
        hash(label)
        return True
    except TypeError:
        return False


def stack_like(call):
    """stack/unstack/transpose/explode of columns into rows or back: the union, approximate."""
    obj = call.instance
    src = PROV.get(obj)
    result = call.result
    if src is None or result is None:
        return None
    name = call.name
    run.opaque_operation(name)
    op = call.op()
    every = col_of(src)
    approx = union([every], op, I, approximate=True) if every is not None and every.edges else EMPTY
    if isinstance(result, core.DataFrame):
        columns = {}
        for label in core.labels(result.columns):
            head = label[0] if isinstance(label, tuple) and label else label
            if isinstance(src, Frame) and _has(src.columns, label):
                columns[label] = src.columns[label]
            elif isinstance(src, Frame) and _has(src.columns, head) and name.endswith("unstack"):
                columns[label] = src.columns[head]
            else:
                columns[label] = approx
        return emit_frame(call, result, columns, src if isinstance(src, Frame) else None, index=())
    return emit_values(call, result, approx, src, index=())


def explode(call):
    obj = call.instance
    src = PROV.get(obj)
    result = call.result
    if src is None or result is None:
        return None
    op = call.op()
    if isinstance(src, Values):
        return emit_values(call, result, step(src.col, op, T), src)
    column = call.arg(0, "column")
    exploded = set(_as_list(column))
    columns = {}
    for label in core.labels(result.columns):
        col = src.col(label)
        columns[label] = step(col, op, T) if label in exploded else col
    return emit_frame(call, result, columns, src)


def get_dummies(call):
    data = call.arg(0, "data")
    src = PROV.get(data)
    result = call.result
    if src is None or not isinstance(result, core.DataFrame):
        return None
    op = call.op()
    if isinstance(src, Values):
        col = step(src.col, op, T)
        return emit_frame(call, result, {label: col for label in core.labels(result.columns)}, src)
    encoded = call.kwargs.get("columns")
    prefix_sep = call.kwargs.get("prefix_sep", "_")
    if encoded is None:
        try:
            encoded = [label for label, dtype in data.dtypes.items()
                       if dtype == object or str(dtype) in ("category", "string", "str") or
                       str(dtype).startswith("string")]
        except Exception:  # noqa: BLE001
            encoded = []
    prefixes = call.kwargs.get("prefix")
    if isinstance(prefixes, dict):
        names = {label: prefixes.get(label, label) for label in encoded}
    elif isinstance(prefixes, list):
        names = dict(zip(encoded, prefixes))
    elif isinstance(prefixes, str):
        names = {label: prefixes for label in encoded}
    else:
        names = {label: label for label in encoded}
    columns = {}
    for label in core.labels(result.columns):
        if _has(src.columns, label) and label not in names:
            columns[label] = src.columns[label]
            continue
        hit = None
        for source_label, prefix in names.items():
            if isinstance(label, str) and label.startswith(f"{prefix}{prefix_sep}"):
                hit = source_label
                break
        if hit is not None:
            columns[label] = step(src.col(hit), op, T)
        else:
            columns[label] = union([src.col(e) for e in encoded], op, T, approximate=True)
    return emit_frame(call, result, columns, src)


def crosstab(call):
    index = call.arg(0, "index")
    columns_arg = call.arg(1, "columns")
    values = call.kwargs.get("values")
    result = call.result
    keys = [col_of(prov(k)) for k in _as_list(index) + _as_list(columns_arg)]
    keys = [k for k in keys if k is not None]
    values_col = col_of(prov(values)) if values is not None else None
    if not keys and values_col is None or not isinstance(result, core.DataFrame):
        return None
    op = call.op()
    rows = row_edges(keys, GROUP_BY)
    col = step(values_col, op, A) if values_col is not None else EMPTY
    index_cols = tuple(c for c in (col_of(prov(k)) for k in _as_list(index)) if c is not None)
    frame = Frame({label: col for label in core.labels(result.columns)}, index_cols, rows)
    PROV.set(result, frame)
    return frame


def elementwise_function(subtype=T, masking=False, position=0, name="arg"):
    """pd.to_numeric / to_datetime / cut / qcut / hash_pandas_object ... of one value."""

    def handler(call):
        value = call.arg(position, name)
        found = prov(value)
        result = call.result
        if found is None or result is None:
            return None
        op = call.op()
        if isinstance(found, Frame):
            if isinstance(result, core.DataFrame):
                columns = {label: step(found.col(label), op, subtype, masking) for label in core.labels(result.columns)}
                return emit_frame(call, result, columns, found)
            col = union(list(found.columns.values()), op, subtype, masking=masking)
            return emit_values(call, result, col, found)
        col = step(found.col, op, subtype, masking) if found.col.edges else found.col
        if isinstance(result, tuple):  # factorize, cut(retbins=True)
            if result:
                emit_values(call, result[0], col, found)
            return None
        if isinstance(result, core.DataFrame):
            return emit_frame(call, result, {label: col for label in core.labels(result.columns)}, found)
        return emit_values(call, result, col, found)

    return handler


def instrument(integration, pd) -> None:
    patch = core.patch
    patch(integration, pd.DataFrame, "merge", frame_merge, "DataFrame.merge")
    patch(integration, pd.DataFrame, "join", join, "DataFrame.join")
    patch(integration, pd, "merge", pd_merge, "pandas.merge")
    patch(integration, pd, "merge_asof", pd_merge_asof, "pandas.merge_asof")
    patch(integration, pd, "merge_ordered", pd_merge, "pandas.merge_ordered")
    patch(integration, pd, "concat", concat, "pandas.concat", callables=None)
    patch(integration, pd, "melt", melt, "pandas.melt")
    patch(integration, pd.DataFrame, "melt", melt, "DataFrame.melt")
    patch(integration, pd, "pivot_table", lambda call: pivot_table(call, True), "pandas.pivot_table")
    patch(integration, pd.DataFrame, "pivot_table", lambda call: pivot_table(call, True), "DataFrame.pivot_table")
    patch(integration, pd, "pivot", lambda call: pivot_table(call, False), "pandas.pivot")
    patch(integration, pd.DataFrame, "pivot", lambda call: pivot_table(call, False), "DataFrame.pivot")
    for owner in (pd.DataFrame, pd.Series):
        for name in ("stack", "unstack", "transpose"):
            patch(integration, owner, name, stack_like, f"{owner.__name__}.{name}")
        patch(integration, owner, "explode", explode, f"{owner.__name__}.explode")
    patch(integration, pd, "get_dummies", get_dummies, "pandas.get_dummies")
    patch(integration, pd, "crosstab", crosstab, "pandas.crosstab")
    for name in ("to_numeric", "to_datetime", "to_timedelta"):
        patch(integration, pd, name, elementwise_function(T), f"pandas.{name}")
    for name in ("cut", "qcut"):
        patch(integration, pd, name, elementwise_function(T, position=0, name="x"), f"pandas.{name}")
    patch(integration, pd, "factorize", elementwise_function(T, position=0, name="values"), "pandas.factorize")
    patch(integration, pd, "unique", elementwise_function(I, position=0, name="values"), "pandas.unique")
    patch(integration, pd, "isna", elementwise_function(T, position=0, name="obj"), "pandas.isna")
    patch(integration, pd, "isnull", elementwise_function(T, position=0, name="obj"), "pandas.isnull")
    patch(integration, pd, "notna", elementwise_function(T, position=0, name="obj"), "pandas.notna")
    patch(integration, pd, "notnull", elementwise_function(T, position=0, name="obj"), "pandas.notnull")
    hashing = elementwise_function(T, masking=True, position=0, name="obj")
    try:
        import pandas.util as pd_util

        patch(integration, pd_util, "hash_pandas_object", hashing, "pandas.util.hash_pandas_object")
        patch(integration, pd_util, "hash_array", elementwise_function(T, masking=True, position=0, name="vals"),
              "pandas.util.hash_array")
    except Exception:  # noqa: BLE001
        pass
    try:
        from pandas.core.util import hashing as core_hashing

        patch(integration, core_hashing, "hash_pandas_object", hashing, "pandas.util.hash_pandas_object")
    except Exception:  # noqa: BLE001
        pass

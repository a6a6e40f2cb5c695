"""Handlers shared by DataFrame and Series methods: selection, assignment, element-wise steps,
row-shaping steps (filters, sorts, de-duplication), reductions, binary operators, where/mask."""

from __future__ import annotations

from ... import run
from ...lineage import model
from ...lineage.model import AGGREGATION, CONDITIONAL, EMPTY, FILTER, NO_EDGES, SORT, Col, Frame, Values
from . import core
from .common import (I, T, emit, emit_frame, emit_values, expression_labels, index_levels, key_cols, map_columns,
                     merge_rows, row_edges, step, target_of, union, with_extra)
from .core import PROV, col_of, flatten, frame_prov, is_bool_mask, is_label, prov


def _is_frame(obj) -> bool:
    return isinstance(obj, core.DataFrame)


def _is_series(obj) -> bool:
    return isinstance(obj, core.Series)


def source_of(obj):
    """(Frame or Values of obj, or None)."""
    return PROV.get(obj)


def source_and_target(call):
    """(provenance of the called object, what the call produced), or (None, None) when either is unknown."""
    src = PROV.get(call.instance)
    if src is None:
        return None, None
    return src, target_of(call)


def keep_columns(call, src, target, rows: frozenset = NO_EDGES):
    """Record target with src's columns unchanged (matched by label) and `rows` as row-shaping edges."""
    op = call.op() if rows else None
    if isinstance(src, Frame) and _is_frame(target):
        return emit_frame(call, target, map_columns(src, call.instance.columns, target.columns), src, rows, op)
    if isinstance(src, Values):
        return emit_values(call, target, src.col, src, rows, op)
    return None


def value_col(found, rows: frozenset = NO_EDGES) -> Col:
    """The Col a value brings into a frame column; its row edges the frame lacks become column edges."""
    if found is None:
        return EMPTY
    if isinstance(found, Frame):
        col = flatten(found)
    elif isinstance(found, Values):
        col = found.col
    else:
        return EMPTY
    extra = found.rows - rows if found.rows else NO_EDGES
    if extra:
        col = model.with_edges(col, extra)
    return col


def conditional(found, rows: frozenset = NO_EDGES) -> frozenset:
    """The edges a condition adds to the values it chose: its sources as CONDITIONAL, and the row edges
    of the condition that the target's rows lack."""
    col = col_of(found)
    edges = set(model.compose_indirect(col.edges, CONDITIONAL)) if col is not None and col.edges else set()
    if found is not None and getattr(found, "rows", None):
        edges.update(found.rows - rows)
    return frozenset(edges)


def mask_rows(found) -> frozenset:
    """The row edges of filtering by a boolean mask."""
    col = col_of(found)
    edges = set(model.compose_indirect(col.edges, FILTER)) if col is not None and col.edges else set()
    if found is not None and getattr(found, "rows", None):
        edges.update(found.rows)
    return frozenset(edges)


def _callable_result(call):
    user = call.user
    if user is None or not user.results:
        return None
    col = union(user.results.values())
    return Values(col)


# ---------------------------------------------------------------------------------------------
# DataFrame selection and assignment


def df_getitem(call):
    df = call.instance
    key = call.args[0] if call.args else None
    result = call.result
    src = PROV.get(df)
    if type(key) is str or (is_label(key) and not callable(key)):
        if src is None or not isinstance(src, Frame):
            return None
        if _is_series(result):
            col = src.columns.get(key)
            if col is None:
                return None
            return emit_values(call, result, col, src)
        if _is_frame(result):  # a partial label of MultiIndex columns
            return emit_frame(call, result, _sub_columns(src, key, result.columns), src)
        return None
    if callable(key):
        key_found = _callable_result(call)
    else:
        key_found = prov(key) if not isinstance(key, (list, slice)) else None
    if src is None and key_found is None:
        return None
    src = src if isinstance(src, Frame) else core.blank_frame(df)
    if not _is_frame(result):
        if _is_series(result):
            return emit_values(call, result, flatten(src), src)
        return None
    if isinstance(key_found, Frame) or _is_frame(key):  # df[df > 0]: a where()
        columns = {}
        for label in core.labels(result.columns):
            cond = key_found.col(label) if isinstance(key_found, Frame) else EMPTY
            columns[label] = model.with_edges(src.col(label), model.compose_indirect(cond.edges, CONDITIONAL))
        return emit_frame(call, result, columns, src)
    if (key_found is not None and (callable(key) or is_bool_mask(key))) or is_bool_mask(key):
        rows = mask_rows(key_found)
        columns = map_columns(src, df.columns, result.columns)
        return emit_frame(call, result, columns, src, rows, call.op())
    if isinstance(key, slice):
        return emit_frame(call, result, map_columns(src, df.columns, result.columns), src)
    return emit_frame(call, result, select(src, result.columns), src)


def _sub_columns(src: Frame, key, labels) -> dict:
    columns = src.columns
    out = {}
    fallback = None
    for label in labels:
        full = (key,) + label if isinstance(label, tuple) else (key, label)
        col = columns.get(full)
        if col is None:
            col = columns.get(label)
        if col is None:
            if fallback is None:
                fallback = _approx(src)
            col = fallback
        out[label] = col
    return out


def _approx(src: Frame) -> Col:
    col = flatten(src)
    return Col(col.edges, col.history, True) if col.edges else EMPTY


def select(src: Frame, labels) -> dict:
    """label -> Col for a selection of existing columns (unknown labels over-approximate)."""
    columns = src.columns
    out = {}
    fallback = None
    for label in labels:
        try:
            col = columns.get(label)
        except TypeError:
            col = None
        if col is None:
            if fallback is None:
                fallback = _approx(src)
            col = fallback
        out[label] = col
    return out


def df_setitem(call):
    df = call.instance
    if len(call.args) < 2:
        return None
    key, value = call.args[0], call.args[1]
    src = PROV.get(df)
    found = prov(value) if not isinstance(value, (str, int, bool)) else None
    key_found = prov(key) if not is_label(key) and not isinstance(key, (list, slice)) else None
    if src is None and found is None and key_found is None:
        return None
    src = src if isinstance(src, Frame) else core.blank_frame(df)
    columns = dict(src.columns)
    if is_label(key):
        if isinstance(found, Frame) and _is_frame(value) and len(value.columns) == 1:
            col = value_col(Values(found.col(value.columns[0]), found.index, found.rows), src.rows)
        else:
            col = value_col(found, src.rows)
        if key not in columns and len(columns) + 1 != len(df.columns):
            # the frame has columns we did not see: give them no sources rather than lose their labels
            for label in core.labels(df.columns):
                if label not in columns:
                    columns[label] = EMPTY
        columns[key] = col
        return emit_frame(call, df, columns, src)
    if _is_frame(key) or isinstance(key_found, Frame):  # df[df < 0] = 0
        for label in core.labels(df.columns):
            cond = key_found.col(label) if isinstance(key_found, Frame) else EMPTY
            old = columns.get(label, EMPTY)
            columns[label] = model.with_edges(union((old, value_col(found))),
                                              model.compose_indirect(cond.edges, CONDITIONAL))
        return emit_frame(call, df, columns, src)
    if key_found is not None or is_bool_mask(key) or isinstance(key, slice):  # rows assignment
        cond = conditional(key_found, src.rows)
        extra = value_col(found)
        for label in core.labels(df.columns):
            old = columns.get(label, EMPTY)
            columns[label] = model.with_edges(union((old, extra)), cond)
        return emit_frame(call, df, columns, src)
    labels = list(key) if isinstance(key, (list, tuple)) or hasattr(key, "__iter__") else [key]
    if _is_frame(value) and isinstance(found, Frame) and len(value.columns) == len(labels):
        for label, source_label in zip(labels, core.labels(value.columns)):
            columns[label] = value_col(Values(found.col(source_label), found.index, found.rows), src.rows)
    else:
        col = value_col(found, src.rows)
        for label in labels:
            columns[label] = col
    for label in core.labels(df.columns):
        if label not in columns:
            columns[label] = EMPTY
    return emit_frame(call, df, columns, src)


def df_delitem(call):
    src = frame_prov(call.instance)
    if src is None or not call.args:
        return None
    columns = {label: col for label, col in src.columns.items() if label != call.args[0]}
    return emit_frame(call, call.instance, columns, src)


def df_pop(call):
    df = call.instance
    src = frame_prov(df)
    if src is None:
        return None
    item = call.arg(0, "item")
    col = src.columns.get(item, EMPTY) if is_label(item) else EMPTY
    emit_values(call, call.result, col, src)
    columns = {label: c for label, c in src.columns.items() if label != item}
    return emit_frame(call, df, columns, src)


def df_insert(call):
    df = call.instance
    column = call.arg(1, "column")
    value = call.arg(2, "value")
    src = PROV.get(df)
    found = prov(value)
    if src is None and found is None:
        return None
    src = src if isinstance(src, Frame) else core.blank_frame(df)
    columns = dict(src.columns)
    columns[column] = value_col(found, src.rows)
    return emit_frame(call, df, columns, src)


def df_isetitem(call):
    df = call.instance
    loc, value = call.arg(0, "loc"), call.arg(1, "value")
    src = PROV.get(df)
    found = prov(value)
    if src is None and found is None:
        return None
    src = src if isinstance(src, Frame) else core.blank_frame(df)
    columns = dict(src.columns)
    try:
        locs = loc if isinstance(loc, (list, tuple)) else [loc]
        for position in locs:
            columns[df.columns[position]] = value_col(found, src.rows)
    except Exception:  # noqa: BLE001
        return None
    return emit_frame(call, df, columns, src)


def df_set_axis_private(call):
    """df.columns = [...] / df.index = [...] (the axis property setters call _set_axis)."""
    df = call.instance
    src = PROV.get(df)
    if src is None or len(call.args) < 2:
        return None
    axis = call.args[0]
    labels = call.args[1]
    if isinstance(src, Frame):
        # the manager's axes: for a DataFrame 0 is the columns, 1 the index
        if axis == 0:
            old = list(src.columns.items())
            try:
                new_labels = list(core.labels(df.columns))
            except Exception:  # noqa: BLE001
                return None
            if len(new_labels) == len(old):
                columns = {}
                for label, (_, col) in zip(new_labels, old):
                    columns[label] = col if label not in columns else union((columns[label], col))
                frame = Frame(columns, src.index, src.rows, src.row_history)
                PROV.set(df, frame)
                return frame
            return None
        # a new index replaces the old one: its provenance is that of the labels given
        found = prov(labels)
        index = (col_of(found),) if found is not None else ()
        frame = Frame(src.columns, index, src.rows, src.row_history)
        PROV.set(df, frame)
        return frame
    if isinstance(src, Values) and axis == 0:
        found = prov(labels)
        values = Values(src.col, (col_of(found),) if found is not None else (), src.rows, src.row_history)
        PROV.set(df, values)
        return values
    return None


# ---------------------------------------------------------------------------------------------
# Steps that keep columns


def keep(subtype: str | None = None, extra_args: bool = False, named_step: bool = True):
    """Every column (or the Series' values) as it was, or after a DIRECT step of `subtype`.

    extra_args: tracked values among the arguments (a fill value, a lower bound Series ...) join each
    column as a TRANSFORMATION.
    """

    def handler(call):
        obj = call.instance
        src = PROV.get(obj)
        extra = None
        if extra_args and (call.args or call.kwargs):
            found = core.arg_provs(call.args, call.kwargs)
            if found:
                extra = union([col_of(f) for f in found])
                if not extra.edges:
                    extra = None
                elif src is None:
                    src = core.blank_frame(obj) if _is_frame(obj) else Values(EMPTY)
        if src is None:
            return None
        target = target_of(call)
        if target is None:
            return None
        hashed = call.user is not None and call.user.hashed
        sub = subtype
        touched = call.user.touched if call.user is not None else None
        if touched:
            more = union(touched)
            extra = more if extra is None else union((extra, more))
        op = call.op() if (sub is not None or extra is not None) and named_step else None
        if isinstance(src, Frame):
            if _is_frame(target):
                columns = map_columns(src, obj.columns, target.columns, op, sub, extra, hashed)
                return emit_frame(call, target, columns, src)
            if _is_series(target):  # squeeze, a one-column result
                col = flatten(src)
                return emit_values(call, target, with_extra(col, extra, op, sub) if sub else col, src)
            return None
        if isinstance(src, Values):
            col = src.col
            if extra is not None:
                col = model.combine((col, extra), op, sub or T, hashed)
            elif sub is not None or hashed:
                col = step(col, op, sub or T, hashed)
            if _is_frame(target):  # str.split(expand=True), to_frame ...
                return emit_frame(call, target, {label: col for label in core.labels(target.columns)}, src)
            return emit_values(call, target, col, src)
        return None

    return handler


def identity_reshape(call):
    """head/tail/copy/...: same columns, same edges."""
    obj = call.instance
    src = PROV.get(obj)
    target = target_of(call)
    if isinstance(target, tuple) and len(target) == 2 and call.name.endswith(".align"):
        other = PROV.get(call.arg(0, "other"))
        for item, found in zip(target, (src, other)):
            if found is not None:
                emit(call, item, found)
        return None
    if src is None or target is None:
        return None
    if isinstance(src, Frame) and _is_frame(target):
        return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src)
    if isinstance(src, Values) and _is_series(target):
        PROV.set(target, src)
        return src
    return emit(call, target, src)


def rename_like(call):
    """rename/add_prefix/set_axis ...: columns by position, a history step where the label changed."""
    obj = call.instance
    src, target = source_and_target(call)
    if target is None:
        return None
    if isinstance(src, Values):
        PROV.set(target, src)
        return src
    if not _is_frame(target):
        return None
    old_labels = core.labels(obj.columns) if target is not obj else tuple(src.columns)
    mapper = call.kwargs.get("columns", call.args[0] if call.args and call.name.endswith("rename") else None)
    new_labels = _renamed_labels(target.columns, old_labels, mapper) if isinstance(mapper, dict) else None
    if new_labels is None:
        new_labels = core.labels(target.columns)
    if len(old_labels) != len(new_labels):
        return emit_frame(call, target, map_columns(src, None, new_labels), src)
    columns_in = src.columns
    try:
        columns = dict(zip(new_labels, map(columns_in.get, old_labels, (EMPTY,) * len(old_labels))))
    except TypeError:
        return None
    if len(columns) != len(new_labels):  # duplicate labels after the rename: unions
        columns = {}
        for new, old in zip(new_labels, old_labels):
            col = columns_in.get(old, EMPTY)
            columns[new] = col if new not in columns else union((columns[new], col))
    if isinstance(mapper, dict):
        changed = _changed_by_mapping(mapper, old_labels, new_labels)
    else:
        changed = [new for new, old in zip(new_labels, old_labels) if new != old]
    if changed:
        op = call.op()
        for new in changed:
            col = columns.get(new)
            if col is not None and col.edges:
                columns[new] = col.then(op)
    return emit_frame(call, target, columns, src)


def _renamed_labels(index, old_labels, mapper: dict):
    """The labels after renaming by a dict, reading only the renamed positions from the new Index
    (converting a wide string Index to Python costs far more than the rename itself)."""
    where = core.positions(old_labels) if isinstance(old_labels, tuple) else None
    if where is None or len(index) != len(old_labels):
        return None
    new = list(old_labels)
    try:
        for old in mapper:
            i = where.get(old) if core.is_label(old) else None
            if i is not None:
                new[i] = index[i]
    except Exception:  # noqa: BLE001
        return None
    return tuple(new)


def _changed_by_mapping(mapper: dict, old_labels, new_labels) -> list:
    where = core.positions(old_labels) if isinstance(old_labels, tuple) else None
    if where is None:
        return [new for new, old in zip(new_labels, old_labels) if old in mapper and new != old]
    out = []
    for old in mapper:
        i = where.get(old) if core.is_label(old) else None
        if i is not None and new_labels[i] != old:
            out.append(new_labels[i])
    return out


def astype(call):
    obj = call.instance
    src = PROV.get(obj)
    if src is None:
        return None
    target = call.result
    dtype = call.arg(0, "dtype")
    op = call.op()
    if isinstance(src, Frame) and _is_frame(target):
        if isinstance(dtype, dict):
            columns = dict(map_columns(src, obj.columns, target.columns))
            for label in dtype:
                if label in columns:
                    columns[label] = step(columns[label], op, I)
            return emit_frame(call, target, columns, src)
        return emit_frame(call, target, map_columns(src, obj.columns, target.columns, op, I), src)
    if isinstance(src, Values):
        return emit_values(call, target, step(src.col, op, I), src)
    return None


def drop(call):
    src, target = source_and_target(call)
    if target is None:
        return None
    axis = call.kwargs.get("axis", 0)
    rows_dropped = call.kwargs.get("index") is not None or (
        call.kwargs.get("columns") is None and axis in (0, "index") and call.has(0, "labels"))
    rows = NO_EDGES
    if rows_dropped and src.index:
        rows = row_edges(src.index, FILTER)
    return keep_columns(call, src, target, rows)


# ---------------------------------------------------------------------------------------------
# Row-shaping steps


def _sort_keys(call, src, obj, by):
    if isinstance(src, Values):
        return [src.col]
    return key_cols(src, obj, by)


def sort_values(call):
    obj = call.instance
    src, target = source_and_target(call)
    if target is None:
        return None
    axis = call.kwargs.get("axis", 0)
    if isinstance(src, Frame):
        if axis in (1, "columns"):
            return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src)
        by = call.arg(0, "by")
        rows = row_edges(_sort_keys(call, src, obj, by), SORT)
        return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src, rows, call.op())
    rows = row_edges([src.col], SORT)
    return emit_values(call, target, src.col, src, rows, call.op())


def sort_index(call):
    obj = call.instance
    src, target = source_and_target(call)
    if target is None:
        return None
    axis = call.kwargs.get("axis", 0)
    level = call.kwargs.get("level")
    if axis in (1, "columns"):
        rows = NO_EDGES
    else:
        keys = list(src.index) if level is None else index_levels(src, obj, level)
        rows = row_edges(keys, SORT)
    return keep_columns(call, src, target, rows)


def _subset_cols(call, src, obj, position: int = 0, name: str = "subset"):
    if isinstance(src, Values):
        return [src.col]
    subset = call.arg(position, name)
    if subset is None:
        return list(src.columns.values())
    return key_cols(src, obj, subset if isinstance(subset, list) else
                    (list(subset) if isinstance(subset, tuple) and subset not in src.columns else subset))


def drop_duplicates(call):
    obj = call.instance
    src, target = source_and_target(call)
    if target is None:
        return None
    rows = row_edges(_subset_cols(call, src, obj), FILTER)
    keep_arg = call.kwargs.get("keep", "first" if len(call.args) < 2 else call.args[1])
    if keep_arg is not False and src.rows:
        # which duplicate survives depends on the order the rows are in
        rows = rows | frozenset((e[0], model.INDIRECT, FILTER, False) for e in src.rows if e[2] == SORT)
    return keep_columns(call, src, target, rows)


def dropna(call):
    obj = call.instance
    src, target = source_and_target(call)
    if target is None:
        return None
    axis = call.kwargs.get("axis", call.args[0] if call.args else 0)
    if isinstance(src, Frame):
        if axis in (1, "columns"):
            return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src)
        subset = call.kwargs.get("subset")
        cols = list(src.columns.values()) if subset is None else key_cols(src, obj, subset if isinstance(
            subset, list) else list(subset) if isinstance(subset, tuple) else subset)
        rows = row_edges(cols, FILTER)
        return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src, rows, call.op())
    rows = row_edges([src.col], FILTER)
    return emit_values(call, target, src.col, src, rows, call.op())


def nlargest(call):
    obj = call.instance
    src = PROV.get(obj)
    if src is None:
        return None
    target = call.result
    if isinstance(src, Frame):
        cols = key_cols(src, obj, call.arg(1, "columns"))
        rows = row_edges(cols, SORT) | row_edges(cols, FILTER)
        return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src, rows, call.op())
    rows = row_edges([src.col], SORT) | row_edges([src.col], FILTER)
    return emit_values(call, target, src.col, src, rows, call.op())


def _user_namespace_value(name: str):
    """The value of a local/global variable of the user's calling frame (for query '@name')."""
    import sys

    frame = sys._getframe(1)
    prefixes = tuple(model._skip_prefixes)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(prefixes) and not filename.startswith("<frozen"):
            if name in frame.f_locals:
                return frame.f_locals[name]
            return frame.f_globals.get(name)
        frame = frame.f_back
    return None


def _expression_cols(src: Frame, obj, expr: str) -> list[Col]:
    labels = expression_labels(expr, list(src.columns))
    cols = [src.columns[label] for label in labels]
    try:
        names = [n for n in obj.index.names if n is not None]
    except Exception:  # noqa: BLE001
        names = []
    import re

    for name in names + ["index"]:
        if isinstance(name, str) and re.search(rf"(?<![\w@.`]){re.escape(name)}(?!\w)", expr):
            if name == "index" and "index" in src.columns:
                continue
            cols.extend(src.index if name == "index" else index_levels(src, obj, name))
    for match in re.finditer(r"@([A-Za-z_][A-Za-z_0-9]*)", expr):
        found = prov(_user_namespace_value(match.group(1)))
        col = col_of(found)
        if col is not None:
            cols.append(col)
    return cols


def query(call):
    obj = call.instance
    src = PROV.get(obj)
    expr = call.arg(0, "expr")
    if not isinstance(src, Frame) or not isinstance(expr, str):
        return None
    target = target_of(call)
    if not _is_frame(target):
        return None
    rows = row_edges(_expression_cols(src, obj, expr), FILTER)
    return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src, rows, call.op())


def df_eval(call):
    import re

    obj = call.instance
    src = PROV.get(obj)
    expr = call.arg(0, "expr")
    if not isinstance(src, Frame) or not isinstance(expr, str):
        return None
    target = target_of(call)
    op = call.op()
    assignments = []
    for line in re.split(r"[\n;]", expr):
        match = re.match(r"^\s*`?([^`=<>!]+?)`?\s*=(?!=)(.*)$", line)
        if match:
            assignments.append((match.group(1).strip(), match.group(2)))
    if assignments and _is_frame(target):
        columns = dict(map_columns(src, obj.columns, target.columns) if target is not obj else src.columns)
        current = Frame(dict(src.columns), src.index, src.rows)
        for name, rhs in assignments:
            cols = _expression_cols(current, obj, rhs)
            col = union(cols, op, T) if cols else EMPTY
            current.columns[name] = col
            columns[name] = col
        for label in core.labels(target.columns):
            columns.setdefault(label, EMPTY)
        return emit_frame(call, target, columns, src)
    cols = _expression_cols(src, obj, expr)
    if not cols:
        return None
    return emit_values(call, call.result, union(cols, op, T), src)


def filter_labels(call):
    obj = call.instance
    src = PROV.get(obj)
    if src is None:
        return None
    target = call.result
    axis = call.kwargs.get("axis")
    if isinstance(src, Frame) and _is_frame(target):
        if axis in (0, "index"):
            rows = row_edges(src.index, FILTER)
            return emit_frame(call, target, map_columns(src, obj.columns, target.columns), src, rows, call.op())
        return emit_frame(call, target, select(src, target.columns), src)
    if isinstance(src, Values):
        return emit_values(call, target, src.col, src, row_edges(src.index, FILTER), call.op())
    return None


def select_columns(call):
    obj = call.instance
    src = frame_prov(obj)
    target = call.result
    if src is None or not _is_frame(target):
        return identity_reshape(call)
    return emit_frame(call, target, select(src, target.columns), src)


def reindex(call):
    obj = call.instance
    src = PROV.get(obj)
    if src is None:
        return None
    target = call.result
    if isinstance(src, Frame) and _is_frame(target):
        columns = {label: src.columns.get(label, EMPTY) for label in core.labels(target.columns)}
        return emit_frame(call, target, columns, src)
    if isinstance(src, Values):
        return emit_values(call, target, src.col, src)
    return None


# ---------------------------------------------------------------------------------------------
# where / mask (and Series.case_when, numpy.where live in numpy_funcs)


def where(call):
    obj = call.instance
    src = PROV.get(obj)
    cond = call.arg(0, "cond")
    other = call.arg(1, "other")
    user = call.user
    cond_found = other_found = None
    if callable(cond) or callable(other):
        results = user.results if user is not None else {}
        # both callables report into one UserCall: attribute by position of the calls
        cond_found = Values(union(results.values())) if results and callable(cond) else None
        if callable(other) and not callable(cond):
            other_found = Values(union(results.values())) if results else None
    if not callable(cond):
        cond_found = prov(cond)
    if not callable(other):
        other_found = prov(other)
    if src is None and cond_found is None and other_found is None:
        return None
    target = target_of(call)
    if target is None:
        return None
    if src is None:
        src = core.blank_frame(obj) if _is_frame(obj) else Values(EMPTY)
    op = call.op()
    if isinstance(src, Frame):
        columns = {}
        labels = target.columns if _is_frame(target) else list(src.columns)
        for label in labels:
            parts = [src.col(label)]
            if isinstance(other_found, Frame):
                parts.append(other_found.col(label))
            elif other_found is not None:
                parts.append(col_of(other_found))
            if isinstance(cond_found, Frame):
                cond_edges = model.compose_indirect(cond_found.col(label).edges, CONDITIONAL)
            else:
                cond_edges = conditional(cond_found, src.rows)
            col = union(parts, None, I) if any(p.edges for p in parts) else EMPTY
            cond_col = cond_found.col(label) if isinstance(cond_found, Frame) else col_of(cond_found)
            columns[label] = model.with_edges(col, cond_edges, op, [cond_col])
        return emit_frame(call, target, columns, src)
    parts = [src.col]
    if other_found is not None:
        parts.append(col_of(other_found))
    col = union(parts, None, I)
    col = model.with_edges(col, conditional(cond_found, src.rows), op, [col_of(cond_found)])
    return emit_values(call, target, col, src)


# ---------------------------------------------------------------------------------------------
# Reductions and binary operators


def reduce(subtype: str = AGGREGATION, axis_position: int | None = 0):
    def handler(call):
        obj = call.instance
        src = PROV.get(obj)
        if src is None:
            return None
        result = call.result
        op = call.op()
        if src.rows and subtype == AGGREGATION and any(e[2] == SORT for e in src.rows):
            # an aggregate does not depend on the order the rows were in
            rows = frozenset(e for e in src.rows if e[2] != SORT)
            src = Frame(src.columns, src.index, rows, src.row_history) if isinstance(src, Frame) else \
                Values(src.col, src.index, rows, src.row_history)
        if isinstance(src, Values):
            col = step(src.col, op, subtype)
            if _is_frame(result):
                return emit_frame(call, result, {label: col for label in core.labels(result.columns)}, None)
            if _is_series(result):
                return emit_values(call, result, col, src, index=())
            return emit_values(call, result, col, src, index=())
        axis = call.kwargs.get("axis", call.args[axis_position] if axis_position is not None and len(
            call.args) > axis_position and not isinstance(call.args[axis_position], (list, dict)) else 0)
        if axis in (1, "columns"):
            cols = list(src.columns.values())
            if call.kwargs.get("numeric_only"):
                try:
                    numeric = set(obj.select_dtypes("number").columns)
                    cols = [c for label, c in src.columns.items() if label in numeric]
                except Exception:  # noqa: BLE001
                    pass
            col = union(cols, op, T)
            if _is_series(result):
                return emit_values(call, result, col, src)
            if _is_frame(result):
                return emit_frame(call, result, {label: col for label in core.labels(result.columns)}, src)
            return None
        if _is_series(result):
            try:  # one value per column (never walk a row index: it can have millions of labels)
                labels = list(result.index) if len(result.index) <= 2 * len(src.columns) + 8 else []
            except Exception:  # noqa: BLE001
                labels = []
            cols = [src.columns[label] for label in labels if _hashable_in(label, src.columns)]
            if not cols:
                cols = list(src.columns.values())
            return emit_values(call, result, union(cols, op, subtype), src, index=())
        if _is_frame(result):
            columns = {}
            fallback = None
            for label in core.labels(result.columns):
                col = src.columns.get(label) if _hashable_in(label, src.columns) else None
                if col is None:
                    if fallback is None:
                        fallback = union(list(src.columns.values()), None, I, approximate=True)
                    col = fallback
                columns[label] = step(col, op, subtype)
            return emit_frame(call, result, columns, src, index=())
        col = union(list(src.columns.values()), op, subtype)
        return emit_values(call, result, col, src, index=())

    return handler


def _hashable_in(label, mapping) -> bool:
    try:
        return label in mapping
    except TypeError:
        return False


def binary(call):
    obj = call.instance
    src = PROV.get(obj)
    other = call.args[0] if call.args else call.kwargs.get("other")
    other_found = prov(other) if not isinstance(other, (str, int, bool)) else None
    if src is None and other_found is None:
        return None
    result = call.result
    if result is None or result is NotImplemented:
        return None
    op = call.op()
    if src is None:
        src = core.blank_frame(obj) if _is_frame(obj) else Values(EMPTY)
    if isinstance(src, Frame):
        if not _is_frame(result):
            col = union(list(src.columns.values()) + ([col_of(other_found)] if other_found else []), op, T)
            return emit_values(call, result, col, src)
        columns = {}
        other_col = col_of(other_found) if isinstance(other_found, Values) else None
        for label in core.labels(result.columns):
            parts = [src.col(label)]
            if isinstance(other_found, Frame):
                parts.append(other_found.col(label))
            elif other_col is not None:
                parts.append(other_col)
            columns[label] = union(parts, op, T) if any(p.edges for p in parts) else EMPTY
        return emit_frame(call, result, columns, src, merge_rows(other_found))
    # Series
    if _is_frame(result):
        if isinstance(other_found, Frame):
            columns = {label: union((src.col, other_found.col(label)), op, T) for label in core.labels(result.columns)}
        else:
            col = union((src.col, col_of(other_found)), op, T)
            columns = {label: col for label in core.labels(result.columns)}
        return emit_frame(call, result, columns, None, merge_rows(src, other_found), index=src.index)
    parts = (src.col, col_of(other_found)) if other_found is not None else (src.col,)
    col = union(parts, op, T)
    if isinstance(result, tuple):  # divmod
        for item in result:
            emit_values(call, item, col, src, merge_rows(other_found) - src.rows)
        return None
    # merge_rows(other_found) - src.rows, without the call for the one operand
    other_rows = getattr(other_found, "rows", None) if other_found is not None else None
    return emit_values(call, result, col, src, frozenset(other_rows) - src.rows if other_rows else None)


def unary(call):
    obj = call.instance
    src = PROV.get(obj)
    if src is None:
        return None
    result = call.result
    op = call.op()
    if isinstance(src, Frame) and _is_frame(result):
        return emit_frame(call, result, map_columns(src, obj.columns, result.columns, op, T), src)
    if isinstance(src, Values):
        return emit_values(call, result, step(src.col, op, T), src)
    return None


# ---------------------------------------------------------------------------------------------
# Fallback: an operation we do not model


def opaque(name: str):
    def handler(call):
        obj = call.instance
        src = PROV.get(obj)
        found = core.arg_provs(call.args, call.kwargs)
        if src is None and not found:
            return None
        target = target_of(call)
        if target is None or not isinstance(target, (core.DataFrame, core.Series, core.ndarray)):
            return None
        parts = []
        if isinstance(src, (Frame, Values)):
            parts.append(col_of(src))
        parts.extend(col_of(f) for f in found if isinstance(f, (Frame, Values)))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        run.opaque_operation(name)
        col = union(parts, call.op(), T, approximate=True)
        base = src if isinstance(src, (Frame, Values)) else None
        if _is_frame(target):
            columns = {label: col for label in core.labels(target.columns)}
            return emit_frame(call, target, columns, base if isinstance(base, Frame) else None,
                              merge_rows(*found), call.op())
        return emit_values(call, target, col, base, merge_rows(*found), call.op())

    return handler

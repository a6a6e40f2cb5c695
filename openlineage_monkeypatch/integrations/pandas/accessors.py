"""The .str / .dt / .cat accessors: every method (and .dt property) transforms the column's values."""

from __future__ import annotations

from ...lineage.model import EMPTY, Values
from . import core
from .common import T, emit_frame, emit_values, step, union
from .core import PROV, col_of


def _parent(accessor):
    found = PROV.get(accessor)
    if found is not None:
        return accessor
    for name in ("_orig", "_parent", "orig", "_data"):
        obj = getattr(accessor, name, None)
        if obj is not None:
            return obj
    return None


def accessor_method(call):
    accessor = call.instance
    parent = _parent(accessor)
    src = PROV.get(parent) if parent is not None else None
    if not isinstance(src, Values):
        extra = core.arg_provs(call.args, call.kwargs)
        if not extra:
            return None
        src = Values(EMPTY)
    else:
        extra = core.arg_provs(call.args, call.kwargs) if (call.args or call.kwargs) else []
    result = call.result
    if result is None:
        return None
    op = call.op()
    if extra:
        col = union([src.col] + [col_of(f) for f in extra if col_of(f) is not None], op, T)
    else:
        col = step(src.col, op, T)
    if isinstance(result, core.DataFrame):
        return emit_frame(call, result, {label: col for label in core.labels(result.columns)}, src)
    if isinstance(result, (core.Series, core.ndarray)):
        return emit_values(call, result, col, src)
    if isinstance(result, core.Index):
        return None
    return emit_values(call, result, col, src, index=())


def _remember_parent(call):
    data = call.args[0] if call.args else None
    found = PROV.get(data) if data is not None else None
    if isinstance(found, Values):
        PROV.set(call.instance, found)
    return None


def _property_with_lineage(name: str, prop: property, owner_name: str):
    label = f"Series.{owner_name}.{name}"
    spec_handler = accessor_method
    local = core.local

    def fget(accessor):
        value = prop.fget(accessor)
        if local.depth:
            return value
        call = core.Call(label, accessor, (), {})
        call.result = value
        from ... import _guard

        _guard.call(core.INTEGRATION, spec_handler, call)
        return value

    return property(fget, prop.fset, prop.fdel, prop.__doc__)


def instrument(integration, pd) -> None:
    patch = core.patch
    try:
        from pandas.core.strings.accessor import StringMethods
    except Exception:  # noqa: BLE001
        StringMethods = None
    if StringMethods is not None:
        for name, value in list(vars(StringMethods).items()):
            if name.startswith("_") and name != "__getitem__":
                continue
            if callable(value) and not isinstance(value, (property, type, staticmethod, classmethod)):
                patch(integration, StringMethods, name, accessor_method, f"Series.str.{name}")
    try:
        from pandas.core.indexes import accessors as dt_accessors
    except Exception:  # noqa: BLE001
        dt_accessors = None
    if dt_accessors is not None:
        for cls_name in ("DatetimeProperties", "TimedeltaProperties", "PeriodProperties", "ArrowTemporalProperties"):
            cls = getattr(dt_accessors, cls_name, None)
            if cls is None:
                continue
            for name, value in list(vars(cls).items()):
                if name.startswith("_"):
                    continue
                if isinstance(value, property) and value.fget is not None:
                    integration.patcher.replace(cls, name, _property_with_lineage(name, value, "dt"))
                elif callable(value) and not isinstance(value, (type, staticmethod, classmethod)):
                    patch(integration, cls, name, accessor_method, f"Series.dt.{name}")
    try:
        from pandas.core.arrays.categorical import CategoricalAccessor
    except Exception:  # noqa: BLE001
        CategoricalAccessor = None
    if CategoricalAccessor is not None:
        # the accessor keeps the Categorical, not the Series: note the Series' provenance on it
        patch(integration, CategoricalAccessor, "__init__", _remember_parent, "Series.cat", callables=None)
        for name, value in list(vars(CategoricalAccessor).items()):
            if name.startswith("_"):
                continue
            if isinstance(value, property) and value.fget is not None and name == "codes":
                integration.patcher.replace(CategoricalAccessor, name, _property_with_lineage(name, value, "cat"))
            elif callable(value) and not isinstance(value, (type, staticmethod, classmethod, property)):
                patch(integration, CategoricalAccessor, name, accessor_method, f"Series.cat.{name}")

"""numpy.where / numpy.select, ufuncs on pandas objects (__array_ufunc__), Series.case_when, and
hashing inside the user's functions (hashlib / hmac)."""

from __future__ import annotations

from ...lineage import model
from ...lineage.model import CONDITIONAL, EMPTY, Col, Frame, Values
from . import _state, core
from .common import A, I, T, emit_frame, emit_values, merge_rows, union
from .core import PROV, col_of, prov


def _cond_edges(found, rows=frozenset()) -> frozenset:
    col = col_of(found)
    edges = set(model.compose_indirect(col.edges, CONDITIONAL)) if col is not None and col.edges else set()
    if found is not None and getattr(found, "rows", None):
        edges.update(found.rows - rows)
    return frozenset(edges)


def _base(found_list):
    for found in found_list:
        if isinstance(found, (Values, Frame)) and (found.index or found.rows):
            return found
    for found in found_list:
        if isinstance(found, (Values, Frame)):
            return found
    return None


def np_where(call):
    if len(call.args) + len(call.kwargs) < 3 and len(call.args) != 3:
        return None  # where(cond) returns indices
    cond, x, y = (list(call.args) + [None, None, None])[:3]
    found_cond, found_x, found_y = prov(cond), prov(x), prov(y)
    if found_cond is None and found_x is None and found_y is None:
        return None
    op = call.op()
    chosen = [col_of(f) for f in (found_x, found_y) if f is not None]
    col = union(chosen, None, I) if chosen else Col()
    base = _base([found_cond, found_x, found_y])
    col = model.with_edges(col, _cond_edges(found_cond, base.rows if base is not None else frozenset()), op,
                           [col_of(found_cond)])
    return emit_values(call, call.result, col, base, index=base.index if base is not None else ())


def np_select(call):
    condlist = call.arg(0, "condlist")
    choicelist = call.arg(1, "choicelist")
    default = call.arg(2, "default")
    try:
        conds = [prov(c) for c in condlist]
        choices = [prov(c) for c in choicelist]
    except TypeError:
        return None
    found_default = prov(default)
    if not any(f is not None for f in conds + choices) and found_default is None:
        return None
    op = call.op()
    chosen = [col_of(f) for f in choices + [found_default] if f is not None]
    col = union(chosen, None, I) if chosen else Col()
    base = _base(conds + choices)
    edges: set = set()
    for found in conds:
        edges.update(_cond_edges(found, base.rows if base is not None else frozenset()))
    col = model.with_edges(col, frozenset(edges), op, [col_of(f) for f in conds])
    return emit_values(call, call.result, col, base, index=base.index if base is not None else ())


def case_when(call):
    series = call.instance
    src = PROV.get(series)
    caselist = call.arg(0, "caselist")
    parts = [src.col] if src is not None else []
    edges: set = set()
    conds = []
    try:
        for cond, value in caselist:
            found_cond = prov(cond)
            conds.append(col_of(found_cond))
            edges.update(_cond_edges(found_cond, src.rows if src is not None else frozenset()))
            found_value = prov(value)
            if found_value is not None:
                parts.append(col_of(found_value))
    except (TypeError, ValueError):
        return None
    if not parts and not edges:
        return None
    col = union(parts, None, I) if parts else Col()
    col = model.with_edges(col, frozenset(edges), call.op(), conds)
    return emit_values(call, call.result, col, src)


def array_ufunc(call):
    """np.log(s), np.maximum(s1, s2), ndarray + Series ... (method '__call__', 'reduce' ...)."""
    if len(call.args) < 2:
        return None
    method = call.args[1]
    inputs = call.args[2:]
    found = [prov(i) for i in inputs]
    found = [f for f in found if f is not None]
    if not found:
        return None
    result = call.result
    op = call.op()
    subtype = A if method in ("reduce", "accumulate", "reduceat") else T
    frames = [f for f in found if isinstance(f, Frame)]
    if isinstance(result, core.DataFrame):
        others = [col_of(f) for f in found if not isinstance(f, Frame)]
        columns = {}
        for label in core.labels(result.columns):
            parts = [f.col(label) for f in frames] + others
            columns[label] = union(parts, op, subtype) if any(p.edges for p in parts) else EMPTY
        return emit_frame(call, result, columns, frames[0] if frames else None, merge_rows(*found))
    col = union([col_of(f) for f in found], op, subtype)
    base = _base(found)
    if isinstance(result, tuple):
        for item in result:
            emit_values(call, item, col, base)
        return None
    return emit_values(call, result, col, base, merge_rows(*found) - (base.rows if base is not None else frozenset()))


# ---------------------------------------------------------------------------------------------
# hashing inside user functions

HASH_CONSTRUCTORS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s", "sha3_224",
                     "sha3_256", "sha3_384", "sha3_512", "shake_128", "shake_256", "new", "pbkdf2_hmac", "scrypt",
                     "file_digest")


def _flagging(original):
    local = _state.local

    def hashed(*args, **kwargs):
        user = local.user
        if user is not None:
            user.hashed = True
        return original(*args, **kwargs)

    hashed.__name__ = getattr(original, "__name__", "hashed")
    hashed.__qualname__ = getattr(original, "__qualname__", hashed.__name__)
    hashed.__doc__ = getattr(original, "__doc__", None)
    hashed.__wrapped__ = original
    return hashed


def instrument_hashing(integration) -> None:
    import hashlib
    import hmac

    for name in HASH_CONSTRUCTORS:
        original = getattr(hashlib, name, None)
        if original is not None and not hasattr(original, "__wrapped__"):
            integration.patcher.replace(hashlib, name, _flagging(original))
    for name in ("new", "digest"):
        original = getattr(hmac, name, None)
        if original is not None and not hasattr(original, "__wrapped__"):
            integration.patcher.replace(hmac, name, _flagging(original))


def instrument(integration, pd) -> None:
    import numpy

    patch = core.patch
    patch(integration, numpy, "where", np_where, "numpy.where", callables=None)
    patch(integration, numpy, "select", np_select, "numpy.select", callables=None)
    for owner in (pd.DataFrame, pd.Series):
        patch(integration, owner, "__array_ufunc__", array_ufunc, f"{owner.__name__}.__array_ufunc__",
              callables=None)
    patch(integration, pd.Series, "case_when", case_when, "Series.case_when", callables="nested")
    instrument_hashing(integration)

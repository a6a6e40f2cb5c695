"""The machinery every pandas operation handler shares.

- `patch(...)` wraps one method/function: inner calls (depth > 0) pass straight through; the outermost
  call runs the original once, then a handler that computes the result's provenance.
- `Call` is what a handler sees: the instance, arguments, result, a lazily built `Op` (name + the
  user's file:line) and the `UserCall` of the user functions passed to it.
- `UserCall` + `track()` wrap the user's Python functions (apply/map/agg/assign callables) so they run
  at depth 0 (what they do is tracked) and report what they did: their results' provenance, labels
  read on an observed row, hashing, other tracked values they touched.
- provenance look-ups for any argument (DataFrame -> Frame, Series/ndarray -> Values, scalars that
  came out of a reduction -> Values through a small bounded table).

Nothing here holds a DataFrame, Series or array beyond the call that handles it.
"""

from __future__ import annotations

import functools
import types
from sys import _getframe
from collections import OrderedDict

from ... import _guard
from ...lineage import model, table
from ...lineage.model import EMPTY, NO_EDGES, Col, Frame, Values
from . import _state

INTEGRATION = "pandas"
PROV = table.provenance
_PROV_ENTRIES = PROV._entries  # PROV.get inlined on the hottest paths: id -> (weak reference, value)
local = _state.local

pd = None  # the pandas module, set at instrument time
np = None
DataFrame = Series = Index = ndarray = None
_PANDAS_TYPES: tuple = ()


def bind(pandas_module) -> None:
    """Remember the pandas/numpy classes (the integration never imports pandas itself)."""
    global pd, np, DataFrame, Series, Index, ndarray, _PANDAS_TYPES
    import numpy

    pd = pandas_module
    np = numpy
    DataFrame, Series, Index, ndarray = pd.DataFrame, pd.Series, pd.Index, numpy.ndarray
    _PANDAS_TYPES = (DataFrame, Series)


# ---------------------------------------------------------------------------------------------
# Scalars: reductions return numpy scalars, which cannot be weakly referenced. A small bounded
# table keeps the most recent ones (strong references to tiny objects, never to frames).

_SCALARS: OrderedDict = OrderedDict()
MAX_SCALARS = 512
_UNTRACKED_SCALARS = (bool, type(None), str, bytes)


def remember_scalar(obj, values: Values) -> None:
    # singletons and interned values would carry the provenance to every other use of them
    if isinstance(obj, _UNTRACKED_SCALARS) or (type(obj) is int and -5 <= obj <= 256) or (
            np is not None and isinstance(obj, np.bool_)) or obj is getattr(pd, "NA", None) or \
            obj is getattr(pd, "NaT", None):
        return
    key = id(obj)
    _SCALARS[key] = (obj, values)
    _SCALARS.move_to_end(key)
    if len(_SCALARS) > MAX_SCALARS:
        _SCALARS.popitem(last=False)


def scalar_prov(obj):
    entry = _SCALARS.get(id(obj))
    if entry is not None and entry[0] is obj:
        return entry[1]
    return None


def clear_scalars() -> None:
    _SCALARS.clear()


# ---------------------------------------------------------------------------------------------
# Labels of an axis. Iterating a pandas 3 string Index costs microseconds per element; an Index is
# immutable and results share their axis' array, so the labels are cached per array (weakly).

_LABELS = table.WeakTable()
_LABELS_ENTRIES = _LABELS._entries


def labels(index) -> tuple:
    """The labels of an Index as a tuple (cached per underlying array)."""
    data = getattr(index, "_data", None)
    owner = data if data is not None and not isinstance(data, (list, tuple)) else index
    entry = _LABELS_ENTRIES.get(id(owner))  # _LABELS.get(owner), inlined
    if entry is not None and entry[0]() is owner:
        return entry[1]
    found = _to_tuple(index, data)
    if found:
        _LABELS.set(owner, found)
    return found


_ARROW_STRINGS = ("ArrowStringArray", "ArrowStringArrayNumpySemantics")


def _to_tuple(index, data) -> tuple:
    """tuple(index.tolist()), without pandas' per-element iteration of string arrays when it can."""
    try:
        if data is not None and type(data).__name__ in _ARROW_STRINGS:
            array = data._pa_array
            if array.null_count == 0:  # missing labels come back as nan from tolist(): let pandas do those
                return tuple(array.to_pylist())
        return tuple(index.tolist()) if hasattr(index, "tolist") else tuple(index)
    except Exception:  # noqa: BLE001
        return tuple(index)


_POSITIONS: OrderedDict = OrderedDict()


def positions(names: tuple) -> dict | None:
    """label -> position for a tuple of unique labels (None when labels repeat); a small LRU cache."""
    key = id(names)
    entry = _POSITIONS.get(key)
    if entry is not None and entry[0] is names:
        return entry[1]
    try:
        found = dict(zip(names, range(len(names))))
    except TypeError:
        found = None
    if found is not None and len(found) != len(names):
        found = None
    _POSITIONS[key] = (names, found)
    if len(_POSITIONS) > 64:
        _POSITIONS.popitem(last=False)
    return found


# ---------------------------------------------------------------------------------------------
# Provenance look-ups


def prov(obj):
    """Frame/Values (or groupby/window state) recorded for obj, scalars included; None if unknown."""
    entry = _PROV_ENTRIES.get(id(obj))  # PROV.get(obj), inlined
    if entry is not None and entry[0]() is obj:
        return entry[1]
    if not isinstance(obj, (list, tuple, dict)):
        entry = _SCALARS.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
    return None


def frame_prov(obj) -> Frame | None:
    found = PROV.get(obj)
    return found if isinstance(found, Frame) else None


def values_prov(obj) -> Values | None:
    """The provenance of a one-dimensional value; a Frame is flattened into one column."""
    found = prov(obj)
    if found is None or isinstance(found, Values):
        return found
    if isinstance(found, Frame):
        return Values(flatten(found), found.index, found.rows, found.row_history)
    return None


def flatten(frame: Frame, subtype: str | None = None, op=None) -> Col:
    """Every column of a frame as one (a value computed from the whole frame)."""
    cols = list(frame.columns.values())
    if not cols:
        return EMPTY
    if len(cols) == 1 and subtype is None:
        return cols[0]
    return model.combine(cols, op, subtype or model.IDENTITY)


def blank_frame(obj) -> Frame:
    """A frame with no known sources (for untracked frames that meet tracked values)."""
    try:
        columns = {label: EMPTY for label in labels(obj.columns)}
    except Exception:  # noqa: BLE001
        columns = {}
    return Frame(columns)


def frame_or_blank(obj) -> Frame:
    found = frame_prov(obj)
    return found if found is not None else blank_frame(obj)


def series_values(frame: Frame, label) -> Values:
    """The Values of `frame[label]`."""
    return Values(frame.col(label), frame.index, frame.rows, frame.row_history)


def gather(obj, out: list, limit: int = 64) -> None:
    """Append the provenance of obj (and of pandas objects inside a list/tuple/dict) to out."""
    if isinstance(obj, (list, tuple)):
        if obj and len(obj) <= limit:
            for item in obj:
                if isinstance(item, (list, tuple, dict)):
                    continue
                found = prov(item)
                if found is not None:
                    out.append(found)
        return
    if isinstance(obj, dict):
        if obj and len(obj) <= limit:
            for item in obj.values():
                if not isinstance(item, (list, tuple, dict)):
                    found = prov(item)
                    if found is not None:
                        out.append(found)
        return
    found = prov(obj)
    if found is not None:
        out.append(found)


def arg_provs(args, kwargs, skip=()) -> list:
    out: list = []
    for index, value in enumerate(args):
        if index not in skip:
            gather(value, out)
    for name, value in kwargs.items():
        if name not in skip:
            gather(value, out)
    return out


def col_of(found) -> Col | None:
    """One Col for any provenance (a Frame becomes the union of its columns)."""
    if found is None:
        return None
    if isinstance(found, Values):
        return found.col
    if isinstance(found, Frame):
        return flatten(found)
    return None


def rows_of(found) -> frozenset:
    if isinstance(found, (Values, Frame)):
        return found.rows
    return NO_EDGES


def is_label(key) -> bool:
    """A single column label (hashable, not a list/array/slice/mask/callable)."""
    if isinstance(key, (str, int, float, bytes)) or key is None:
        return True
    if isinstance(key, tuple):
        return True
    if isinstance(key, (list, slice, dict, set)) or callable(key):
        return False
    if _PANDAS_TYPES and isinstance(key, (DataFrame, Series, Index, ndarray)):
        return False
    try:
        hash(key)
    except TypeError:
        return False
    return True


_BOOL_DTYPES = frozenset({"bool", "boolean", "bool[pyarrow]"})


def is_bool_mask(key) -> bool:
    dtype = getattr(key, "dtype", None)
    if dtype is not None:
        if getattr(key, "ndim", 1) != 1:
            return False
        return getattr(dtype, "kind", None) == "b" or str(dtype) in _BOOL_DTYPES
    if isinstance(key, list) and key:
        return all(isinstance(k, bool) for k in key[:64]) and isinstance(key[-1], bool)
    return False


# ---------------------------------------------------------------------------------------------
# Calls


class Call:
    """One outermost patched call, as a handler sees it."""

    __slots__ = ("name", "instance", "args", "kwargs", "result", "user", "_op", "frame")

    def __init__(self, name: str, instance, args, kwargs, frame=None) -> None:
        self.name = name
        self.instance = instance
        self.args = args
        self.kwargs = kwargs
        self.result = self.user = self._op = None
        self.frame = frame  # the caller's frame (the user's line, usually), only while the call runs

    def op(self, detail: str | None = None) -> model.Op:
        base = self._op
        if base is None:
            frame = self.frame
            base = self._op = model.callsite_op(self.name, frame) if frame is not None else \
                model.step_op(self.name, model.user_location(2))
        if detail is None:
            return base
        return model.step_op(self.name, base.location, detail)

    def arg(self, position: int, name: str, default=None):
        if name in self.kwargs:
            return self.kwargs[name]
        if position is not None and position < len(self.args):
            return self.args[position]
        return default

    def has(self, position: int, name: str) -> bool:
        return name in self.kwargs or (position is not None and position < len(self.args))

    def set(self, obj, found):
        """Record provenance for obj (a result); returns it."""
        if found is None:
            return None
        if not PROV.set(obj, found):
            if isinstance(found, Values):
                remember_scalar(obj, found)
        return found


# ---------------------------------------------------------------------------------------------
# User functions


class UserCall:
    """What the user's functions passed to one pandas call did, over all their invocations."""

    __slots__ = ("source", "mode", "watch", "reads", "whole", "hashed", "touched", "results", "calls", "arg_seen")

    def __init__(self, call: Call, source=None, mode: str = "values") -> None:
        # no reference to the call (its arguments are frames): pandas may keep the function around
        self.source = source  # provenance of the object the functions receive (Frame/Values)
        self.mode = mode  # "rows": observe the row Series; "columns": each arg is a column; "frames"; "values"
        self.watch: set[int] = set()
        self.reads: set = set()
        self.whole = False
        self.hashed = False
        self.touched: list[Col] = []
        self.results: dict = {}
        self.calls = 0
        self.arg_seen: int | None = None

    # -- before each invocation: give the argument provenance, or observe it
    def on_call(self, args) -> None:
        self.calls += 1
        if not args:
            return
        arg = args[0]
        key = id(arg)
        if key == self.arg_seen:
            return
        self.arg_seen = key
        source = self.source
        if source is None:
            return
        if self.mode == "rows":
            if isinstance(arg, Series):
                self.watch.add(key)
            return
        if PROV.get(arg) is not None:
            return
        if isinstance(arg, DataFrame) and isinstance(source, Frame):
            PROV.set(arg, sub_frame(source, arg.columns))
        elif isinstance(arg, Series):
            if isinstance(source, Frame):
                label = arg.name
                if is_label(label) and label in source.columns:
                    PROV.set(arg, series_values(source, label))
                else:
                    every = flatten(source)
                    PROV.set(arg, Values(Col(every.edges, every.history, True), source.index, source.rows,
                                         source.row_history))
            elif isinstance(source, Values):
                PROV.set(arg, source)

    # -- after each invocation
    def on_result(self, args, result) -> None:
        found = prov(result) if result is not None else None
        if found is None:
            return
        label = None
        if self.mode == "columns" and args and isinstance(args[0], Series):
            label = args[0].name
        col = col_of(found)
        if col is None:
            return
        key = label if is_label(label) else None
        current = self.results.get(key)
        if current is None:
            self.results[key] = col
        elif current is not col and not col.edges <= current.edges:
            self.results[key] = model.combine((current, col), None, model.IDENTITY)

    # -- during an invocation: a patched call on a watched object or a tracked value
    def observe(self, instance, name: str, args) -> None:
        target = instance
        indexer = name.startswith("_") and "Indexer" in name
        if indexer:
            target = getattr(instance, "obj", None)
        if id(target) not in self.watch:
            return
        if name in LABEL_READS and args:
            key = args[0]
            if name.startswith(("_iLoc", "_iAt")):
                try:
                    if isinstance(key, int):
                        key = target.index[key]
                    elif isinstance(key, (list, slice)):
                        self.reads.update(target.index[key])
                        return
                    else:
                        self.whole = True
                        return
                except Exception:  # noqa: BLE001
                    self.whole = True
                    return
            if isinstance(key, list):
                self.reads.update(k for k in key if is_label(k))
            elif is_label(key):
                self.reads.add(key)
            else:
                self.whole = True
        elif name not in HARMLESS:
            self.whole = True

    def touch(self, found) -> None:
        col = col_of(found) if not isinstance(found, Frame) else None
        if col is None or not col.edges:
            return
        touched = self.touched
        if touched and (touched[-1] is col or col.edges <= touched[-1].edges):
            return
        if len(touched) >= 32:
            touched[:] = [model.combine(touched, None, model.IDENTITY)]
        touched.append(col)

    # -- summaries the handlers use
    def read_cols(self, frame: Frame) -> tuple[list[Col], bool]:
        """Columns an observed row function read: (cols, approximate)."""
        if self.whole or not self.reads:
            return list(frame.columns.values()), True
        cols = []
        for label in self.reads:
            col = frame.columns.get(label)
            if col is not None:
                cols.append(col)
        return cols, False

    def result_col(self, fallback: list[Col]) -> tuple[Col | None, bool]:
        """The union of what the functions returned or touched; fallback when nothing was seen."""
        cols = list(self.results.values()) + self.touched
        if cols:
            return model.combine(cols, None, model.IDENTITY), bool(self.touched) and not self.results
        if self.calls == 0:
            return None, False
        return (model.combine(fallback, None, model.IDENTITY) if fallback else None), True


LABEL_READS = {
    "Series.__getitem__", "Series.get", "Series.__getattr__", "Series.at", "Series.pop",
    "_LocIndexer.__getitem__", "_iLocIndexer.__getitem__", "_AtIndexer.__getitem__", "_iAtIndexer.__getitem__",
}
HARMLESS = {"Series.__contains__", "Series.keys", "Series.__len__", "Series.__repr__", "Series.__str__"}


def sub_frame(source: Frame, labels) -> Frame:
    columns = source.columns
    try:
        names = globals()["labels"](labels)
        if len(names) == len(columns) and all(label in columns for label in names):
            return source
        return Frame({label: columns.get(label, EMPTY) for label in names}, source.index, source.rows,
                     source.row_history)
    except Exception:  # noqa: BLE001
        return source


def _is_user_function(fn) -> bool:
    if isinstance(fn, types.FunctionType):
        return True
    return isinstance(fn, functools.partial) and isinstance(fn.func, types.FunctionType)


def track(fn, user: UserCall, before=None, after=None):
    """The user's function, wrapped to run at depth 0 and report to `user`; other callables as they are.

    before(args) and after(args, result) replace the UserCall's own hooks when given.
    """
    if not _is_user_function(fn) or getattr(fn, "_olmp_tracked", False):
        return fn
    on_call = before if before is not None else user.on_call
    on_result = after if after is not None else user.on_result

    def tracked(*args, **kwargs):
        saved_depth, saved_user = local.depth, local.user
        _guard.call(INTEGRATION, on_call, args)
        local.depth = 0
        local.user = user
        try:
            result = fn(*args, **kwargs)
        finally:
            local.depth = saved_depth
            local.user = saved_user
        if saved_user is not None and user.hashed:
            saved_user.hashed = True
        _guard.call(INTEGRATION, on_result, args, result)
        return result

    try:
        functools.update_wrapper(tracked, fn)
    except Exception:  # noqa: BLE001
        pass
    tracked._olmp_tracked = True
    return tracked


def track_in(value, user: UserCall, nested: bool):
    """value with every user function in it (one container level deep when nested) tracked."""
    if _is_user_function(value):
        return track(value, user), True
    if not nested:
        return value, False
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            new, hit = track_in(item, user, True) if not isinstance(item, dict) else (item, False)
            changed |= hit
            out[key] = new
        return (out, True) if changed else (value, False)
    if isinstance(value, (list, tuple)) and len(value) <= 64:
        changed = False
        out = []
        for item in value:
            new, hit = track_in(item, user, True) if isinstance(item, (list, tuple)) or _is_user_function(item) \
                else (item, False)
            changed |= hit
            out.append(new)
        if not changed:
            return value, False
        try:
            return type(value)(out) if not hasattr(value, "_fields") else type(value)(*out), True
        except Exception:  # noqa: BLE001
            return value, False
    return value, False


def wrap_callables(call: Call, nested: bool, source=None, mode: str = "values"):
    """(args, kwargs) with user functions tracked; call.user set when there were any."""
    user = None
    args, kwargs = call.args, call.kwargs
    new_args = None
    for index, value in enumerate(args):
        if _is_user_function(value) or (nested and isinstance(value, (dict, list, tuple))):
            if user is None:
                user = UserCall(call, source, mode)
            new, hit = track_in(value, user, nested)
            if hit:
                if new_args is None:
                    new_args = list(args)
                new_args[index] = new
    new_kwargs = None
    for name, value in kwargs.items():
        if _is_user_function(value) or (nested and isinstance(value, (dict, list, tuple))):
            if user is None:
                user = UserCall(call, source, mode)
            new, hit = track_in(value, user, nested)
            if hit:
                if new_kwargs is None:
                    new_kwargs = dict(kwargs)
                new_kwargs[name] = new
    if new_args is None and new_kwargs is None:
        return None
    call.user = user
    return (tuple(new_args) if new_args is not None else args), (new_kwargs if new_kwargs is not None else kwargs)


# ---------------------------------------------------------------------------------------------
# Patching


class Spec:
    """How one patched callable is handled."""

    __slots__ = ("name", "handler", "prepare", "callables")

    def __init__(self, name: str, handler, prepare=None, callables: str | None = "flat") -> None:
        self.name = name
        self.handler = handler
        self.prepare = prepare  # prepare(call) -> (args, kwargs) | None
        self.callables = callables  # None: never look for user functions; "flat"; "nested"


_FUNCTION_TYPES = (types.FunctionType, functools.partial)
_CONTAINERS = (dict, list, tuple)


_UNREAD = object()
_inline = _UNREAD  # True: no fault injection applies to pandas, handlers' errors are caught in the wrapper


def _read_inline() -> bool:
    global _inline
    _inline = _guard.mode_for(INTEGRATION) is None
    return _inline


def _make_outer(spec: Spec):
    """The work of one outermost patched call: outer(original, bind, instance, args, kwargs).

    Calls original(instance, *args, **kwargs) when bind is true (a method patched with a plain
    function), else original(*args, **kwargs) (wrapt's bound `wrapped`). The handler's try/except is
    inlined (the same as _guard.call without fault injection): this runs for every outermost pandas
    operation. With OPENLINEAGE_MONKEYPATCH_TEST_FAULT set for pandas, every handler goes through
    _guard.call, which injects the fault."""
    name = spec.name
    handler = spec.handler
    prepare = spec.prepare
    callables = spec.callables
    nested = callables == "nested"
    kinds = None if callables is None else (_FUNCTION_TYPES + _CONTAINERS if nested else _FUNCTION_TYPES)
    guard = _guard.call
    record_error = _guard.record_error
    new_call = object.__new__

    def outer(original, bind, instance, args, kwargs):
        user = local.user
        if user is not None and user.watch:
            guard(INTEGRATION, user.observe, instance, name, args)
        call = new_call(Call)  # Call(name, instance, args, kwargs, _getframe(2)) without a Python __init__
        call.name = name
        call.instance = instance
        call.args = args
        call.kwargs = kwargs
        call.result = call.user = call._op = None
        call.frame = _getframe(2)
        if prepare is not None:
            prepared = guard(INTEGRATION, prepare, call)
            if type(prepared) is tuple and len(prepared) == 2:
                args, kwargs = prepared
        elif kinds is not None and (args or kwargs):
            functions = False
            for value in args:
                if isinstance(value, kinds):
                    functions = True
                    break
            if kwargs and not functions:
                for value in kwargs.values():
                    if isinstance(value, kinds):
                        functions = True
                        break
            if functions:
                prepared = guard(INTEGRATION, wrap_callables, call, nested, prov(instance))
                if type(prepared) is tuple and len(prepared) == 2:
                    args, kwargs = prepared
        local.depth = 1
        try:
            result = original(instance, *args, **kwargs) if bind else original(*args, **kwargs)
        finally:
            local.depth = 0
        call.result = result
        inline = _inline
        if inline is _UNREAD:
            inline = _read_inline()
        if inline:
            try:
                found = handler(call)
            except Exception as exc:  # noqa: BLE001 - never break the job
                record_error(INTEGRATION, exc)
                found = None
        else:
            found = guard(INTEGRATION, handler, call)
        call.frame = None
        if user is not None and found is not None:
            guard(INTEGRATION, user.touch, found)
        return result

    return outer


def make_wrapper(spec: Spec):
    """A wrapt wrapper(wrapped, instance, args, kwargs) for a patched callable."""
    outer = _make_outer(spec)

    def wrapper(wrapped, instance, args, kwargs):
        if local.depth:
            return wrapped(*args, **kwargs)
        return outer(wrapped, False, instance, args, kwargs)

    return wrapper


def make_method(spec: Spec, original):
    """A plain function standing in for the method `original` (a Python function defined on a class).

    pandas calls its own public methods all the time (merge calls copy, __getitem__, take ...): those
    inner calls only check the depth and call the original. A plain function costs about half of a
    wrapt FunctionWrapper there (no bound wrapper object per attribute access)."""
    outer = _make_outer(spec)

    def patched(self, *args, **kwargs):
        if local.depth:
            return original(self, *args, **kwargs)
        return outer(original, True, self, args, kwargs)

    functools.update_wrapper(patched, original)
    patched._olmp_patched = True
    return patched


def patch(integration, owner, attribute: str, handler, name: str | None = None, prepare=None,
          callables: str | None = "flat") -> bool:
    if isinstance(owner, type):
        if attribute not in owner.__dict__ and not hasattr(owner, attribute):
            return False
    elif not hasattr(owner, attribute):
        return False
    label = name or f"{getattr(owner, '__name__', str(owner))}.{attribute}"
    spec = Spec(label, handler, prepare, callables)
    if isinstance(owner, type):
        original = owner.__dict__[attribute] if attribute in owner.__dict__ else getattr(owner, attribute, None)
        if getattr(original, "_olmp_patched", False):
            return False
        if isinstance(original, types.FunctionType):
            integration.patcher.replace(owner, attribute, make_method(spec, original))
            return True
    return integration.patcher.wrap(owner, attribute, make_wrapper(spec))

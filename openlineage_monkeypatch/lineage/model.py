"""Column provenance: what every integration records and the facet builder reads.

An *edge* says that a column depends on a source field through a transformation, in the OpenLineage
taxonomy: DIRECT (IDENTITY < TRANSFORMATION < AGGREGATION) or INDIRECT (JOIN, GROUP_BY, FILTER,
SORT, WINDOW, CONDITIONAL), with a masking flag on DIRECT edges.

    Edge = (Field(namespace, name, field), type, subtype, masking)

`Col` is the provenance of one column (or of a Series' values, or of an index level): a frozenset
of edges, the history of operations that produced it, and whether any step was a guess. `Rows` are
the edges that shape every row of a frame (filters, sorts, joins, group keys): they become the
facet's dataset-level list. Everything here is immutable, so frames that share columns share these
objects; nothing here refers to a DataFrame, Series or array.
"""

from __future__ import annotations

import itertools
import os
import sys
from typing import Iterable, NamedTuple

DIRECT = "DIRECT"
INDIRECT = "INDIRECT"

IDENTITY = "IDENTITY"
TRANSFORMATION = "TRANSFORMATION"
AGGREGATION = "AGGREGATION"

JOIN = "JOIN"
GROUP_BY = "GROUP_BY"
FILTER = "FILTER"
SORT = "SORT"
WINDOW = "WINDOW"
CONDITIONAL = "CONDITIONAL"

DIRECT_RANK = {IDENTITY: 1, TRANSFORMATION: 2, AGGREGATION: 3}
INDIRECT_SUBTYPES = (JOIN, GROUP_BY, FILTER, SORT, WINDOW, CONDITIONAL)


class Field(NamedTuple):
    """A column of a dataset, named as OpenLineage names it."""

    namespace: str
    name: str
    field: str


Edge = tuple  # (Field, type, subtype, masking)
NO_EDGES: frozenset = frozenset()


def stronger(a: str, b: str) -> str:
    return a if DIRECT_RANK.get(a, 2) >= DIRECT_RANK.get(b, 2) else b


_composed: dict = {}


def compose_direct(edges: frozenset, subtype: str = TRANSFORMATION, masking: bool = False) -> frozenset:
    """The edges of a value computed from a column by a DIRECT step of `subtype`.

    DIRECT edges take the stronger subtype (an aggregation stays an aggregation) and keep their
    masking; INDIRECT edges (a condition that chose the value, say) stay as they were.
    """
    if not edges:
        return edges
    if subtype == IDENTITY and not masking:
        return edges
    key = (edges, subtype, masking)
    found = _composed.get(key)
    if found is not None:
        return found
    out = set()
    changed = False
    for edge in edges:
        field, kind, sub, masked = edge
        if kind == DIRECT:
            new = (field, DIRECT, stronger(sub, subtype), masked or masking)
            if new != edge:
                changed = True
            out.add(new)
        else:
            out.add(edge)
    result = frozenset(out) if changed else edges
    if len(_composed) >= 8192:
        _composed.clear()
    _composed[key] = result
    return result


_indirect: dict = {}


def compose_indirect(edges: frozenset, subtype: str) -> frozenset:
    """The edges of a column used only to decide something (a filter, a join key, a condition)."""
    if not edges:
        return edges
    key = (edges, subtype)
    found = _indirect.get(key)
    if found is None:
        found = frozenset((edge[0], INDIRECT, subtype, False) for edge in edges)
        if len(_indirect) >= 8192:
            _indirect.clear()
        _indirect[key] = found
    return found


def fields_of(edges: Iterable[Edge]) -> set[Field]:
    return {edge[0] for edge in edges}


def source_edges(field: Field) -> frozenset:
    """The provenance of a column as read from a dataset: itself, unchanged."""
    return frozenset(((field, DIRECT, IDENTITY, False),))


# ---------------------------------------------------------------------------------------------
# Operation history (the `monkeypatch_columnOperations` facet reads it)

MAX_HISTORY = 64
_seq = itertools.count()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_skip_prefixes: list[str] = [_PACKAGE_DIR + os.sep]
_location_cache: dict = {}


def skip_frames_from(*paths: str) -> None:
    """Frames whose file lies under one of these folders are library code, not the user's line."""
    for path in paths:
        if not path:
            continue
        path = os.path.join(os.path.abspath(path), "")
        if path not in _skip_prefixes:
            _skip_prefixes.append(path)
            _location_cache.clear()
            _callsite_ops.clear()


_lines: dict = {}


def user_location(depth: int = 2, frame=None) -> str | None:
    """`file:line` of the innermost caller outside the patched libraries and this package (from
    `frame` outwards when given, else from the caller `depth` frames up)."""
    if frame is None:
        try:
            frame = sys._getframe(depth)
        except ValueError:
            return None
    cache = _location_cache
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        internal = cache.get(filename)
        if internal is None:
            internal = filename.startswith(tuple(_skip_prefixes)) or filename.startswith(
                ("<frozen", "<__array_function__"))
            if len(cache) > 4096:
                cache.clear()
            cache[filename] = internal
        if not internal:
            # f_lineno walks the code's line table: remember the answer per instruction
            key = (id(code), frame.f_lasti)
            found = _lines.get(key)
            if found is not None and found[0] is code:
                return found[1]
            location = f"{filename}:{frame.f_lineno}"
            if len(_lines) >= 4096:
                _lines.clear()
            _lines[key] = (code, location)
            return location
        frame = frame.f_back
    return None


class Op:
    """One step in a column's history: an operation at a place in the user's code.

    Nodes are interned (`node()`): the same step at the same line over the same parent histories is
    one object, so a loop that repeats its operations reuses its history instead of growing a new one
    each time (and handlers allocate nothing when a step was seen before).
    """

    __slots__ = ("name", "location", "parents", "seq", "depth", "detail", "_lineage")

    def __init__(self, name: str, location: str | None, parents: tuple = (), detail: str | None = None) -> None:
        self.name = name
        self.location = location
        self.detail = detail
        self.seq = next(_seq)
        if parents:
            depth = 1 + max(p.depth for p in parents)
            if depth > MAX_HISTORY:
                parents, depth = (), 1
        else:
            depth = 1
        self.parents = parents
        self.depth = depth
        self._lineage = None  # every step up to this one, oldest first (a cache: nodes never change)

    def lineage(self, limit: int = MAX_HISTORY) -> list["Op"]:
        """Every step up to this one, oldest first."""
        found = self._lineage
        if found is None:
            seen: dict[int, Op] = {}
            stack = [self]
            while stack:
                node = stack.pop()
                if node.seq in seen:
                    continue
                seen[node.seq] = node
                stack.extend(node.parents)
            found = self._lineage = tuple(sorted(seen.values(), key=_by_seq))
        return list(found[-limit:])


def _by_seq(op: Op) -> int:
    return op.seq


MAX_NODES = 16384
_nodes: dict = {}


def node(name: str, location: str | None, parents: tuple = (), detail: str | None = None) -> Op:
    """The history node for a step over `parents` (interned; parents are Ops, in order)."""
    if not parents:
        key = (name, location, detail)
    elif len(parents) == 1:
        key = (name, location, detail, id(parents[0]))
    else:
        key = (name, location, detail, *map(id, parents))
    found = _nodes.get(key)
    if found is not None:
        return found
    if len(_nodes) >= MAX_NODES:
        _nodes.clear()
        _callsite_ops.clear()  # its steps must stay the interned ones
    # the node holds its parents, so the ids in its key cannot be reused while the entry lives
    found = _nodes[key] = Op(name, location, parents, detail)
    return found


def step_op(name: str, location: str | None, detail: str | None = None) -> Op:
    """A step with no parents yet: what handlers pass to Col.then / combine."""
    return node(name, location, (), detail)


_callsite_ops: dict = {}


def callsite_op(name: str, frame) -> Op:
    """step_op(name, user_location(frame=frame)), remembered per instruction of `frame`'s code when
    that frame is the user's own (then the location depends on nothing else): a loop that repeats an
    operation finds its step in one look-up."""
    code = frame.f_code
    key = (name, id(code), frame.f_lasti)
    found = _callsite_ops.get(key)
    if found is not None and found[0] is code:
        return found[1]
    op = node(name, user_location(frame=frame), ())
    if _location_cache.get(code.co_filename) is False:
        if len(_callsite_ops) >= 4096:
            _callsite_ops.clear()
        _callsite_ops[key] = (code, op)
    return op


class Col:
    """Provenance of one column: edges, history, and whether a step was over-approximated."""

    __slots__ = ("edges", "history", "approximate")

    def __init__(self, edges: frozenset = NO_EDGES, history: Op | None = None, approximate: bool = False) -> None:
        self.edges = edges
        self.history = history
        self.approximate = approximate

    def __repr__(self) -> str:
        return f"Col({sorted((e[0].field, e[1], e[2]) for e in self.edges)}{', approx' if self.approximate else ''})"

    def then(self, op: Op | None, subtype: str | None = None, masking: bool = False) -> "Col":
        """This column after a DIRECT step (`subtype`); None keeps the edges (a rename, a copy)."""
        edges = self.edges
        if subtype is not None and edges and (masking or subtype != IDENTITY):
            found = _composed.get((edges, subtype, masking))
            edges = found if found is not None else compose_direct(edges, subtype, masking)
        history = self.history
        if op is not None:
            if history is None:
                history = op
            else:
                found = _nodes.get((op.name, op.location, op.detail, id(history)))
                history = found if found is not None else node(op.name, op.location, (history,), op.detail)
        return Col(edges, history, self.approximate)

    def used_as(self, subtype: str) -> frozenset:
        """The INDIRECT edges of this column when it is used for `subtype` (FILTER, JOIN, ...)."""
        return compose_indirect(self.edges, subtype)


EMPTY = Col()


def _parents(cols) -> tuple:
    """The distinct histories of cols, in order."""
    parents: list = []
    for col in cols:
        history = col.history
        if history is not None and history not in parents:
            parents.append(history)
    return tuple(parents)


def _join_history(op: Op, cols: Iterable[Col]) -> Op:
    parents = _parents(cols)
    if not parents:
        return op
    return node(op.name, op.location, parents, op.detail)


_unions: dict = {}


def combine(cols: Iterable[Col], op: Op | None = None, subtype: str = TRANSFORMATION, masking: bool = False,
            extra: frozenset = NO_EDGES, approximate: bool = False) -> Col:
    """A column computed from several: the union of their edges after a DIRECT step."""
    cols = [c for c in cols if c is not None]
    if len(cols) <= 8:
        key = (subtype, masking, extra, *[c.edges for c in cols])
        edges = _unions.get(key)
        if edges is None:
            edges = _union_edges(cols, subtype, masking, extra)
            if len(_unions) >= 8192:
                _unions.clear()
            _unions[key] = edges
    else:
        edges = _union_edges(cols, subtype, masking, extra)
    history = _join_history(op, cols) if op is not None else _merge_histories(cols)
    if not approximate:
        for col in cols:
            if col.approximate:
                approximate = True
                break
    return Col(edges, history, approximate)


def _union_edges(cols: list, subtype: str, masking: bool, extra: frozenset) -> frozenset:
    if not extra and len(cols) == 1:
        return compose_direct(cols[0].edges, subtype, masking)
    edges: set = set(extra)
    for col in cols:
        edges.update(compose_direct(col.edges, subtype, masking))
    return frozenset(edges)


def _merge_histories(cols: list[Col]) -> Op | None:
    parents = _parents(cols)
    if not parents:
        return None
    if len(parents) == 1:
        return parents[0]
    return node("merge", None, parents)


def with_edges(col: Col, extra: frozenset, op: Op | None = None, also: Iterable[Col] = ()) -> Col:
    """The same column with more (INDIRECT) edges, such as a condition that chose its values.

    With `op`, the history becomes that step over this column and the columns in `also` (the
    condition's own history, say)."""
    if op is not None:
        history = _join_history(op, [col, *[c for c in also if c is not None]])
        return Col(col.edges | extra if extra else col.edges, history, col.approximate)
    if not extra or extra <= col.edges:
        return col
    return Col(col.edges | extra, col.history, col.approximate)


class Frame:
    """Provenance of a table-shaped value: columns by label, index levels, row-shaping edges.

    `columns` maps each column label to its Col (duplicate labels share one, the union);
    `index` holds one Col per index level (EMPTY when the level has no source);
    `rows` holds the INDIRECT edges that decided which rows exist and in which order;
    `row_history` the operations behind `rows`.
    """

    __slots__ = ("columns", "index", "rows", "row_history", "labels")

    def __init__(self, columns: dict, index: tuple = (), rows: frozenset = NO_EDGES,
                 row_history: Op | None = None) -> None:
        self.columns = columns
        self.index = index
        self.rows = rows
        self.row_history = row_history
        self.labels = None  # a tuple of labels known to equal the keys of `columns`, in order (a cache)

    def col(self, label) -> Col:
        return self.columns.get(label, EMPTY)

    def with_rows(self, extra: frozenset, op: Op | None = None) -> "Frame":
        """The same columns after a step that filters, sorts or joins rows."""
        history = self.row_history
        if op is not None:
            history = node(op.name, op.location, (history,) if history is not None else (), op.detail)
        return Frame(self.columns, self.index, self.rows | extra if extra else self.rows, history)

    def all_edges(self) -> frozenset:
        edges: set = set()
        for col in self.columns.values():
            edges.update(col.edges)
        for col in self.index:
            edges.update(col.edges)
        return frozenset(edges)

    def __repr__(self) -> str:
        return f"Frame({self.columns!r}, rows={sorted((e[0].field, e[2]) for e in self.rows)})"


class Values:
    """Provenance of a one-dimensional value (a Series, an array): one Col plus index and rows."""

    __slots__ = ("col", "index", "rows", "row_history")

    def __init__(self, col: Col, index: tuple = (), rows: frozenset = NO_EDGES, row_history: Op | None = None) -> None:
        self.col = col
        self.index = index
        self.rows = rows
        self.row_history = row_history

    def __repr__(self) -> str:
        return f"Values({self.col!r}, rows={sorted((e[0].field, e[2]) for e in self.rows)})"


def frame_from_dataset(namespace: str, name: str, labels: Iterable, field_names: Iterable[str] | None = None,
                       op: Op | None = None) -> Frame:
    """A frame just read from a dataset: every column is an IDENTITY of the same-named field."""
    labels = list(labels)
    names = list(field_names) if field_names is not None else [str(label) for label in labels]
    columns = {}
    for label, field in zip(labels, names):
        columns[label] = Col(source_edges(Field(namespace, name, field)), op)
    return Frame(columns)


"""The walk behind lineage/sql.py: one statement's AST (sqlglot) visited once, plus openlineage-sql.

`_Analyzer.analyze(text, prepared)` parses with sqlglot (qualified and normalized with the run's
catalog) and with openlineage-sql, then dispatches on the statement: queries go through `_Walker`,
which resolves every column to the relation it comes from (base table, stage, CTE, subquery,
FLATTEN, RESULT_SCAN) and composes transformation types bottom-up, in the manner of the OpenLineage
Spark column-level visitors. openlineage-sql cross-checks the result (a table or a DIRECT edge the
walk missed is added, marked approximate) and stands in alone when sqlglot cannot parse.

Imported lazily by lineage/sql.py: sqlglot and openlineage-sql are loaded at the first statement.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from ..naming import DatasetId
from .model import (AGGREGATION, CONDITIONAL, DIRECT, FILTER, GROUP_BY, JOIN, NO_EDGES, SORT, TRANSFORMATION,
                    WINDOW, Field, compose_direct, compose_indirect, source_edges)
from .sql import (_TOKENS, Catalog, Privilege, Session, Statement, _referenced, catalog, dataset_for, fold,
                  qualified_parts, stage_reference)

# ---------------------------------------------------------------------------------------------
# Relations of a query while it is walked


class Rel:
    """A relation inside a query: ordered output columns with their edges, and its row edges.

    A base table or stage is `open`: any column name resolves to a field of it, even when this run
    has not seen the table's columns (`known` is then None and a `*` over it stays unexpanded).
    """

    __slots__ = ("cols", "index", "rows", "dataset", "open", "known", "limited", "opaque", "star_rels")

    def __init__(self, cols=(), rows: frozenset = NO_EDGES, dataset: DatasetId | None = None, known=None,
                 limited: bool = False, opaque: bool = False, star_rels=None) -> None:
        self.cols: list[tuple[str, frozenset, bool]] = list(cols)
        self.index: dict[str, int] = {}
        for i, (name, _, _) in enumerate(self.cols):
            self.index.setdefault(name, i)
        self.rows = rows
        self.dataset = dataset
        self.open = dataset is not None or opaque or bool(star_rels)
        self.known = known
        self.limited = limited
        self.opaque = opaque
        self.star_rels = star_rels  # the relations under an unexpanded * of this (derived) relation

    def knows(self, name: str) -> bool:
        return name in self.index

    @property
    def complete(self) -> bool:
        if self.star_rels:
            return False
        return self.dataset is None and not self.opaque or self.known is not None

    def lookup(self, name: str) -> frozenset | None:
        i = self.index.get(name)
        if i is not None:
            edges = set(self.cols[i][1])
            for j in range(i + 1, len(self.cols)):
                if self.cols[j][0] == name:
                    edges.update(self.cols[j][1])
            return frozenset(edges)
        if self.dataset is not None:
            return source_edges(Field(self.dataset.namespace, self.dataset.name, name))
        if self.star_rels:
            # not among the explicit columns: it came through the *
            candidates = [r for r in self.star_rels if r.knows(name)] or [r for r in self.star_rels if r.open]
            found = [r.lookup(name) for r in candidates]
            edges = frozenset().union(*(f for f in found if f))
            return edges if edges or candidates else None
        if self.opaque:
            edges: set = set()
            for _, e, _ in self.cols:
                edges.update(e)
            return frozenset(edges)
        return None

    def rows_for_parent(self) -> frozenset:
        """Row edges a consumer inherits: a subquery's ORDER BY orders nothing unless it limits rows."""
        if self.limited or not self.rows:
            return self.rows
        return frozenset(e for e in self.rows if e[2] != SORT)

    def renamed(self, names: list[str]) -> "Rel":
        if not names:
            return self
        cols = [(names[i] if i < len(names) else n, e, a) for i, (n, e, a) in enumerate(self.cols)]
        return Rel(cols, self.rows, None, None, self.limited, self.opaque, self.star_rels)


class _Scope:
    __slots__ = ("parent", "sources", "ctes", "projections")

    def __init__(self, parent: "_Scope | None" = None) -> None:
        self.parent = parent
        self.sources: OrderedDict[str, Rel] = OrderedDict()
        self.ctes: dict[str, Rel] = dict(parent.ctes) if parent is not None else {}
        self.projections: dict[str, frozenset] = {}


class Unsupported(Exception):
    """The statement parsed but the walker does not know its shape."""


# ---------------------------------------------------------------------------------------------
# The walker

_MASKING_NAMES = frozenset({
    "SHA1", "SHA1_HEX", "SHA1_BINARY", "SHA2", "SHA2_HEX", "SHA2_BINARY", "SHA256", "SHA512", "SHA", "MD5",
    "MD5_HEX", "MD5_BINARY", "MD5_NUMBER_LOWER64", "MD5_NUMBER_UPPER64", "HASH", "HASH_AGG", "ENCRYPT",
    "ENCRYPT_RAW", "FARM_FINGERPRINT", "XXHASH64", "MURMUR3_HASH", "CITY_HASH", "SHA224", "SHA384",
})
_MASKING_WORDS = ("MASK", "REDACT", "ANONYMI", "PSEUDONYM", "TOKENIZE", "OBFUSCAT")
_NON_AGGREGATING_WINDOW = frozenset({"LAG", "LEAD"})
_FLATTEN_COLUMNS = ("SEQ", "KEY", "PATH", "INDEX", "VALUE", "THIS")


def _arg(node, *names):
    for name in names:
        value = node.args.get(name)
        if value is not None:
            return value
    return None


def _func_name(node) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    try:
        return node.sql_name().upper()
    except Exception:  # noqa: BLE001
        return type(node).__name__.upper()


class _Walker:
    """Walks one statement's AST once and collects datasets, typed edges and privileges."""

    def __init__(self, session: Session, cat: Catalog, results=None) -> None:
        from sqlglot import exp

        self.exp = exp
        self.s = session
        self.catalog = cat
        self.results = results  # callable(query_id or None) -> [(name, edges, approx)] | None
        self.inputs: list[DatasetId] = []
        self.approx = False
        self.notes: list[str] = []

    # -- names ------------------------------------------------------------------------------

    def ident(self, node) -> str | None:
        """A normalized identifier: folded as the dialect folds unquoted names, quoted ones kept."""
        exp = self.exp
        if node is None:
            return None
        if isinstance(node, exp.Identifier):
            name, quoted = node.this, node.quoted
        elif isinstance(node, exp.Expression):
            name, quoted = node.name, False
            inner = node.this if isinstance(node.this, exp.Identifier) else None
            if inner is not None:
                name, quoted = inner.this, inner.quoted
        else:
            name, quoted = str(node), False
        if not name:
            return None
        return fold(name, quoted, self.s.dialect)

    def dataset(self, table) -> DatasetId:
        """The dataset a table reference names, qualified with the session's defaults."""
        parts = self.table_parts(table)
        return dataset_for(self.s, parts)

    def table_parts(self, table) -> list[str]:
        exp = self.exp
        this = table.this
        if isinstance(this, exp.Dot):  # identifier('"DB"."S"."T"') substituted oddly
            return [self.ident(p) for p in this.flatten()]
        parts = [self.ident(table.args.get("catalog")), self.ident(table.args.get("db")), self.ident(this)]
        return [p for p in parts if p]

    def add_input(self, dataset: DatasetId) -> None:
        if dataset not in self.inputs:
            self.inputs.append(dataset)

    def base_rel(self, dataset: DatasetId) -> Rel:
        known = self.catalog.names(dataset)
        cols = []
        if known:
            cols = [(c, source_edges(Field(dataset.namespace, dataset.name, c)), False) for c in known]
        return Rel(cols, dataset=dataset, known=known)

    # -- queries ----------------------------------------------------------------------------

    def query(self, node, outer: _Scope | None) -> Rel:
        exp = self.exp
        if isinstance(node, exp.Subquery):
            rel = self.query(node.this, outer)
            return self._apply_modifiers(node, rel, outer)
        if isinstance(node, exp.Select):
            return self.select(node, outer)
        if isinstance(node, exp.SetOperation):
            return self.set_operation(node, outer)
        if isinstance(node, exp.Values):
            return self.values(node)
        if isinstance(node, exp.Table):
            scope = _Scope(outer)
            rel, _ = self.source(node, scope)
            return rel
        if isinstance(node, exp.Paren):
            return self.query(node.this, outer)
        raise Unsupported(type(node).__name__)

    def _apply_modifiers(self, node, rel: Rel, outer) -> Rel:
        order = node.args.get("order")
        limit = _arg(node, "limit", "fetch")
        if order is None and limit is None:
            return rel
        rows = set(rel.rows)
        if order is not None:
            scope = _Scope(outer)
            scope.projections = {name: edges for name, edges, _ in rel.cols}
            for item in order.expressions:
                rows.update(compose_indirect(self.ordinal_or_expr(item.this, scope, rel.cols), SORT))
        return Rel(rel.cols, frozenset(rows), None, None, rel.limited or limit is not None, rel.opaque)

    def values(self, node) -> Rel:
        exp = self.exp
        alias = node.args.get("alias")
        names = [self.ident(c) for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns else []
        width = 0
        for row in node.expressions:
            width = max(width, len(row.expressions) if isinstance(row, exp.Tuple) else 1)
        cols = []
        for i in range(width):
            cols.append((names[i] if i < len(names) else f"COLUMN{i + 1}", NO_EDGES, False))
        return Rel(cols)

    def set_operation(self, node, outer) -> Rel:
        exp = self.exp
        left = self.query(node.this, outer)
        right = self.query(node.expression, outer)
        rows = set(left.rows_for_parent()) | set(right.rows_for_parent())
        if isinstance(node, (exp.Except, exp.Intersect)):
            for _, edges, _ in right.cols:
                rows.update(compose_indirect(edges, FILTER))
            cols = left.cols
        else:
            cols = []
            for i, (name, edges, approx) in enumerate(left.cols):
                if i < len(right.cols):
                    edges = edges | right.cols[i][1]
                    approx = approx or right.cols[i][2]
                cols.append((name, edges, approx))
        rel = Rel(cols, frozenset(rows), opaque=left.opaque or right.opaque)
        return self._apply_modifiers(node, rel, outer)

    def with_clause(self, node, scope: _Scope) -> None:
        exp = self.exp
        with_ = _arg(node, "with_", "with")
        if with_ is None:
            return
        for cte in with_.expressions:
            name = self.ident(cte.args.get("alias").this if cte.args.get("alias") is not None else None)
            try:
                rel = self.query(cte.this, scope)
            except Unsupported:
                rel = Rel(opaque=True)
                self.approx = True
            alias = cte.args.get("alias")
            if isinstance(alias, exp.TableAlias) and alias.columns:
                rel = rel.renamed([self.ident(c) for c in alias.columns])
            if name:
                scope.ctes[name] = rel

    def select(self, node, outer: _Scope | None) -> Rel:
        exp = self.exp
        scope = _Scope(outer)
        self.with_clause(node, scope)
        rows: set = set()
        from_ = _arg(node, "from_", "from")
        items = []
        if from_ is not None:
            items.append((from_.this, None))
        for join in node.args.get("joins") or ():
            items.append((join.this, join))
        for item, join in items:
            rel, alias = self.source(item, scope)
            scope.sources[alias or f"_{len(scope.sources)}"] = rel
            rows.update(rel.rows_for_parent())
            if join is not None:
                on = join.args.get("on")
                if on is not None:
                    rows.update(compose_indirect(self.ev(on, scope), JOIN))
                for ident in join.args.get("using") or ():
                    name = self.ident(ident)
                    left = [r for r in scope.sources.values() if r is not rel and r.knows(name)] or [
                        r for r in scope.sources.values() if r is not rel and r.open and not r.complete]
                    for source in left + [rel]:
                        rows.update(compose_indirect(source.lookup(name) or NO_EDGES, JOIN))
        where = node.args.get("where")
        if where is not None:
            rows.update(self.predicate(where.this, scope))
        projections: list[tuple[str, frozenset, bool]] = []
        star_items: list | None = None
        provisional: set[int] = set()
        for position, proj in enumerate(node.expressions):
            star = self.star_of(proj)
            if star is not None:
                expanded = self.expand_star(star, proj, scope)
                if expanded is None:
                    star_items = star_items if star_items is not None else [
                        ("col", n, e, a) for n, e, a in projections]
                    rels = self.star_rels(star, scope)
                    dataset = rels[0].dataset if len(rels) == 1 and rels[0].dataset is not None else None
                    star_items.append(("star", rels, dataset))
                    continue
                for name, edges, approx in expanded:
                    projections.append((name, edges, approx))
                    if star_items is not None:
                        star_items.append(("col", name, edges, approx))
                continue
            self.approx = False
            edges = self.ev(proj, scope)
            name = self.output_name(proj)
            if name is None:
                name = f"_COL_{position}"
                provisional.add(len(projections))
            projections.append((name, edges, self.approx))
            if star_items is not None:
                star_items.append(("col", name, edges, self.approx))
        scope.projections = {name: edges for name, edges, _ in projections}
        group = node.args.get("group")
        if group is not None:
            keys: list = list(group.expressions)
            for key in ("rollup", "cube", "grouping_sets"):
                for part in group.args.get(key) or ():
                    keys.extend(part.expressions if hasattr(part, "expressions") and part.expressions else [part])
            if group.args.get("all"):
                for proj, (_, edges, _) in zip(node.expressions, projections):
                    if not proj.find(exp.AggFunc):
                        rows.update(compose_indirect(edges, GROUP_BY))
            for key in keys:
                rows.update(compose_indirect(self.ordinal_or_expr(key, scope, projections), GROUP_BY))
        for clause in ("having", "qualify"):
            part = node.args.get(clause)
            if part is not None:
                rows.update(compose_indirect(self.ev(part.this, scope), FILTER))
        order = node.args.get("order")
        if order is not None:
            for item in order.expressions:
                rows.update(compose_indirect(self.ordinal_or_expr(item.this, scope, projections), SORT))
        distinct = node.args.get("distinct")
        if distinct is not None:
            on = distinct.args.get("on")
            keys = [self.ev(e, scope) for e in on.expressions] if on is not None else [e for _, e, _ in projections]
            for edges in keys:
                rows.update(compose_indirect(frozenset(e for e in edges if e[1] == DIRECT), GROUP_BY))
        limited = _arg(node, "limit", "fetch") is not None or node.args.get("top") is not None
        under_star = [r for item in star_items or () if item[0] == "star" for r in item[1]]
        rel = Rel(projections, frozenset(rows), limited=limited, star_rels=under_star or None)
        rel.known = star_items  # carried to the statement when a * stayed unexpanded
        rel.opaque = False
        self._provisional = provisional
        return rel

    def ordinal_or_expr(self, node, scope: _Scope, projections) -> frozenset:
        exp = self.exp
        if isinstance(node, exp.Literal) and not node.is_string:
            try:
                index = int(node.this) - 1
            except ValueError:
                return NO_EDGES
            if 0 <= index < len(projections):
                return projections[index][1]
            return NO_EDGES
        return self.ev(node, scope)

    def output_name(self, proj) -> str | None:
        exp = self.exp
        if isinstance(proj, exp.Alias):
            alias = proj.args.get("alias")
            name = self.ident(alias)
            if name and not (self.s.dialect == "snowflake" and re.fullmatch(r"_COL_\d+", name)
                             and not getattr(alias, "quoted", False)):
                return name
            inner = proj.this
            if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star):
                return self.ident(inner.this)
            return None
        if isinstance(proj, exp.Column) and not isinstance(proj.this, exp.Star):
            return self.ident(proj.this)
        if isinstance(proj, exp.JSONExtract) and self.s.dialect == "snowflake":
            return None
        return None

    # -- FROM items --------------------------------------------------------------------------

    def source(self, item, scope: _Scope) -> tuple[Rel, str | None]:
        exp = self.exp
        alias = item.args.get("alias") if isinstance(item, exp.Expression) else None
        alias_name = self.ident(alias.this) if isinstance(alias, exp.TableAlias) and alias.this else None
        column_names = [self.ident(c) for c in alias.columns] if isinstance(alias, exp.TableAlias) and alias.columns \
            else []
        if isinstance(item, exp.Table):
            this = item.this
            if isinstance(this, (exp.Anonymous, exp.Explode, exp.Func)) and not isinstance(this, exp.Dot):
                rel = self.table_function(this, scope)
                return rel.renamed(column_names), alias_name
            if self.is_stage(item):
                dataset, _ = self.stage_dataset(item)
                self.add_input(dataset)
                return Rel(dataset=dataset), alias_name or "_stage"
            name = self.ident(this)
            if not item.args.get("db") and not item.args.get("catalog") and name in scope.ctes:
                return scope.ctes[name].renamed(column_names), alias_name or name
            dataset = self.dataset(item)
            self.add_input(dataset)
            rel = self.base_rel(dataset)
            if item.args.get("pivots"):
                rel = Rel(rel.cols, rel.rows, None, None, False, opaque=True)
                rel.cols = [(n, e, True) for n, e, _ in rel.cols] or [("*", source_edges(
                    Field(dataset.namespace, dataset.name, "*")), True)]
                self.notes.append(f"PIVOT over {dataset.name}: columns over-approximated")
            return rel, alias_name or name
        if isinstance(item, exp.TableFromRows):
            rel = self.table_function(item.this, scope)
            return rel.renamed(column_names), alias_name
        if isinstance(item, exp.Subquery):
            rel = self.query(item, scope)
            return rel.renamed(column_names), alias_name
        if isinstance(item, exp.Lateral):
            inner = item.this
            if isinstance(inner, exp.Subquery) or isinstance(inner, exp.Select):
                rel = self.query(inner, scope)
            else:
                rel = self.table_function(inner, scope)
            return rel.renamed(column_names), alias_name
        if isinstance(item, exp.Unnest):
            edges: set = set()
            for e in item.expressions:
                edges.update(self.ev(e, scope))
            cols = [(n, compose_direct(frozenset(edges), TRANSFORMATION), False) for n in (column_names or ["VALUE"])]
            return Rel(cols), alias_name
        if isinstance(item, exp.Values):
            return self.values(item), alias_name
        self.approx = True
        self.notes.append(f"unknown FROM item {type(item).__name__}")
        return Rel(opaque=True), alias_name

    def table_function(self, func, scope: _Scope) -> Rel:
        exp = self.exp
        name = _func_name(func)
        if isinstance(func, exp.Explode) or name in ("FLATTEN", "EXPLODE", "UNNEST"):
            edges: set = set()
            for arg in [func.this, *func.expressions] if func.this is not None else func.expressions:
                value = arg.expression if isinstance(arg, (exp.Kwarg, exp.PropertyEQ)) else arg
                key = str(arg.this.name).upper() if isinstance(arg, (exp.Kwarg, exp.PropertyEQ)) else "INPUT"
                if key in ("INPUT", "PATH", ""):
                    edges.update(self.ev(value, scope))
            derived = compose_direct(frozenset(edges), TRANSFORMATION)
            return Rel([(c, derived, False) for c in _FLATTEN_COLUMNS])
        if name == "RESULT_SCAN":
            args = list(func.expressions) or ([func.this] if func.this is not None else [])
            query_id = None
            if args and isinstance(args[0], exp.Literal) and args[0].is_string:
                query_id = args[0].this
            cols = self.results(query_id) if self.results is not None else None
            if cols is None:
                self.approx = True
                return Rel(opaque=True)
            self._result_scan = query_id or "LAST_QUERY_ID()"
            return Rel(cols)
        self.notes.append(f"table function {name}")
        return Rel(opaque=True)

    def is_stage(self, table) -> bool:
        exp = self.exp
        this = table.this
        if isinstance(this, exp.Var) and str(this.this).startswith("@"):
            return True
        if isinstance(this, exp.Literal) and this.is_string:
            text = this.this.strip()
            return text.startswith("@") or "://" in text
        return False

    def stage_dataset(self, node) -> tuple[DatasetId, dict]:
        """The dataset a stage reference (@stage/path, '@"STG"', 's3://...') stands for, and its kind."""
        exp = self.exp
        if isinstance(node, exp.Table):
            node = node.this
        text = str(node.this if isinstance(node, (exp.Var, exp.Literal)) else node.name).strip()
        return stage_reference(self.s, text, self.catalog)

    def star_of(self, proj):
        exp = self.exp
        if isinstance(proj, exp.Star):
            return proj
        if isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star):
            return proj
        return None

    def star_rels(self, star, scope: _Scope) -> list[Rel]:
        exp = self.exp
        table = star.args.get("table") if isinstance(star, exp.Column) else None
        if table is not None:
            rel = scope.sources.get(self.ident(table))
            return [rel] if rel is not None else []
        return list(scope.sources.values())

    def expand_star(self, star, proj, scope: _Scope):
        """[(name, edges, approx)] of a * (or t.*) when every relation under it has known columns."""
        exp = self.exp
        rels = self.star_rels(star, scope)
        if not rels or any(not rel.complete for rel in rels):
            return None
        inner = star.this if isinstance(star, exp.Column) else star
        modifiers = inner if isinstance(inner, exp.Star) else star
        excluded = {self.ident(e) for e in (_arg(modifiers, "except_", "except", "exclude") or ())}
        renames = {}
        for item in _arg(modifiers, "rename") or ():
            renames[self.ident(item.this)] = self.ident(item.args.get("alias"))
        replaces = {}
        for item in _arg(modifiers, "replace") or ():
            replaces[self.ident(item.args.get("alias"))] = item.this
        out = []
        for rel in rels:
            for name, edges, approx in rel.cols:
                if name in excluded:
                    continue
                if name in replaces:
                    self.approx = False
                    edges = self.ev(replaces[name], scope)
                    approx = self.approx
                out.append((renames.get(name, name), edges, approx))
        return out

    # -- expressions -------------------------------------------------------------------------

    def predicate(self, node, scope: _Scope) -> frozenset:
        """A WHERE clause: conjuncts comparing columns of two relations are JOIN, the rest FILTER."""
        exp = self.exp
        out: set = set()
        conjuncts = list(node.flatten()) if isinstance(node, exp.And) else [node]
        for part in conjuncts:
            edges = self.ev(part, scope)
            subtype = FILTER
            if isinstance(part, (exp.EQ, exp.NullSafeEQ)) and len(scope.sources) > 1:
                left = self.sources_of(part.this, scope)
                right = self.sources_of(part.expression, scope)
                if left and right and left.isdisjoint(right):
                    subtype = JOIN
            out.update(compose_indirect(edges, subtype))
        return frozenset(out)

    def sources_of(self, node, scope: _Scope) -> set:
        exp = self.exp
        found = set()
        for column in node.find_all(exp.Column):
            table = self.ident(column.args.get("table"))
            if table and table in scope.sources:
                found.add(table)
            elif not table:
                name = self.ident(column.this)
                matches = [alias for alias, rel in scope.sources.items() if rel.knows(name)]
                if len(matches) == 1:
                    found.add(matches[0])
        return found

    def resolve(self, column, scope: _Scope) -> frozenset:
        exp = self.exp
        if isinstance(column.this, exp.Star):
            edges: set = set()
            for rel in self.star_rels(column, scope):
                for _, e, _ in rel.cols:
                    edges.update(e)
            return frozenset(edges)
        name = self.ident(column.this)
        table = self.ident(column.args.get("table"))
        current = scope
        while current is not None:
            if table:
                rel = current.sources.get(table)
                if rel is not None:
                    found = rel.lookup(name)
                    if found is None:
                        self.approx = True
                        return NO_EDGES
                    return found
            else:
                known = [rel for rel in current.sources.values() if rel.knows(name)]
                if len(known) == 1:
                    return known[0].lookup(name)
                if len(known) > 1:
                    self.approx = True
                    return frozenset().union(*(rel.lookup(name) for rel in known))
                if name in current.projections:
                    return current.projections[name]
                opens = [rel for rel in current.sources.values() if rel.open and not rel.complete]
                if len(opens) == 1:
                    return opens[0].lookup(name)
                if len(opens) > 1:
                    self.approx = True
                    return frozenset().union(*(rel.lookup(name) for rel in opens))
                opens = [rel for rel in current.sources.values() if rel.dataset is not None]
                if len(opens) == 1 and len(current.sources) == 1:
                    return opens[0].lookup(name)
            current = current.parent
        if table is None and name and name.upper() in ("SYSDATE", "CURRENT_DATE", "CURRENT_TIMESTAMP"):
            return NO_EDGES
        self.approx = True
        return NO_EDGES

    def ev(self, node, scope: _Scope) -> frozenset:
        """The edges of an expression's value."""
        exp = self.exp
        if node is None:
            return NO_EDGES
        if isinstance(node, exp.Column):
            return self.resolve(node, scope)
        if isinstance(node, (exp.Alias, exp.Paren, exp.Ordered, exp.Kwarg, exp.PropertyEQ)):
            inner = node.expression if isinstance(node, (exp.Kwarg, exp.PropertyEQ)) else node.this
            return self.ev(inner, scope)
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean, exp.Placeholder, exp.Star, exp.Identifier,
                             exp.DataType, exp.Var)):
            return NO_EDGES
        if isinstance(node, exp.Parameter):
            return self.file_column(node, None, scope)
        if isinstance(node, (exp.Subquery, exp.Select, exp.SetOperation)):
            try:
                rel = self.query(node, scope)
            except Unsupported:
                self.approx = True
                return NO_EDGES
            edges: set = set(rel.rows_for_parent())
            for _, e, approx in rel.cols:
                edges.update(e)
                self.approx = self.approx or approx
            return frozenset(edges)
        if isinstance(node, exp.JSONExtract) and isinstance(node.this, exp.Parameter):
            return self.file_column(node.this, node.expression, scope)
        if isinstance(node, exp.Case):
            edges = set(compose_indirect(self.ev(node.this, scope), CONDITIONAL)) if node.this is not None else set()
            for branch in node.args.get("ifs") or ():
                edges.update(compose_indirect(self.ev(branch.this, scope), CONDITIONAL))
                edges.update(self.ev(branch.args.get("true"), scope))
            edges.update(self.ev(node.args.get("default"), scope))
            return frozenset(edges)
        if isinstance(node, exp.If):
            edges = set(compose_indirect(self.ev(node.this, scope), CONDITIONAL))
            edges.update(self.ev(node.args.get("true"), scope))
            edges.update(self.ev(node.args.get("false"), scope))
            return frozenset(edges)
        if isinstance(node, exp.Coalesce):
            args = [node.this, *node.expressions]
            edges = set()
            for i, arg in enumerate(args):
                value = self.ev(arg, scope)
                edges.update(value)
                if i < len(args) - 1:
                    edges.update(compose_indirect(value, CONDITIONAL))
            return frozenset(edges)
        if isinstance(node, exp.Nvl2):
            edges = set(compose_indirect(self.ev(node.this, scope), CONDITIONAL))
            edges.update(self.ev(node.args.get("true"), scope))
            edges.update(self.ev(node.args.get("false"), scope))
            return frozenset(edges)
        if isinstance(node, exp.Nullif):
            first = self.ev(node.this, scope)
            second = self.ev(node.expression, scope)
            return first | compose_indirect(first | second, CONDITIONAL)
        if type(node).__name__ in ("DecodeCase", "Decode") and node.expressions and len(node.expressions) > 2:
            args = list(node.expressions)
            edges = set(compose_indirect(self.ev(args[0], scope), CONDITIONAL))
            rest = args[1:]
            for i, arg in enumerate(rest):
                value = self.ev(arg, scope)
                if i % 2 == 0 and i != len(rest) - 1:
                    edges.update(compose_indirect(value, CONDITIONAL))
                else:
                    edges.update(value)
            return frozenset(edges)
        if isinstance(node, exp.Window):
            func = node.this
            inner = self.ev(func, scope)
            if isinstance(func, exp.AggFunc) and _func_name(func) in _NON_AGGREGATING_WINDOW:
                inner = compose_direct(self.children(func, scope), TRANSFORMATION)
            edges = set(inner)
            for part in node.args.get("partition_by") or ():
                edges.update(compose_indirect(self.ev(part, scope), WINDOW))
            order = node.args.get("order")
            if order is not None:
                for item in order.expressions:
                    edges.update(compose_indirect(self.ev(item, scope), WINDOW))
            return frozenset(edges)
        if isinstance(node, exp.Func):
            name = _func_name(node)
            masking = name in _MASKING_NAMES or any(word in name for word in _MASKING_WORDS)
            if isinstance(node, exp.AggFunc):
                return compose_direct(self.children(node, scope), AGGREGATION, masking)
            if isinstance(node, (exp.Exists,)):
                return self.children(node, scope)
            return compose_direct(self.children(node, scope), TRANSFORMATION, masking)
        if isinstance(node, (exp.In, exp.Any, exp.All, exp.Exists)):
            return self.children(node, scope)
        return compose_direct(self.children(node, scope), TRANSFORMATION)

    def children(self, node, scope: _Scope) -> frozenset:
        edges: set = set()
        for child in node.iter_expressions():
            edges.update(self.ev(child, scope))
        return frozenset(edges)

    def file_column(self, parameter, path, scope: _Scope) -> frozenset:
        """`$1:"name"` of a staged file: the file's field `name`; a bare `$1` has no name to give."""
        exp = self.exp
        key = None
        if path is not None:
            keys = [k for k in path.find_all(exp.JSONPathKey)] if isinstance(path, exp.Expression) else []
            if keys:
                key = str(keys[0].this)
            elif isinstance(path, exp.Literal):
                key = str(path.this).split(".")[0].strip('"')
        stages = [rel for rel in scope.sources.values() if rel.dataset is not None]
        if key is None or len(stages) != 1:
            return NO_EDGES
        self._file_fields.append(key)
        return stages[0].lookup(key)


# ---------------------------------------------------------------------------------------------
# Statements


_NO_LINEAGE_COMMANDS = frozenset({
    "SHOW", "DESC", "DESCRIBE", "LIST", "LS", "REMOVE", "RM", "BEGIN", "START", "COMMIT", "ROLLBACK", "SET",
    "UNSET", "GRANT", "REVOKE", "ALTER", "EXPLAIN", "USE", "COMMENT", "UNDROP", "ABORT", "KILL", "CANCEL",
})
_OPAQUE_COMMANDS = frozenset({"CALL", "EXECUTE"})


class _Analyzer:
    def __init__(self, session: Session, cat: Catalog, results=None) -> None:
        self.session = session
        self.catalog = cat
        self.results = results

    def walker(self) -> _Walker:
        walker = _Walker(self.session, self.catalog, self.results)
        walker._file_fields = []
        walker._provisional = set()
        walker._result_scan = None
        return walker

    # -- entry -------------------------------------------------------------------------------

    def analyze(self, text: str, prepared: str) -> Statement:
        dialect = self.session.dialect
        tree, parse_error = _sqlglot_parse(prepared, dialect)
        ols = None if _ols_unsafe(prepared, tree) else _ols_parse(prepared, dialect, self.session)
        if tree is not None:
            try:
                statement = self.statement(text, tree)
            except Unsupported as exc:
                statement = None
                parse_error = f"unsupported statement shape: {exc}"
            except Exception as exc:  # noqa: BLE001 - a walker bug must not cost the statement
                statement = None
                parse_error = f"internal: {type(exc).__name__}: {exc}"
            if statement is not None:
                if ols is not None:
                    _cross_check(statement, ols, tree, self.session)
                return statement
        if ols is not None and ols["ok"]:
            return _from_ols(text, ols, self.session)
        statement = Statement(text, _first_keyword(prepared), dialect)
        word = statement.kind
        if word in _NO_LINEAGE_COMMANDS:
            statement.kind = word
            return statement
        if word in _OPAQUE_COMMANDS:
            statement.notes.append(f"{word} runs code whose lineage is not visible")
            return statement
        message = (ols or {}).get("error") or parse_error or "statement could not be parsed"
        statement.error = f"could not parse the statement: {message}"[:1000]
        statement.kind = "UNPARSED"
        return statement

    def statement(self, text: str, tree) -> Statement:
        from sqlglot import exp

        tree = _normalize(tree, self.session, self.catalog)
        kind = type(tree).__name__
        handler = getattr(self, f"_{kind.lower()}", None)
        if handler is None:
            if isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery)):
                handler = self._select
            elif isinstance(tree, exp.Command):
                return self._command(text, tree)
            else:
                st = Statement(text, kind.upper(), self.session.dialect)
                if isinstance(tree, (exp.Show, exp.Describe, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
                                     exp.Grant)) or kind in ("Revoke", "Comment", "Pragma", "Analyze"):
                    return st
                raise Unsupported(kind)
        return handler(text, tree)

    def _command(self, text: str, tree) -> Statement:
        word = str(tree.this).upper()
        st = Statement(text, word, self.session.dialect)
        if word == "GET":
            self._get(st, str(tree.expression or ""))
            return st
        if word in _OPAQUE_COMMANDS:
            st.notes.append(f"{word} runs code whose lineage is not visible")
            return st
        if word in _NO_LINEAGE_COMMANDS:
            return st
        raise Unsupported(f"command {word}")

    # -- queries -----------------------------------------------------------------------------

    def _select(self, text: str, tree) -> Statement:
        st = Statement(text, "SELECT", self.session.dialect)
        walker = self.walker()
        rel = walker.query(tree, None)
        st.inputs = list(walker.inputs)
        st.columns = list(rel.cols)
        st.rows = rel.rows
        if isinstance(rel.known, list):
            st.star = rel.known
        st.provisional = set(walker._provisional) if hasattr(tree, "expressions") else set()
        st.result_scan = walker._result_scan
        st.approximate = any(a for _, _, a in rel.cols)
        st.notes.extend(walker.notes)
        st.referenced = _referenced(st.inputs, st.columns, st.rows)
        for dataset in st.inputs:
            self.privilege(st, dataset, "SELECT", "TABLE", "input")
        if st.star is not None:
            for item in st.star:
                if item[0] == "star" and item[2] is not None:
                    st.notes.append(f"SELECT * over {item[2].name}: columns unknown until the result is described")
        return st

    def privilege(self, st: Statement, dataset: DatasetId, action: str, object_type: str, side: str,
                  obj: str | None = None) -> None:
        st.privileges.append(Privilege(dataset, action, object_type, obj or dataset.name, side))

    # -- writes ------------------------------------------------------------------------------

    def target(self, node, walker: _Walker) -> tuple[DatasetId, list[str] | None]:
        from sqlglot import exp

        columns = None
        if isinstance(node, exp.Schema):
            columns = [walker.ident(c.this if isinstance(c, exp.ColumnDef) else c) for c in node.expressions]
            node = node.this
        if not isinstance(node, exp.Table):
            raise Unsupported(f"target {type(node).__name__}")
        return walker.dataset(node), columns

    def map_columns(self, st: Statement, target: DatasetId, names: list[str] | None, rel: Rel,
                    by_name_ok: bool = False) -> list[tuple[str, frozenset, bool]]:
        """Source columns onto the target's: by the statement's column list, else the table's known
        columns, else (CTAS, views) the query's own names."""
        sources = rel.cols
        if names:
            return [(name, sources[i][1], sources[i][2]) for i, name in enumerate(names) if i < len(sources)]
        known = self.catalog.names(target)
        if known and len(known) >= len(sources):
            return [(known[i], edges, approx) for i, (_, edges, approx) in enumerate(sources)]
        if not by_name_ok:
            st.notes.append(f"columns of {target.name} unknown: mapped by the query's column names")
            return [(name, edges, True) for name, edges, _ in sources]
        return list(sources)

    def _insert(self, text: str, tree) -> Statement:
        from sqlglot import exp

        st = Statement(text, "INSERT", self.session.dialect)
        walker = self.walker()
        target, names = self.target(tree.this, walker)
        st.target = target
        st.outputs = [target]
        source = tree.expression
        overwrite = bool(tree.args.get("overwrite"))
        if isinstance(source, exp.Values) and not any(
                isinstance(n, (exp.Column, exp.Subquery, exp.Select)) for n in source.find_all(exp.Column, exp.Select)):
            st.client_values = True
            st.fields = [(n, None) for n in names] if names else None
            width = max((len(t.expressions) for t in source.expressions if isinstance(t, exp.Tuple)), default=0)
            cols = names or (self.catalog.names(target) or [])[:width]
            st.frame_columns = [(c, c) for c in cols]
        else:
            rel = walker.query(source, None)
            st.columns = self.map_columns(st, target, names, rel)
            st.rows = rel.rows
            st.inputs = list(walker.inputs)
            st.fields = [(n, None) for n, _, _ in st.columns] if names is None else [(n, None) for n in names]
            _note_star(st, rel)
        st.notes.extend(walker.notes)
        self.privilege(st, target, "INSERT", "TABLE", "output")
        if overwrite:
            self.privilege(st, target, "DELETE", "TABLE", "output")
            st.lifecycle[target] = "OVERWRITE"
        for dataset in st.inputs:
            self.privilege(st, dataset, "SELECT", "TABLE", "input")
        st.referenced = _referenced(st.inputs, st.columns, st.rows)
        return st

    def _multitableinserts(self, text: str, tree) -> Statement:
        from sqlglot import exp

        st = Statement(text, "INSERT", self.session.dialect)
        walker = self.walker()
        rel = walker.query(tree.args["source"], None)
        scope = _Scope()
        scope.sources["_source"] = rel
        per_target: dict[DatasetId, list] = {}
        rows = set(rel.rows)
        for conditional in tree.expressions:
            insert = conditional.this
            target, names = self.target(insert.this, walker)
            condition = conditional.args.get("expression")
            extra = compose_indirect(walker.ev(condition, scope), FILTER) if condition is not None else NO_EDGES
            values = insert.expression
            exprs = values.expressions[0].expressions if isinstance(values, exp.Values) and values.expressions else []
            if not exprs:
                exprs = [exp.column(n) for n, _, _ in rel.cols]
            names = names or self.catalog.names(target) or [walker.output_name(e) or f"_COL_{i}"
                                                            for i, e in enumerate(exprs)]
            cols = per_target.setdefault(target, [])
            for name, expr in zip(names, exprs):
                walker.approx = False
                cols.append((name, walker.ev(expr, scope) | extra, walker.approx))
            if target not in st.outputs:
                st.outputs.append(target)
        st.inputs = list(walker.inputs)
        st.target = st.outputs[0] if st.outputs else None
        st.rows = frozenset(rows)
        st.columns = per_target.get(st.target, [])
        st.learn = {}
        st.notes.append("multi-table INSERT: the column lineage of the first target is reported per statement")
        for target, cols in per_target.items():
            self.privilege(st, target, "INSERT", "TABLE", "output")
        for dataset in st.inputs:
            self.privilege(st, dataset, "SELECT", "TABLE", "input")
        st.per_target = per_target
        st.referenced = _referenced(st.inputs, [c for cols in per_target.values() for c in cols], st.rows)
        return st

    def _create(self, text: str, tree) -> Statement:
        from sqlglot import exp

        kind = str(tree.args.get("kind") or "").upper()
        walker = self.walker()
        replace = bool(tree.args.get("replace"))
        st = Statement(text, f"CREATE {kind}".strip(), self.session.dialect)
        if kind in ("SCHEMA", "DATABASE", "SEQUENCE", "FUNCTION", "PROCEDURE", "FILE FORMAT", "WAREHOUSE", "ROLE",
                    "USER", "INTEGRATION", "STORAGE INTEGRATION", "TAG", "MASKING POLICY", "TASK", "STREAM", "PIPE",
                    "INDEX", "MACRO", "TYPE", "EXTENSION"):
            return st
        if kind == "STAGE":
            node = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            stage = walker.dataset(node)
            url = None
            for prop in (tree.args.get("properties").expressions if tree.args.get("properties") else ()):
                key = str(prop.this.name if isinstance(prop.this, exp.Expression) else prop.this).upper() \
                    if isinstance(prop, exp.Property) else ""
                if key == "URL":
                    value = prop.args.get("value")
                    url = value.this if isinstance(value, exp.Literal) else None
            st.stage = (stage, url)
            st.kind = "CREATE STAGE"
            self.privilege(st, stage, "CREATE STAGE", "SCHEMA", "output", _schema_of(stage))
            return st
        target, names = self.target(tree.this, walker)
        st.target = target
        st.outputs = [target]
        st.lifecycle[target] = "OVERWRITE" if replace else "CREATE"
        is_view = "VIEW" in kind
        self.privilege(st, target, f"CREATE {'MATERIALIZED VIEW' if 'MATERIALIZED' in kind else kind or 'TABLE'}",
                       "SCHEMA", "output", _schema_of(target))
        expression = tree.expression
        coldefs = []
        if isinstance(tree.this, exp.Schema):
            for c in tree.this.expressions:
                if isinstance(c, exp.ColumnDef):
                    kind_ = c.args.get("kind")
                    coldefs.append((walker.ident(c.this), kind_.sql(self.session.dialect) if kind_ else None))
        if expression is not None and isinstance(expression, (exp.Select, exp.SetOperation, exp.Subquery,
                                                               exp.Values)):
            rel = walker.query(expression, None)
            st.columns = self.map_columns(st, target, names or [c for c, _ in coldefs] or None, rel,
                                          by_name_ok=True)
            st.rows = rel.rows
            st.inputs = list(walker.inputs)
            types = dict(coldefs)
            st.fields = [(n, types.get(n)) for n, _, _ in st.columns]
            if _note_star(st, rel):
                st.fields = None  # the * hides columns: the table has more than we can name
            else:
                st.learn[target] = st.fields
            for dataset in st.inputs:
                self.privilege(st, dataset, "SELECT", "TABLE", "input")
        else:
            clone = tree.args.get("clone")
            like = None
            for prop in (tree.args.get("properties").expressions if tree.args.get("properties") else ()):
                if isinstance(prop, exp.LikeProperty):
                    like = prop.this
            if clone is not None:
                source = walker.dataset(clone.this)
                st.inputs = [source]
                known = self.catalog.columns(source)
                if known:
                    st.columns = [(c, source_edges(Field(source.namespace, source.name, c)), False) for c, _ in known]
                    st.fields = list(known)
                    st.learn[target] = list(known)
                self.privilege(st, source, "SELECT", "TABLE", "input")
                st.kind = f"CREATE {kind} CLONE"
            elif like is not None:
                source = walker.dataset(like)
                known = self.catalog.columns(source)
                if known:
                    st.fields = list(known)
                    st.learn[target] = list(known)
            elif coldefs:
                st.fields = coldefs
                st.learn[target] = coldefs
        st.notes.extend(walker.notes)
        st.referenced = _referenced(st.inputs, st.columns, st.rows)
        if is_view:
            st.kind = "CREATE VIEW"
        return st

    def _update(self, text: str, tree) -> Statement:
        from sqlglot import exp

        st, walker, target, scope = self._start_write(text, "UPDATE", tree)
        rows: set = set()
        from_ = _arg(tree, "from_", "from")
        items = []
        if from_ is not None:
            items.append((from_.this, None))
            for join in from_.args.get("joins") or ():
                items.append((join.this, join))
        for join in tree.args.get("joins") or ():
            items.append((join.this, join))
        for item, join in items:
            rel, name = walker.source(item, scope)
            scope.sources[name or f"_{len(scope.sources)}"] = rel
            rows.update(rel.rows_for_parent())
            if join is not None and join.args.get("on") is not None:
                rows.update(compose_indirect(walker.ev(join.args["on"], scope), JOIN))
        where = tree.args.get("where")
        if where is not None:
            rows.update(walker.predicate(where.this, scope))
        columns = []
        for assignment in tree.expressions:
            column = assignment.this
            name = walker.ident(column.this if isinstance(column, exp.Column) else column)
            walker.approx = False
            columns.append((name, walker.ev(assignment.expression, scope), walker.approx))
        st.columns = columns
        st.rows = frozenset(rows)
        st.inputs = self.with_target_if_read(walker, target, columns, st.rows)
        st.fields = [(n, None) for n, _, _ in columns]
        return self._finish_write(st, walker, target, "UPDATE")

    def _start_write(self, text: str, kind: str, tree):
        """UPDATE/DELETE/MERGE: the statement, a walker, the target table, a scope where the target's alias
        (or name) resolves to it."""
        st = Statement(text, kind, self.session.dialect)
        walker = self.walker()
        target_node = tree.this
        target = walker.dataset(target_node)
        st.target = target
        st.outputs = [target]
        scope = _Scope()
        alias = target_node.alias_or_name
        scope.sources[walker.ident(alias) if alias else target.name] = walker.base_rel(target)
        return st, walker, target, scope

    def _finish_write(self, st: Statement, walker: _Walker, target: DatasetId, privilege: str) -> Statement:
        self.privilege(st, target, privilege, "TABLE", "output")
        for dataset in st.inputs:
            if dataset != target:
                self.privilege(st, dataset, "SELECT", "TABLE", "input")
        st.notes.extend(walker.notes)
        st.referenced = _referenced(st.inputs, st.columns, st.rows)
        return st

    def with_target_if_read(self, walker: _Walker, target: DatasetId, columns, rows) -> list[DatasetId]:
        """Inputs of a statement that writes `target`: the tables it reads, the target too when its
        own columns feed the values or decide the rows (UPDATE t SET a = a + 1, DELETE ... WHERE)."""
        inputs = [d for d in walker.inputs if d != target]
        reads_target = any(e[0].name == target.name and e[0].namespace == target.namespace
                           for _, edges, _ in columns for e in edges) or any(
            e[0].name == target.name and e[0].namespace == target.namespace for e in rows)
        if reads_target:
            inputs.append(target)
        return inputs

    def _delete(self, text: str, tree) -> Statement:
        st, walker, target, scope = self._start_write(text, "DELETE", tree)
        rows: set = set()
        for item in tree.args.get("using") or ():
            rel, name = walker.source(item, scope)
            scope.sources[name or f"_{len(scope.sources)}"] = rel
            rows.update(rel.rows_for_parent())
        where = tree.args.get("where")
        if where is not None:
            rows.update(walker.predicate(where.this, scope))
        st.rows = frozenset(rows)
        st.inputs = self.with_target_if_read(walker, target, [], st.rows)
        return self._finish_write(st, walker, target, "DELETE")

    def _merge(self, text: str, tree) -> Statement:
        from sqlglot import exp

        st, walker, target, scope = self._start_write(text, "MERGE", tree)
        rel, name = walker.source(tree.args["using"], scope)
        scope.sources[name or "_source"] = rel
        rows: set = set(rel.rows_for_parent())
        on = tree.args.get("on")
        if on is not None:
            rows.update(compose_indirect(walker.ev(on, scope), JOIN))
        whens = tree.args.get("whens")
        clauses = whens.expressions if whens is not None else (tree.expressions or [])
        columns: dict[str, list] = {}
        actions = set()
        for when in clauses:
            condition = when.args.get("condition")
            extra = compose_indirect(walker.ev(condition, scope), CONDITIONAL) if condition is not None else NO_EDGES
            then = when.args.get("then")
            if isinstance(then, exp.Update):
                actions.add("UPDATE")
                for assignment in then.expressions:
                    column = assignment.this
                    cname = walker.ident(column.this if isinstance(column, exp.Column) else column)
                    walker.approx = False
                    edges = walker.ev(assignment.expression, scope) | extra
                    columns.setdefault(cname, []).append((edges, walker.approx))
            elif isinstance(then, exp.Insert):
                actions.add("INSERT")
                names_node = then.this
                values_node = then.expression
                names = [walker.ident(c.this if isinstance(c, exp.Column) else c)
                         for c in (names_node.expressions if names_node is not None else [])]
                values = values_node.expressions if isinstance(values_node, exp.Tuple) else (
                    [values_node] if values_node is not None else [])
                if not names:
                    names = self.catalog.names(target) or []
                for cname, value in zip(names, values):
                    walker.approx = False
                    edges = walker.ev(value, scope) | extra
                    columns.setdefault(cname, []).append((edges, walker.approx))
            else:
                actions.add("DELETE")
                if condition is not None:
                    rows.update(compose_indirect(walker.ev(condition, scope), FILTER))
        st.columns = [(cname, frozenset().union(*(e for e, _ in parts)), any(a for _, a in parts))
                      for cname, parts in columns.items()]
        st.rows = frozenset(rows)
        st.inputs = self.with_target_if_read(walker, target, st.columns, st.rows)
        st.fields = [(n, None) for n, _, _ in st.columns]
        for action in sorted(actions):
            self.privilege(st, target, action, "TABLE", "output")
        for dataset in st.inputs:
            if dataset != target:
                self.privilege(st, dataset, "SELECT", "TABLE", "input")
        st.notes.extend(walker.notes)
        st.referenced = _referenced(st.inputs, st.columns, st.rows)
        return st

    def _copy(self, text: str, tree) -> Statement:
        from sqlglot import exp

        walker = self.walker()
        this = tree.this
        table_node = this.this if isinstance(this, exp.Schema) else this
        files = tree.args.get("files") or []
        source = files[0] if files else None
        if isinstance(table_node, exp.Table) and walker.is_stage(table_node):
            return self._unload(text, tree, walker, table_node, source)
        st = Statement(text, "COPY", self.session.dialect)
        target, names = self.target(this, walker)
        st.target = target
        st.outputs = [target]
        self.privilege(st, target, "INSERT", "TABLE", "output")
        stage_kinds = []
        if isinstance(source, exp.Subquery):
            rel = walker.query(source, None)
            st.columns = self.map_columns(st, target, names, rel) if walker._file_fields else []
            st.rows = rel.rows
            st.frame_columns = [(n, f) for n, f in zip(names or [c for c, _, _ in rel.cols], walker._file_fields)]
            for dataset in walker.inputs:
                st.inputs.append(dataset)
        elif source is not None:
            dataset, info = walker.stage_dataset(source)
            st.inputs.append(dataset)
            stage_kinds.append(info)
            st.frame_columns = [(n, n) for n in (names or self.catalog.names(target) or [])]
        self.stage_privileges(st, tree, walker, "READ")
        st.fields = [(n, None) for n in names] if names else None
        st.notes.extend(walker.notes)
        st.referenced = _referenced(st.inputs, st.columns, st.rows)
        return st

    def stage_privileges(self, st: Statement, tree, walker: _Walker, internal_action: str) -> None:
        """READ/WRITE on internal stages, USAGE on external ones, for every stage the statement names."""
        from sqlglot import exp

        side = "input" if internal_action == "READ" else "output"
        for node in tree.find_all(exp.Var, exp.Literal):
            text = str(node.this).strip()
            if not (text.startswith("@") or (isinstance(node, exp.Literal) and "://" in text)):
                continue
            dataset, info = stage_reference(self.session, text, self.catalog)
            kind = info["kind"]
            if kind == "url":
                continue
            stage_name = info.get("stage") or dataset.name
            if kind == "external":
                self.privilege(st, dataset, "USAGE", "STAGE", side, stage_name)
            elif kind in ("internal",):
                self.privilege(st, dataset, internal_action, "STAGE", side, stage_name)
        credentials = tree.args.get("credentials")
        storage = credentials.args.get("storage") if credentials is not None else None
        if storage is not None:
            for dataset in (st.inputs if side == "input" else st.outputs):
                self.privilege(st, dataset, "USAGE", "INTEGRATION", side, walker.ident(storage))

    def _unload(self, text: str, tree, walker: _Walker, table_node, source) -> Statement:
        from sqlglot import exp

        st = Statement(text, "UNLOAD", self.session.dialect)
        target, info = walker.stage_dataset(table_node)
        st.target = target
        st.outputs = [target]
        if source is not None:
            if isinstance(source, exp.Table) and not walker.is_stage(source):
                dataset = walker.dataset(source)
                walker.add_input(dataset)
                rel = walker.base_rel(dataset)
            else:
                rel = walker.query(source, None)
            st.columns = [(n, e, a) for n, e, a in rel.cols]
            st.rows = rel.rows
            st.inputs = list(walker.inputs)
            st.fields = [(n, None) for n, _, _ in st.columns] or None
        for dataset in st.inputs:
            self.privilege(st, dataset, "SELECT", "TABLE", "input")
        if info["kind"] == "internal":
            self.privilege(st, target, "WRITE", "STAGE", "output", info.get("stage"))
        elif info["kind"] == "external":
            self.privilege(st, target, "USAGE", "STAGE", "output", info.get("stage"))
        credentials = tree.args.get("credentials")
        storage = credentials.args.get("storage") if credentials is not None else None
        if storage is not None:
            self.privilege(st, target, "USAGE", "INTEGRATION", "output", walker.ident(storage))
        st.notes.extend(walker.notes)
        st.referenced = _referenced(st.inputs, st.columns, st.rows)
        return st

    def _put(self, text: str, tree) -> Statement:
        from .. import naming

        st = Statement(text, "PUT", self.session.dialect)
        local = str(tree.this.this if hasattr(tree.this, "this") else tree.this).strip("'")
        target_text = str(tree.args.get("target").this if tree.args.get("target") is not None else "")
        source = naming.from_url(local if "://" in local else "file://" + local)
        dataset, info = stage_reference(self.session, target_text, self.catalog)
        if source is not None:
            st.inputs = [source]
            self.privilege(st, source, "read", "FILE", "input")
        st.outputs = [dataset]
        st.target = dataset
        action = "WRITE" if info["kind"] in ("internal", "user", "table") else "USAGE"
        self.privilege(st, dataset, action, "STAGE", "output", info.get("stage"))
        return st

    def _get(self, st: Statement, rest: str) -> None:
        from .. import naming

        st.kind = "GET"
        parts = rest.split()
        if len(parts) < 2:
            return
        dataset, info = stage_reference(self.session, parts[0], self.catalog)
        local = parts[1].strip("'")
        target = naming.from_url(local if "://" in local else "file://" + local)
        st.inputs = [dataset]
        if target is not None:
            st.outputs = [target]
            st.target = target
        self.privilege(st, dataset, "READ" if info["kind"] == "internal" else "USAGE", "STAGE", "input",
                       info.get("stage"))

    def _truncatetable(self, text: str, tree) -> Statement:
        st = Statement(text, "TRUNCATE", self.session.dialect)
        walker = self.walker()
        for table in tree.expressions:
            dataset = walker.dataset(table)
            st.outputs.append(dataset)
            st.lifecycle[dataset] = "TRUNCATE"
            self.privilege(st, dataset, "TRUNCATE", "TABLE", "output")
        st.target = st.outputs[0] if st.outputs else None
        return st

    def _drop(self, text: str, tree) -> Statement:
        kind = str(tree.args.get("kind") or "").upper()
        st = Statement(text, f"DROP {kind}".strip(), self.session.dialect)
        if kind not in ("TABLE", "VIEW", "MATERIALIZED VIEW", "DYNAMIC TABLE", "EXTERNAL TABLE", "STAGE"):
            return st
        walker = self.walker()
        for table in tree.args.get("tables") or ([tree.this] if tree.this is not None else []):
            dataset = walker.dataset(table)
            if kind == "STAGE":
                st.stage = (dataset, None)
                self.privilege(st, dataset, "OWNERSHIP", "STAGE", "output")
                continue
            st.outputs.append(dataset)
            st.lifecycle[dataset] = "DROP"
            st.forget.append(dataset)
            self.privilege(st, dataset, "OWNERSHIP", kind, "output")
        st.target = st.outputs[0] if st.outputs else None
        return st

    def _alter(self, text: str, tree) -> Statement:
        from sqlglot import exp

        kind = str(tree.args.get("kind") or "").upper()
        st = Statement(text, f"ALTER {kind}".strip(), self.session.dialect)
        if kind != "TABLE" or not isinstance(tree.this, exp.Table):
            return st
        walker = self.walker()
        dataset = walker.dataset(tree.this)
        for action in tree.args.get("actions") or ():
            if isinstance(action, exp.AlterRename):
                new = walker.dataset(action.this)
                st.rename = (dataset, new)
                st.outputs = [new]
                st.target = new
                st.lifecycle[new] = "RENAME"
                self.privilege(st, dataset, "OWNERSHIP", "TABLE", "output")
            elif isinstance(action, exp.ColumnDef):
                kind_ = action.args.get("kind")
                st.learn.setdefault(dataset, []).append(
                    ("+", walker.ident(action.this), kind_.sql(self.session.dialect) if kind_ else None))
                self.privilege(st, dataset, "OWNERSHIP", "TABLE", "output")
                st.outputs = [dataset]
                st.target = dataset
                st.lifecycle[dataset] = "ALTER"
        return st

    def _use(self, text: str, tree) -> Statement:
        from sqlglot import exp

        st = Statement(text, "USE", self.session.dialect)
        kind = str(tree.args.get("kind").this if isinstance(tree.args.get("kind"), exp.Expression)
                   else tree.args.get("kind") or "").upper()
        node = tree.this
        walker = self.walker()
        if isinstance(node, exp.Table):
            parts = walker.table_parts(node)
        else:
            parts = [walker.ident(node)]
        parts = [p for p in parts if p]
        if not parts:
            return st
        if kind in ("", "DATABASE"):
            st.use["database"] = parts[-1]
            st.use["schema"] = ""
            if kind == "" and len(parts) == 2:
                st.use = {"database": parts[0], "schema": parts[1]}
        elif kind == "SCHEMA":
            if len(parts) >= 2:
                st.use["database"] = parts[-2]
            st.use["schema"] = parts[-1]
        elif kind in ("WAREHOUSE", "ROLE", "SECONDARY ROLES"):
            st.use[kind.lower().replace(" ", "_")] = parts[-1]
        return st


def _note_star(st: Statement, rel: Rel) -> bool:
    """A write whose query has a * over a table this run has not seen: its columns are partly unknown."""
    if isinstance(rel.known, list) and any(item[0] == "star" for item in rel.known):
        st.star = rel.known
        st.approximate = True
        st.notes.append("* over a table whose columns this run has not seen: column lineage is partial")
        return True
    return False


def _schema_of(dataset: DatasetId) -> str:
    return dataset.name.rsplit(".", 1)[0] if "." in dataset.name else dataset.name


def _first_keyword(sql: str) -> str:
    stripped = _TOKENS.sub(lambda m: " " if m.lastgroup == "comment" else m.group(), sql).strip()
    match = re.match(r"[A-Za-z_]+", stripped)
    return match.group().upper() if match else ""


# ---------------------------------------------------------------------------------------------
# Parsers


def _sqlglot_parse(sql: str, dialect: str):
    try:
        import sqlglot
        from sqlglot import exp
    except ImportError:
        return None, "sqlglot is not installed"
    if len(sql) > MAX_SQLGLOT_CHARS:
        sql = shrink_literals(sql)
        if len(sql) > MAX_SQLGLOT_CHARS:
            return None, f"statement longer than {MAX_SQLGLOT_CHARS} characters"
    try:
        import logging

        logging.getLogger("sqlglot").setLevel(logging.ERROR)
        # the default error level stops at the first error: with ErrorLevel.RAISE (collect, then raise)
        # sqlglot 30 loops forever, allocating, on some malformed COPY statements
        trees = sqlglot.parse(sql, read=_SQLGLOT_DIALECTS.get(dialect, dialect))
    except Exception as exc:  # noqa: BLE001 - any parser failure is a parse failure
        return None, _short_error(exc)
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        return None, f"expected one statement, found {len(trees)}"
    tree = trees[0]
    if not isinstance(tree, (exp.Query, exp.DML, exp.DDL, exp.Command, exp.Use, exp.Copy, exp.Put, exp.Merge,
                             exp.Show, exp.Describe, exp.Set, exp.Transaction, exp.Commit, exp.Rollback,
                             exp.MultitableInserts, exp.TruncateTable, exp.Grant, exp.Alter, exp.Drop)) and \
            type(tree).__name__ not in ("Revoke", "Comment", "Pragma", "Analyze"):
        return None, f"not a statement ({type(tree).__name__})"
    return tree, None


_LITERAL = r"(?:''|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|NULL|TRUE|FALSE)"
_IN_LITERALS = re.compile(rf"(?i)(\bIN\s*)\(\s*{_LITERAL}(?:\s*,\s*{_LITERAL})+\s*\)")
_LITERAL_TUPLE = rf"\(\s*{_LITERAL}(?:\s*,\s*{_LITERAL})*\s*\)"
_REPEATED_TUPLES = re.compile(rf"(?i)({_LITERAL_TUPLE})(?:\s*,\s*{_LITERAL_TUPLE})+")


def shrink_literals(sql: str) -> str:
    """A generated statement's bulk is literals (IN lists of thousands, VALUES of thousands of rows),
    which carry no lineage: strings become '', comments go, a VALUES list keeps its first row and an
    IN list of literals one literal, so the statement fits the sqlglot walk. Numbers stay (ORDER BY 1)."""
    from ..redact import _SQL_TOKEN

    def repl(match: re.Match) -> str:
        kind = match.lastgroup
        if kind in ("string", "dollar"):
            return "''"
        if kind == "comment":
            return " "
        return match.group()

    text = _SQL_TOKEN.sub(repl, sql)
    text = _REPEATED_TUPLES.sub(r"\1", text)
    return _IN_LITERALS.sub(r"\1('')", text)


def _short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_no_values(str(exc))}"[:300]


def _no_values(message: str) -> str:
    """A parser's message without the statement's text or values: first line, literals and found tokens out."""
    message = message.split("\n", 1)[0]
    message = re.sub(r"'(?:[^'\\]|\\.|'')*'?", "'?'", message)
    return re.sub(r"(?i)(found:?\s+)(?![A-Za-z_]+\b(?:\s|$|,))\S+", r"\1?", message)


_SQLGLOT_DIALECTS = {"generic": "", "ansi": ""}
MAX_SQLGLOT_CHARS = 200_000  # generated statements beyond this go to openlineage-sql alone (Rust, linear)
_OLS_PANICS = frozenset({"MultitableInserts"})
_MULTI_TABLE_INSERT = re.compile(r"(?is)^\s*INSERT\s+(?:OVERWRITE\s+)?(?:ALL|FIRST)\b")


def _ols_unsafe(sql: str, tree) -> bool:
    """openlineage-sql 1.54 panics on these (found by fuzzing), and a Rust panic prints a backtrace on
    the job's stderr before Python can catch it: multi-table INSERTs and empty statements."""
    if type(tree).__name__ in _OLS_PANICS:
        return True
    text = _TOKENS.sub(lambda m: " " if m.lastgroup == "comment" else m.group(), sql).strip()
    return not text or bool(_MULTI_TABLE_INSERT.match(text))
_OLS_DIALECTS = {"postgres": "postgres", "snowflake": "snowflake", "sqlite": "sqlite", "redshift": "redshift",
                 "mysql": "mysql", "bigquery": "bigquery", "duckdb": "generic", "generic": "generic"}


def _ols_parse(sql: str, dialect: str, session: Session) -> dict | None:
    """openlineage-sql's view of one statement: tables (normalized, qualified) and plain column lineage."""
    try:
        import openlineage_sql
    except ImportError:
        return None
    try:
        meta = openlineage_sql.parse([sql], dialect=_OLS_DIALECTS.get(dialect, "generic"), default_schema=None)
    except BaseException as exc:  # noqa: BLE001 - a Rust panic surfaces as BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return {"ok": False, "error": _short_error(exc), "inputs": [], "outputs": [], "lineage": []}

    def table(t) -> DatasetId | None:
        if t.name is None:
            return None
        quote = t.quote_style
        parts = []
        for part, key in ((t.database, "database"), (t.schema, "schema"), (t.name, "name")):
            if part is None:
                continue
            quoted = bool(getattr(quote, key, None)) if quote is not None else False
            parts.append(fold(part, quoted, dialect))
        text = ".".join(parts)
        if "://" in text or text.startswith("@"):
            return None
        return dataset_for(session, parts)

    errors = [_no_values(getattr(e, "message", str(e))) for e in (meta.errors or [])]
    lineage = []
    for item in meta.column_lineage:
        for source in item.lineage:
            origin = table(source.origin) if source.origin is not None else None
            if origin is not None:
                lineage.append((item.descendant.name, origin, fold(source.name, False, dialect)))
    return {
        "ok": not errors,
        "error": errors[0] if errors else None,
        "inputs": [d for d in (table(t) for t in meta.in_tables) if d is not None],
        "outputs": [d for d in (table(t) for t in meta.out_tables) if d is not None],
        "lineage": lineage,
    }


def _from_ols(text: str, ols: dict, session: Session) -> Statement:
    """A statement only openlineage-sql could parse: its tables, and its lineage as plain DIRECT edges."""
    st = Statement(text, _first_keyword(text) or "UNKNOWN", session.dialect)
    st.inputs = list(dict.fromkeys(ols["inputs"]))
    st.outputs = list(dict.fromkeys(ols["outputs"]))
    st.target = st.outputs[0] if st.outputs else None
    by_name: dict[str, set] = {}
    for name, origin, column in ols["lineage"]:
        if re.fullmatch(r"_\d+", name):
            continue
        by_name.setdefault(fold(name, False, session.dialect), set()).add(
            (Field(origin.namespace, origin.name, column), DIRECT, TRANSFORMATION, False))
    st.columns = [(name, frozenset(edges), True) for name, edges in by_name.items()]
    st.approximate = True
    st.notes.append("parsed by openlineage-sql only: transformation types are approximate")
    action = {"INSERT": "INSERT", "MERGE": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE", "CREATE": "CREATE TABLE",
              "COPY": "INSERT"}.get(st.kind)
    analyzer = _Analyzer(session, catalog)
    for dataset in st.outputs:
        if action:
            analyzer.privilege(st, dataset, action, "SCHEMA" if action.startswith("CREATE") else "TABLE", "output",
                               _schema_of(dataset) if action.startswith("CREATE") else None)
    for dataset in st.inputs:
        analyzer.privilege(st, dataset, "SELECT", "TABLE", "input")
    st.referenced = _referenced(st.inputs, st.columns, st.rows)
    return st


def _cross_check(st: Statement, ols: dict, tree, session: Session) -> None:
    """Add what openlineage-sql saw and the walker missed: an input table, a DIRECT column edge."""
    if not ols.get("ok"):
        return
    known = set(st.inputs) | set(st.outputs)
    cte_names = set()
    try:
        from sqlglot import exp

        for cte in tree.find_all(exp.CTE):
            cte_names.add(fold(cte.alias, False, session.dialect))
    except Exception:  # noqa: BLE001
        pass
    for dataset in ols["inputs"]:
        if dataset not in known and dataset.name.rsplit(".", 1)[-1] not in cte_names and st.kind in (
                "SELECT", "INSERT", "CREATE TABLE", "CREATE VIEW", "MERGE", "UPDATE", "DELETE", "UNLOAD"):
            st.inputs.append(dataset)
            st.notes.append(f"input {dataset.name} found by openlineage-sql only")
            st.privileges.append(Privilege(dataset, "SELECT", "TABLE", dataset.name, "input"))
            st.approximate = True
    if st.kind not in ("SELECT", "CREATE TABLE", "CREATE VIEW") or not st.columns:
        return
    names = {name: i for i, (name, _, _) in enumerate(st.columns)}
    seen = {(e[0].name, e[0].field.upper()) for _, edges, _ in st.columns for e in edges}
    seen |= {(e[0].name, e[0].field.upper()) for e in st.rows}
    changed = False
    columns = list(st.columns)
    for name, origin, column in ols["lineage"]:
        index = names.get(fold(name, False, session.dialect))
        if index is None:
            continue
        field = Field(origin.namespace, origin.name, column)
        cname, edges, approx = columns[index]
        if (field.name, column.upper()) in seen:
            continue  # the walker accounted for this field (perhaps as an INDIRECT input)
        if origin not in st.inputs:
            continue
        columns[index] = (cname, edges | {(field, DIRECT, TRANSFORMATION, False)}, True)
        changed = True
    if changed:
        st.columns = columns
        st.approximate = True
        st.notes.append("column edges found by openlineage-sql only were added")
        st.referenced = _referenced(st.inputs, st.columns, st.rows, st.referenced)


def _normalize(tree, session: Session, cat: Catalog):
    """Identifiers folded as the dialect folds them, tables and columns qualified where we can."""
    from sqlglot import exp
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    dialect = _SQLGLOT_DIALECTS.get(session.dialect, session.dialect)
    if session.dialect == "sqlite":
        return tree
    try:
        tree = normalize_identifiers(tree, dialect=dialect)
    except Exception:  # noqa: BLE001
        return tree
    if not isinstance(tree, (exp.Query, exp.Insert, exp.Create, exp.Update, exp.Delete, exp.Merge)):
        return tree
    try:
        from sqlglot.optimizer.qualify import qualify

        schema = _schema_for(tree, session, cat)
        kwargs = dict(dialect=dialect, validate_qualify_columns=False, quote_identifiers=False, identify=False,
                      infer_schema=False)
        if schema is not None:
            kwargs["schema"] = schema
        if session.database and session.schema and session.dialect != "sqlite":
            kwargs["catalog"] = session.database
            kwargs["db"] = session.schema
        elif session.schema and session.dialect != "sqlite":
            kwargs["db"] = session.schema
        qualified = qualify(tree.copy(), **kwargs)
        return qualified
    except Exception:  # noqa: BLE001 - the unqualified tree still gives (approximate) lineage
        return tree


def _schema_for(tree, session: Session, cat: Catalog):
    """A sqlglot schema of the tables this statement names whose columns the run knows."""
    from sqlglot import exp
    from sqlglot.schema import MappingSchema

    mapping: dict = {}
    depth = None
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        parts = [fold(p.this, p.quoted, session.dialect) for p in (table.args.get("catalog"), table.args.get("db"),
                                                                      table.this) if isinstance(p, exp.Identifier)]
        full = qualified_parts(session, parts)
        cols = cat.columns(DatasetId(session.namespace, ".".join(full)))
        if not cols:
            continue
        if depth is None:
            depth = len(full)
        if len(full) != depth:
            return None
        node = mapping
        for part in full[:-1]:
            node = node.setdefault(part, {})
        node[full[-1]] = {c: "VARCHAR" for c, _ in cols}
    if not mapping:
        return None
    try:
        return MappingSchema(mapping, dialect=_SQLGLOT_DIALECTS.get(session.dialect, session.dialect),
                             normalize=False)
    except Exception:  # noqa: BLE001
        return None


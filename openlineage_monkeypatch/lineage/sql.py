"""SQL lineage: for each statement, its tables, typed column lineage and the privileges it needed.

Every statement is parsed twice, cheaply: by openlineage-sql (the OpenLineage project's own Rust
parser, the reference for input/output tables and plain column lineage) and by sqlglot, whose AST
is walked once, visitor-style, in the manner of the OpenLineage Spark column-level visitors. The
walk attaches a transformation to each edge:

    DIRECT   IDENTITY / TRANSFORMATION / AGGREGATION, masking for hash and masking functions
    INDIRECT JOIN (join keys), FILTER (WHERE / HAVING / QUALIFY / IN / EXISTS), GROUP_BY (GROUP BY,
             DISTINCT), SORT (ORDER BY), WINDOW (PARTITION BY / ORDER BY of a window function),
             CONDITIONAL (CASE WHEN / IFF / COALESCE / NVL2 / NULLIF / DECODE conditions)

and fills what openlineage-sql leaves out: INSERT column lists (mapped by position), unaliased
expressions (named by position, then by the cursor's description), SELECT * over tables whose
columns this run has seen, MERGE / UPDATE column lineage, CTE inputs, stages and COPY INTO.

Edges use lineage.model: (Field(namespace, "DB.SCHEMA.TABLE", "COLUMN"), type, subtype, masking),
so SQL lineage composes with pandas lineage. Names follow the OpenLineage naming spec: qualified
with the session's database and schema, unquoted identifiers folded as the dialect folds them
(upper case for Snowflake), quoted ones kept as written.

Nothing here talks to a database: what we know of a table's columns comes from statements and
results seen earlier in the run (`catalog`). This module holds the public side (analyze, Statement,
Catalog, SQL text handling, the pandas seam); the walk itself is in sqlwalk.py, loaded with sqlglot
at the first statement.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from typing import Iterable, NamedTuple

from ..naming import DatasetId
from . import model
from .model import IDENTITY, NO_EDGES

# ---------------------------------------------------------------------------------------------
# SQL text: splitting, placeholders, what may leave the process

_TOKENS = re.compile(
    r"""(?P<comment>--[^\n]*|//[^\n]*|/\*.*?\*/)"""
    r"""|(?P<dollar>\$\$.*?\$\$)"""
    r"""|(?P<string>'(?:[^'\\]|\\.|'')*')"""
    r"""|(?P<ident>"(?:[^"]|"")*")"""
    r"""|(?P<semi>;)"""
    r"""|(?P<pyformat>%\((?P<pyname>[^)]*)\)s|%s)"""
    r"""|(?P<percent>%%)"""
    r"""|(?P<qmark>\?)"""
    r"""|(?P<numeric>(?<![\w$:]):\d+)""",
    re.S,
)
_IDENTIFIER_CALL = re.compile(r"(?i)\bidentifier\s*\(\s*$")


def split_statements(sql: str) -> list[str]:
    """The statements of a multi-statement string, in order, without empty or comment-only pieces."""
    pieces: list[str] = []
    start = 0
    for match in _TOKENS.finditer(sql):
        if match.lastgroup == "semi":
            pieces.append(sql[start:match.start()])
            start = match.end()
    pieces.append(sql[start:])
    out = []
    for piece in pieces:
        text = piece.strip()
        if text and _TOKENS.sub(lambda m: "" if m.lastgroup == "comment" else m.group(), text).strip():
            out.append(text)
    return out


def prepare(sql: str, params=None, paramstyle: str | None = None) -> str:
    """The statement as we parse it: bind placeholders become `?`, except `identifier(?)`.

    A bound value never enters what we parse (it may be data), with one exception: a string bound
    to `IDENTIFIER(?)` is a table name (write_pandas binds its table and stage names that way).
    """
    has_params = params is not None
    position = 0

    def bound(key):
        try:
            if isinstance(key, str):
                return params[key] if isinstance(params, dict) else None
            if isinstance(params, dict):
                return None
            return params[key]
        except (IndexError, KeyError, TypeError):
            return None

    def repl(match: re.Match) -> str:
        nonlocal position
        kind = match.lastgroup
        if kind == "percent":
            return "%" if has_params and paramstyle in (None, "pyformat", "format") else match.group()
        if kind not in ("pyformat", "qmark", "numeric"):
            return match.group()
        if kind == "pyformat" and paramstyle not in (None, "pyformat", "format"):
            return match.group()
        if kind == "pyformat" and match.group("pyname") is not None:
            key = match.group("pyname")
        elif kind == "numeric":
            key = int(match.group()[1:]) - 1
        else:
            key = position
            position += 1
        if has_params and _IDENTIFIER_CALL.search(sql, 0, match.start()):
            value = bound(key)
            if isinstance(value, str) and value and "\n" not in value and ";" not in value and "'" not in value:
                names.append(value)
                return f"\x00{len(names) - 1}\x00"
        return "?"

    names: list[str] = []
    text = _TOKENS.sub(repl, sql)
    if names:
        text = _IDENTIFIER_BOUND.sub(lambda m: names[int(m.group(1))], text)
        text = re.sub(r"\x00(\d+)\x00", lambda m: names[int(m.group(1))], text)
    if "identifier" in text.lower():
        text = _IDENTIFIER_LITERAL.sub(lambda m: m.group(1).replace("''", "'"), text)
    return text


_IDENTIFIER_BOUND = re.compile(r"(?i)\bidentifier\s*\(\s*\x00(\d+)\x00\s*\)")
_IDENTIFIER_LITERAL = re.compile(r"(?i)\bidentifier\s*\(\s*'((?:[^'\\]|'')*)'\s*\)")


_CREDENTIAL_BLOCK = re.compile(r"(?is)\b(CREDENTIALS|ENCRYPTION)\s*=\s*\((?:[^()']|'(?:[^'\\]|\\.|'')*')*\)")
_SECRET_ASSIGN = re.compile(
    r"(?i)\b(AWS_KEY_ID|AWS_SECRET_KEY|AWS_TOKEN|AZURE_SAS_TOKEN|MASTER_KEY|KMS_KEY_ID|PASSWORD|"
    r"OAUTH_CLIENT_SECRET|OAUTH_REFRESH_TOKEN|SECRET_STRING|PRIVATE_KEY|RSA_PUBLIC_KEY(?:_2)?|TOKEN)"
    r"(\s*=\s*)('(?:[^'\\]|\\.|'')*'|\S+)"
)


def scrub_sql(sql: str) -> str:
    """SQL text with credentials removed (CREDENTIALS=(...), ENCRYPTION=(...), PASSWORD='...')."""
    from ..redact import scrub_text

    sql = _CREDENTIAL_BLOCK.sub(lambda m: f"{m.group(1)} = (***)", sql)
    sql = _SECRET_ASSIGN.sub(lambda m: f"{m.group(1)}{m.group(2)}'***'", sql)
    return scrub_text(sql)


def facet_text(sql: str, mode: str | None = None) -> str | None:
    """The statement as the sql facet carries it: OPENLINEAGE_MONKEYPATCH_SQL_TEXT=redacted|full|none."""
    if mode is None:
        from .. import config

        mode = config.settings().sql_text
    if mode == "none":
        return None
    text = scrub_sql(sql)
    if mode != "full":
        from ..redact import redact_sql_literals

        text = redact_sql_literals(text)
    return text[:100_000]


# ---------------------------------------------------------------------------------------------
# What the run has learned about tables and stages (never queried: seen in statements and results)


_catalog_tokens = itertools.count()


class Catalog:
    """Per-run knowledge: table -> ordered (column, type) and stage -> URL, bounded, thread-safe."""

    MAX = 20_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: OrderedDict[DatasetId, tuple] = OrderedDict()
        self._stages: OrderedDict[DatasetId, str] = OrderedDict()
        self.version = 0
        self.token = next(_catalog_tokens)  # cache keys: unlike id(), never reused

    def columns(self, dataset: DatasetId) -> tuple | None:
        """((name, type or None), ...) of a table, or None when this run has not seen them."""
        with self._lock:
            return self._tables.get(dataset)

    def names(self, dataset: DatasetId) -> list[str] | None:
        cols = self.columns(dataset)
        return None if cols is None else [c for c, _ in cols]

    def learn(self, dataset: DatasetId, columns: Iterable) -> None:
        cols = tuple((c, None) if isinstance(c, str) else (str(c[0]), c[1]) for c in columns)
        if not cols:
            return
        with self._lock:
            old = self._tables.get(dataset)
            if old is not None and [c for c, _ in old] == [c for c, _ in cols]:
                if any(t is not None for _, t in cols) and old != cols:
                    merged = tuple((c, t if t is not None else ot) for (c, t), (_, ot) in zip(cols, old))
                    self._tables[dataset] = merged
                self._tables.move_to_end(dataset)
                return
            self._tables[dataset] = cols
            self._tables.move_to_end(dataset)
            while len(self._tables) > self.MAX:
                self._tables.popitem(last=False)
            self.version += 1

    def add_column(self, dataset: DatasetId, name: str, type_: str | None = None) -> None:
        with self._lock:
            old = self._tables.get(dataset)
            if old is None or any(c == name for c, _ in old):
                return
            self._tables[dataset] = old + ((name, type_),)
            self.version += 1

    def forget(self, dataset: DatasetId) -> None:
        with self._lock:
            if self._tables.pop(dataset, None) is not None:
                self.version += 1
            self._stages.pop(dataset, None)

    def rename(self, old: DatasetId, new: DatasetId) -> None:
        with self._lock:
            cols = self._tables.pop(old, None)
            if cols is not None:
                self._tables[new] = cols
                self.version += 1

    def stage_url(self, stage: DatasetId) -> str | None:
        with self._lock:
            return self._stages.get(stage)

    def learn_stage(self, stage: DatasetId, url: str | None) -> None:
        with self._lock:
            if url:
                self._stages[stage] = url
            else:
                self._stages.pop(stage, None)
            while len(self._stages) > self.MAX:
                self._stages.popitem(last=False)
            self.version += 1

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
            self._stages.clear()
            self.version += 1


catalog = Catalog()


# ---------------------------------------------------------------------------------------------
# Results of analysis


class Privilege(NamedTuple):
    """A privilege a statement needed: `action` on `object_type` `obj`, reported on `dataset`."""

    dataset: DatasetId
    action: str
    object_type: str
    obj: str
    side: str  # "input" or "output": which side of the event the dataset is on


class Statement:
    """What one statement does, as far as the text, the session and this run's catalog tell.

    columns: [(name, edges, approximate)] of the statement's result (a query) or of its target (a
    write), in order; rows: dataset-level INDIRECT edges (filters, joins, group keys, sorts);
    referenced: input fields the statement reads, per input dataset.
    """

    __slots__ = ("sql", "kind", "inputs", "outputs", "target", "columns", "rows", "referenced", "privileges",
                 "error", "use", "lifecycle", "fields", "learn", "forget", "rename", "stage", "client_values",
                 "frame_columns", "star", "approximate", "notes", "dialect", "result_scan", "provisional", "per_target")

    def __init__(self, sql: str, kind: str, dialect: str) -> None:
        self.sql = sql
        self.kind = kind
        self.dialect = dialect
        self.inputs: list[DatasetId] = []
        self.outputs: list[DatasetId] = []
        self.target: DatasetId | None = None
        self.columns: list[tuple[str, frozenset, bool]] = []
        self.rows: frozenset = NO_EDGES
        self.referenced: dict[DatasetId, list[str]] = {}
        self.privileges: list[Privilege] = []
        self.error: str | None = None
        self.use: dict[str, str] = {}
        self.lifecycle: dict[DatasetId, str] = {}
        self.fields: list[tuple[str, str | None]] | None = None  # the target's fields when the statement says
        self.learn: dict[DatasetId, list] = {}
        self.forget: list[DatasetId] = []
        self.rename: tuple[DatasetId, DatasetId] | None = None
        self.stage: tuple[DatasetId, str | None] | None = None
        self.client_values = False  # INSERT ... VALUES (placeholders): the data comes from the client
        self.frame_columns: list[tuple[str, str]] | None = None  # (target column, client-side field) pairs
        self.star: list | None = None  # projections of a SELECT with an unexpanded *, for the description
        self.approximate = False
        self.notes: list[str] = []
        self.result_scan: str | None = None
        self.provisional: set[int] = set()  # positions of result columns whose names are our guesses
        self.per_target: dict | None = None  # multi-table INSERT: target -> its columns

    @property
    def touches_data(self) -> bool:
        return bool(self.inputs or self.outputs)

    def __repr__(self) -> str:
        return f"Statement({self.kind}, in={[d.name for d in self.inputs]}, out={[d.name for d in self.outputs]})"

    def with_result_names(self, names: list[str]) -> "Statement":
        """This statement with its result columns named as the cursor's description names them.

        Resolves an unexpanded `SELECT *` over one table (the description lists that table's columns)
        and replaces the names we guessed for unaliased expressions.
        """
        if not names or self.kind != "SELECT":
            return self
        if self.star is not None:
            columns = _expand_with_description(self.star, names)
            if columns is None:
                return self
        elif len(self.columns) == len(names):
            columns = [(names[i], edges, approx) for i, (_, edges, approx) in enumerate(self.columns)]
        else:
            return self
        new = Statement(self.sql, self.kind, self.dialect)
        for slot in Statement.__slots__:
            setattr(new, slot, getattr(self, slot))
        new.columns = columns
        new.star = None
        new.provisional = set()
        new.referenced = _referenced(new.inputs, columns, new.rows, self.referenced)
        if self.star is not None:
            new.learn = dict(self.learn)
            for item in self.star:
                if item[0] == "star" and item[2] is not None and len(self.star) == 1:
                    new.learn[item[2]] = list(names)
        return new


def _expand_with_description(star: list, names: list[str]):
    """Projections [("col", name, edges, approx) | ("star", rels, dataset)] matched to result names."""
    fixed = sum(1 for item in star if item[0] == "col")
    stars = [item for item in star if item[0] == "star"]
    free = len(names) - fixed
    if free < 0 or len(stars) != 1:
        return None
    out = []
    position = 0
    for item in star:
        if item[0] == "col":
            out.append((names[position], item[2], item[3]))
            position += 1
            continue
        rels = item[1]
        for name in names[position:position + free]:
            edges: set = set()
            candidates = [rel for rel in rels if rel.knows(name)] or [rel for rel in rels if rel.open]
            for rel in candidates:
                edges.update(rel.lookup(name) or ())
            out.append((name, frozenset(edges), len(candidates) > 1))
        position += free
    return out


def _referenced(inputs, columns, rows, previous=None) -> dict:
    refs: dict[DatasetId, set] = {d: set(previous.get(d, ())) if previous else set() for d in inputs}
    for _, edges, _ in columns:
        for edge in edges:
            f = edge[0]
            refs.setdefault(DatasetId(f.namespace, f.name), set()).add(f.field)
    for edge in rows:
        f = edge[0]
        refs.setdefault(DatasetId(f.namespace, f.name), set()).add(f.field)
    return {d: sorted(fields) for d, fields in refs.items()}


class Session(NamedTuple):
    """Where a statement runs: dialect, namespace, default database and schema (already normalized)."""

    dialect: str
    namespace: str
    database: str | None = None
    schema: str | None = None


# ---------------------------------------------------------------------------------------------
def fold(name: str, quoted: bool, dialect: str) -> str:
    """How a dialect stores an identifier: Snowflake upper-cases unquoted names, Postgres lower-cases."""
    if dialect == "snowflake":
        return name if quoted else name.upper()
    if dialect in ("postgres", "redshift"):
        return name if quoted else name.lower()
    if dialect == "sqlite":
        return name.lower()
    return name


def parse_identifier(text: str, dialect: str) -> str | None:
    """A connection parameter naming a database or schema, normalized: `"MyDb"` kept, `mydb` folded."""
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return fold(text, False, dialect)


def qualified_parts(session: Session, parts: list[str]) -> list[str]:
    """[DATABASE, SCHEMA, TABLE] (Snowflake, Postgres) or [TABLE] (SQLite), completed with the session's defaults."""
    parts = [p for p in parts if p]
    if session.dialect == "sqlite":
        if len(parts) > 1 and parts[-2] in ("main", "temp"):
            parts = parts[-1:]
        return parts[-2:]
    if len(parts) == 1 and session.schema:
        parts = [session.schema, parts[0]]
    if len(parts) == 2 and session.database:
        parts = [session.database, *parts]
    return parts


def dataset_for(session: Session, parts: list[str]) -> DatasetId:
    """DATABASE.SCHEMA.TABLE (Snowflake, Postgres) or the table alone (SQLite), with the session's defaults."""
    return DatasetId(session.namespace, ".".join(qualified_parts(session, parts)))


def stage_reference(session: Session, text: str, cat: Catalog) -> tuple[DatasetId, dict]:
    """A stage or URL location -> (dataset, {"kind": "url"|"internal"|"external"|"user"|"table", "stage": name})."""
    from .. import naming

    text = text.strip().strip("'")
    if "://" in text and not text.startswith("@"):
        url = text.rstrip("/") if text.count("/") > 3 else text
        dataset = naming.from_url(url) or DatasetId(text.split("://")[0] + "://", text)
        return dataset, {"kind": "url"}
    body = text[1:] if text.startswith("@") else text
    if body.startswith("~"):
        return DatasetId(session.namespace, "@~" + body[1:]), {"kind": "user", "stage": "@~"}
    if body.startswith("%"):
        name, _, path = _split_stage_path(body[1:])
        table = dataset_for(session, _split_name(name, session.dialect))
        return DatasetId(session.namespace, f"{table.name}/@%" + (f"/{path}" if path else "")), {
            "kind": "table", "stage": "@%" + table.name}
    name, _, path = _split_stage_path(body)
    stage = dataset_for(session, _split_name(name, session.dialect))
    url = cat.stage_url(stage)
    path = path.strip("/")
    if url:
        full = url.rstrip("/") + ("/" + path if path else "")
        dataset = naming.from_url(full) or stage
        return dataset, {"kind": "external", "stage": stage.name}
    name = stage.name + ("/" + path if path else "")
    return DatasetId(session.namespace, name), {"kind": "internal", "stage": stage.name}


def _split_stage_path(body: str) -> tuple[str, str, str]:
    """`"My Stage"/a/b` or `db.s.stg/a/b` -> (name, '/', path), honoring quotes."""
    in_quote = False
    for i, ch in enumerate(body):
        if ch == '"':
            in_quote = not in_quote
        elif ch == "/" and not in_quote:
            return body[:i], "/", body[i + 1:]
    return body, "", ""


def _split_name(name: str, dialect: str) -> list[str]:
    parts = []
    for match in re.finditer(r'"((?:[^"]|"")*)"|([^."]+)', name):
        if match.group(1) is not None:
            parts.append(match.group(1).replace('""', '"'))
        else:
            parts.append(fold(match.group(2).strip(), False, dialect))
    return [p for p in parts if p]


def name_parts(name: str, dialect: str) -> list[str]:
    """`db.s."My T"` -> ['DB', 'S', 'My T'] (Snowflake folding)."""
    return _split_name(name, dialect)


# ---------------------------------------------------------------------------------------------
# Public entry point, with a bounded cache (jobs run the same statements in loops)

_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 512


_texts: OrderedDict = OrderedDict()
_IDENTIFIER_ANYWHERE = re.compile(r"(?i)\bidentifier\s*\(")


def _prepared(sql: str, params, paramstyle: str | None, split: bool) -> list[tuple[str, str]]:
    """(statement text, text as parsed) for each statement of `sql`, cached on the raw text: the
    bound values only enter the parsed text through IDENTIFIER(?), which is never cached."""
    if _IDENTIFIER_ANYWHERE.search(sql):
        return [(text, prepare(text, params, paramstyle)) for text in (split_statements(sql) if split else [sql.strip()])]
    key = (sql, params is not None, paramstyle, split)
    with _cache_lock:
        found = _texts.get(key)
        if found is not None:
            _texts.move_to_end(key)
            return found
    found = [(text, prepare(text, params, paramstyle)) for text in (split_statements(sql) if split else [sql.strip()])]
    with _cache_lock:
        _texts[key] = found
        while len(_texts) > _CACHE_SIZE:
            _texts.popitem(last=False)
    return found


def analyze(sql: str, session: Session, params=None, paramstyle: str | None = None, cat: Catalog | None = None,
            results=None, split: bool = True) -> list[Statement]:
    """One Statement per statement of `sql`, in order. Never raises on bad SQL (see Statement.error)."""
    cat = cat or catalog
    out = []
    for text, prepared in _prepared(sql, params, paramstyle, split):
        key = (prepared, session, cat.version, cat.token) if results is None or "RESULT_SCAN" not in prepared.upper() \
            else None
        if key is not None:
            with _cache_lock:
                hit = _cache.get(key)
                if hit is not None:
                    _cache.move_to_end(key)
            if hit is not None:
                out.append(hit if hit.sql == text else _retext(hit, text))
                continue
        from .sqlwalk import _Analyzer

        statement = _Analyzer(session, cat, results).analyze(text, prepared)
        if key is not None:
            with _cache_lock:
                _cache[key] = statement
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        out.append(statement)
    return out


def analyze_script(sql: str, session: Session, params=None, paramstyle: str | None = None, cat: Catalog | None = None,
                   results=None) -> list[tuple[Statement, Session]]:
    """Each statement of a multi-statement string with the session it runs in (USE applies onwards)."""
    out = []
    for text in split_statements(sql):
        statement = analyze(text, session, params, paramstyle, cat, results, split=False)[0]
        out.append((statement, session))
        if statement.use:
            changed = session._asdict()
            for key in ("database", "schema"):
                if key in statement.use:
                    changed[key] = statement.use[key] or ("PUBLIC" if key == "schema" else None)
            session = Session(**changed)
    return out


def _retext(statement: Statement, text: str) -> Statement:
    new = Statement(text, statement.kind, statement.dialect)
    for slot in Statement.__slots__:
        if slot != "sql":
            setattr(new, slot, getattr(statement, slot))
    return new


def apply(statement: Statement, cat: Catalog | None = None) -> None:
    """What a statement that succeeded teaches the run: new tables' columns, drops, renames, stages."""
    cat = cat or catalog
    for dataset in statement.forget:
        cat.forget(dataset)
    if statement.rename is not None:
        cat.rename(*statement.rename)
    for dataset, columns in statement.learn.items():
        if columns and isinstance(columns[0], tuple) and len(columns[0]) == 3 and columns[0][0] == "+":
            for _, name, type_ in columns:
                cat.add_column(dataset, name, type_)
        else:
            cat.learn(dataset, columns)
    if statement.stage is not None:
        stage, url = statement.stage
        cat.learn_stage(stage, url)


# ---------------------------------------------------------------------------------------------
# The seam between pandas' SQL functions and the database integrations (per thread)


class IOContext:
    """A pandas read_sql / to_sql / write_pandas call in progress on this thread.

    The database integration that sees the call's statements (Snowflake's cursor patch) records them
    and fills this in: `statements` read, `handled` when it gave a written table the frame's lineage.
    pandas' side then only attaches provenance to the frame it returns, or records what nobody did.
    """

    __slots__ = ("kind", "frame", "labels", "statements", "handled", "api", "target")

    def __init__(self, kind: str, frame=None, labels=None, api: str | None = None, target: str | None = None) -> None:
        self.kind = kind  # "read" or "write"
        self.frame = frame  # lineage.model.Frame of the frame being written (None when unknown)
        self.labels = labels  # [(label, column name)] of the frame being written, index levels included
        self.statements: list[tuple[Statement, str]] = []  # (statement, namespace) of the reads seen
        self.handled = False
        self.api = api
        self.target = target


_io = threading.local()


def current_io() -> IOContext | None:
    stack = getattr(_io, "stack", None)
    return stack[-1] if stack else None


class io_context:
    """`with io_context(IOContext(...)) as ctx:` around a pandas SQL call."""

    __slots__ = ("ctx",)

    def __init__(self, ctx: IOContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> IOContext:
        stack = getattr(_io, "stack", None)
        if stack is None:
            stack = _io.stack = []
        stack.append(self.ctx)
        return self.ctx

    def __exit__(self, *exc) -> None:
        stack = getattr(_io, "stack", None)
        if stack and stack[-1] is self.ctx:
            stack.pop()


def frame_columns(ctx: IOContext, pairs: list[tuple[str, str]]) -> list[tuple[str, model.Col]] | None:
    """The provenance of target columns written from the frame of `ctx`.

    `pairs` are (target column, client-side field) as the statement names them; the frame's labels
    are matched exactly, then case-insensitively (Snowflake folds unquoted names to upper case).
    """
    if ctx.frame is None or not ctx.labels:
        return None
    by_name: dict[str, object] = {}
    by_fold: dict[str, object] = {}
    for label, name in ctx.labels:
        by_name.setdefault(str(name), label)
        by_fold.setdefault(str(name).upper(), label)
    out = []
    for column, field in pairs:
        label = by_name.get(field, by_name.get(column))
        if label is None:
            label = by_fold.get(str(field).upper(), by_fold.get(str(column).upper()))
        if label is None:
            continue
        if isinstance(label, tuple) and len(label) == 2 and label[0] == "__index__":
            level = label[1]
            col = ctx.frame.index[level] if level < len(ctx.frame.index) else None
        else:
            col = ctx.frame.columns.get(label)
        if col is not None:
            out.append((column, col))
    return out or None


class Accumulator:
    """Column lineage of each table this run wrote, merged over its statements (bounded).

    An INSERT then an UPDATE of the same table: the table's columns depend on both. A statement
    that replaces the table's content (CREATE OR REPLACE, INSERT OVERWRITE, TRUNCATE, DROP) starts over.
    """

    MAX = 2_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: OrderedDict[DatasetId, tuple[dict, frozenset]] = OrderedDict()

    def merge(self, dataset: DatasetId, columns: list[tuple[str, model.Col]], rows: frozenset,
              reset: bool = False) -> tuple[list[tuple[str, model.Col]], frozenset]:
        with self._lock:
            old = None if reset else self._tables.get(dataset)
            merged: dict[str, model.Col] = dict(old[0]) if old else {}
            for name, col in columns:
                prev = merged.get(name)
                merged[name] = model.combine([prev, col], subtype=IDENTITY) if prev is not None else col
            all_rows = rows | old[1] if old else rows
            self._tables[dataset] = (merged, all_rows)
            self._tables.move_to_end(dataset)
            while len(self._tables) > self.MAX:
                self._tables.popitem(last=False)
        return list(merged.items()), all_rows

    def forget(self, dataset: DatasetId) -> None:
        with self._lock:
            self._tables.pop(dataset, None)


written = Accumulator()


__all__ = ["Accumulator", "Catalog", "IOContext", "Privilege", "Session", "Statement", "analyze", "analyze_script",
           "apply", "catalog", "current_io", "facet_text", "fold", "frame_columns", "io_context", "parse_identifier",
           "prepare", "scrub_sql", "split_statements", "stage_reference", "written"]

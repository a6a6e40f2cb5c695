"""pandas read_sql / read_sql_query / read_sql_table / to_sql: datasets and column lineage from SQL.

The query is parsed by lineage/sql.py (openlineage-sql plus the typed sqlglot walk) and the
namespace comes from the connection object alone, never from a query: a SQLAlchemy engine's URL
(sqlite file, postgres host:port, snowflake account ...), a sqlite3 connection's file (remembered
when sqlite3.connect opened it: sqlite3 connections cannot be asked without a query), a Snowflake
connector connection's session.

When a database integration sees the statements itself (Snowflake: every cursor.execute is
recorded there, with its query id), pandas' side only gives the returned DataFrame its columns'
provenance, or hands the written frame's provenance to that integration; otherwise it records the
read or write here.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict

from ... import naming
from ...lineage import model, table
from ...lineage import sql as sqllineage
from .. import _sqlrecord
from . import _state

INTEGRATION = "pandas"

# -- sqlite3 connections: their file, remembered at connect time --------------------------------

_sqlite_paths: OrderedDict[int, str] = OrderedDict()
_sqlite_lock = threading.Lock()


def _remember_sqlite(connection, database) -> None:
    try:
        path = database.decode() if isinstance(database, bytes) else str(database)
    except Exception:  # noqa: BLE001
        return
    if path.startswith("file:"):
        path = path[5:].split("?", 1)[0]
        if path.startswith("//"):
            path = path[2:]
    with _sqlite_lock:
        # sqlite3.Connection takes no weak reference: keyed by id, and every connect overwrites
        _sqlite_paths[id(connection)] = path
        _sqlite_paths.move_to_end(id(connection))
        while len(_sqlite_paths) > 1024:
            _sqlite_paths.popitem(last=False)


def _sqlite_connect(wrapped, instance, args, kwargs):
    connection = wrapped(*args, **kwargs)
    database = args[0] if args else kwargs.get("database")
    from ... import _guard

    _guard.call(INTEGRATION, _remember_sqlite, connection, database)
    return connection


def instrument_sqlite3(integration, sqlite3) -> None:
    integration.patcher.wrap(sqlite3, "connect", _sqlite_connect)
    dbapi2 = getattr(sqlite3, "dbapi2", None)
    if dbapi2 is not None and dbapi2 is not sqlite3:
        integration.patcher.wrap(dbapi2, "connect", _sqlite_connect)


# -- where a connection points ----------------------------------------------------------------


class Target:
    """What we know of a pandas `con` argument without querying it."""

    __slots__ = ("dialect", "namespace", "database", "schema", "system", "recorded_elsewhere", "paramstyle")

    def __init__(self, dialect: str, namespace: str, database=None, schema=None, recorded_elsewhere=False,
                 paramstyle=None) -> None:
        self.dialect = dialect
        self.namespace = namespace
        self.database = database
        self.schema = schema
        self.system = dialect if dialect != "generic" else namespace.split("://", 1)[0]
        self.recorded_elsewhere = recorded_elsewhere
        self.paramstyle = paramstyle

    def session(self) -> sqllineage.Session:
        return sqllineage.Session(self.dialect, self.namespace, self.database, self.schema)


def _snowflake_instrumented() -> bool:
    from ... import registry

    integration = (registry._integrations or {}).get("snowflake")
    return bool(integration is not None and "snowflake.connector" in integration.instrumented_modules
                and "snowflake" in registry.active())


def _snowflake_target(connection) -> Target | None:
    from ..snowflake import session as sessions

    state = sessions.state_for(connection)
    return Target("snowflake", state.namespace, state.database, state.schema,
                  recorded_elsewhere=_snowflake_instrumented(), paramstyle=getattr(connection, "_paramstyle", None))


def target_for(con) -> Target | None:
    """The dialect, namespace and defaults of a pandas `con` (URL string, engine, connection, DBAPI)."""
    if isinstance(con, str):
        if "://" not in con:
            return None
        try:
            from sqlalchemy.engine import make_url

            return _from_url(make_url(con), None)
        except Exception:  # noqa: BLE001
            return None
    module = type(con).__module__ or ""
    if module.startswith("sqlite3") or type(con).__name__ == "Connection" and module == "sqlite3":
        with _sqlite_lock:
            path = _sqlite_paths.get(id(con))
        namespace = naming.sqlite(path, "x").namespace if path is not None else "sqlite://unknown"
        return Target("sqlite", namespace)
    if module.startswith("snowflake.connector"):
        return _snowflake_target(con)
    if module.startswith("sqlalchemy"):
        engine = getattr(con, "engine", con)
        url = getattr(engine, "url", None)
        if url is None:
            return None
        raw = None
        if url.get_backend_name() == "snowflake":
            raw = _snowflake_dbapi(con)
        return _from_url(url, raw)
    if "adbc" in module:
        return None
    return None


def _snowflake_dbapi(con):
    """The Snowflake connector connection behind a SQLAlchemy Connection, if one is already open."""
    try:
        fairy = getattr(con, "connection", None)  # sqlalchemy.engine.Connection -> pool proxy
        dbapi = getattr(fairy, "dbapi_connection", None) or getattr(fairy, "driver_connection", None)
        if dbapi is not None and (type(dbapi).__module__ or "").startswith("snowflake.connector"):
            return dbapi
    except Exception:  # noqa: BLE001
        return None
    return None


def _from_url(url, dbapi) -> Target | None:
    if dbapi is not None:
        return _snowflake_target(dbapi)
    info = naming.from_sqlalchemy_url(url)
    if info is None:
        return None
    dialect, namespace, database, schema = info
    if dialect == "snowflake":
        return Target(dialect, namespace, sqllineage.parse_identifier(database, "snowflake"),
                      sqllineage.parse_identifier(schema, "snowflake"), recorded_elsewhere=_snowflake_instrumented())
    if dialect in ("postgres", "redshift"):
        database = sqllineage.parse_identifier(database, dialect)
        schema = sqllineage.parse_identifier(schema, dialect)
    return Target(dialect, namespace, database, schema)


# -- reads ------------------------------------------------------------------------------------

_TABLE_NAME = re.compile(r'^\s*(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][\w$]*)){0,2}\s*$')


def _query_of(kind: str, args, kwargs):
    if kind == "read_sql_table":
        name = args[0] if args else kwargs.get("table_name")
        return None, name
    sql_text = args[0] if args else kwargs.get("sql")
    if not isinstance(sql_text, str):
        try:
            from sqlalchemy.sql.expression import ClauseElement

            if isinstance(sql_text, ClauseElement):
                sql_text = str(sql_text)
        except Exception:  # noqa: BLE001
            return None, None
    if not isinstance(sql_text, str):
        return None, None
    if kind == "read_sql" and _TABLE_NAME.match(sql_text) and " " not in sql_text.strip():
        return None, sql_text.strip()
    return sql_text, None


def _con_of(args, kwargs, position: int = 1):
    return args[position] if len(args) > position else kwargs.get("con")


def _table_statement(target: Target, name: str, schema: str | None, frame) -> sqllineage.Statement:
    """A whole-table read: each column an IDENTITY of the same-named field."""
    parts = sqllineage.name_parts(name, target.dialect)
    if schema and len(parts) == 1:
        parts = [sqllineage.fold(schema, False, target.dialect), *parts]
    dataset = sqllineage.dataset_for(target.session(), parts)
    statement = sqllineage.Statement("", "SELECT", target.dialect)  # pandas/SQLAlchemy wrote the query
    statement.inputs = [dataset]
    columns = []
    for label in list(frame.columns) + [n for n in (frame.index.names or []) if n is not None]:
        field = model.Field(dataset.namespace, dataset.name, str(label))
        columns.append((str(label), model.source_edges(field), False))
    statement.columns = columns
    statement.referenced = {dataset: sorted({c for c, _, _ in columns})}
    statement.privileges = [sqllineage.Privilege(dataset, "SELECT", "TABLE", dataset.name, "input")]
    return statement


def _frame_for(statement: sqllineage.Statement, frame, index_col, api: str, location):
    """Provenance of the DataFrame read_sql returned: result columns onto its labels and index."""
    columns_of = list(statement.columns)
    if not columns_of:
        return None
    index_names = [] if index_col is None else ([index_col] if isinstance(index_col, str) else list(index_col))
    by_name: dict[str, tuple] = {}
    for column in columns_of:
        by_name.setdefault(column[0].upper(), column)
    labels = list(frame.columns)
    text = sqllineage.facet_text(statement.sql)
    op = model.Op(api, location, detail=text[:300] if text else None)
    positional = len(labels) + len(index_names) == len(columns_of)
    non_index = [c for c in columns_of if c[0].upper() not in {str(n).upper() for n in index_names}]
    columns: dict = {}
    for i, label in enumerate(labels):
        column = by_name.get(str(label).upper())
        if column is None and positional and i < len(non_index):
            column = non_index[i]
        if column is not None:
            columns[label] = model.Col(column[1], op, column[2])
    index = tuple(model.Col(by_name[str(n).upper()][1], op, by_name[str(n).upper()][2])
                  if str(n).upper() in by_name else model.EMPTY for n in index_names)
    if not columns and not any(c.edges for c in index):
        return None
    return model.Frame(columns, index, rows=statement.rows, row_history=op if statement.rows else None)


def _statement_for_read(target: Target, kind: str, args, kwargs, context: sqllineage.IOContext, frame):
    """The SELECT behind a read: the one the database integration recorded, else our own analysis."""
    if context.statements:
        return context.statements[-1][0], True
    query, table_name = _query_of(kind, args, kwargs)
    if table_name is not None:
        schema = kwargs.get("schema") if kind == "read_sql_table" else None
        return _table_statement(target, table_name, schema, frame), False
    if query is None:
        return None, False
    params = kwargs.get("params")
    statements = sqllineage.analyze(query, target.session(), params, target.paramstyle)
    selects = [s for s in statements if s.kind == "SELECT" or s.error]
    return (selects[-1] if selects else statements[-1] if statements else None), False


def _on_read(kind: str, args, kwargs, context: sqllineage.IOContext, result, location) -> None:
    import pandas as pd

    con = _con_of(args, kwargs)
    target = target_for(con)
    if target is None:
        return
    index_col = kwargs.get("index_col")
    frames = [result] if isinstance(result, pd.DataFrame) else []
    sample = frames[0] if frames else None
    statement, recorded = _statement_for_read(target, kind, args, kwargs, context, sample if sample is not None
                                              else pd.DataFrame())
    if statement is None:
        return
    if not recorded:
        if target.recorded_elsewhere and not context.statements and target.dialect == "snowflake":
            recorded = True  # the cursor patch saw it (e.g. SQLAlchemy's compiled form)
        else:
            _sqlrecord.record(statement, namespace=target.namespace, system=target.system,
                              api=f"pandas.{kind}", location=location)
            sqllineage.apply(statement)
    if sample is not None:
        provenance = _frame_for(statement, sample, index_col, f"pandas.{kind}", location)
        if provenance is not None:
            table.provenance.set(sample, provenance)


def _chunks(kind, args, kwargs, context, iterator, location):
    first = True
    for chunk in iterator:
        from ... import _guard

        if first:
            _guard.call(INTEGRATION, _on_read, kind, args, kwargs, context, chunk, location)
            first = False
        else:
            _guard.call(INTEGRATION, _label_chunk, kind, args, kwargs, context, chunk, location)
        yield chunk


def _label_chunk(kind, args, kwargs, context, chunk, location) -> None:
    target = target_for(_con_of(args, kwargs))
    if target is None:
        return
    statement, _ = _statement_for_read(target, kind, args, kwargs, context, chunk)
    if statement is not None:
        provenance = _frame_for(statement, chunk, kwargs.get("index_col"), f"pandas.{kind}", location)
        if provenance is not None:
            table.provenance.set(chunk, provenance)


def _reader(kind: str):
    def wrapper(wrapped, instance, args, kwargs):
        before = _state.enter()
        if before:
            try:
                return wrapped(*args, **kwargs)
            finally:
                _state.leave(before)
        context = sqllineage.IOContext("read", api=f"pandas.{kind}")
        try:
            with sqllineage.io_context(context):
                result = wrapped(*args, **kwargs)
        finally:
            _state.leave(before)
        from ... import _guard

        location = _guard.call(INTEGRATION, model.user_location, 2)
        if kwargs.get("chunksize") is not None and not _is_frame(result):
            return _chunks(kind, args, kwargs, context, result, location)
        _guard.call(INTEGRATION, _on_read, kind, args, kwargs, context, result, location)
        return result

    return wrapper


def _is_frame(value) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


# -- writes -----------------------------------------------------------------------------------


def _written_names(frame, index: bool, index_label) -> list[tuple[object, str]]:
    """(label, column name) of what to_sql writes: index levels first (as pandas names them), then columns."""
    names: list[tuple[object, str]] = []
    if index:
        levels = list(frame.index.names)
        labels = index_label if isinstance(index_label, (list, tuple)) else (
            [index_label] if index_label is not None else None)
        for level, name in enumerate(levels):
            if labels is not None and level < len(labels):
                name = labels[level]
            elif name is None:
                name = "index" if len(levels) == 1 else f"level_{level}"
                if name in frame.columns:
                    name = f"level_{level}"
            names.append((("__index__", level), str(name)))
    for label in frame.columns:
        names.append((label, str(label)))
    return names


def _write_context(frame, args, kwargs) -> tuple[sqllineage.IOContext, list] | None:
    index = kwargs.get("index", True)
    names = _written_names(frame, bool(index), kwargs.get("index_label"))
    provenance = table.provenance.get(frame)
    return sqllineage.IOContext("write", provenance, names, api="pandas.DataFrame.to_sql"), names


def _on_write(frame, args, kwargs, context: sqllineage.IOContext, names, location) -> None:
    if context.handled:
        return
    name = args[0] if args else kwargs.get("name")
    con = args[1] if len(args) > 1 else kwargs.get("con")
    target = target_for(con)
    if target is None or not isinstance(name, str):
        return
    if target.recorded_elsewhere:
        return  # the database integration recorded the statements (without the frame: nothing to add)
    schema = kwargs.get("schema")
    parts = [name]
    if schema:
        parts = [schema, name]
    if target.dialect in ("snowflake",):
        # SQLAlchemy quotes names that are not all lower case; those keep their case
        parts = [p.upper() if p == p.lower() else p for p in parts]
    else:
        parts = [sqllineage.fold(p, False, target.dialect) if target.dialect == "sqlite" or p == p.lower() else p
                 for p in parts]
    dataset = sqllineage.dataset_for(target.session(), parts)
    if_exists = kwargs.get("if_exists", "fail")
    column_names = [sqllineage.fold(n, False, target.dialect) if target.dialect == "sqlite" else n for _, n in names]
    statement = sqllineage.Statement("", "INSERT", target.dialect)  # pandas/SQLAlchemy wrote the statements
    statement.outputs = [dataset]
    statement.target = dataset
    statement.client_values = True
    statement.frame_columns = [(c, n) for c, (_, n) in zip(column_names, names)]
    statement.fields = [(c, None) for c in column_names]
    statement.privileges = [sqllineage.Privilege(dataset, "INSERT", "TABLE", dataset.name, "output")]
    if if_exists == "replace":
        statement.lifecycle[dataset] = "OVERWRITE"
    elif if_exists == "fail":
        statement.lifecycle[dataset] = "CREATE"
        if "." in dataset.name:  # a database with schemas (SQLite has neither schemas nor privileges)
            statement.privileges.insert(0, sqllineage.Privilege(dataset, "CREATE TABLE", "SCHEMA",
                                                                dataset.name.rsplit(".", 1)[0], "output"))
    dtypes = {str(label): str(dtype) for label, dtype in frame.dtypes.items()}
    statement.learn[dataset] = [(c, dtypes.get(n)) for c, (_, n) in zip(column_names, names)]
    context.labels = [(label, c) for c, (label, _) in zip(column_names, names)]
    statement.frame_columns = [(c, c) for c in column_names]
    _sqlrecord.record(statement, namespace=target.namespace, system=target.system, api="pandas.DataFrame.to_sql",
                      location=location, io=context)
    sqllineage.apply(statement)


def _to_sql(wrapped, instance, args, kwargs):
    before = _state.enter()
    if before:
        try:
            return wrapped(*args, **kwargs)
        finally:
            _state.leave(before)
    from ... import _guard

    prepared = _guard.call(INTEGRATION, _write_context, instance, args, kwargs)
    if not (isinstance(prepared, tuple) and isinstance(prepared[0], sqllineage.IOContext)):
        prepared = None
    try:
        if prepared is None:
            result = wrapped(*args, **kwargs)
        else:
            with sqllineage.io_context(prepared[0]):
                result = wrapped(*args, **kwargs)
    finally:
        _state.leave(before)
    if prepared is not None:
        location = _guard.call(INTEGRATION, model.user_location, 2)
        _guard.call(INTEGRATION, _on_write, instance, args, kwargs, prepared[0], prepared[1], location)
    return result


def instrument(integration, pd) -> None:
    for kind in ("read_sql", "read_sql_query", "read_sql_table"):
        if hasattr(pd, kind):
            integration.patcher.wrap(pd, kind, _reader(kind))
    integration.patcher.wrap(pd.DataFrame, "to_sql", _to_sql)
    from ..._bootstrap import when_imported

    when_imported("sqlite3", lambda module: instrument_sqlite3(integration, module))


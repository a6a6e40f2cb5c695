"""The patches on snowflake-connector-python: cursors, connections, pandas_tools.

Each wrapper calls the original exactly once with the original arguments and returns its result
(fetch_pandas_batches: the same frames, passed through a generator that labels each one). Our
work runs after the call, under _guard, from what the call left behind: the statement text, the
cursor's sfqid and description, the connection's current database and schema.
"""

from __future__ import annotations

import threading

from ... import _guard
from ...lineage import model
from ...lineage import seam
from ...lineage import sql as sqllineage
from ...lineage import table
from .. import _sqlrecord
from . import session as sessions

NAME = "snowflake"
SYSTEM = "snowflake"

_local = threading.local()


def _depth() -> int:
    return getattr(_local, "depth", 0)


class Pending:
    """A statement between the moment the cursor got it and the moment it returned."""

    __slots__ = ("cursor", "command", "params", "paramstyle", "state", "session", "warehouse", "api", "location",
                 "io", "internal", "shape")

    def __init__(self, cursor, command, params, paramstyle, state, api, location, io, internal) -> None:
        self.cursor = cursor
        self.command = command
        self.params = params
        self.paramstyle = paramstyle
        self.state = state
        self.session = state.session()
        self.warehouse = state.warehouse
        self.api = api
        self.location = location
        self.io = io
        self.internal = internal
        self.shape = None  # executemany: (values per row, rows) when the rows are a sequence of sequences


def _command_and_params(args, kwargs, params_key: str = "params"):
    command = args[0] if args else kwargs.get("command")
    params = args[1] if len(args) > 1 else kwargs.get(params_key)
    return command, params


def _before(cursor, args, kwargs, api: str, many: bool = False) -> Pending | None:
    command, params = _command_and_params(args, kwargs, "seqparams" if many else "params")
    if not isinstance(command, str) or not command.strip():
        return None
    shape = None
    if many and isinstance(params, (list, tuple)) and params:
        first = params[0]
        if isinstance(first, (list, tuple)):
            shape = (len(first), len(params))
        params = first
    conn = getattr(cursor, "_connection", None) or getattr(cursor, "connection", None)
    if conn is None:
        return None
    state = sessions.state_for(conn)
    paramstyle = "qmark" if kwargs.get("_force_qmark_paramstyle") else getattr(conn, "_paramstyle", None)
    if kwargs.get("_exec_async"):
        api = "SnowflakeCursor.execute_async"
    label = getattr(_local, "api", None)
    io = sqllineage.current_io()
    if label:
        api = label
    elif io is not None and io.api:
        api = io.api
    elif "_is_put_get" in kwargs:  # only execute_stream (and so execute_string) passes it
        api = "SnowflakeConnection.execute_stream"
    pending = Pending(cursor, command, params, paramstyle, state, api, model.user_location(3), io,
                      bool(kwargs.get("_is_internal")))
    pending.shape = shape
    return pending


def _description_names(cursor) -> list[str] | None:
    description = getattr(cursor, "_description", None)
    if not description:
        return None
    try:
        return [str(getattr(d, "name", d[0])) for d in description]
    except Exception:  # noqa: BLE001
        return None


def _description_types(cursor) -> list | None:
    description = getattr(cursor, "_description", None)
    if not description:
        return None
    try:
        from snowflake.connector.constants import FIELD_ID_TO_NAME

        return [FIELD_ID_TO_NAME.get(getattr(d, "type_code", None)) or None for d in description]
    except Exception:  # noqa: BLE001
        return None


def _results_lookup(state: sessions.SessionState):
    def lookup(query_id):
        entry = sessions.queries.get(query_id or state.last_query_id)
        return None if entry is None else list(entry[0].columns)

    return lookup


def _statements(pending: Pending) -> list[sqllineage.Statement]:
    """Each statement of the command, analyzed with the defaults in force when it ran."""
    return [statement for statement, _ in sqllineage.analyze_script(
        pending.command, pending.session, pending.params, pending.paramstyle,
        results=_results_lookup(pending.state))]


def _after(pending: Pending) -> None:
    cursor = pending.cursor
    statements = _statements(pending)
    if not statements:
        return
    query_id = getattr(cursor, "_sfqid", None)
    child_ids = getattr(cursor, "multi_statement_savedIds", None) if len(statements) > 1 else None
    namespace = pending.state.namespace
    for position, statement in enumerate(statements):
        qid = child_ids[position] if child_ids and len(child_ids) == len(statements) else query_id
        if position == 0 and statement.kind == "SELECT":
            names = _description_names(cursor)
            if names:
                statement = statement.with_result_names(names)
                _learn_types(statement, _description_types(cursor))
        if pending.io is not None and pending.io.kind == "read" and statement.kind == "SELECT":
            pending.io.statements.append((statement, namespace))
        io = pending.io
        if io is None and pending.shape is not None and statement.kind == "INSERT" and statement.client_values:
            io = _rows_context(statement, pending.shape)
        if not (io is not None and io.api and "write_pandas" in io.api
                and statement.kind in ("CREATE STAGE", "DROP STAGE")):
            _sqlrecord.record(statement, namespace=namespace, system=SYSTEM, api=pending.api, query_id=qid,
                              warehouse=pending.warehouse, location=pending.location, io=io)
        sqllineage.apply(statement)
        if statement.use:
            pending.state.use(statement.use)
        sessions.queries.put(qid, statement, namespace)
        if position == 0:
            sessions.cursors.set(cursor, (statement, namespace))
        if qid:
            pending.state.last_query_id = qid


def _rows_context(statement: sqllineage.Statement, shape: tuple[int, int]) -> sqllineage.IOContext | None:
    """executemany(INSERT ... VALUES (%s, ...), rows) with rows a frame exported in Python
    (itertuples, to_dict('records'), values.tolist() ...): the frame, matched by shape (values per
    row in column order, row count), as if it were written directly. Unsure matches (several frames of
    that shape, or fewer rows than the frame had) combine every candidate and are marked approximate."""
    names = [column for column, _ in statement.frame_columns or ()]
    width, count = shape
    if not names or len(names) != width:
        return None
    found = seam.rows_frame(width, count, names)
    if found is None:
        return None
    frame, _ = found
    return sqllineage.IOContext("write", frame, [(name, name) for name in frame.columns],
                                api="SnowflakeCursor.executemany")


def _learn_types(statement: sqllineage.Statement, types) -> None:
    if not types or not statement.learn:
        return
    learn = dict(statement.learn)  # statements are shared through the analysis cache: never mutate one
    for dataset, columns in learn.items():
        if len(columns) == len(types) and all(isinstance(c, str) for c in columns):
            learn[dataset] = list(zip(columns, types))
    statement.learn = learn


def _failed(pending: Pending, error: BaseException) -> None:
    for statement in _statements(pending):
        if statement.touches_data:
            _sqlrecord.record_failure(statement, error, system=SYSTEM)
        elif statement.error:
            # refused, and we could not read it either: still a gap in what we know of the job
            _sqlrecord.record(statement, namespace=pending.state.namespace, system=SYSTEM, api=pending.api,
                              query_id=getattr(pending.cursor, "_sfqid", None), location=pending.location)


def _run_statement(wrapped, instance, args, kwargs, api: str, many: bool = False):
    """Call the original once; record the statement(s) it ran, or the failure."""
    if _depth() or kwargs.get("_describe_only"):
        return wrapped(*args, **kwargs)
    pending = _guard.call(NAME, _before, instance, args, kwargs, api, many)
    if not isinstance(pending, Pending):
        pending = None
    _local.depth = _depth() + 1
    try:
        result = wrapped(*args, **kwargs)
    except BaseException as exc:
        _local.depth -= 1
        if pending is not None and isinstance(exc, Exception):
            _guard.call(NAME, _failed, pending, exc)
        raise
    _local.depth -= 1
    if pending is not None and result is not None:
        _guard.call(NAME, _after, pending)
    return result


def _execute(wrapped, instance, args, kwargs):
    return _run_statement(wrapped, instance, args, kwargs, "SnowflakeCursor.execute")


def _executemany(wrapped, instance, args, kwargs):
    return _run_statement(wrapped, instance, args, kwargs, "SnowflakeCursor.executemany", many=True)


def _execute_string(wrapped, instance, args, kwargs):
    previous = getattr(_local, "api", None)
    _local.api = "SnowflakeConnection.execute_string"
    try:
        return wrapped(*args, **kwargs)
    finally:
        _local.api = previous


def _remember_results(cursor, query_id) -> None:
    entry = sessions.queries.get(query_id)
    if entry is not None:
        sessions.cursors.set(cursor, entry)


def _get_results_from_sfqid(wrapped, instance, args, kwargs):
    result = wrapped(*args, **kwargs)
    query_id = args[0] if args else kwargs.get("sfqid")
    _guard.call(NAME, _remember_results, instance, query_id)
    return result


def _query_result(wrapped, instance, args, kwargs):
    result = wrapped(*args, **kwargs)
    query_id = args[0] if args else kwargs.get("qid")
    _guard.call(NAME, _remember_results, instance, query_id)
    return result


def _nextset(wrapped, instance, args, kwargs):
    result = wrapped(*args, **kwargs)
    _guard.call(NAME, _remember_results, instance, getattr(instance, "_sfqid", None))
    return result


# -- the pandas seam ------------------------------------------------------------------------------


def frame_for(cursor, labels: list, api: str, location: str | None = None):
    """A lineage.model.Frame for a DataFrame built from the cursor's current result, or None."""
    entry = sessions.queries.get(getattr(cursor, "_sfqid", None)) or sessions.cursors.get(cursor)
    if entry is None:
        return None
    statement, _ = entry
    names = _description_names(cursor)
    if names:
        statement = statement.with_result_names(names)
    return statement_frame(statement, labels, api, location)


def statement_frame(statement: sqllineage.Statement, labels: list, api: str, location: str | None = None):
    """Frame of a query result whose columns are `labels`: by position, else by (case-folded) name."""
    columns_of = statement.columns
    if not columns_of and not statement.rows:
        return None
    if not any(edges for _, edges, _ in columns_of) and not statement.rows:
        return None
    text = sqllineage.facet_text(statement.sql)
    op = model.Op(api, location, detail=text[:300] if text else None)
    columns: dict = {}
    if len(labels) == len(columns_of):
        pairs = [(label, columns_of[i]) for i, label in enumerate(labels)]
    else:
        by_name = {}
        for column in columns_of:
            by_name.setdefault(column[0].upper(), column)
        pairs = [(label, by_name.get(str(label).upper())) for label in labels]
    for label, column in pairs:
        if column is None:
            continue
        _, edges, approx = column
        previous = columns.get(label)
        col = model.Col(edges, op, approx)
        columns[label] = col if previous is None else model.combine([previous, col], subtype=model.IDENTITY)
    return model.Frame(columns, rows=statement.rows, row_history=op if statement.rows else None)


def _attach(cursor, frame, api: str, location: str | None) -> None:
    if location is None:
        location = model.user_location(2)  # walks up past our frames to the job's line
    try:
        labels = list(frame.columns)
    except Exception:  # noqa: BLE001
        return
    provenance = frame_for(cursor, labels, api, location)
    if provenance is not None:
        table.provenance.set(frame, provenance)


def _pandas_depth():
    try:
        from ..pandas import _state
    except Exception:  # noqa: BLE001
        return None
    return _state


def _fetch_pandas_all(wrapped, instance, args, kwargs):
    state = _pandas_depth()
    before = state.enter() if state is not None else None
    try:
        result = wrapped(*args, **kwargs)
    finally:
        if state is not None:
            state.leave(before)
    if before in (None, 0):
        _guard.call(NAME, _attach, instance, result, "snowflake.fetch_pandas_all", None)
    return result


def _fetch_pandas_batches(wrapped, instance, args, kwargs):
    batches = wrapped(*args, **kwargs)
    location = _guard.call(NAME, model.user_location, 2)

    def labelled():
        for batch in batches:
            _guard.call(NAME, _attach, instance, batch, "snowflake.fetch_pandas_batches", location)
            yield batch

    return labelled()


# -- pandas_tools.write_pandas --------------------------------------------------------------------


def _write_context(args, kwargs):
    frame = args[1] if len(args) > 1 else kwargs.get("df")
    if frame is None:
        return None
    provenance = table.provenance.get(frame)
    outer = sqllineage.current_io()
    if provenance is None and outer is not None and outer.kind == "write" and outer.frame is not None:
        # pandas to_sql(method=pd_writer) rebuilt the rows into a new frame: the original is outer's
        provenance, labels = outer.frame, outer.labels
    else:
        labels = [(label, str(label)) for label in frame.columns]
    return sqllineage.IOContext("write", provenance, labels, api="snowflake.connector.pandas_tools.write_pandas")


def _write_pandas(wrapped, instance, args, kwargs):
    context = _guard.call(NAME, _write_context, args, kwargs)
    if not isinstance(context, sqllineage.IOContext):
        return wrapped(*args, **kwargs)
    with sqllineage.io_context(context):
        return wrapped(*args, **kwargs)


# -- instrument -----------------------------------------------------------------------------------


def instrument_connector(integration, connector) -> None:
    from snowflake.connector import connection as connection_module
    from snowflake.connector import cursor as cursor_module

    base = getattr(cursor_module, "SnowflakeCursorBase", None) or cursor_module.SnowflakeCursor
    patcher = integration.patcher
    patcher.wrap(base, "execute", _execute)
    patcher.wrap(base, "executemany", _executemany)
    patcher.wrap(base, "get_results_from_sfqid", _get_results_from_sfqid)
    patcher.wrap(base, "query_result", _query_result)
    patcher.wrap(base, "nextset", _nextset)
    patcher.wrap(base, "fetch_pandas_all", _fetch_pandas_all)
    patcher.wrap(base, "fetch_pandas_batches", _fetch_pandas_batches)
    for cls in (cursor_module.SnowflakeCursor, getattr(cursor_module, "DictCursor", None)):
        # subclasses that override a method get it wrapped too
        if cls is None or cls is base:
            continue
        for name, wrapper in (("execute", _execute), ("executemany", _executemany),
                              ("fetch_pandas_all", _fetch_pandas_all),
                              ("fetch_pandas_batches", _fetch_pandas_batches)):
            if name in cls.__dict__:
                patcher.wrap(cls, name, wrapper)
    patcher.wrap(connection_module.SnowflakeConnection, "execute_string", _execute_string)


def instrument_pandas_tools(integration, pandas_tools) -> None:
    integration.patcher.wrap(pandas_tools, "write_pandas", _write_pandas)

"""What we know of a Snowflake connection without asking it: namespace, current database/schema/warehouse.

Everything comes from the connection object's own state: the parameters it was opened with and the
current database, schema, warehouse and role the connector keeps up to date from each response
(finalDatabaseName ...), plus the USE statements we see. Never an extra query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ... import naming
from ...lineage import sql as sqllineage
from ...lineage import table

_KEYS = ("database", "schema", "warehouse", "role")


class SessionState:
    """Per connection: namespace and the defaults that qualify unqualified names."""

    __slots__ = ("namespace", "database", "schema", "warehouse", "role", "_initial", "_seen", "last_query_id",
                 "__weakref__")

    def __init__(self, conn) -> None:
        self.namespace = naming.snowflake_namespace(str(getattr(conn, "_account", "") or ""),
                                                    getattr(conn, "_region", None), getattr(conn, "_host", None))
        self._initial = {key: getattr(conn, f"_{key}", None) for key in _KEYS}
        self._seen = dict(self._initial)
        for key in _KEYS:
            setattr(self, key, sqllineage.parse_identifier(self._initial[key], "snowflake"))
        self.last_query_id: str | None = None

    def sync(self, conn) -> None:
        """Follow the connector: it updates its database/schema/... from every server response.

        A value still equal to the connect parameter is an identifier as the user wrote it (folded
        unless quoted); a value the server sent is the object's exact name.
        """
        for key in _KEYS:
            current = getattr(conn, f"_{key}", None)
            if current != self._seen[key]:
                self._seen[key] = current
                if current:
                    setattr(self, key, current if current != self._initial[key]
                            else sqllineage.parse_identifier(current, "snowflake"))

    def use(self, changes: dict) -> None:
        for key, value in changes.items():
            if key == "schema" and not value:
                value = "PUBLIC"  # USE DATABASE selects the PUBLIC schema
            if key in _KEYS:
                setattr(self, key, value or None)

    def session(self) -> sqllineage.Session:
        return sqllineage.Session("snowflake", self.namespace, self.database, self.schema)


_sessions = table.WeakTable()
_lock = threading.Lock()


def state_for(conn) -> SessionState:
    state = _sessions.get(conn)
    if state is None:
        with _lock:
            state = _sessions.get(conn)
            if state is None:
                state = SessionState(conn)
                _sessions.set(conn, state)
    state.sync(conn)
    return state


class QueryRegistry:
    """Query id -> (statement, namespace) of the statements this run executed, bounded.

    Lets a cursor that fetches results later (get_results_from_sfqid, query_result, nextset of a
    multi-statement query, RESULT_SCAN) find the statement whose results it holds.
    """

    MAX = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple] = OrderedDict()

    def put(self, query_id: str | None, statement, namespace: str) -> None:
        if not query_id:
            return
        with self._lock:
            self._entries[query_id] = (statement, namespace)
            self._entries.move_to_end(query_id)
            while len(self._entries) > self.MAX:
                self._entries.popitem(last=False)

    def get(self, query_id: str | None):
        if not query_id:
            return None
        with self._lock:
            return self._entries.get(query_id)


queries = QueryRegistry()
cursors = table.WeakTable()
"""cursor -> (statement, namespace) of the statement whose results the cursor holds."""

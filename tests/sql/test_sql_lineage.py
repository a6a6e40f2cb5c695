"""The SQL lineage engine on the table of real-world statements in cases.py, edge for edge."""

from __future__ import annotations

import pytest

from openlineage_monkeypatch.lineage import sql, sqlwalk
from tests.sql.cases import CASES, DATABASE, NAMESPACE, SCHEMA

SESSION = sql.Session("snowflake", NAMESPACE, DATABASE, SCHEMA)


def render(namespace: str, name: str) -> str:
    """A dataset as the cases write it: Snowflake names bare, local files by path, the rest as URLs."""
    if namespace in (NAMESPACE, "file"):
        return name
    return f"{namespace}/{name}"


def render_edge(edge) -> str:
    field, kind, subtype, masking = edge
    return f"{render(field.namespace, field.name)}:{field.field} {kind} {subtype}" + (" masked" if masking else "")


def run_case(case):
    cat = sql.Catalog()
    last = {}

    def results(query_id):
        statement = last.get(query_id or "last")
        return None if statement is None else list(statement.columns)

    for text in case.setup:
        for statement, _ in sql.analyze_script(text, SESSION, cat=cat, results=results):
            sql.apply(statement, cat)
            last["last"] = statement
    statements = [s for s, _ in sql.analyze_script(case.sql, SESSION, case.params, case.paramstyle, cat=cat,
                                                   results=results)]
    statement = statements[case.statement]
    if case.description:
        statement = statement.with_result_names(case.description)
    return statement


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_statement_lineage(case):
    statement = run_case(case)
    assert statement.kind == case.kind
    assert bool(statement.error) == case.error, statement.error
    assert [render(*d) for d in statement.inputs] == case.inputs
    assert [render(*d) for d in statement.outputs] == case.outputs
    columns = {name: sorted(render_edge(e) for e in edges) for name, edges, _ in statement.columns}
    assert columns == {name: sorted(edges) for name, edges in case.columns.items()}
    assert {render_edge(e) for e in statement.rows} == case.rows
    if case.privileges is not None:
        assert [f"{render(*p.dataset)} {p.action} {p.object_type} {p.obj}" for p in statement.privileges] == \
            case.privileges
    if case.use is not None:
        assert statement.use == case.use
    if case.fields is not None:
        assert [n for n, _ in statement.fields] == case.fields


def test_the_table_is_large_enough():
    assert len(CASES) >= 30
    kinds = {c.kind for c in CASES}
    assert {"SELECT", "INSERT", "CREATE TABLE", "CREATE VIEW", "MERGE", "UPDATE", "DELETE", "COPY", "UNLOAD"} <= kinds


def test_every_parsed_statement_also_parses_in_openlineage_sql_or_says_why():
    """openlineage-sql is consulted for every statement; its tables agree with ours where it has any."""
    disagreements = []
    for case in CASES:
        if case.error:
            continue
        for text in sql.split_statements(case.sql):
            ols = sqlwalk._ols_parse(sql.prepare(text, case.params, case.paramstyle), "snowflake", SESSION) \
                if "INSERT ALL" not in text else None
            if ols is None or not ols["ok"]:
                continue
            statement = sql.analyze(text, SESSION, case.params, case.paramstyle, cat=sql.Catalog(), split=False)[0]
            ours = {d.name for d in statement.inputs}
            missing = {d.name for d in ols["inputs"]} - ours
            if missing:
                disagreements.append((case.name, missing))
    assert not disagreements


def test_mangled_statements_never_raise_hang_or_print(capfd):
    """Token-level mutations of the table's statements: analysis returns (maybe an error), quickly, silently.

    Found this way: sqlglot 30 looping forever on a malformed COPY under ErrorLevel.RAISE, and
    openlineage-sql panicking (a Rust backtrace on stderr) on multi-table INSERTs.
    """
    import random
    import time

    rng = random.Random(20261127)
    noise = ["(", ")", ",", "SELECT", "FROM", "'", '"', "JOIN", "ON", "*", "WHERE", "OVER", "CASE", "END", ";", "$1",
             "@x", "INTO", "USING", "WHEN", "::", "=>", "--", "/*"]
    slowest = 0.0
    for _ in range(1500):
        tokens = rng.choice(CASES).sql.split(" ")
        for _ in range(rng.randint(1, 3)):
            op = rng.random()
            if op < 0.3 and len(tokens) > 2:
                del tokens[rng.randrange(len(tokens))]
            elif op < 0.7:
                tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(noise))
            else:
                i = rng.randrange(len(tokens))
                tokens[i] = tokens[i][: rng.randrange(len(tokens[i]) + 1)]
        text = " ".join(tokens)
        started = time.perf_counter()
        statements = sql.analyze(text, SESSION, cat=sql.Catalog())
        slowest = max(slowest, time.perf_counter() - started)
        assert all(isinstance(s, sql.Statement) for s in statements)
    assert slowest < 2.0
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize("text", [
    'COPY * INTO raw.events (event_id) FROM (SELECT $1:"id" FROM @raw.event_stage/2025/) FILE_FORMAT = (TYPE = PARQUET)',
    "INSERT ALL INTO t1 (a) VALUES (x) INTO t2 (b) VALUES (y) SELECT x, y FROM src",
    "INSERT FIRST WHEN x > 1 THEN INTO t1 VALUES (x) SELECT x FROM src",
])
def test_parser_traps_found_by_fuzzing(text, capfd):
    statements = sql.analyze(text, SESSION, cat=sql.Catalog())
    assert len(statements) == 1
    out, err = capfd.readouterr()
    assert err == ""

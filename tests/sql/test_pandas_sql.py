"""pandas read_sql / read_sql_query / read_sql_table / to_sql with sqlite (DBAPI and SQLAlchemy) and naming."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import assert_valid, edges_of, marquez_gaps, read_events, run_python

JOB = """
import sqlite3, sys
import pandas as pd
from sqlalchemy import create_engine

folder = sys.argv[1]
orders = pd.read_csv(folder + "/orders.csv")
con = sqlite3.connect(folder + "/shop.db")
orders.to_sql("Orders", con, index=False)
big = pd.read_sql_query(
    "SELECT o.id, o.qty * o.price AS amount FROM orders o WHERE o.qty > ? ORDER BY o.id", con, params=(1,))
big.to_csv(folder + "/big.csv", index=False)
by_id = pd.read_sql("SELECT id, qty FROM orders", con, index_col="id")
by_id.to_csv(folder + "/by_id.csv")
con.close()

engine = create_engine("sqlite:///" + folder + "/shop.db")
table = pd.read_sql_table("Orders", engine)
table.to_sql("orders_copy", engine, if_exists="replace", index=False)
for i, chunk in enumerate(pd.read_sql("SELECT price FROM orders_copy", engine, chunksize=2)):
    chunk.to_csv(f"{folder}/chunk{i}.csv", index=False)
print(len(big), len(by_id), len(table))
"""


@pytest.fixture(scope="module")
def sqlite_job(tmp_path_factory):
    from tests.snowflake.conftest import job_env

    folder = tmp_path_factory.mktemp("sqlite")
    (folder / "orders.csv").write_text("id,qty,price\n1,1,2.5\n2,3,4.0\n3,5,1.0\n")
    (folder / "job.py").write_text(textwrap.dedent(JOB))
    env = job_env(folder)
    proc = run_python([str(folder / "job.py"), str(folder)], env=env, cwd=folder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2 3 3"
    return folder, read_events(folder / "events.ndjson")


def test_sqlite_dbapi_and_engine_lineage(sqlite_job, spec_checker):
    folder, events = sqlite_job
    assert_valid(events, spec_checker)
    for event in events:
        assert marquez_gaps(event) == []
    namespace = f"sqlite://{folder}/shop.db"
    names = {(d["namespace"], d["name"]) for e in events for d in e["inputs"] + e["outputs"]}
    assert (namespace, "orders") in names and (namespace, "orders_copy") in names
    writes = [e for e in events for d in e["outputs"] if d["name"] == "orders" and e["eventType"] == "RUNNING"]
    assert edges_of(writes, "orders") == {
        ("id", "orders.csv", "id", "DIRECT", "IDENTITY"), ("qty", "orders.csv", "qty", "DIRECT", "IDENTITY"),
        ("price", "orders.csv", "price", "DIRECT", "IDENTITY")}
    assert edges_of(events, "big.csv") == {
        ("id", "orders", "id", "DIRECT", "IDENTITY"),
        ("amount", "orders", "qty", "DIRECT", "TRANSFORMATION"),
        ("amount", "orders", "price", "DIRECT", "TRANSFORMATION"),
        ("*", "orders", "qty", "INDIRECT", "FILTER"),
        ("*", "orders", "id", "INDIRECT", "SORT"),
    }
    assert edges_of(events, "by_id.csv") == {
        ("id", "orders", "id", "DIRECT", "IDENTITY"), ("qty", "orders", "qty", "DIRECT", "IDENTITY")}
    assert edges_of(events, "orders_copy") == {
        (c, "orders", c, "DIRECT", "IDENTITY") for c in ("id", "qty", "price")}
    assert edges_of(events, "chunk0.csv") == edges_of(events, "chunk1.csv") == {
        ("price", "orders_copy", "price", "DIRECT", "IDENTITY")}
    (select,) = [e for e in events if "SELECT o.id" in ((e["job"]["facets"].get("sql") or {}).get("query") or "")]
    assert select["job"]["facets"]["sql"] == {**select["job"]["facets"]["sql"], "dialect": "sqlite",
                                              "query": "SELECT o.id, o.qty * o.price AS amount FROM orders o "
                                                       "WHERE o.qty > ? ORDER BY o.id"}
    copy = [d for e in events for d in e["outputs"] if d["name"] == "orders_copy"][-1]
    assert copy["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "OVERWRITE"
    assert {a["action"] for a in copy["facets"]["monkeypatch_access"]["actions"]} == {"INSERT"}


def test_connection_targets_without_a_query():
    from sqlalchemy.engine import make_url

    from openlineage_monkeypatch import naming
    from openlineage_monkeypatch.integrations.pandas import sql_io
    from openlineage_monkeypatch.lineage import sql

    target = sql_io.target_for("postgresql+psycopg2://etl:hunter2@db.example.com:5433/Shop?options=-csearch_path%3Dsales")
    assert (target.dialect, target.namespace, target.database, target.schema) == (
        "postgres", "postgres://db.example.com:5433", "shop", "sales")
    (statement,) = sql.analyze('SELECT o.id FROM orders o JOIN "Audit"."Log" l ON l.id = o.id', target.session())
    assert [d.name for d in statement.inputs] == ["shop.sales.orders", "shop.Audit.Log"]
    assert "hunter2" not in repr(target.namespace)
    assert naming.from_sqlalchemy_url(make_url("postgresql://h/db"))[1] == "postgres://h:5432"
    assert naming.from_sqlalchemy_url(make_url("snowflake://u:p@myorg-acct/DB1/S1?warehouse=WH"))[1:] == (
        "snowflake://myorg-acct", "DB1", "S1")
    assert naming.from_sqlalchemy_url(make_url("sqlite:////data/app.db"))[1] == "sqlite:///data/app.db"
    assert naming.from_sqlalchemy_url(make_url("mysql+pymysql://u:p@m:3307/app"))[1] == "mysql://m:3307"


@pytest.mark.parametrize("fault", ["raise", "garbage"])
def test_sql_io_failures_never_reach_the_job(tmp_path, fault):
    from tests.snowflake.conftest import job_env

    (tmp_path / "orders.csv").write_text("id,qty,price\n1,1,2.5\n2,3,4.0\n3,5,1.0\n")
    (tmp_path / "job.py").write_text(textwrap.dedent(JOB))
    env = dict(job_env(tmp_path), OPENLINEAGE_MONKEYPATCH_TEST_FAULT=fault)
    proc = run_python([str(tmp_path / "job.py"), str(tmp_path)], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2 3 3"

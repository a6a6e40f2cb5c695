"""The real snowflake-connector-python against fakesnow's server, instrumented by the environment only."""

from __future__ import annotations

import os

import pytest

from tests.conftest import assert_valid, edges_of, marquez_gaps, run_python
from tests.snowflake.conftest import Job, actions, assert_no_secrets, dataset, job_env, run_job

NS = "snowflake://myorg-myacct"
DB = "DB1.S1"


def check_events(job: Job, spec_checker) -> None:
    assert job.proc.returncode == 0, job.stderr[-3000:]
    assert job.events, job.stderr[-3000:]
    assert_valid(job.events, spec_checker)
    for event in job.events:
        assert marquez_gaps(event) == [], marquez_gaps(event)
    assert_no_secrets(job)
    assert "internalErrors" not in job.complete()["run"]["facets"]["monkeypatch_instrumentation"], \
        job.complete()["run"]["facets"]["monkeypatch_instrumentation"]


CORE = """
from io import StringIO
from snowflake.connector import DictCursor
conn = connect()
cur = conn.cursor()
cur.execute("USE WAREHOUSE transform_wh")
cur.execute("CREATE TABLE customers (id INT, name VARCHAR, email VARCHAR, status VARCHAR)")
cur.execute("CREATE TABLE orders (order_id INT, customer_id INT, qty INT, unit_price FLOAT)")
cur.executemany("INSERT INTO customers (id, name, email, status) VALUES (%s, %s, %s, %s)",
                [(1, "ann", "ann@example.com", "active"), (2, "bob", "bob@example.com", "gone")])
cur.executemany("INSERT INTO orders VALUES (%(o)s, %(c)s, %(q)s, %(p)s)",
                [dict(o=10, c=1, q=3, p=2.5), dict(o=11, c=2, q=1, p=4.0), dict(o=12, c=1, q=5, p=1.0)])
cur.execute(
    "CREATE TABLE enriched AS SELECT o.order_id, c.name, o.qty * o.unit_price AS amount, "
    "SHA2(c.email) AS email_hash FROM orders o JOIN customers c ON o.customer_id = c.id "
    "WHERE c.status = 'active'")
cur.execute("UPDATE enriched SET amount = amount * 2 WHERE order_id > 10")
rows = conn.cursor(DictCursor).execute("SELECT name, amount FROM enriched ORDER BY amount").fetchall()
for c in conn.execute_string(
        "USE SCHEMA DB1.S1; CREATE TABLE status_counts AS SELECT status, COUNT(*) AS n FROM customers "
        "GROUP BY status; SELECT * FROM status_counts"):
    c.fetchall()
try:
    cur.execute("SELECT * FROM no_such_table")
except snowflake.connector.errors.ProgrammingError:
    print("missing table refused")
try:
    cur.execute("SELECT id FROM customers AS OF 1")
except snowflake.connector.errors.ProgrammingError:
    print("unparseable statement refused")
for c in conn.execute_stream(StringIO("INSERT INTO status_counts SELECT status, 0 FROM customers WHERE id > 1;")):
    pass
cur.execute("DELETE FROM customers WHERE status = 'gone'")
cur.execute("TRUNCATE TABLE orders")
print(sorted(r["NAME"] for r in rows), len(rows))
"""


@pytest.fixture(scope="module")
def core_job(snowflake_server, tmp_path_factory) -> Job:
    folder = tmp_path_factory.mktemp("core")
    return run_job(CORE, job_env(folder), folder, snowflake_server.port)


def test_every_statement_becomes_one_record(core_job, spec_checker):
    job = core_job
    check_events(job, spec_checker)
    assert job.stdout.splitlines() == ["missing table refused", "unparseable statement refused", "['ann', 'ann'] 2"]
    for event in job.events:
        for ds in event["inputs"] + event["outputs"]:
            assert ds["namespace"] == NS and ds["name"].startswith(DB + "."), ds["name"]
    # one event per statement that touched a table; executemany is one statement, not one per row
    sql_texts = [e["job"]["facets"]["sql"]["query"] for e in job.running() if "sql" in e["job"]["facets"]]
    assert sum("INSERT INTO customers" in q for q in sql_texts) == 1
    assert sum("INSERT INTO orders" in q for q in sql_texts) == 1
    for event in job.running():
        if "sql" in event["job"]["facets"] and "AS OF" not in event["job"]["facets"]["sql"]["query"]:
            query = event["run"]["facets"].get("externalQuery")
            assert query and query["source"] == NS and query["externalQueryId"], event["job"]["facets"]["sql"]
            assert "dialect" in event["job"]["facets"]["sql"]


def test_ctas_column_lineage_and_privileges(core_job):
    (event,) = core_job.with_sql("CREATE TABLE enriched")
    assert event["job"]["facets"]["sql"]["query"].endswith("WHERE c.status = ?")  # literals redacted
    assert {d["name"] for d in event["inputs"]} == {f"{DB}.ORDERS", f"{DB}.CUSTOMERS"}
    assert edges_of(event, ".ENRICHED") == {
        ("ORDER_ID", f"{DB}.ORDERS", "ORDER_ID", "DIRECT", "IDENTITY"),
        ("NAME", f"{DB}.CUSTOMERS", "NAME", "DIRECT", "IDENTITY"),
        ("AMOUNT", f"{DB}.ORDERS", "QTY", "DIRECT", "TRANSFORMATION"),
        ("AMOUNT", f"{DB}.ORDERS", "UNIT_PRICE", "DIRECT", "TRANSFORMATION"),
        ("EMAIL_HASH", f"{DB}.CUSTOMERS", "EMAIL", "DIRECT", "TRANSFORMATION"),
        ("*", f"{DB}.ORDERS", "CUSTOMER_ID", "INDIRECT", "JOIN"),
        ("*", f"{DB}.CUSTOMERS", "ID", "INDIRECT", "JOIN"),
        ("*", f"{DB}.CUSTOMERS", "STATUS", "INDIRECT", "FILTER"),
    }
    output = dataset(event, "outputs", ".ENRICHED")
    masked = output["facets"]["columnLineage"]["fields"]["EMAIL_HASH"]["inputFields"][0]["transformations"][0]
    assert masked["masking"] is True
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["ORDER_ID", "NAME", "AMOUNT", "EMAIL_HASH"]
    assert output["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"
    assert {("CREATE TABLE", "SCHEMA", DB), ("USAGE", "DATABASE", "DB1"), ("USAGE", "SCHEMA", DB),
            ("USAGE", "WAREHOUSE", "TRANSFORM_WH")} <= actions(output)
    customers = dataset(event, "inputs", ".CUSTOMERS")
    assert ("SELECT", "TABLE", f"{DB}.CUSTOMERS") in actions(customers)
    assert {f["name"] for f in customers["facets"]["schema"]["fields"]} >= {"ID", "NAME", "EMAIL", "STATUS"}
    operations = output["facets"]["monkeypatch_columnOperations"]["fields"]["AMOUNT"]["operations"]
    assert operations[-1]["operation"] == "snowflake CREATE TABLE"
    path, line = operations[-1]["location"].rsplit(":", 1)
    assert path == str(core_job.script)
    assert "cur.execute(" in core_job.script.read_text().splitlines()[int(line) - 1]


def test_update_accumulates_on_the_table_written_earlier(core_job):
    (event,) = core_job.with_sql("UPDATE enriched")
    edges = edges_of(event, ".ENRICHED")
    assert ("AMOUNT", f"{DB}.ENRICHED", "AMOUNT", "DIRECT", "TRANSFORMATION") in edges
    assert ("AMOUNT", f"{DB}.ORDERS", "QTY", "DIRECT", "TRANSFORMATION") in edges  # from the CTAS, same run
    assert ("*", f"{DB}.ENRICHED", "ORDER_ID", "INDIRECT", "FILTER") in edges
    assert ("UPDATE", "TABLE", f"{DB}.ENRICHED") in actions(dataset(event, "outputs", ".ENRICHED"))


def test_dict_cursor_execute_string_delete_truncate(core_job):
    (select,) = core_job.with_sql("SELECT name, amount FROM enriched")
    assert [d["name"] for d in select["inputs"]] == [f"{DB}.ENRICHED"]
    assert {f["name"] for f in select["inputs"][0]["facets"]["schema"]["fields"]} >= {"NAME", "AMOUNT"}
    assert select["outputs"] == []
    (counts,) = core_job.with_sql("CREATE TABLE status_counts")
    out = dataset(counts, "outputs", ".STATUS_COUNTS")
    assert {a["api"] for a in out["facets"]["monkeypatch_access"]["actions"]} == {"SnowflakeConnection.execute_string"}
    assert ("*", f"{DB}.CUSTOMERS", "STATUS", "INDIRECT", "GROUP_BY") in edges_of(counts, ".STATUS_COUNTS")
    (star,) = core_job.with_sql("SELECT * FROM status_counts")
    assert [f["name"] for f in star["inputs"][0]["facets"]["schema"]["fields"]] == ["N", "STATUS"]
    (stream,) = core_job.with_sql("INSERT INTO status_counts")
    out = dataset(stream, "outputs", ".STATUS_COUNTS")
    assert {a["api"] for a in out["facets"]["monkeypatch_access"]["actions"] if a["action"] == "INSERT"} == {
        "SnowflakeConnection.execute_stream"}
    assert ("USAGE", "WAREHOUSE", "TRANSFORM_WH") in actions(out)
    (delete,) = core_job.with_sql("DELETE FROM customers")
    assert edges_of(delete, ".CUSTOMERS") == {("*", f"{DB}.CUSTOMERS", "STATUS", "INDIRECT", "FILTER")}
    assert ("DELETE", "TABLE", f"{DB}.CUSTOMERS") in actions(dataset(delete, "outputs", ".CUSTOMERS"))
    (truncate,) = core_job.with_sql("TRUNCATE TABLE orders")
    orders = dataset(truncate, "outputs", ".ORDERS")
    assert orders["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "TRUNCATE"
    assert ("TRUNCATE", "TABLE", f"{DB}.ORDERS") in actions(orders)


def test_refused_and_unparsed_statements(core_job):
    complete = core_job.complete()
    failed = complete["run"]["facets"]["monkeypatch_failedAccess"]["accesses"]
    assert [(a["name"], a["action"]) for a in failed] == [(f"{DB}.NO_SUCH_TABLE", "SELECT")]
    assert "no_such" not in failed[0]["error"].lower()  # the code, never the server's message
    names = {d["name"] for e in core_job.events for d in e["inputs"] + e["outputs"]}
    assert f"{DB}.NO_SUCH_TABLE" not in names
    errors = complete["run"]["facets"]["extractionError"]["errors"]
    assert len(errors) == 1 and errors[0]["task"] == "SELECT id FROM customers AS OF ?"
    (unparsed,) = core_job.with_sql("AS OF")
    assert unparsed["run"]["facets"]["extractionError"]["failedTasks"] == 1


SEAM = """
import pandas as pd
import snowflake.connector.connection as connection
sent = []
original = connection.SnowflakeConnection.cmd_query
def counting(self, sql, *args, **kwargs):
    sent.append(sql)
    return original(self, sql, *args, **kwargs)
connection.SnowflakeConnection.cmd_query = counting  # the job's own view of every query it sends
out = sys.argv[1]
conn = connect()
cur = conn.cursor()
cur.execute("CREATE TABLE t (a INT, b INT, name VARCHAR)")
cur.execute("INSERT INTO t VALUES (1, 2, 'x'), (3, 4, 'y'), (5, 6, 'z')")
df = cur.execute("SELECT a, b + 1 AS c FROM t WHERE name <> 'z'").fetch_pandas_all()
df.to_parquet(out + "/selected.parquet", index=False)
for i, batch in enumerate(cur.execute("SELECT name, a FROM t").fetch_pandas_batches()):
    batch.to_csv(f"{out}/batch{i}.csv", index=False)
query = cur.execute_async("SELECT name AS label, a * 10 AS a10 FROM t")
later = conn.cursor()
later.get_results_from_sfqid(query["queryId"])
later.fetch_pandas_all().to_csv(out + "/async.csv", index=False)
print(df.to_dict("list"))
print(len(sent), "queries sent")
"""


def test_pandas_seam_fetch_and_async(snowflake_server, ol_env, tmp_path, spec_checker):
    out = tmp_path / "out"
    out.mkdir()
    job = run_job(SEAM, ol_env, tmp_path, snowflake_server.port, str(out))
    check_events(job, spec_checker)
    assert job.stdout.splitlines()[0] == "{'A': [1, 3], 'C': [3, 5]}"
    assert edges_of(job.events, "selected.parquet") == {
        ("A", f"{DB}.T", "A", "DIRECT", "IDENTITY"),
        ("C", f"{DB}.T", "B", "DIRECT", "TRANSFORMATION"),
        ("*", f"{DB}.T", "NAME", "INDIRECT", "FILTER"),
    }
    assert edges_of(job.events, "batch0.csv") == {
        ("NAME", f"{DB}.T", "NAME", "DIRECT", "IDENTITY"), ("A", f"{DB}.T", "A", "DIRECT", "IDENTITY")}
    assert edges_of(job.events, "async.csv") == {
        ("LABEL", f"{DB}.T", "NAME", "DIRECT", "IDENTITY"), ("A10", f"{DB}.T", "A", "DIRECT", "TRANSFORMATION")}
    (submitted,) = job.with_sql("SELECT name AS label")
    apis = {a["api"] for a in submitted["inputs"][0]["facets"]["monkeypatch_access"]["actions"]}
    assert "SnowflakeCursor.execute_async" in apis
    assert not job.with_sql("RESULT_SCAN")  # the connector's own fetch of the results is no new statement

    (tmp_path / "plain").mkdir()
    plain_env = {k: v for k, v in ol_env.items() if k != "OPENLINEAGE_MONKEYPATCH_ENABLED"}
    plain = run_python([str(tmp_path / "job.py"), str(tmp_path / "plain")],
                       env=dict(plain_env, FAKESNOW_PORT=str(snowflake_server.port)), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == job.stdout  # same results, and never an extra query: the same count was sent
    for name in ("selected.parquet", "batch0.csv", "async.csv"):
        assert (out / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name


WRITE_PANDAS = """
import pandas as pd
from snowflake.connector.pandas_tools import write_pandas
scores = pd.read_csv(sys.argv[1])
conn = connect()
cur = conn.cursor()
cur.execute('CREATE TABLE "scores" ("id" INT, "score" FLOAT)')
ok, chunks, rows, _ = write_pandas(conn, scores, "scores")
print(ok, rows, cur.execute('SELECT COUNT(*) FROM "scores"').fetchone()[0])
try:
    write_pandas(conn, scores, "auto_scores", auto_create_table=True)
except snowflake.connector.errors.ProgrammingError:
    print("auto_create_table refused by fakesnow")
"""


def test_write_pandas_gives_the_table_the_frames_lineage(shimmed_snowflake_server, ol_env, tmp_path, spec_checker):
    source = tmp_path / "scores.csv"
    source.write_text("id,score\n1,0.5\n2,0.75\n")
    job = run_job(WRITE_PANDAS, ol_env, tmp_path, shimmed_snowflake_server.port, str(source))
    check_events(job, spec_checker)
    assert job.stdout.splitlines() == ["True 2 2", "auto_create_table refused by fakesnow"]
    (copy,) = job.with_sql("COPY INTO")
    assert edges_of(copy, f"{DB}.scores") == {
        ("id", "scores.csv", "id", "DIRECT", "IDENTITY"), ("score", "scores.csv", "score", "DIRECT", "IDENTITY")}
    assert [d["name"] for d in copy["inputs"]] == [str(source)]  # the temporary stage is no input
    target = dataset(copy, "outputs", ".scores")
    assert {("INSERT", "TABLE", f"{DB}.scores"), ("CREATE STAGE", "SCHEMA", DB)} <= actions(target)
    assert {a["api"] for a in target["facets"]["monkeypatch_access"]["actions"] if a["action"] == "INSERT"} == {
        "snowflake.connector.pandas_tools.write_pandas"}
    assert not job.with_sql("CREATE TEMPORARY STAGE")
    names = {d["name"] for e in job.events for d in e["inputs"] + e["outputs"]}
    assert not any("SNOWPARK_TEMP" in n.upper() for n in names)
    assert f"{DB}.auto_scores" not in names  # never written: fakesnow refused its INFER_SCHEMA


EXECUTEMANY_ROWS = """
import math
import pandas as pd
scores = pd.read_csv(sys.argv[1])
scores["score2"] = scores["score"] * 2
conn = connect()
cur = conn.cursor()
for table in ("tuples", "records", "listed", "batched"):
    cur.execute(f"CREATE TABLE {table} (ID INT, SCORE FLOAT, SCORE2 FLOAT)")
sql = "INSERT INTO {} (ID, SCORE, SCORE2) VALUES (%s, %s, %s)"
rows = [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
        for row in scores.itertuples(index=False, name=None)]
cur.executemany(sql.format("tuples"), rows)
cur.executemany(sql.format("records"), [tuple(r.values()) for r in scores.to_dict("records")])
cur.executemany(sql.format("listed"), scores.values.tolist())
cur.executemany(sql.format("batched"), scores.to_numpy().tolist()[:2])  # one batch of fewer rows: unsure
cur.executemany("INSERT INTO tuples (ID, SCORE) VALUES (%s, %s)", [(9, 0.1)])  # no frame of that shape
print(cur.execute("SELECT COUNT(*) FROM tuples").fetchone()[0])
"""


def test_executemany_of_a_frames_rows_gives_the_table_the_frames_lineage(snowflake_server, ol_env, tmp_path,
                                                                          spec_checker):
    source = tmp_path / "scores.csv"
    source.write_text("id,score\n1,0.5\n2,0.75\n3,0.25\n")
    job = run_job(EXECUTEMANY_ROWS, ol_env, tmp_path, snowflake_server.port, str(source))
    check_events(job, spec_checker)
    assert job.stdout.splitlines() == ["4"]
    expected = {("ID", "scores.csv", "id", "DIRECT", "IDENTITY"),
                ("SCORE", "scores.csv", "score", "DIRECT", "IDENTITY"),
                ("SCORE2", "scores.csv", "score", "DIRECT", "TRANSFORMATION")}
    for table in ("tuples", "records", "listed", "batched"):
        (event,) = job.with_sql(f"INSERT INTO {table} (ID, SCORE, SCORE2)")
        assert edges_of(event, f".{table.upper()}") == expected, table
        assert str(source) in {d["name"] for d in event["inputs"]}
        output = dataset(event, "outputs", f".{table.upper()}")
        fields = output["facets"]["monkeypatch_columnOperations"]["fields"]
        assert [op["operation"] for op in fields["SCORE2"]["operations"]][-1] == "snowflake INSERT"
        assert bool(fields["ID"].get("approximate")) == (table == "batched"), table
    (unmatched,) = job.with_sql("INSERT INTO tuples (ID, SCORE) VALUES")
    assert "columnLineage" not in dataset(unmatched, "outputs", ".TUPLES")["facets"] or not edges_of(
        unmatched, ".TUPLES") - expected


def test_sql_text_modes(snowflake_server, ol_env, tmp_path):
    code = """
conn = connect()
conn.cursor().execute("CREATE TABLE s AS SELECT 'secret-value' AS v, 42 AS n")
"""
    # redacted, the default, is checked on every statement of the other jobs
    for mode, expected in (("full", "CREATE TABLE s AS SELECT 'secret-value' AS v, 42 AS n"), ("none", None)):
        env = dict(ol_env, OPENLINEAGE_MONKEYPATCH_SQL_TEXT=mode,
                   OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(tmp_path / f"{mode}.ndjson"))
        job = run_job(code, env, tmp_path, snowflake_server.port, name=f"{mode}.py")
        assert job.proc.returncode == 0, job.stderr
        (event,) = [e for e in job.running() if e["outputs"]]
        assert (event["job"]["facets"].get("sql") or {}).get("query") == expected
        if mode != "full":
            assert "secret-value" not in str(job.events)
        assert_no_secrets(job)


def test_copy_credentials_never_leave_even_in_full_mode(tmp_path):
    from openlineage_monkeypatch.lineage import sql

    text = ("COPY INTO t FROM 's3://b/p/' CREDENTIALS = (AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE' "
            "AWS_SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') ENCRYPTION = (MASTER_KEY = 'k3y==')")
    for mode in ("full", "redacted"):
        shown = sql.facet_text(text, mode)
        assert "AKIA" not in shown and "EXAMPLEKEY" not in shown and "k3y" not in shown, shown
    assert sql.facet_text("ALTER USER u SET PASSWORD = 'hunter2'", "full") == "ALTER USER u SET PASSWORD = '***'"


def test_naming_follows_the_providers_normalization():
    from openlineage_monkeypatch import naming

    assert naming.snowflake_namespace("myorg-myacct") == "snowflake://myorg-myacct"
    assert naming.snowflake_namespace("MyOrg-MyAcct") == "snowflake://myorg-myacct"
    assert naming.snowflake_namespace("xy12345") == "snowflake://xy12345.us-west-1.aws"
    assert naming.snowflake_namespace("xy12345.us-east-2") == "snowflake://xy12345.us-east-2.aws"
    assert naming.snowflake_namespace("xy12345.east-us-2.azure") == "snowflake://xy12345.east-us-2.azure"
    assert naming.snowflake_namespace("xy12345", region="eu-central-1") == "snowflake://xy12345.eu-central-1.aws"
    assert naming.snowflake_namespace(
        "xy12345", host="xy12345.eu-west-1.privatelink.snowflakecomputing.com") == "snowflake://xy12345.eu-west-1.aws"
    assert naming.snowflake_namespace("ignored", host="acme-prod.snowflakecomputing.com") == "snowflake://acme-prod"
    assert naming.snowflake_namespace("xy12345_aws_us_east_1") == "snowflake://xy12345.us-east-1.aws"
    assert naming.snowflake_namespace("myorg-laws") == "snowflake://myorg-laws"


def test_session_identifiers_follow_quotes():
    from openlineage_monkeypatch.lineage import sql

    assert sql.parse_identifier("analytics", "snowflake") == "ANALYTICS"
    assert sql.parse_identifier('"MixedCase"', "snowflake") == "MixedCase"


SQLALCHEMY_PATH = os.environ.get("OLMP_TEST_SQLALCHEMY_PATH")  # a SQLAlchemy<2.1 for snowflake-sqlalchemy 1.11

SQLALCHEMY = """
import pandas as pd
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool
from snowflake.sqlalchemy import URL
engine = create_engine(
    URL(account="myorg-myacct", user="fake", password=SECRETS["password"], database="DB1", schema="S1"),
    poolclass=StaticPool,
    connect_args=dict(host="127.0.0.1", port=PORT, protocol="http",
                      session_parameters={"FAKESNOW_DB_PATH": ":isolated:"}))
with engine.connect() as c:
    c.exec_driver_sql("CREATE DATABASE IF NOT EXISTS DB1")
    c.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS DB1.S1")
    c.exec_driver_sql("USE SCHEMA DB1.S1")
scores = pd.read_csv(sys.argv[1])
scores.to_sql("scores", engine, index=False)
doubled = pd.read_sql("SELECT id, score * 2 AS dbl FROM scores WHERE id > 0", engine)
doubled.to_csv(sys.argv[2], index=False)
print(doubled.to_dict("list"))
"""


def _sqlalchemy_env(env: dict) -> dict | None:
    probe = run_python("import snowflake.sqlalchemy", env=env)
    if probe.returncode == 0:
        return env
    if SQLALCHEMY_PATH:
        env = dict(env, PYTHONPATH=os.pathsep.join([env["PYTHONPATH"], SQLALCHEMY_PATH]))
        if run_python("import snowflake.sqlalchemy", env=env).returncode == 0:
            return env
    return None


def test_pandas_to_sql_and_read_sql_through_a_snowflake_engine(snowflake_server, ol_env, tmp_path, spec_checker):
    env = _sqlalchemy_env(ol_env)
    if env is None:
        pytest.skip("snowflake-sqlalchemy 1.11 does not import with SQLAlchemy 2.1 (pin sqlalchemy<2.1, or set "
                    "OLMP_TEST_SQLALCHEMY_PATH to a folder holding SQLAlchemy 2.0)")
    source = tmp_path / "scores.csv"
    source.write_text("id,score\n1,0.5\n2,0.75\n")
    job = run_job(SQLALCHEMY, env, tmp_path, snowflake_server.port, str(source), str(tmp_path / "doubled.csv"))
    check_events(job, spec_checker)
    assert job.stdout.strip() == "{'id': [1, 2], 'dbl': [1.0, 1.5]}"
    (insert,) = job.with_sql("INSERT INTO scores")
    assert edges_of(insert, f"{DB}.SCORES") == {
        ("ID", "scores.csv", "id", "DIRECT", "IDENTITY"), ("SCORE", "scores.csv", "score", "DIRECT", "IDENTITY")}
    assert ("INSERT", "TABLE", f"{DB}.SCORES") in actions(dataset(insert, "outputs", ".SCORES"))
    (select,) = job.with_sql("SELECT id, score")
    assert select["run"]["facets"]["externalQuery"]["source"] == NS
    assert edges_of(job.events, "doubled.csv") == {
        ("id", f"{DB}.SCORES", "ID", "DIRECT", "IDENTITY"),
        ("dbl", f"{DB}.SCORES", "SCORE", "DIRECT", "TRANSFORMATION"),
        ("*", f"{DB}.SCORES", "ID", "INDIRECT", "FILTER"),
    }
    assert not [e for e in job.events for d in e["inputs"] if "INFORMATION_SCHEMA" in d["name"].upper()]


END_TO_END = """
import pandas as pd
out = sys.argv[1]
conn = connect()
cur = conn.cursor()
cur.execute("CREATE TABLE orders (order_id INT, customer_id INT, qty INT, unit_price FLOAT, email VARCHAR)")
cur.execute("INSERT INTO orders VALUES (1, 10, 2, 2.5, 'a@x'), (2, 10, 1, 4.0, 'a@x'), (3, 11, 5, 1.0, 'b@x')")
orders = cur.execute(
    "SELECT order_id, customer_id, qty * unit_price AS amount, email FROM orders WHERE qty > 0").fetch_pandas_all()
orders["amount_eur"] = orders["AMOUNT"] * 0.9
orders["email_hash"] = pd.util.hash_pandas_object(orders["EMAIL"], index=False).astype(str)
per_customer = orders.groupby("CUSTOMER_ID", as_index=False).agg(total=("amount_eur", "sum"), n=("ORDER_ID", "count"))
per_customer.to_parquet(out + "/per_customer.parquet", index=False)
orders[["ORDER_ID", "email_hash"]].to_parquet(out + "/hashed.parquet", index=False)
print(per_customer.to_dict("list"))
"""


def test_snowflake_to_pandas_to_parquet_end_to_end(snowflake_server, ol_env, tmp_path, spec_checker):
    out = tmp_path / "out"
    out.mkdir()
    job = run_job(END_TO_END, ol_env, tmp_path, snowflake_server.port, str(out))
    check_events(job, spec_checker)
    assert job.stdout.strip() == "{'CUSTOMER_ID': [10, 11], 'total': [8.1, 4.5], 'n': [2, 1]}"
    assert edges_of(job.events, "per_customer.parquet") == {
        ("CUSTOMER_ID", f"{DB}.ORDERS", "CUSTOMER_ID", "DIRECT", "IDENTITY"),
        ("total", f"{DB}.ORDERS", "QTY", "DIRECT", "AGGREGATION"),
        ("total", f"{DB}.ORDERS", "UNIT_PRICE", "DIRECT", "AGGREGATION"),
        ("n", f"{DB}.ORDERS", "ORDER_ID", "DIRECT", "AGGREGATION"),
        ("*", f"{DB}.ORDERS", "CUSTOMER_ID", "INDIRECT", "GROUP_BY"),
        ("*", f"{DB}.ORDERS", "QTY", "INDIRECT", "FILTER"),
    }
    (event,) = [e for e in job.running() if any(d["name"].endswith("hashed.parquet") for d in e["outputs"])]
    hashed = dataset(event, "outputs", "hashed.parquet")["facets"]["columnLineage"]["fields"]["email_hash"]
    assert [(f["name"], f["field"], f["transformations"][0]["masking"]) for f in hashed["inputFields"]] == [
        (f"{DB}.ORDERS", "EMAIL", True)]
    history = dataset(event, "outputs", "hashed.parquet")["facets"]["monkeypatch_columnOperations"]["fields"]
    assert [op["operation"] for op in history["email_hash"]["operations"]] == [
        "snowflake.fetch_pandas_all", "pandas.util.hash_pandas_object", "Series.astype"]
    assert history["email_hash"]["operations"][0]["detail"].endswith("FROM orders WHERE qty > ?")


@pytest.mark.parametrize("fault", ["raise", "garbage"])
def test_our_failures_never_reach_the_job(snowflake_server, ol_env, tmp_path, fault):
    """Every handler of ours failing (or returning nonsense): same output, same files, exit code 0."""
    out = tmp_path / "out"
    out.mkdir()
    env = dict(ol_env, OPENLINEAGE_MONKEYPATCH_TEST_FAULT=fault)
    job = run_job(SEAM, env, tmp_path, snowflake_server.port, str(out))
    assert job.proc.returncode == 0, job.stderr[-3000:]
    assert job.stdout.splitlines()[0] == "{'A': [1, 3], 'C': [3, 5]}"
    assert sorted(p.name for p in out.iterdir()) == ["async.csv", "batch0.csv", "selected.parquet"]
    assert_no_secrets(job)


def test_rows_matched_by_shape_over_approximate_when_unsure():
    from openlineage_monkeypatch.lineage import model, seam

    def frame(name):
        return model.Frame({c: model.Col(model.source_edges(model.Field("file", name, c))) for c in ("a", "b")})

    first, second = frame("/one.csv"), frame("/two.csv")
    seam._exports.clear()
    seam.remember_rows(first, ("a", "b"), 3, "DataFrame.itertuples")
    found, approximate = seam.rows_frame(2, 3, ["X", "Y"])
    assert not approximate and found.columns["X"] is first.columns["a"]
    assert seam.rows_frame(3, 3, ["X", "Y", "Z"]) is None  # no frame of that width
    assert seam.rows_frame(2, 4, ["X", "Y"]) is None  # more rows than any frame had
    seam.remember_rows(second, ("b", "a"), 3, "DataFrame.to_dict")
    found, approximate = seam.rows_frame(2, 3, ["X", "Y"])
    assert approximate and found.columns["X"].approximate
    assert {(e[0].name, e[0].field) for e in found.columns["X"].edges} == {("/one.csv", "a"), ("/two.csv", "b")}
    found, approximate = seam.rows_frame(2, 1, ["X", "Y"])  # a batch of the rows: unsure which frame
    assert approximate
    seam._exports.clear()

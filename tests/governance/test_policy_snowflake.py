"""Snowflake role drafts from the events of a real connector job against fakesnow's server."""

from __future__ import annotations

from openlineage_monkeypatch.cli import main
from tests.snowflake.conftest import job_env, run_job

JOB = """
conn = connect()
cur = conn.cursor()
cur.execute("USE WAREHOUSE transform_wh")
cur.execute("CREATE TABLE customers (id INT, name VARCHAR, email VARCHAR, status VARCHAR)")
cur.executemany("INSERT INTO customers (id, name, email, status) VALUES (%s, %s, %s, %s)",
                [(1, "ann", "ann@example.com", "active"), (2, "bob", "bob@example.com", "gone")])
cur.execute("CREATE TABLE active AS SELECT id, UPPER(name) AS name_upper FROM customers "
            "WHERE status = 'active' AND email IS NOT NULL")
cur.execute("SELECT id, name_upper FROM active").fetchall()
try:
    cur.execute("SELECT * FROM no_such_table")
except snowflake.connector.errors.ProgrammingError:
    pass
"""


def test_role_from_a_real_snowflake_job(snowflake_server, tmp_path, capsys):
    job = run_job(JOB, job_env(tmp_path), tmp_path, snowflake_server.port)
    assert job.proc.returncode == 0, job.stderr
    rules = tmp_path / "classes.yml"
    rules.write_text("CUSTOMERS.EMAIL: PII\nCUSTOMERS.NAME: PII\n")
    out = tmp_path / "roles"
    assert main(["policy", "snowflake", str(tmp_path / "events.ndjson"), "--classifications", str(rules),
                 "--out", str(out)]) == 0
    sql = (out / "tests__job.py.sql").read_text()
    grants = [line for line in sql.splitlines() if line.startswith("GRANT")]
    assert grants == [
        "GRANT USAGE ON WAREHOUSE TRANSFORM_WH TO ROLE JOB_PY_ROLE;",
        "GRANT USAGE ON DATABASE DB1 TO ROLE JOB_PY_ROLE;",
        "GRANT CREATE TABLE, USAGE ON SCHEMA DB1.S1 TO ROLE JOB_PY_ROLE;",
        "GRANT SELECT ON TABLE DB1.S1.ACTIVE TO ROLE JOB_PY_ROLE;",
        "GRANT INSERT, SELECT ON TABLE DB1.S1.CUSTOMERS TO ROLE JOB_PY_ROLE;",
    ], sql
    assert "NO_SUCH_TABLE" in sql  # listed under "attempted but failed"
    policies = (out / "column_policies.sql").read_text()
    # the job filters on EMAIL only: a projection policy keeps that working without returning it
    email = policies.split("-- DB1.S1.CUSTOMERS.EMAIL  [PII]\n", 1)[1].split("\n\n", 1)[0]
    assert "roles that only filter/join/group/sort on it: JOB_PY_ROLE" in email
    assert "CREATE PROJECTION POLICY IF NOT EXISTS DB1.S1.PP_CUSTOMERS_EMAIL AS () RETURNS PROJECTION_CONSTRAINT ->\n" \
           "  PROJECTION_CONSTRAINT(ALLOW => false);" in email
    assert "  SHA2(val);  -- no role needs the value in clear" in email
    name = policies.split("-- DB1.S1.CUSTOMERS.NAME  [PII]\n", 1)[1].split("\n\n", 1)[0]
    assert "  CASE WHEN CURRENT_ROLE() IN ('JOB_PY_ROLE') THEN val ELSE SHA2(val) END;" in name
    # fetched by the job, into no output: the role keeps the value, with a note
    upper = policies.split("-- DB1.S1.ACTIVE.NAME_UPPER  [PII]  (derived)\n", 1)[1].split("\n\n", 1)[0]
    assert "roles that read it without it reaching any output: JOB_PY_ROLE" in upper
    assert "  CASE WHEN CURRENT_ROLE() IN ('JOB_PY_ROLE') THEN val ELSE SHA2(val) END;" in upper

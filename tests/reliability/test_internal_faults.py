"""Our own code failing (OPENLINEAGE_MONKEYPATCH_TEST_FAULT): every patch handler raises, returns garbage
or runs slowly. The job gets exactly the original result; we warn once per integration; the final
event records the internal error in the monkeypatch_instrumentation facet."""

from __future__ import annotations

import pytest

from tests.conftest import assert_valid, read_events
from tests.fixtures.jobs import by_run, names, types
from tests.reliability.conftest import assert_same_as_plain, instrumented_env, our_log, run_job

# fault -> (integrations that warn, whether a final event can report it)
FAULTS = {
    "raise": ({"pandas"}, True),                  # every pandas handler raises
    "garbage": ({"pandas"}, True),                # every pandas handler returns an unexpected object
    "slow": (set(), True),                        # every pandas handler takes 20 ms longer
    "raise:process": ({"process"}, True),         # our process hooks (subprocess, exit, signals) raise
    "garbage:run,process,emitter": ({"run", "process"}, True),
    "raise:run": ({"run"}, False),                # the run itself cannot record anything: nothing is emitted
}


def instrumented(tmp_path, **extra):
    return instrumented_env(tmp_path, OPENLINEAGE__TRANSPORT__TYPE="file",
                            OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(tmp_path / "events.ndjson"),
                            OPENLINEAGE__TRANSPORT__APPEND="true", **extra)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_failing_handlers_leave_the_job_alone(tmp_path, plain, spec_checker, fault):
    expected, reported = FAULTS[fault]
    env = instrumented(tmp_path, OPENLINEAGE_MONKEYPATCH_TEST_FAULT=fault)
    result = run_job(tmp_path / "job", env)
    assert_same_as_plain(result, plain)
    warnings = our_log(tmp_path)
    assert all("internal error in the" in line and "job unaffected" in line for line in warnings), warnings
    warned = [line.split("internal error in the ")[1].split(" integration")[0] for line in warnings]
    assert sorted(warned) == sorted(expected), "exactly one warning per failing integration"
    events = read_events(tmp_path / "events.ndjson")
    if not reported:
        assert events == []
        return
    runs = list(by_run(events).values())
    assert len(runs) == 1 and types(runs[0])[0] == "START" and types(runs[0])[-1] == "COMPLETE"
    errors = runs[0][-1]["run"]["facets"]["monkeypatch_instrumentation"].get("internalErrors") or {}
    assert set(errors) == expected and all(count >= 1 for count in errors.values()), errors
    if not expected & {"pandas"}:
        assert names(runs[0][-1]["outputs"]) == ["out.csv"], "lineage intact when only other parts fail"
    assert_valid(events, spec_checker)


def test_fault_in_our_log_file_does_not_reach_the_job(tmp_path, plain):
    """The log file itself cannot be written (a folder of that name): lines are dropped silently."""
    (tmp_path / "olmp.log").mkdir()
    env = instrumented(tmp_path, OPENLINEAGE_MONKEYPATCH_TEST_FAULT="raise")
    assert_same_as_plain(run_job(tmp_path / "job", env), plain)


# -- every integration at once: boto3, s3fs (pandas on s3://), pandas, the Snowflake connector ----------

MIXED_JOB = """\
import io, json, os, sys
import boto3, pandas as pd, snowflake.connector

s3 = boto3.client("s3")
s3.create_bucket(Bucket="faults")
s3.put_object(Bucket="faults", Key="in.csv", Body=b"a,b\\n1,2\\n3,4\\n")
body = s3.get_object(Bucket="faults", Key="in.csv")["Body"].read()
df = pd.read_csv(io.BytesIO(body))
df["c"] = df["a"] + df["b"]
df.to_csv("s3://faults/out.csv", index=False)
back = pd.read_csv("s3://faults/out.csv")
conn = snowflake.connector.connect(**json.loads(os.environ["SNOWFLAKE_KWARGS"]))
cur = conn.cursor()
cur.execute("CREATE DATABASE IF NOT EXISTS DB1")
cur.execute("CREATE SCHEMA IF NOT EXISTS DB1.S1")
cur.execute("CREATE OR REPLACE TABLE DB1.S1.T (A INT, B INT)")
cur.executemany("INSERT INTO DB1.S1.T VALUES (%s, %s)", [tuple(int(v) for v in r) for r in back[["a", "b"]].values])
print(cur.execute("SELECT SUM(A + B) FROM DB1.S1.T").fetchone())
print(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="faults")["Contents"]), back.to_dict("list"))
"""


@pytest.mark.parametrize("fault", ["raise", "garbage"])
def test_every_integration_failing_at_once(tmp_path, s3, snowflake_server, spec_checker, fault):
    import json

    from integration import servers
    from tests.conftest import clean_env
    from tests.fixtures.jobs import without_ours

    kwargs = snowflake_server.snowflake_kwargs(session_parameters={"FAKESNOW_DB_PATH": ":isolated:"})
    base = dict(servers.FAKE_CREDENTIALS, AWS_ENDPOINT_URL=s3.endpoint_url,
                SNOWFLAKE_KWARGS=json.dumps(kwargs), SNOWFLAKE_DISABLE_PLATFORM_DETECTION="true")
    plain = run_job(tmp_path / "plain", clean_env(**base), args=("job.py",), job=MIXED_JOB, files=())
    assert plain.returncode == 0, plain.stderr
    s3.reset()
    env = instrumented(tmp_path, OPENLINEAGE_MONKEYPATCH_TEST_FAULT=fault, **base)
    result = run_job(tmp_path / "job", env, args=("job.py",), job=MIXED_JOB, files=())
    assert (result.returncode, result.stdout, without_ours(result.stderr)) == (plain.returncode, plain.stdout,
                                                                               without_ours(plain.stderr))
    warnings = our_log(tmp_path)
    warned = [line.split("internal error in the ")[1].split(" integration")[0] for line in warnings]
    assert len(warned) == len(set(warned)), "one warning per integration"
    assert {"boto3", "pandas", "snowflake"} <= set(warned) <= {"boto3", "s3fs", "pandas", "snowflake"}, warned
    events = read_events(tmp_path / "events.ndjson")
    runs = list(by_run(events).values())
    assert len(runs) == 1 and types(runs[0])[-1] == "COMPLETE"
    errors = runs[0][-1]["run"]["facets"]["monkeypatch_instrumentation"]["internalErrors"]
    assert set(errors) == set(warned)
    assert_valid(events, spec_checker)

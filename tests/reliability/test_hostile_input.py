"""Hostile input through whole jobs: S3 keys with spaces, Unicode, `..` and 1,000 bytes; a presigned URL;
a 1 MB SQL statement full of comments and quoted literals next to one that does not parse; column
names of every type. Each job's output equals the plain run's, every event is valid, and each input
gives its exact lineage or an extractionError facet."""

from __future__ import annotations

import json

from tests.conftest import assert_valid
from tests.s3 import support as s3job
from tests.snowflake.conftest import job_env as snowflake_env, run_job as run_snowflake_job

LONG_KEY = "long/" + "k" * 990 + ".csv"  # S3 allows 1,024 bytes
HOSTILE_KEYS = ["with space/file name.csv", "ünïcödé/データ 📦.csv", "a/../b.csv", "q/x?y=1&z=%20.csv", LONG_KEY]

S3_JOB = """
import io, os, urllib.request, boto3, pandas as pd
keys = {keys!r}
s3 = boto3.client("s3")
s3.create_bucket(Bucket="bkt")
frame = pd.DataFrame({{"id": [1, 2, 3], "name": ["a", "b", "c"]}})
for key in keys:
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False)
    s3.put_object(Bucket="bkt", Key=key, Body=buffer.getvalue())
    back = pd.read_csv(s3.get_object(Bucket="bkt", Key=key)["Body"])
    print(key[:40], len(back), list(back.columns))
spaced = pd.read_csv("s3://bkt/with space/file name.csv")
spaced[["name"]].to_csv("s3://bkt/out/ünï space.csv", index=False)
url = s3.generate_presigned_url("get_object", Params={{"Bucket": "bkt", "Key": keys[0]}}, ExpiresIn=60)
via_url = pd.read_csv(urllib.request.urlopen(url))
print("presigned", len(via_url))
"""


def test_s3_keys_and_urls_that_are_hard_to_name(s3, tmp_path, spec_checker):
    code = S3_JOB.format(keys=HOSTILE_KEYS)
    plain = s3job.run_job(code, tmp_path / "plain", s3, plain=True, label="hostile plain")
    s3.reset()
    job = s3job.run_job(code, tmp_path / "instr", s3, label="hostile keys")
    assert plain.proc.returncode == 0, plain.proc.stderr
    assert job.proc.returncode == 0 and job.stdout == plain.stdout, job.proc.stderr
    assert_valid(job.events, spec_checker)
    written = {d["name"] for e in job.events for d in e.get("outputs") or () if d["namespace"] == "s3://bkt"}
    assert set(HOSTILE_KEYS) | {"out/ünï space.csv"} <= written  # the key is the name, byte for byte
    read = {d["name"] for e in job.events for d in e.get("inputs") or () if d["namespace"] == "s3://bkt"}
    assert set(HOSTILE_KEYS) <= read
    text = json.dumps(job.events)
    assert "X-Amz-Signature" not in text and "Signature=" not in text and "AKIA" not in text


SQL_JOB = """
conn = connect()
cur = conn.cursor()
cur.execute("CREATE TABLE people (id INT, name VARCHAR)")
cur.execute("INSERT INTO people VALUES (1, 'O''Brien'), (2, 'say \\"hi\\" -- not a comment')")
cur.execute("CREATE TABLE kept (id INT, name VARCHAR)")
literals = ", ".join(f"'v{{i}} it''s -- no comment /* nor this */ \\"q\\"'" for i in range({n}))
big = ("/* header: 'quoted' \\"too\\" */\\nINSERT INTO kept (id, name)\\n-- a line comment\\n"
       "SELECT id, name FROM people WHERE name NOT IN (" + literals + ")")
print("a megabyte of SQL:", len(big) >= 1_000_000)
cur.execute(big)
try:
    cur.execute("SELEC id FRM people WHERE")
except Exception as error:
    print("unparsed:", type(error).__name__)
print(cur.execute("SELECT COUNT(*) FROM kept").fetchone())
"""


def test_a_one_megabyte_statement_and_one_that_does_not_parse(snowflake_server, tmp_path, spec_checker):
    code = SQL_JOB.format(n=21_000)  # just over 1 MB of SQL
    env = snowflake_env(tmp_path)
    plain_env = {k: v for k, v in env.items() if not k.startswith("OPENLINEAGE")}
    plain = run_snowflake_job(code, plain_env, tmp_path, snowflake_server.port, name="plain.py")
    job = run_snowflake_job(code, env, tmp_path, snowflake_server.port)
    assert plain.proc.returncode == 0, plain.stderr
    assert "a megabyte of SQL: True" in plain.stdout
    assert job.proc.returncode == 0 and job.stdout == plain.stdout, job.stderr
    assert_valid(job.events, spec_checker)
    [insert] = job.with_sql("INSERT INTO kept")
    assert "O''Brien" not in json.dumps(job.events) and "no comment" not in json.dumps(job.events)
    [kept] = [d for d in insert["outputs"] if d["name"].endswith("KEPT")]
    fields = kept["facets"]["columnLineage"]["fields"]
    assert {f: sorted((i["name"].rsplit(".", 1)[-1], i["field"]) for i in v["inputFields"]) for f, v in fields.items()} \
        == {"ID": [("PEOPLE", "ID")], "NAME": [("PEOPLE", "NAME")]}
    filters = [(i["field"], t["subtype"]) for i in kept["facets"]["columnLineage"].get("dataset") or []
               for t in i["transformations"]]
    assert ("NAME", "FILTER") in filters
    unparsed = job.complete()["run"]["facets"]["extractionError"]["errors"]
    assert any("SELEC" in (e.get("task") or "") for e in unparsed)


COLUMNS_JOB = """
import datetime, io, pandas as pd
labels = [0, 1.5, None, True, ("a", "b"), datetime.date(2024, 1, 2), "名前", "emoji 🎉", "", " ", "new\\nline",
          b"bytes", "dup", "dup"]
source = pd.read_csv("in.csv")
frame = pd.concat([source["a"].rename(label) for label in labels], axis=1)
frame = frame.rename(columns={"名前": "naмe"})
frame = frame.assign(**{"Σ total": frame.iloc[:, 0] + frame.iloc[:, 1]})
grouped = frame.groupby(True).sum(numeric_only=True)
buffer = io.StringIO()
grouped.to_csv(buffer)
frame.to_csv("columns.csv", index=False)
frame[["dup", "emoji 🎉"]].to_json("columns.json", orient="split")
print(len(buffer.getvalue()), list(map(str, grouped.columns))[:5])
"""


def test_column_names_of_every_type(tmp_path, spec_checker):
    for side in ("plain", "instr"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "in.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    plain = s3job.run_job(COLUMNS_JOB, tmp_path / "plain", plain=True, label="columns plain")
    job = s3job.run_job(COLUMNS_JOB, tmp_path / "instr", label="columns")
    assert plain.proc.returncode == 0, plain.proc.stderr
    assert job.proc.returncode == 0 and job.stdout == plain.stdout, job.proc.stderr
    for name in ("columns.csv", "columns.json"):
        assert (tmp_path / "instr" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
    assert_valid(job.events, spec_checker)
    out = job.output(job.path("columns.csv"))
    names = [f["name"] for f in out["facets"]["schema"]["fields"]]
    assert all(isinstance(n, str) for n in names) and "Σ total" in names and "naмe" in names
    fields = out["facets"]["columnLineage"]["fields"]
    assert set(fields) == set(names)  # every column, whatever its label, traces back to in.csv's a
    assert {(i["name"].rsplit("/", 1)[-1], i["field"]) for f in fields.values() for i in f["inputFields"]} \
        == {("in.csv", "a")}

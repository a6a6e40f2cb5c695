"""s3fs (through aiobotocore) and pandas with s3:// paths, with and without storage_options."""

from __future__ import annotations

import pytest

from tests.conftest import assert_valid, marquez_gaps
from tests.s3.support import action_names, actions, identity, lineage, run_job, schema

B = "s3://bkt"

JOB = """
import os, boto3, s3fs, pandas as pd, pyarrow.fs
boto3.client("s3").create_bucket(Bucket="bkt")
so = {"client_kwargs": {"endpoint_url": os.environ["AWS_ENDPOINT_URL"]}}
src = pd.read_csv("orders.csv")

# pandas through fsspec/s3fs (storage_options) and through pyarrow's own S3 client (none)
src.to_csv("s3://bkt/pd/orders.csv", index=False, storage_options=so)
src.to_parquet("s3://bkt/pd/arrow.parquet", index=False)
src.to_parquet("s3://bkt/pd/dataset/", partition_cols=["customer"], storage_options=so)
pd.read_csv("s3://bkt/pd/orders.csv", storage_options=so).to_parquet("s3://bkt/out/a.parquet", storage_options=so)
pd.read_parquet("s3://bkt/pd/arrow.parquet").to_json("s3://bkt/out/b.jsonl", orient="records", lines=True)
pd.read_parquet("s3://bkt/pd/dataset", storage_options=so).to_csv("s3://bkt/out/c.csv", index=False)
arrow_fs = pyarrow.fs.S3FileSystem(endpoint_override=os.environ["AWS_ENDPOINT_URL"])
pd.read_parquet("bkt/pd/arrow.parquet", filesystem=arrow_fs).to_parquet("bkt/out/arrowfs.parquet", filesystem=arrow_fs)
for i, chunk in enumerate(pd.read_csv("s3://bkt/pd/orders.csv", chunksize=2)):
    chunk.to_csv(f"s3://bkt/out/chunk{i}.csv", index=False)

# s3fs directly
fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": os.environ["AWS_ENDPOINT_URL"]})
with fs.open("bkt/fs/handle.csv", "wb") as f:
    src.to_csv(f, index=False)
with fs.open("bkt/fs/handle.csv", "rb") as f:
    pd.read_csv(f).to_parquet("staging.parquet", index=False)
fs.put("staging.parquet", "bkt/fs/put.parquet")
fs.get("bkt/fs/put.parquet", "got.parquet")
pd.read_parquet("got.parquet").to_csv("from_get.csv", index=False)
fs.cp("bkt/fs/handle.csv", "bkt/fs/copy.csv")
fs.ls("bkt/fs")
fs.cat("bkt/pd/orders.csv")
fs.rm("bkt/fs/copy.csv")
print("done")
"""


@pytest.fixture(scope="module")
def job(s3_server, tmp_path_factory):
    s3_server.reset()
    workdir = tmp_path_factory.mktemp("s3fs")
    (workdir / "orders.csv").write_text("id,customer,amount\n1,ann,1.5\n2,bob,2.5\n3,cid,3.5\n")
    result = run_job(JOB, workdir, s3_server, label="s3fs")
    assert result.proc.returncode == 0, result.proc.stderr
    assert "done" in result.stdout
    return result


COLS = ["id", "customer", "amount"]
SCHEMA = [("id", "int64"), ("customer", "str"), ("amount", "float64")]


def test_pandas_writes_to_s3(job):
    orders = job.path("orders.csv")
    for key in ("pd/orders.csv", "pd/arrow.parquet"):
        out = job.output(key, B)
        assert schema(out) == SCHEMA, key
        assert lineage(out) == identity("file", orders, COLS), key
    assert actions(job.output("pd/orders.csv", B)) == {
        ("s3:PutObject", "pandas.DataFrame.to_csv", "OBJECT"): 1,
        ("s3:ListBucket", "pandas.DataFrame.to_csv", "BUCKET"): 1}
    assert actions(job.output("pd/arrow.parquet", B)) == {("s3:PutObject", "pandas.DataFrame.to_parquet", "OBJECT"): 1}


def test_partitioned_write_is_one_dataset(job):
    out = job.output("pd/dataset", B)
    assert {n for n, _ in schema(out)} == set(COLS)
    assert lineage(out) == identity("file", job.path("orders.csv"), COLS)
    assert actions(out)[("s3:PutObject", "pandas.DataFrame.to_parquet", "OBJECT")] == 3
    assert not [n for n in job.names("outputs") if "customer=" in n]


def test_pandas_reads_from_s3(job):
    assert lineage(job.output("out/a.parquet", B)) == identity(B, "pd/orders.csv", COLS)
    assert lineage(job.output("out/b.jsonl", B)) == identity(B, "pd/arrow.parquet", COLS)
    assert lineage(job.output("out/c.csv", B)) == identity(B, "pd/dataset", COLS)
    assert lineage(job.output("out/arrowfs.parquet", B)) == identity(B, "pd/arrow.parquet", COLS)
    assert action_names(job.input("pd/dataset", B)) == {"s3:GetObject", "s3:ListBucket"}
    assert actions(job.input("pd/arrow.parquet", B)) == {("s3:GetObject", "pandas.read_parquet", "OBJECT"): 2}
    read = job.input("pd/orders.csv", B)
    assert schema(read) == SCHEMA
    assert {api for _, api, _ in actions(read)} == {"pandas.read_csv", "s3fs get_object", "s3fs head_object"}


@pytest.mark.parametrize("key", ["out/chunk0.csv", "out/chunk1.csv"])
def test_chunks_from_s3(job, key):
    assert lineage(job.output(key, B)) == identity(B, "pd/orders.csv", COLS)


def test_s3fs_handles(job):
    handle = job.output("fs/handle.csv", B)
    assert lineage(handle) == identity("file", job.path("orders.csv"), COLS)
    assert actions(handle) == {("s3:PutObject", "s3fs put_object", "OBJECT"): 1}
    assert lineage(job.output(job.path("staging.parquet"), "file")) == identity(B, "fs/handle.csv", COLS)


def test_s3fs_put_get_cp_rm(job):
    put = job.output("fs/put.parquet", B)
    assert lineage(put) == identity(B, "fs/handle.csv", COLS)
    assert ("s3:PutObject", "s3fs put_file", "OBJECT") in actions(put)
    assert lineage(job.output(job.path("from_get.csv"), "file")) == identity(B, "fs/put.parquet", COLS)
    assert ("s3:GetObject", "s3fs get_file", "OBJECT") in actions(job.input("fs/put.parquet", B))
    copy = job.output("fs/copy.csv", B)
    assert lineage(copy) == identity(B, "fs/handle.csv", COLS)
    assert copy["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "DROP"
    assert ("s3:ListBucket", "s3fs list_objects_v2", "BUCKET") in job.metadata("fs", B)
    assert job.dataset("inputs", "fs", B) is None


def test_events_valid(job, spec_checker):
    assert job.internal_errors() == {}
    assert job.failed() == set()
    assert_valid(job.events, spec_checker)
    for event in job.events:
        assert marquez_gaps(event) == []

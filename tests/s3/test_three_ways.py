"""The ways jobs read and write S3 give the same lineage, down to the column.

One pipeline (filter the paid orders, convert the amount, keep three columns) is run four times:
pandas with s3:// paths, boto3 bodies and buffers, download_file/upload_file around local files,
and s3fs file handles. The output object must have the same column lineage each time, with the
exact edges below (the engine of the pandas integration supplies the transformations).
"""

from __future__ import annotations

import pytest

from tests.conftest import assert_valid, marquez_gaps
from tests.s3.support import lineage, run_job, schema

JOB = """
import hashlib, io, os, sys, boto3, s3fs, pandas as pd
way = sys.argv[1]
s3 = boto3.client("s3")
s3.create_bucket(Bucket="bkt")
s3.upload_file("orders.csv", "bkt", "raw/orders.csv")
fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": os.environ["AWS_ENDPOINT_URL"]})


def transform(orders):
    if os.environ.get("IO_ONLY"):
        return orders
    orders = orders[orders["status"] == "paid"]
    orders = orders.assign(amount_eur=orders["amount"] * 0.9)
    return orders[["id", "customer", "amount_eur"]]


def run(way, key):
    if way == "pandas":
        out = transform(pd.read_csv("s3://bkt/raw/orders.csv"))
        out.to_parquet(f"s3://bkt/{key}", index=False)
    elif way == "boto3":
        out = transform(pd.read_csv(s3.get_object(Bucket="bkt", Key="raw/orders.csv")["Body"]))
        buffer = io.BytesIO()
        out.to_parquet(buffer, index=False)
        s3.put_object(Bucket="bkt", Key=key, Body=buffer.getvalue())
    elif way == "files":
        s3.download_file("bkt", "raw/orders.csv", "downloaded.csv")
        out = transform(pd.read_csv("downloaded.csv"))
        out.to_parquet("staging.parquet", index=False)
        s3.upload_file("staging.parquet", "bkt", key)
    elif way == "s3fs":
        with fs.open("bkt/raw/orders.csv", "rb") as handle:
            out = transform(pd.read_csv(handle))
        with fs.open(f"bkt/{key}", "wb") as handle:
            out.to_parquet(handle, index=False)
    body = s3.get_object(Bucket="bkt", Key=key)["Body"].read()
    print(way, hashlib.sha256(body).hexdigest())


ways = way.split(",")
for name in ways:
    run(name, "clean/orders.parquet" if len(ways) == 1 else f"clean/{name}.parquet")
"""

WAYS = ["pandas", "boto3", "files", "s3fs"]
ORDERS = "id,customer,amount,status\n1,ann,10.0,paid\n2,bob,20.0,open\n3,cid,30.0,paid\n"
RAW = ("s3://bkt", "raw/orders.csv")
EXPECTED = {
    "id": {(*RAW, "id", "DIRECT", "IDENTITY")},
    "customer": {(*RAW, "customer", "DIRECT", "IDENTITY")},
    "amount_eur": {(*RAW, "amount", "DIRECT", "TRANSFORMATION")},
    "*": {(*RAW, "status", "INDIRECT", "FILTER")},
}


@pytest.fixture(scope="module")
def jobs(s3_server, tmp_path_factory):
    results = {}
    for way in WAYS:
        s3_server.reset()
        workdir = tmp_path_factory.mktemp(way)
        (workdir / "orders.csv").write_text(ORDERS)
        results[way] = run_job(JOB, workdir, s3_server, args=[way], label=f"three-ways-{way}")
        assert results[way].proc.returncode == 0, results[way].proc.stderr
    return results


@pytest.mark.parametrize("way", WAYS)
def test_same_column_lineage_every_way(jobs, way):
    job = jobs[way]
    out = job.output("clean/orders.parquet", "s3://bkt")
    assert schema(out) == [("id", "int64"), ("customer", "str"), ("amount_eur", "float64")]
    assert lineage(out) == EXPECTED
    running = job.running("clean/orders.parquet")
    assert running, "the output has a RUNNING event"
    assert ("s3://bkt", "raw/orders.csv") in {(d["namespace"], d["name"]) for d in running[-1]["inputs"]}
    for event in job.events:
        assert marquez_gaps(event) == []


@pytest.mark.parametrize("way", WAYS)
def test_raw_object_is_the_input_with_its_schema(jobs, way):
    raw = jobs[way].input("raw/orders.csv", "s3://bkt")
    assert schema(raw) == [("id", "int64"), ("customer", "str"), ("amount", "float64"), ("status", "str")]


def test_outputs_are_the_same_bytes(jobs):
    digests = {job.stdout.split()[1] for job in jobs.values()}
    assert len(digests) == 1


def test_events_valid(jobs, spec_checker):
    for job in jobs.values():
        assert job.internal_errors() == {}
        assert_valid(job.events, spec_checker)


def test_instrumented_output_bytes_equal_plain(jobs, s3_server, tmp_path_factory):
    s3_server.reset()
    workdir = tmp_path_factory.mktemp("plain")
    (workdir / "orders.csv").write_text(ORDERS)
    plain = run_job(JOB, workdir, s3_server, args=["boto3"], plain=True, label="three-ways-plain")
    assert plain.proc.returncode == 0, plain.proc.stderr
    assert plain.events == []
    assert plain.stdout == jobs["boto3"].stdout


@pytest.mark.parametrize("fault", ["raise", "garbage"])
def test_fault_switch_never_changes_the_job(jobs, s3_server, tmp_path_factory, fault):
    """Our S3 and pandas I/O handlers failing (raising, or returning garbage) leave the job's results
    untouched. The pipeline skips its transformations (IO_ONLY): this is about the seams."""
    outputs = {}
    for mode in ("plain", fault):
        s3_server.reset()
        workdir = tmp_path_factory.mktemp(f"fault-{mode}")
        (workdir / "orders.csv").write_text(ORDERS)
        env = {"IO_ONLY": "1"} if mode == "plain" else {"IO_ONLY": "1", "OPENLINEAGE_MONKEYPATCH_TEST_FAULT": fault}
        job = run_job(JOB, workdir, s3_server, args=[",".join(WAYS)], env=env, plain=mode == "plain",
                      label=f"three-ways-fault-{mode}")
        assert job.proc.returncode == 0, job.proc.stderr
        outputs[mode] = job.stdout
        if mode != "plain":
            assert "internal error in the boto3 integration" in job.proc.stderr, "the fault switch was on"
    assert outputs[fault] == outputs["plain"]
    assert len(set(line.split()[1] for line in outputs["plain"].splitlines())) == 1

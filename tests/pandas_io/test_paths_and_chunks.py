"""Chunked readers, directories (parquet datasets), globs, handles and buffers, local failures."""

from __future__ import annotations

import pytest

from tests.conftest import assert_valid, marquez_gaps
from tests.s3.support import action_names, identity, lineage, run_job, schema

SRC = "id,name,amount,day\n1,ann,1.5,mon\n2,bob,2.5,tue\n3,cid,3.5,mon\n4,dan,4.5,wed\n5,eve,5.5,tue\n"

JOB = """
import io, os, pandas as pd
os.makedirs("chunks", exist_ok=True)
src = pd.read_csv("src.csv")
src.to_json("src.jsonl", orient="records", lines=True)

for i, chunk in enumerate(pd.read_csv("src.csv", chunksize=2)):
    chunk.to_csv(f"chunks/csv{i}.csv", index=False)
reader = pd.read_csv("src.csv", iterator=True)
reader.get_chunk(2).to_csv("chunks/first.csv", index=False)
reader.read().to_csv("chunks/rest.csv", index=False)
with pd.read_json("src.jsonl", lines=True, chunksize=3) as jr:
    for i, chunk in enumerate(jr):
        chunk.to_parquet(f"chunks/json{i}.parquet")
with pd.read_fwf("src.fwf", chunksize=1) as fr:
    fr.get_chunk().to_csv("chunks/fwf.csv", index=False)

src.to_parquet("dataset", partition_cols=["day"])
pd.read_parquet("dataset").to_csv("from_dataset.csv", index=False)
os.makedirs("plain_dir", exist_ok=True)
src.to_parquet("plain_dir/part-0.parquet")
pd.read_parquet("plain_dir/").to_csv("from_dir.csv", index=False)

with open("src.csv") as handle:
    pd.read_csv(handle).to_csv("from_handle.csv", index=False)
with open("handle_out.csv", "w") as handle:
    src.to_csv(handle, index=False)

pd.read_csv(io.StringIO("x,y\\n1,2\\n")).to_csv(io.StringIO())
unknown = io.BytesIO()
src.to_parquet(unknown)
as_text = src.to_csv(index=False)
as_bytes = src.to_parquet()

try:
    pd.read_csv("globbed/*.csv")
except FileNotFoundError as error:
    print("glob:", type(error).__name__)
try:
    pd.read_parquet("missing.parquet")
except FileNotFoundError as error:
    print("missing:", type(error).__name__)
"""


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("paths")
    (workdir / "src.csv").write_text(SRC)
    (workdir / "src.fwf").write_text("id  name\n1   ann\n2   bob\n")
    result = run_job(JOB, workdir, label="paths")
    assert result.proc.returncode == 0, result.proc.stderr
    return result


ALL = ["id", "name", "amount", "day"]


@pytest.mark.parametrize("name", ["chunks/csv0.csv", "chunks/csv1.csv", "chunks/csv2.csv", "chunks/first.csv",
                                  "chunks/rest.csv"])
def test_every_csv_chunk_traces_to_the_same_dataset(job, name):
    assert lineage(job.output(job.path(name), "file")) == identity("file", job.path("src.csv"), ALL)


@pytest.mark.parametrize("name", ["chunks/json0.parquet", "chunks/json1.parquet"])
def test_every_json_lines_chunk_traces_to_the_same_dataset(job, name):
    assert lineage(job.output(job.path(name), "file")) == identity("file", job.path("src.jsonl"), ALL)


def test_fwf_chunk(job):
    assert lineage(job.output(job.path("chunks/fwf.csv"), "file")) == identity("file", job.path("src.fwf"),
                                                                             ["id", "name"])


def test_chunked_input_read_action_counted_once_per_reader(job):
    src = job.input(job.path("src.csv"), "file")
    facet = src["facets"]["monkeypatch_access"]["actions"]
    assert {(a["action"], a["api"]): a["count"] for a in facet} == {("read", "pandas.read_csv"): 4}


def test_partitioned_write_is_one_directory_dataset(job):
    out = job.output(job.path("dataset"), "file")
    assert {n for n, _ in schema(out)} == set(ALL)
    assert lineage(out) == identity("file", job.path("src.csv"), ALL)
    back = job.output(job.path("from_dataset.csv"), "file")
    assert lineage(back) == identity("file", job.path("dataset"), ["id", "name", "amount", "day"])
    actions = out["facets"]["monkeypatch_access"]["actions"]
    assert {(a["action"], a.get("objectType")) for a in actions} == {("write", "PREFIX")}


def test_directory_read_is_the_directory(job):
    back = job.output(job.path("from_dir.csv"), "file")
    assert lineage(back) == identity("file", job.path("plain_dir"), ALL)
    directory = job.dataset("inputs", job.path("plain_dir"))
    assert {(a["action"], a.get("objectType")) for a in directory["facets"]["monkeypatch_access"]["actions"]} == {
        ("read", "PREFIX")}


def test_open_file_handles_are_their_files(job):
    assert lineage(job.output(job.path("from_handle.csv"), "file")) == identity("file", job.path("src.csv"), ALL)
    assert lineage(job.output(job.path("handle_out.csv"), "file")) == identity("file", job.path("src.csv"), ALL)


def test_unknown_buffers_are_ignored(job):
    names = job.names("inputs") + job.names("outputs")
    assert all(name.startswith("file:/") for name in names), names
    assert job.internal_errors() == {}


def test_failed_reads_are_failures_not_inputs(job):
    assert "glob: FileNotFoundError" in job.stdout and "missing: FileNotFoundError" in job.stdout
    assert job.failed() == {
        ("file", job.path("globbed"), "read", "FileNotFoundError"),
        ("file", job.path("missing.parquet"), "read", "FileNotFoundError"),
    }
    assert job.dataset("inputs", job.path("missing.parquet")) is None
    assert job.dataset("inputs", job.path("globbed")) is None


def test_local_actions(job):
    assert action_names(job.output(job.path("dataset"), "file")) == {"write"}


def test_events_valid(job, spec_checker):
    assert_valid(job.events, spec_checker)
    for event in job.events:
        assert marquez_gaps(event) == []

"""Every pandas reader and writer, with its real arguments, in one instrumented job.

The job reads src.csv, writes the frame in every format (each output: schema with pandas dtypes,
columns IDENTITY of src.csv), reads every file back and writes what it read to back/<format>.csv:
re-reading a file this run wrote starts from that file, not past it.
"""

from __future__ import annotations

import pytest

from tests.conftest import assert_valid, marquez_gaps
from tests.s3.support import identity, lineage, run_job, schema

SRC = "id,name,amount,day\n1,ann,1.5,mon\n2,bob,2.5,tue\n3,cid,3.5,mon\n"
FWF = "id  name amount\n1   ann  1.5\n2   bob  2.5\n"
HTML = "<table><thead><tr><th>id</th><th>name</th></tr></thead><tbody><tr><td>1</td><td>ann</td></tr></tbody></table>"

JOB = """
import os, pathlib, pandas as pd
os.makedirs("out", exist_ok=True); os.makedirs("back", exist_ok=True)
src = pd.read_csv("src.csv")
keyed = pd.read_csv("src.csv", index_col="id")

src.to_csv("out/a.csv", index=False)
src.to_csv("out/a.csv.gz", index=False, compression="gzip")
src.to_csv(pathlib.Path("out/a.tsv"), sep="\\t", index=False)
src.to_parquet("out/a.parquet", index=False)
src.to_json("out/a.jsonl", orient="records", lines=True)
keyed.to_json("out/keyed.json", orient="table")
src.to_excel("out/a.xlsx", index=False)
src.to_feather("out/a.feather")
src.to_orc("out/a.orc")
src.to_pickle("out/a.pkl")
src.to_xml("out/a.xml", index=False, parser="etree")
src.to_stata("out/a.dta", write_index=False)
keyed.to_csv("out/keyed.csv")
keyed.to_parquet("out/keyed.parquet")
keyed.to_csv("out/labelled.csv", index_label="key", columns=["name"], header=["label"])
pd.read_csv("src.csv", usecols=["id", "amount"]).to_csv("out/usecols.csv", index=False)
pd.read_json("series.json", typ="series").to_csv("out/series.csv")
with pd.ExcelWriter("out/book.xlsx") as book:
    src.to_excel(book, sheet_name="plain", index=False)
    pd.read_csv("other.csv").to_excel(book, sheet_name="other", index=False)

reads = {
    "csv": pd.read_csv("out/a.csv"),
    "csv_gz": pd.read_csv("out/a.csv.gz", compression="gzip"),
    "tsv": pd.read_table(pathlib.Path("out/a.tsv")),
    "parquet": pd.read_parquet("out/a.parquet", columns=["id", "amount"]),
    "jsonl": pd.read_json("out/a.jsonl", lines=True),
    "keyed_json": pd.read_json("out/keyed.json", orient="table"),
    "excel": pd.read_excel("out/a.xlsx", usecols=["id", "name"]),
    "feather": pd.read_feather("out/a.feather", columns=["name"]),
    "orc": pd.read_orc("out/a.orc", columns=["id", "day"]),
    "pickle": pd.read_pickle("out/a.pkl"),
    "xml": pd.read_xml("out/a.xml", parser="etree"),
    "stata": pd.read_stata("out/a.dta"),
    "keyed_csv": pd.read_csv("file://" + os.path.abspath("out/keyed.csv"), index_col=0),
    "keyed_parquet": pd.read_parquet("out/keyed.parquet"),
    "fwf": pd.read_fwf("in.txt"),
    "html": pd.read_html("in.html", flavor="lxml")[0],
}
for fmt, frame in reads.items():
    frame.to_csv(f"back/{fmt}.csv")
"""


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("formats")
    (workdir / "src.csv").write_text(SRC)
    (workdir / "in.txt").write_text(FWF)
    (workdir / "in.html").write_text(HTML)
    (workdir / "series.json").write_text('{"a": 1, "b": 2}')
    (workdir / "other.csv").write_text("code,label\nx,1\n")
    result = run_job(JOB, workdir, label="formats")
    assert result.proc.returncode == 0, result.proc.stderr
    return result


SRC_SCHEMA = [("id", "int64"), ("name", "str"), ("amount", "float64"), ("day", "str")]
ALL = ["id", "name", "amount", "day"]


@pytest.mark.parametrize("name, fields", [
    ("out/a.csv", SRC_SCHEMA),
    ("out/a.csv.gz", SRC_SCHEMA),
    ("out/a.tsv", SRC_SCHEMA),
    ("out/a.parquet", SRC_SCHEMA),
    ("out/a.jsonl", SRC_SCHEMA),
    ("out/a.xlsx", SRC_SCHEMA),
    ("out/a.feather", SRC_SCHEMA),
    ("out/a.orc", SRC_SCHEMA),
    ("out/a.pkl", SRC_SCHEMA),
    ("out/a.xml", SRC_SCHEMA),
    ("out/a.dta", SRC_SCHEMA),
])
def test_writer_schema_and_identity_lineage(job, name, fields):
    out = job.output(job.path(name), "file")
    assert schema(out) == fields
    assert lineage(out) == identity("file", job.path("src.csv"), ALL)


def test_index_levels_are_columns_of_the_dataset(job):
    src = job.path("src.csv")
    for name in ("out/keyed.json", "out/keyed.csv", "out/keyed.parquet"):
        out = job.output(job.path(name), "file")
        assert schema(out) == SRC_SCHEMA, name
        assert lineage(out) == identity("file", src, ALL), name


def test_index_label_columns_and_header_aliases(job):
    out = job.output(job.path("out/labelled.csv"), "file")
    src = job.path("src.csv")
    assert schema(out) == [("key", "int64"), ("label", "str")]
    assert lineage(out) == {"key": {("file", src, "id", "DIRECT", "IDENTITY")},
                            "label": {("file", src, "name", "DIRECT", "IDENTITY")}}


def test_excel_writer_sheets_are_one_workbook(job):
    out = job.output(job.path("out/book.xlsx"), "file")
    assert schema(out) == SRC_SCHEMA + [("code", "str"), ("label", "int64")]
    assert lineage(out) == {**identity("file", job.path("src.csv"), ALL),
                            **identity("file", job.path("other.csv"), ["code", "label"])}


def test_usecols_reads_only_those_columns(job):
    out = job.output(job.path("out/usecols.csv"), "file")
    assert schema(out) == [("id", "int64"), ("amount", "float64")]
    assert lineage(out) == identity("file", job.path("src.csv"), ["id", "amount"])


def test_series_writer(job):
    out = job.output(job.path("out/series.csv"), "file")
    assert schema(out) == [("0", "int64")]
    assert lineage(out) == identity("file", job.path("series.json"), ["0"])


@pytest.mark.parametrize("fmt, written, columns", [
    ("csv", "out/a.csv", ALL),
    ("csv_gz", "out/a.csv.gz", ALL),
    ("tsv", "out/a.tsv", ALL),
    ("parquet", "out/a.parquet", ["id", "amount"]),
    ("jsonl", "out/a.jsonl", ALL),
    ("keyed_json", "out/keyed.json", ALL),
    ("excel", "out/a.xlsx", ["id", "name"]),
    ("feather", "out/a.feather", ["name"]),
    ("orc", "out/a.orc", ["id", "day"]),
    ("pickle", "out/a.pkl", ALL),
    ("xml", "out/a.xml", ALL),
    ("stata", "out/a.dta", ALL),
    ("keyed_csv", "out/keyed.csv", ALL),
    ("keyed_parquet", "out/keyed.parquet", ALL),
    ("fwf", "in.txt", ["id", "name", "amount"]),
    ("html", "in.html", ["id", "name"]),
])
def test_reading_back_starts_from_the_file_read(job, fmt, written, columns):
    out = job.output(job.path(f"back/{fmt}.csv"), "file")
    source = job.path(written)
    assert lineage(out) == identity("file", source, columns)
    read = job.input(source, "file")
    assert {name for name, _ in schema(read)} >= set(columns)
    assert all(t for _, t in schema(read)), schema(read)


def test_every_event_valid_and_complete_for_marquez(job, spec_checker):
    assert job.internal_errors() == {}
    assert [e["eventType"] for e in job.events][0] == "START"
    assert job.events[-1]["eventType"] == "COMPLETE"
    assert_valid(job.events, spec_checker)
    for event in job.events:
        assert marquez_gaps(event) == []

"""Hand-built event sets with exact expected answers (shared by the governance tests)."""

from __future__ import annotations

from openlineage_monkeypatch.governance.synthetic import Dataset, EventSet

RAW = Dataset("file", "/data/customers.csv", ["id", "email", "name", "country"],
              tags={"name": "PII"})
STAGE = Dataset("s3://lake", "stage/customers.parquet", ["id", "email_norm", "name", "country"])
TABLE = Dataset("snowflake://acme-xy123", "DB.PUBLIC.CUSTOMERS", ["ID", "EMAIL_NORM", "NAME_UPPER", "COUNTRY"])
REPORT = Dataset("file", "/out/report.csv", ["country", "email_hash", "customers", "name_upper"])


def three_jobs() -> EventSet:
    """extract (2 runs): csv -> S3 parquet; load: parquet -> Snowflake table; report: table -> csv;
    audit: reads the table and writes nothing."""
    events = EventSet("2026-03-01T00:00:00+00:00")
    for hour in (0, 24):
        run = events.run("extract", namespace="etl", at=hour)
        run.read(RAW, actions=["read"])
        run.write(STAGE, {
            "id": [RAW.field("id")],
            "email_norm": [RAW.field("email", subtype="TRANSFORMATION")],
            "name": [RAW.field("name")],
            "country": [RAW.field("country")],
        }, dataset_lineage=[RAW.field("country", "INDIRECT", "FILTER")],
            operations={"email_norm": [{"operation": "Series.str.lower", "location": "etl/extract.py:14"}]},
            rows=[{"operation": "DataFrame.__getitem__", "location": "etl/extract.py:11", "detail": "filter"}],
            actions=["s3:PutObject"])
        run.complete()
    run = events.run("load", namespace="etl", at=30)
    run.read(STAGE, actions=["s3:GetObject"])
    run.write(TABLE, {
        "ID": [STAGE.field("id")],
        "EMAIL_NORM": [STAGE.field("email_norm")],
        "NAME_UPPER": [STAGE.field("name", subtype="TRANSFORMATION")],
        "COUNTRY": [STAGE.field("country")],
    }, actions=[{"action": "INSERT", "objectType": "TABLE"}])
    run.complete()
    run = events.run("report", namespace="bi", at=40)
    run.read(TABLE, actions=[{"action": "SELECT", "objectType": "TABLE"}])
    run.write(REPORT, {
        "country": [TABLE.field("COUNTRY")],
        "email_hash": [TABLE.field("EMAIL_NORM", subtype="TRANSFORMATION", masking=True)],
        "customers": [TABLE.field("ID", subtype="AGGREGATION")],
        "name_upper": [TABLE.field("NAME_UPPER")],
    }, dataset_lineage=[TABLE.field("COUNTRY", "INDIRECT", "GROUP_BY")],
        operations={"email_hash": [{"operation": "Series.map", "location": "bi/report.py:22", "detail": "sha256"}]})
    run.complete()
    run = events.run("audit", namespace="bi", at=41)
    run.read(TABLE, actions=[{"action": "SELECT", "objectType": "TABLE"}])
    run.complete()
    return events


CLASSIFICATIONS = "customers.csv.email: PII\nid: CUSTOMER_ID\n"


# -- dataset lineage: what each output really comes from ----------------------------------------
A = Dataset("file", "/in/a.csv", ["k", "x"])
B = Dataset("file", "/in/b.csv", ["k", "y"])
STAGE_A = Dataset("s3://lake", "stage/a.parquet", ["k", "x"])
STAGE_B = Dataset("s3://lake", "stage/b.parquet", ["k", "y"])
JOINED = Dataset("s3://lake", "out/joined.parquet", ["k", "x", "y"])
FACTS = Dataset("snowflake://acme-xy123", "DB.PUBLIC.FACTS", ["K", "Y", "LOADED_AT"])
LISTING = Dataset("s3://lake", "stage/")
SUMMARY = Dataset("file", "/out/summary.csv", ["k", "n"])


def mixed_jobs(other_producer: str) -> EventSet:
    """Every basis of a dataset edge, and the edges inputs x outputs would invent.

    split: reads a.csv and b.csv; writes stage/a from a, stage/b from b; reads stage/a back and
      writes joined from stage/a and b (column lineage everywhere). Not edges: a -> stage/b,
      b -> stage/a, a -> joined, stage/a -> stage/a, stage/a -> stage/b ...
    load: reads stage/b, lists stage/ (metadata only), writes FACTS without column lineage; its
      RUNNING event names stage/b as the only input ("event").
    dedupe: DELETE FROM FACTS WHERE LOADED_AT < ...: the lineage names FACTS itself (a self-edge).
    summarize (another producer, used with --all-producers): reads FACTS and stage/b, writes
      summary.csv without column lineage: every input to the output ("coarse").
    """
    events = EventSet("2026-05-01T00:00:00+00:00")
    run = events.run("split", namespace="etl", at=0)
    run.read(A).read(B)
    run.write(STAGE_A, {"k": [A.field("k")], "x": [A.field("x")]})
    run.write(STAGE_B, {"k": [B.field("k")], "y": [B.field("y")]})
    run.read(STAGE_A)
    run.write(JOINED, {"k": [STAGE_A.field("k")], "x": [STAGE_A.field("x")], "y": [B.field("y")]},
              dataset_lineage=[STAGE_A.field("k", "INDIRECT", "JOIN"), B.field("k", "INDIRECT", "JOIN")])
    run.complete()
    run = events.run("load", namespace="etl", at=1)
    run.read(STAGE_B, actions=["s3:GetObject"]).access(LISTING, ["s3:ListBucket"])
    run.write(FACTS, None, inputs=[STAGE_B], actions=[{"action": "INSERT", "objectType": "TABLE"}])
    run.complete()
    run = events.run("dedupe", namespace="etl", at=2)
    run.read(FACTS, actions=[{"action": "SELECT", "objectType": "TABLE"}])
    run.write(FACTS, {}, dataset_lineage=[FACTS.field("LOADED_AT", "INDIRECT", "FILTER")],
              actions=[{"action": "DELETE", "objectType": "TABLE"}])
    run.complete()
    first = len(events.events)
    run = events.run("summarize", namespace="bi", at=3)
    run.read(FACTS, actions=[{"action": "SELECT", "objectType": "TABLE"}]).read(STAGE_B)
    run.write(SUMMARY, None, inputs=[])
    run.complete()
    for event in events.events[first:]:
        event["producer"] = other_producer
    return events

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

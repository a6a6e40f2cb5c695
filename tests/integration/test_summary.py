"""integration/summary.py on hand-built events: the same dataset edges, gaps and PII paths as the survey."""
from __future__ import annotations

from integration import summary
from openlineage_monkeypatch.governance.synthetic import OTHER_PRODUCER
from tests.governance.scenarios import CLASSIFICATIONS, mixed_jobs, three_jobs


def test_summary_lines_of_every_basis(tmp_path):
    events = mixed_jobs(OTHER_PRODUCER).write(tmp_path / "events.ndjson")
    with summary.open_survey(events) as survey:
        text = summary.format_text(survey)
    lines = text.splitlines()
    # the other producer's run is skipped by default, as in `openlineage-monkeypatch survey`
    assert lines[:4] == ["job        etl/dedupe: 1 run (COMPLETE 1)", "job        etl/load: 1 run (COMPLETE 1)",
                         "job        etl/split: 1 run (COMPLETE 1)",
                         "input      11 events used, 3 skipped (malformed, invalid, duplicate or another producer's)"]
    assert "reads      file       file: /in/a.csv, /in/b.csv" in lines
    assert "writes     s3         s3://lake: out/joined.parquet, stage/a.parquet, stage/b.parquet" in lines
    start = lines.index("lineage    each written dataset <- what its column lineage names")
    assert lines[start + 1:start + 5] == [
        "  a.parquet       <- a.csv  (read back)",
        "  b.parquet       <- b.csv",
        "  joined.parquet  <- b.csv, a.parquet",
        "  DB.PUBLIC.FACTS <- b.parquet, itself  (read back; no column lineage from etl/load; inputs from its own "
        "event)"]
    assert "gaps       0 approximate column(s), 0 unparsed statement(s), 1 output(s) without column lineage" in lines


def test_summary_pii_paths_stop_at_the_hash(tmp_path):
    events = three_jobs().write(tmp_path / "events.ndjson")
    rules = tmp_path / "classes.yml"
    rules.write_text(CLASSIFICATIONS)
    with summary.open_survey(events, rules) as survey:
        lines = summary.format_text(survey, "classes.yml").splitlines()
    start = lines.index("CUSTOMER_ID, PII from classes.yml, along DIRECT edges; stops at aggregation and masking")
    pii = lines[start + 1:lines.index(next(x for x in lines if x.startswith("gaps")))]
    assert pii == [
        "  customers.csv.email -> customers.parquet.email_norm (derived) -> DB.PUBLIC.CUSTOMERS.EMAIL_NORM (copied) "
        "-> report.csv.email_hash (masked, stops)  [PII]",
        "  customers.csv.name -> customers.parquet.name (copied) -> DB.PUBLIC.CUSTOMERS.NAME_UPPER (derived) "
        "-> report.csv.name_upper (copied)  [PII]",
        "  DB.PUBLIC.CUSTOMERS.ID -> report.csv.customers (aggregated, stops)  [CUSTOMER_ID]"]

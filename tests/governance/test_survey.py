"""The survey on hand-built event sets, compared with exact expected answers."""

from __future__ import annotations

from datetime import datetime, timezone

from .scenarios import CLASSIFICATIONS, RAW, REPORT, STAGE, TABLE, three_jobs


def col(ds, field):
    return (ds.namespace, ds.name, field)


def label(ds, field):
    from openlineage_monkeypatch.governance.survey import col_label

    return col_label(ds.namespace, ds.name, field)


def test_transitive_downstream_over_three_jobs_through_a_file_and_a_table(survey_of):
    s = survey_of(three_jobs()).survey
    down = s.closure(col(RAW, "email"))
    assert {k: (v["hops"], v["direct"]) for k, v in down.items()} == {
        col(STAGE, "email_norm"): (1, True),
        col(TABLE, "EMAIL_NORM"): (2, True),
        col(REPORT, "email_hash"): (3, True),
    }
    assert {k: sorted(v["via"]) for k, v in down.items()}[col(REPORT, "email_hash")] == [("bi", "report")]
    # a filter column reaches every column of the output (INDIRECT), then onwards
    country = s.closure(col(RAW, "country"))
    assert {k for k, v in country.items() if v["direct"]} == {
        col(STAGE, "country"), col(TABLE, "COUNTRY"), col(REPORT, "country")}
    assert set(country) == {col(STAGE, f) for f in STAGE.fields} | {col(TABLE, f) for f in TABLE.fields} | {
        col(REPORT, f) for f in REPORT.fields}
    upstream = s.closure(col(REPORT, "name_upper"), "up")
    assert {k: (v["hops"], v["direct"]) for k, v in upstream.items()} == {
        col(TABLE, "NAME_UPPER"): (1, True), col(STAGE, "name"): (2, True), col(RAW, "name"): (3, True),
        # the report groups by country, the extract filters on it: both decide which rows exist
        col(TABLE, "COUNTRY"): (1, False), col(STAGE, "country"): (2, False), col(RAW, "country"): (3, False)}
    deps = {d["label"]: d for d in s.dependencies()}
    assert [x["label"] for x in deps[label(RAW, "email")]["downstream"]] == [
        label(STAGE, "email_norm"), label(TABLE, "EMAIL_NORM"), label(REPORT, "email_hash")]


def test_who_reads_and_writes_each_dataset_with_run_counts_and_times(survey_of):
    data = survey_of(three_jobs()).survey.to_dict()
    by = {d["label"]: d for d in data["datasets"]}
    raw = by["file:/data/customers.csv"]
    assert [(r["job"]["name"], r["runs"]) for r in raw["readers"]] == [("extract", 2)]
    assert raw["writers"] == []
    stage = by["s3://lake/stage/customers.parquet"]
    assert [(w["job"]["name"], w["runs"]) for w in stage["writers"]] == [("extract", 2)]
    assert [(r["job"]["name"], r["runs"]) for r in stage["readers"]] == [("load", 1)]
    assert stage["firstSeen"] == "2026-03-01T00:00:02Z"  # START at +1 s, RUNNING at +2 s
    assert stage["lastSeen"] == "2026-03-02T06:00:03Z"  # the load's COMPLETE
    table = by["snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS"]
    assert sorted((r["job"]["namespace"], r["job"]["name"]) for r in table["readers"]) == [
        ("bi", "audit"), ("bi", "report")]
    assert {c["name"] for c in table["columns"]} == set(TABLE.fields)
    jobs = {j["name"]: j for j in data["jobs"]}
    assert jobs["extract"]["runs"] == 2 and jobs["extract"]["states"]["COMPLETE"] == 2
    assert jobs["audit"]["outputs"] == [] and jobs["audit"]["inputs"] == ["snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS"]
    assert data["overview"]["runs"] == 5 and data["overview"]["jobs"] == 4
    assert data["overview"]["datasets"] == 4


def test_how_each_job_uses_each_column(survey_of):
    usage = survey_of(three_jobs()).survey.column_usage()
    how = {(u["job"]["name"], u["dataset"], u["column"]): u["how"] for u in usage}
    assert how[("report", TABLE.name, "ID")] == "aggregated"
    assert how[("report", TABLE.name, "EMAIL_NORM")] == "masked"
    assert how[("report", TABLE.name, "NAME_UPPER")] == "returned"
    assert how[("report", TABLE.name, "COUNTRY")] == "returned + group_by"
    assert how[("extract", RAW.name, "country")] == "returned + filter"
    assert how[("audit", TABLE.name, "ID")] == "read (no column lineage)"
    flags = {(u["job"]["name"], u["column"]): (u["returned"], u["aggregated"], u["masked"], u["direct"], u["indirect"])
             for u in usage if u["dataset"] == TABLE.name and u["job"]["name"] == "report"}
    assert flags[("report", "COUNTRY")] == (True, False, False, ["IDENTITY"], ["GROUP_BY"])
    assert flags[("report", "EMAIL_NORM")] == (False, False, True, ["TRANSFORMATION"], [])


def test_pii_propagates_along_direct_edges_and_stops_at_the_hash(survey_of):
    sens = survey_of(three_jobs(), classifications=CLASSIFICATIONS).survey.sensitive()
    classified = {c["label"]: (c["classifications"], c["sources"]) for c in sens["classified"]}
    assert classified == {
        label(RAW, "email"): (["PII"], ["classification file"]),
        label(RAW, "name"): (["PII"], ["tags facet"]),
        label(RAW, "id"): (["CUSTOMER_ID"], ["classification file"]),
        label(STAGE, "id"): (["CUSTOMER_ID"], ["classification file"]),
        label(TABLE, "ID"): (["CUSTOMER_ID"], ["classification file"]),
    }
    derived = {d["label"]: (d["classifications"], d["origins"], d["hops"]) for d in sens["derived"]}
    assert derived == {
        label(STAGE, "email_norm"): (["PII"], [label(RAW, "email")], 1),
        label(TABLE, "EMAIL_NORM"): (["PII"], [label(RAW, "email")], 2),
        label(STAGE, "name"): (["PII"], [label(RAW, "name")], 1),
        label(TABLE, "NAME_UPPER"): (["PII"], [label(RAW, "name")], 2),
        label(REPORT, "name_upper"): (["PII"], [label(RAW, "name")], 3),
    }
    stopped = {(s["from"], s["to"], s["reason"]) for s in sens["stopped"]}
    assert stopped == {(label(TABLE, "EMAIL_NORM"), label(REPORT, "email_hash"), "masking"),
                       (label(TABLE, "ID"), label(REPORT, "customers"), "aggregation")}
    materializations = {m["label"]: sorted((c["column"], c["derived"]) for c in m["columns"])
                        for m in sens["materializations"]}
    assert materializations == {
        "file:/data/customers.csv": [("email", False), ("id", False), ("name", False)],
        "s3://lake/stage/customers.parquet": [("email_norm", True), ("id", False), ("name", True)],
        "snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS": [("EMAIL_NORM", True), ("ID", False), ("NAME_UPPER", True)],
        "file:/out/report.csv": [("name_upper", True)],
    }
    path = {d["label"]: d["path"] for d in sens["derived"]}[label(REPORT, "name_upper")]
    assert [(p["job"], p["transformation"]) for p in path] == [
        ("etl/extract", "DIRECT/IDENTITY"), ("etl/load", "DIRECT/TRANSFORMATION"), ("bi/report", "DIRECT/IDENTITY")]


def test_propagation_stops_are_configurable(survey_of):
    sens = survey_of(three_jobs(), classifications=CLASSIFICATIONS, stop_at=()).survey.sensitive()
    derived = {d["label"] for d in sens["derived"]}
    assert label(REPORT, "email_hash") in derived and label(REPORT, "customers") in derived
    assert sens["stopped"] == []
    only_masking = survey_of(three_jobs(), classifications=CLASSIFICATIONS, stop_at=("masking",)).survey.sensitive()
    derived = {d["label"] for d in only_masking["derived"]}
    assert label(REPORT, "customers") in derived and label(REPORT, "email_hash") not in derived


def test_time_window(survey_of):
    since = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    until = datetime(2026, 3, 2, 3, tzinfo=timezone.utc)
    surveyed = survey_of(three_jobs(), since=since, until=until)
    data = surveyed.survey.to_dict()
    assert [(j["name"], j["runs"]) for j in data["jobs"]] == [("extract", 1)]
    assert surveyed.summary.outside_window == 11  # the first extract (3), load (3), report (3), audit (2)
    assert data["overview"]["window"]["since"] == "2026-03-01T12:00:00Z"


def test_coverage_gaps(survey_of):
    from openlineage_monkeypatch.governance.synthetic import EventSet

    events = EventSet("2026-04-01T00:00:00+00:00")
    run = events.run("sql_job", at=0)
    run.read(TABLE, actions=[{"action": "SELECT", "objectType": "TABLE"}])
    run.write(STAGE, {"id": [TABLE.field("ID")]}, approximate=["id"])
    run.extraction_error("cannot parse: MERGE INTO ...", task="MERGE INTO x USING y ...")
    run.opaque("DataFrame.apply", approximate_columns=1)
    run.failed_access("s3://lake", "secret/x.csv", "s3:GetObject", "AccessDenied", count=2)
    run.access(Dataset_("s3://lake", "stage/other.csv"), [{"action": "s3:GetObject", "count": 3, "failed": 1}])
    run.complete()
    events.run("crashed", at=1).write(REPORT, {})  # START and RUNNING, never finished
    events.run("broken", at=2).fail()
    gaps = survey_of(events).survey.gaps()
    assert [(g["job"], g["message"], g["task"], g["runs"]) for g in gaps["unparsedStatements"]] == [
        ("tests/sql_job", "cannot parse: MERGE INTO ...", "MERGE INTO x USING y ...", 1)]
    assert [(g["job"], g["operation"]) for g in gaps["opaqueOperations"]] == [("tests/sql_job", "DataFrame.apply")]
    assert [(g["job"], g["column"]) for g in gaps["approximateColumns"]] == [
        ("tests/sql_job", "s3://lake/stage/customers.parquet.id")]
    assert sorted((g["dataset"], g["action"], g["error"], g["count"]) for g in gaps["failedAccesses"]) == [
        ("s3://lake/secret/x.csv", "s3:GetObject", "AccessDenied", 2),
        ("s3://lake/stage/other.csv", "s3:GetObject", "failed (access facet)", 1)]
    assert gaps["unfinishedRuns"]["total"] == 1
    assert [(r["job"], r["started"]) for r in gaps["unfinishedRuns"]["latest"]] == [("tests/crashed", True)]
    assert [(r["job"], r["state"], r["runs"], r["lastMessage"]) for r in gaps["failedRuns"]] == [
        ("tests/broken", "FAIL", 1, "boom")]


def Dataset_(namespace, name):
    from openlineage_monkeypatch.governance.synthetic import Dataset

    return Dataset(namespace, name)


def test_dataset_lineage_follows_what_each_output_comes_from(survey_of):
    from openlineage_monkeypatch.governance.synthetic import OTHER_PRODUCER

    from .scenarios import A, B, FACTS, JOINED, STAGE_A, STAGE_B, SUMMARY, mixed_jobs

    s = survey_of(mixed_jobs(OTHER_PRODUCER), all_producers=True).survey
    edges = {(e["from"], e["to"], e["job"]["name"], e["basis"], e["runs"]) for e in s.dataset_lineage()}
    lbl = {d: label(d, "")[:-1] for d in (A, B, STAGE_A, STAGE_B, JOINED, FACTS, SUMMARY)}
    assert edges == {
        (lbl[A], lbl[STAGE_A], "split", "lineage", 1),
        (lbl[B], lbl[STAGE_B], "split", "lineage", 1),
        (lbl[STAGE_A], lbl[JOINED], "split", "lineage", 1),
        (lbl[B], lbl[JOINED], "split", "lineage", 1),
        (lbl[STAGE_B], lbl[FACTS], "load", "event", 1),
        (lbl[FACTS], lbl[FACTS], "dedupe", "lineage", 1),  # the lineage names the table itself
        (lbl[FACTS], lbl[SUMMARY], "summarize", "coarse", 1),
        (lbl[STAGE_B], lbl[SUMMARY], "summarize", "coarse", 1),
    }
    gaps = s.gaps()["outputsWithoutColumnLineage"]
    assert [(g["job"], g["dataset"], g["upstream"]) for g in gaps] == [
        ("bi/summarize", lbl[SUMMARY], "every input of the run (coarse)"),
        ("etl/load", lbl[FACTS], "inputs of its own events")]
    # the transitive answers are column-based: nothing through an input the lineage does not name
    down = s.closure(col(A, "x"))
    assert set(down) == {col(STAGE_A, "x"), col(JOINED, "x")}
    assert set(s.closure(col(B, "k"))) == {col(STAGE_B, "k"), col(JOINED, "k"), col(JOINED, "x"), col(JOINED, "y")}
    assert set(s.closure(col(JOINED, "y"), "up")) == {col(B, "y"), col(B, "k"), col(STAGE_A, "k"), col(A, "k")}
    # FACTS has no column lineage from stage/b: the column trail ends there (and the gap says so)
    assert set(s.closure(col(STAGE_B, "y"))) == set()
    deps = {d["label"] for d in s.dependencies()}
    assert label(STAGE_B, "y") not in deps and label(A, "x") in deps


def test_dataset_lineage_of_runs_with_and_without_column_lineage(survey_of):
    """Per run: one run with column lineage, one where only the event says where the output came from."""
    from openlineage_monkeypatch.governance.synthetic import EventSet

    from .scenarios import A, B, STAGE_A

    events = EventSet("2026-05-02T00:00:00+00:00")
    run = events.run("copy", at=0)
    run.read(A).read(B)
    run.write(STAGE_A, {"k": [A.field("k")], "x": [A.field("x")]})
    run.complete()
    run = events.run("copy", at=1)
    run.read(A).read(B)
    run.write(STAGE_A, None, inputs=[A, B])
    run.complete()
    rows = survey_of(events).survey.dataset_lineage()
    assert [(e["from"], e["basis"], e["runsByBasis"]) for e in rows] == [
        ("file:/in/a.csv", "lineage", {"event": 1, "lineage": 1}), ("file:/in/b.csv", "event", {"event": 1})]


def test_reports_show_the_dataset_lineage_and_outputs_without_column_lineage(survey_of):
    from openlineage_monkeypatch.governance.report import render_text
    from openlineage_monkeypatch.governance.reporthtml import render_report
    from openlineage_monkeypatch.governance.synthetic import OTHER_PRODUCER

    from .scenarios import mixed_jobs

    data = survey_of(mixed_jobs(OTHER_PRODUCER), all_producers=True).survey.to_dict()
    assert len(data["datasetLineage"]) == 8
    text = render_text(data)
    section = text[text.index("DATASET LINEAGE"):text.index("COLUMN USE")]
    assert "s3://lake/stage/b.parquet" in section and "coarse" in section and "event" in section
    assert "outputs without column lineage: 2" in text
    page = render_report(data)
    assert "<h2>Dataset lineage</h2>" in page and "<h3>Outputs without column lineage</h3>" in page

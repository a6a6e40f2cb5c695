"""The governance commands as a user runs them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from openlineage_monkeypatch import config
from openlineage_monkeypatch.cli import main
from openlineage_monkeypatch.governance.cli import parse_time

from .scenarios import three_jobs


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "olmp"
    monkeypatch.setenv(config.DATA_DIR, str(folder))
    config.reload()
    yield folder
    monkeypatch.delenv(config.DATA_DIR)
    config.reload()


def test_default_sources_are_the_event_folder_and_the_spool(data_dir, tmp_path, capsys):
    events = three_jobs().events
    day = data_dir / "events" / "2026-03-01"
    day.mkdir(parents=True)
    (day / "etl-run1.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events[:8]))
    spool = data_dir / "spool"
    spool.mkdir()
    # the spool holds the rest, and one event already delivered (a duplicate)
    (spool / "spool-20260301T000000-1.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events[7:]))
    (spool / "spool-old.ndjson.replayed").write_text("garbage that must not be read\n")
    assert main(["survey"]) == 0
    text = capsys.readouterr().out
    assert "14 event(s), 5 run(s) of 4 job(s)" in text
    assert "1 duplicate" in text and "0 malformed" in text
    assert f"default sources: {data_dir / 'events'}, {data_dir / 'spool'}" in text
    for heading in ("DATASETS", "COLUMN USE", "SENSITIVE COLUMNS", "DOWNSTREAM DEPENDENCIES", "COVERAGE GAPS"):
        assert heading in text


def test_survey_formats_and_missing_sources(tmp_path, capsys):
    events = tmp_path / "e.ndjson.gz"
    three_jobs().write(events)
    assert main(["survey", str(events), str(tmp_path / "nope"), "--format", "json"]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data["input"]["notes"] == [f"{tmp_path / 'nope'}: not found"]
    assert "14 event(s) used" in out.err
    assert main(["survey", str(tmp_path / "*.ndjson.gz"), "--until", "2026-03-01T12:00:00Z",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overview"]["runs"] == 1 and data["input"]["skipped"]["outsideWindow"] == 11


def test_bad_classification_file_is_a_usage_error(tmp_path, capsys):
    events = tmp_path / "e.ndjson"
    three_jobs().write(events)
    bad = tmp_path / "bad.yml"
    bad.write_text("- just\n- a list\n")
    assert main(["survey", str(events), "--classifications", str(bad)]) == 2
    assert "no classification found" in capsys.readouterr().err


def test_policy_commands(tmp_path, capsys):
    from .test_policy import GRANTS, s3_events, sf_events

    s3 = tmp_path / "s3.ndjson"
    s3_events().write(s3)
    out = tmp_path / "aws"
    current = tmp_path / "current.json"
    current.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::lake/*"}]}))
    assert main(["policy", "aws", str(s3), "--out", str(out), "--current-grants", str(current)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "etl__s3job.justification.md",
                                                     "etl__s3job.policy.json", "unused-grants.txt"]
    assert "UNUSED  s3:DeleteObject on arn:aws:s3:::lake/*" in (out / "unused-grants.txt").read_text()
    sf = tmp_path / "sf.ndjson"
    sf_events().write(sf)
    grants = tmp_path / "grants.sql"
    grants.write_text(GRANTS)
    rules = tmp_path / "c.yml"
    rules.write_text("CUSTOMERS.EMAIL: PII\n")
    capsys.readouterr()
    assert main(["policy", "snowflake", str(sf), "--classifications", str(rules), "--current-grants",
                 str(grants)]) == 0
    text = capsys.readouterr().out
    assert "GRANT SELECT ON TABLE DB.RAW.CUSTOMERS TO ROLE SFJOB_ROLE;" in text
    assert "CREATE PROJECTION POLICY IF NOT EXISTS DB.RAW.PP_CUSTOMERS_EMAIL" in text
    assert "REVOKE DELETE ON TABLE DB.MART.FEATURES FROM ROLE SFJOB_ROLE;" in text
    # no Snowflake access at all: says so, still exit 0
    assert main(["policy", "snowflake", str(s3)]) == 0
    assert "No Snowflake access in the window" in capsys.readouterr().out


def test_parse_time():
    assert parse_time("2026-03-01") == datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert parse_time("2026-03-01T10:00:00+02:00") == datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
    week = parse_time("7d")
    assert abs((datetime.now(timezone.utc) - week) - timedelta(days=7)) < timedelta(seconds=5)
    with pytest.raises(Exception):
        parse_time("last tuesday")


def test_events_read_where_they_live_through_a_sql_relation(tmp_path, capsys):
    """Marquez keeps each event in lineage_events.event (jsonb): the survey reads such a table through
    DuckDB (here a DuckDB file standing in for the PostgreSQL database DuckDB would ATTACH)."""
    import duckdb

    db = tmp_path / "marquez.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE lineage_events (event_time TIMESTAMPTZ, event JSON)")
    for event in three_jobs().events:
        con.execute("INSERT INTO lineage_events VALUES (?, ?)", [event["eventTime"], json.dumps(event)])
    con.close()
    out = tmp_path / "s.json"
    assert main(["survey", "--sql-setup", f"ATTACH '{db}' AS marquez (READ_ONLY)",
                 "--sql", "SELECT event::VARCHAR AS line FROM marquez.lineage_events "
                          "WHERE event_time >= TIMESTAMPTZ '2026-03-01 12:00:00+00'",
                 "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["overview"]["runs"] == 4 and data["input"]["events"] == 11
    deps = {d["label"] for d in data["dependencies"]}
    assert "snowflake://acme-xy123/DB.PUBLIC.CUSTOMERS.EMAIL_NORM" in deps
    assert main(["survey", "--sql", "SELECT nonsense"]) == 2
    assert "openlineage-monkeypatch survey:" in capsys.readouterr().err

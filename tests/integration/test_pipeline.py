"""The demo pipeline, instrumented by the environment only: same outputs, the expected lineage, valid events."""
from __future__ import annotations

import json

from integration import harness
from tests.conftest import assert_valid, marquez_gaps

from . import expected_lineage


def test_outputs_identical_with_and_without_instrumentation(demo_run):
    assert demo_run.outputs.keys() == demo_run.plain_outputs.keys()
    for name, value in demo_run.plain_outputs.items():
        assert demo_run.outputs[name] == value, f"{name} differs between the plain and the instrumented run"
    assert demo_run.instrumented.stdout == demo_run.plain.stdout
    assert len(demo_run.outputs) == 5  # 3 parquet objects, 2 Snowflake tables


def test_one_run_with_start_and_complete(demo_run):
    types = [e["eventType"] for e in demo_run.events]
    assert types[0] == "START" and types[-1] == "COMPLETE", types
    assert {e["run"]["runId"] for e in demo_run.events} == {demo_run.complete["run"]["runId"]}
    assert {e["job"]["namespace"] for e in demo_run.events} == {"demo"}
    assert len(demo_run.event_files) == 1


def test_every_event_is_valid_openlineage(demo_run, spec_checker):
    assert_valid(demo_run.events, spec_checker)


def test_marquez_keeps_all_column_lineage(demo_run):
    gaps = sorted({gap for event in demo_run.events for gap in marquez_gaps(event)})
    assert not gaps, "\n".join(gaps)


def test_no_secret_in_events_or_logs(demo_run):
    text = "\n".join(json.dumps(e) for e in demo_run.events) + demo_run.instrumented.stderr
    for secret in (harness.SNOWFLAKE_PASSWORD, harness.servers.FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                   harness.servers.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]):
        assert secret not in text


def test_expected_end_to_end_lineage(demo_run):
    diffs = expected_lineage.compare(demo_run.complete)
    assert not diffs, f"{len(diffs)} difference(s) from the expected lineage:\n" + "\n".join(diffs)

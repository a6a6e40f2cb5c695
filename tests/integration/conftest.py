"""The demo pipeline run once per session, plain and instrumented, against the local servers.

`demo_run` seeds both servers, runs the pipeline without instrumentation and keeps everything it
wrote, seeds again, runs it with only OPENLINEAGE_MONKEYPATCH_ENABLED=1 (embedded default
transport: NDJSON files in a private data folder) and keeps its outputs and events. Consumers of the
lineage (spec, Marquez, Amundsen, DataHub) all read these same events.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from integration import harness
from tests.conftest import read_event_dir

JOB_NAMESPACE = "demo"


@dataclass
class DemoRun:
    plain: object  # CompletedProcess
    plain_outputs: dict
    instrumented: object
    outputs: dict
    events: list
    event_files: list
    data_dir: Path

    @property
    def complete(self) -> dict:
        finals = [e for e in self.events if e["eventType"] in ("COMPLETE", "FAIL", "ABORT")]
        assert len(finals) == 1, f"expected one final event, got {[e['eventType'] for e in self.events]}"
        return finals[0]


def instrumented_env(s3_server, snowflake_server, data_dir: Path, **extra) -> dict:
    return harness.pipeline_env(s3_server, snowflake_server, OPENLINEAGE_MONKEYPATCH_ENABLED="1",
                                OPENLINEAGE_NAMESPACE=JOB_NAMESPACE, OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(data_dir),
                                **extra)


@pytest.fixture(scope="session")
def demo_run(s3_server, snowflake_server, tmp_path_factory) -> DemoRun:
    harness.seed(s3_server, snowflake_server)
    plain = harness.run_pipeline(harness.pipeline_env(s3_server, snowflake_server))
    assert plain.returncode == 0, plain.stderr[-3000:]
    plain_outputs = harness.outputs(s3_server, snowflake_server)

    harness.seed(s3_server, snowflake_server)
    data_dir = tmp_path_factory.mktemp("demo-data")
    instrumented = harness.run_pipeline(instrumented_env(s3_server, snowflake_server, data_dir))
    assert instrumented.returncode == 0, instrumented.stderr[-3000:]
    outputs = harness.outputs(s3_server, snowflake_server)
    files = sorted((data_dir / "events").rglob("*.ndjson"))
    return DemoRun(plain, plain_outputs, instrumented, outputs, read_event_dir(data_dir / "events"), files, data_dir)

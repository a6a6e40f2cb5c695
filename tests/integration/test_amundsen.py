"""Amundsen: amundsen-databuilder's own OpenLineage extractor loads the pipeline's table lineage.

Runs integration/consumers/amundsen_table_lineage.py (DefaultJob + OpenLineageTableLineageExtractor
+ FsNeo4jCSVLoader) in the Amundsen venv over the demo run's event file, and compares the table
lineage relations it writes for Neo4j with the expected lineage.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from integration import consumer_venvs

from . import expected_lineage as exp

pytestmark = pytest.mark.slow
SCRIPT = consumer_venvs.REPO / "integration" / "consumers" / "amundsen_table_lineage.py"


def amundsen_key(dataset: tuple, cluster: str = "prod") -> str:
    """The documented configuration: namespace_override=openlineage, database_key=namespace."""
    namespace, name = dataset
    return f"openlineage://{cluster}.{namespace}/{name.split('/')[-1]}"


@pytest.fixture(scope="module")
def amundsen_python():
    return consumer_venvs.ensure("amundsen")


def test_event_file_has_no_blank_line(demo_run):
    # the extractor json.loads every line: a blank one ends the job with a JSONDecodeError
    for path in demo_run.event_files:
        assert all(line.strip() for line in path.read_text().splitlines())


def test_amundsen_table_lineage_from_the_event_file(demo_run, amundsen_python, tmp_path):
    [events] = demo_run.event_files
    proc = subprocess.run([str(amundsen_python), str(SCRIPT), str(events), str(tmp_path / "out"), "prod"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    relations = {tuple(pair) for pair in json.loads(proc.stdout.strip().splitlines()[-1])["relations"]}
    # Amundsen's extractor links every input of an event to every output of that event; the
    # COMPLETE event lists all the run's inputs and outputs, so the table lineage is job-level:
    # each input of the run upstream of each output (including an intermediate file to itself).
    expected = {(amundsen_key(i), amundsen_key(o)) for i in exp.TABLE_INPUTS for o in exp.TABLE_OUTPUTS}
    assert relations == expected
    keys = {k for pair in relations for k in pair}
    assert len(keys) == len(set(exp.TABLE_INPUTS) | set(exp.TABLE_OUTPUTS)), "two datasets share one Amundsen key"
    assert "openlineage://prod.snowflake://acme-analytics/SHOP.CRM.CUSTOMERS" in keys
    assert "openlineage://prod.s3://acme-features/features.parquet" in keys

"""DataHub: our ingestion source (openlineage_monkeypatch.consumers.datahub) over OpenLineage event files.

`datahub ingest` (DataHub's own CLI, in its own venv) runs the source into a file sink;
`datahub check metadata-file` validates the result against DataHub's models; the dataset URNs are
DataHub's own (`datahub_airflow_plugin._datahub_ol_adapter.translate_ol_to_datahub_urn`), and the
fine-grained lineage, job inputs and outputs are compared with the events they came from.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from integration import consumer_venvs

pytestmark = pytest.mark.slow
CLI = consumer_venvs.REPO / "integration" / "consumers" / "datahub_cli.py"
SOURCE_CLASS = "openlineage_monkeypatch.consumers.datahub.source.OpenLineageEventsSource"
ENTRY_POINT = "openlineage-events"
PRODUCER = "https://github.com/openlineage-monkeypatch/openlineage-monkeypatch/0.1.0"


@pytest.fixture(scope="module")
def datahub_python():
    return consumer_venvs.ensure("datahub")


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "PYTHON", "DATAHUB"))}


def datahub(python, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), str(CLI), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=_env())


def ingest(python, events, tmp_path, source_type=SOURCE_CLASS, **config) -> list[dict]:
    out = tmp_path / "datahub-mcps.json"
    recipe = tmp_path / "recipe.json"  # JSON is YAML: no quoting worries for paths
    recipe.write_text(json.dumps({
        "source": {"type": source_type, "config": {"path": str(events), **config}},
        "sink": {"type": "file", "config": {"filename": str(out)}},
    }))
    proc = datahub(python, "ingest", "-c", recipe)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    check = datahub(python, "check", "metadata-file", out)
    assert check.returncode == 0 and "all valid" in check.stdout, check.stdout[-2000:] + check.stderr[-2000:]
    return json.loads(out.read_text())


def datahub_urns(python, datasets) -> dict:
    """(namespace, name) -> URN by DataHub's own adapter, run in the DataHub venv."""
    code = ("import json, sys\n"
            "from openlineage.client.run import Dataset\n"
            "from datahub_airflow_plugin._datahub_ol_adapter import translate_ol_to_datahub_urn\n"
            "pairs = json.load(sys.stdin)\n"
            "print(json.dumps([translate_ol_to_datahub_urn(Dataset(namespace=n, name=m)) for n, m in pairs]))")
    datasets = sorted(datasets)
    proc = subprocess.run([str(python), "-c", code], input=json.dumps(datasets), capture_output=True, text=True,
                          env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dict(zip(datasets, json.loads(proc.stdout)))


def field_urn(dataset_urn: str, field: str) -> str:
    return f"urn:li:schemaField:({dataset_urn},{field})"


def _aspects(mcps, name):
    return [(m["entityUrn"], m["aspect"]["json"]) for m in mcps if m["aspectName"] == name]


def actual_fine_grained(mcps) -> set[tuple]:
    """(downstream field, upstream field, transformations) from every dataJobInputOutput."""
    edges = set()
    for _, aspect in _aspects(mcps, "dataJobInputOutput"):
        for fgl in aspect.get("fineGrainedLineages") or []:
            operation = fgl.get("transformOperation") or ""
            text = operation[3:].split("\n", 1)[0] if operation.startswith("-- ") else operation
            for down in fgl.get("downstreams") or []:
                for up in fgl.get("upstreams") or []:
                    edges.add((down, up, text))
    return edges


def expected_fine_grained(events, urns) -> set[tuple]:
    """The same, straight from the events: for each output, the column lineage of its latest event."""
    latest = {}
    schema = {}
    for event in events:
        for ds in (event.get("inputs") or []) + (event.get("outputs") or []):
            for f in ((ds.get("facets") or {}).get("schema") or {}).get("fields") or []:
                schema.setdefault((ds["namespace"], ds["name"]), {})[f["name"]] = True
        for ds in event.get("outputs") or []:
            if (ds.get("facets") or {}).get("columnLineage"):
                latest[(ds["namespace"], ds["name"])] = ds["facets"]["columnLineage"]
    edges = set()

    def text(item):
        return ",".join(sorted(((f"{t['type']}:{t.get('subtype')}" + (":MASKED" if t.get("masking") else ""))
                                for t in item.get("transformations") or []), key=str.casefold))

    for out, facet in latest.items():
        out_urn = urns[out]
        for column, spec in (facet.get("fields") or {}).items():
            for item in spec["inputFields"]:
                edges.add((field_urn(out_urn, column), field_urn(urns[(item["namespace"], item["name"])],
                                                                 item["field"]), text(item)))
        for item in facet.get("dataset") or []:
            for column in schema.get(out, {}):
                edges.add((field_urn(out_urn, column), field_urn(urns[(item["namespace"], item["name"])],
                                                                 item["field"]), text(item)))
    return edges


def _datasets_of(events) -> set[tuple]:
    found = set()
    for event in events:
        for ds in (event.get("inputs") or []) + (event.get("outputs") or []):
            found.add((ds["namespace"], ds["name"]))
            for spec in (((ds.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}).values():
                found.update((i["namespace"], i["name"]) for i in spec["inputFields"])
    return found


def _event(event_type, run_id, inputs=(), outputs=(), engine=True):
    run_facets = {"processing_engine": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/"
                  "1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet", "name": "python",
                  "version": "3.11.7"}} if engine else {}
    return {"eventType": event_type, "eventTime": "2025-05-31T10:00:00+00:00", "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id, "facets": run_facets}, "job": {"namespace": "demo", "name": "jobs.nightly"},
            "inputs": list(inputs), "outputs": list(outputs)}


def _ds(namespace, name, fields, lineage=None, dataset=None):
    facets = {"schema": {"fields": [{"name": f, "type": "int64"} for f in fields]}}
    if lineage is not None:
        facets["columnLineage"] = {"fields": {
            col: {"inputFields": [{"namespace": ns, "name": n, "field": f, "transformations": [
                {"type": t, "subtype": s, **({"masking": True} if m else {})}]} for ns, n, f, t, s, m in inputs]}
            for col, inputs in lineage.items()}}
        if dataset:
            facets["columnLineage"]["dataset"] = [
                {"namespace": ns, "name": n, "field": f, "transformations": [{"type": t, "subtype": s}]}
                for ns, n, f, t, s in dataset]
    return {"namespace": namespace, "name": name, "facets": facets}


def test_source_on_handmade_events(datahub_python, tmp_path):
    sf, s3 = "snowflake://acme-analytics", "s3://acme-features"
    src = _ds(sf, "SHOP.CRM.CUSTOMERS", ["ID", "EMAIL", "STATUS"])
    out = _ds(s3, "clean/customers.parquet", ["id", "email_hash"], lineage={
        "id": [(sf, "SHOP.CRM.CUSTOMERS", "ID", "DIRECT", "IDENTITY", False)],
        "email_hash": [(sf, "SHOP.CRM.CUSTOMERS", "EMAIL", "DIRECT", "TRANSFORMATION", True)],
    }, dataset=[(sf, "SHOP.CRM.CUSTOMERS", "STATUS", "INDIRECT", "FILTER")])
    events = [_event("START", "r1"), _event("RUNNING", "r1", [src], [out], engine=False),
              _event("COMPLETE", "r1", [src], [out])]
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + "not json\n")
    mcps = ingest(datahub_python, path, tmp_path)
    urns = datahub_urns(datahub_python, _datasets_of(events))
    assert urns[(s3, "clean/customers.parquet")] == \
        "urn:li:dataset:(urn:li:dataPlatform:s3,acme-features/clean/customers.parquet,PROD)"
    assert urns[(sf, "SHOP.CRM.CUSTOMERS")] == "urn:li:dataset:(urn:li:dataPlatform:snowflake,SHOP.CRM.CUSTOMERS,PROD)"
    out_urn, src_urn = urns[(s3, "clean/customers.parquet")], urns[(sf, "SHOP.CRM.CUSTOMERS")]
    assert actual_fine_grained(mcps) == {
        (field_urn(out_urn, "id"), field_urn(src_urn, "ID"), "DIRECT:IDENTITY"),
        (field_urn(out_urn, "email_hash"), field_urn(src_urn, "EMAIL"), "DIRECT:TRANSFORMATION:MASKED"),
        (field_urn(out_urn, "id"), field_urn(src_urn, "STATUS"), "INDIRECT:FILTER"),
        (field_urn(out_urn, "email_hash"), field_urn(src_urn, "STATUS"), "INDIRECT:FILTER"),
    }
    [(job_urn, io)] = _aspects(mcps, "dataJobInputOutput")  # one job, whatever facets each event had
    assert job_urn == "urn:li:dataJob:(urn:li:dataFlow:(python,jobs,demo),jobs.nightly)"
    assert [e["destinationUrn"] for e in io["inputDatasetEdges"]] == [src_urn]
    assert [e["destinationUrn"] for e in io["outputDatasetEdges"]] == [out_urn]
    [(_, info)] = _aspects(mcps, "dataJobInfo")
    assert info["name"] == "nightly" and info["type"] == {"string": "python"}
    assert {u for u, _ in _aspects(mcps, "schemaMetadata")} == {out_urn, src_urn}
    runs = _aspects(mcps, "dataProcessInstanceRunEvent")
    assert [r["status"] for _, r in runs] == ["STARTED", "COMPLETE"]
    # options: Snowflake names lower-cased like DataHub's Snowflake source (S3 keys untouched), no INDIRECT-only inputs
    other = ingest(datahub_python, path, tmp_path, lowercase_platforms=["snowflake"],
                   include_indirect_column_lineage=False)
    assert {u for u, _ in _aspects(other, "datasetProperties")} == {
        out_urn, "urn:li:dataset:(urn:li:dataPlatform:snowflake,shop.crm.customers,PROD)"}
    assert {e[2] for e in actual_fine_grained(other)} == {"DIRECT:IDENTITY", "DIRECT:TRANSFORMATION:MASKED"}


def test_pipeline_events_in_datahub(demo_run, datahub_python, tmp_path):
    events_dir = demo_run.data_dir / "events"
    mcps = ingest(datahub_python, events_dir, tmp_path)
    urns = datahub_urns(datahub_python, _datasets_of(demo_run.events))
    assert actual_fine_grained(mcps) == expected_fine_grained(demo_run.events, urns)
    datasets = {u for u, _ in _aspects(mcps, "datasetProperties")}
    assert datasets == set(urns.values())
    [(_, io)] = _aspects(mcps, "dataJobInputOutput")
    complete = demo_run.complete
    assert {e["destinationUrn"] for e in io["inputDatasetEdges"]} == \
        {urns[(d["namespace"], d["name"])] for d in complete["inputs"]}
    assert {e["destinationUrn"] for e in io["outputDatasetEdges"]} == \
        {urns[(d["namespace"], d["name"])] for d in complete["outputs"]}


def test_entry_point_registered(datahub_python, tmp_path):
    """`type: openlineage-events` once pyproject.toml declares the plugin entry point."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((consumer_venvs.REPO / "pyproject.toml").read_text())
    plugins = pyproject["project"].get("entry-points", {}).get("datahub.ingestion.source.plugins", {})
    if plugins.get(ENTRY_POINT) != f"{SOURCE_CLASS.rsplit('.', 1)[0]}:{SOURCE_CLASS.rsplit('.', 1)[1]}":
        pytest.skip("pyproject.toml does not declare the datahub.ingestion.source.plugins entry point yet")
    proc = datahub(datahub_python, "check", "plugins")
    assert ENTRY_POINT in proc.stdout, proc.stdout[-3000:]
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps(_event("COMPLETE", "r2", [], [_ds("s3://b", "k.csv", ["a"])])) + "\n")
    assert ingest(datahub_python, path, tmp_path, source_type=ENTRY_POINT)

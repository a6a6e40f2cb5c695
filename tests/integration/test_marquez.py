"""Marquez: the pipeline's events, sent by the OpenLineage HTTP transport, all accepted, no column lineage lost.

The receiver (marquez_emulator.py) applies the acceptance and storage rules of Marquez's
POST /api/v1/lineage, read from Marquez's source; its own rules are checked first on small events.
"""
from __future__ import annotations

import json

import pytest

from integration import harness

from .conftest import instrumented_env
from .marquez_emulator import MarquezModel, MarquezReceiver

RUN_ID = "01a21d44-a888-7371-a45d-768774d1cecd"
PRODUCER = "https://github.com/openlineage-monkeypatch/openlineage-monkeypatch/0.1.0"
SCHEMA = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
CL = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"


def _event(event_type="COMPLETE", in_fields=("a", "b"), out_fields=("x",), lineage=None, namespace="s3://bucket"):
    def schema(names):
        return {"_producer": PRODUCER, "_schemaURL": SCHEMA, "fields": [{"name": n, "type": "int64"} for n in names]}

    lineage = lineage if lineage is not None else {"x": [("in.csv", "a"), ("in.csv", "b")]}
    return {
        "eventType": event_type, "eventTime": "2025-05-31T10:00:00.000+00:00", "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": RUN_ID}, "job": {"namespace": "demo", "name": "job.py"},
        "inputs": [{"namespace": namespace, "name": "in.csv", "facets": {"schema": schema(in_fields)}}],
        "outputs": [{"namespace": namespace, "name": "out.csv", "facets": {
            "schema": schema(out_fields),
            "columnLineage": {"_producer": PRODUCER, "_schemaURL": CL, "fields": {
                out: {"inputFields": [{"namespace": namespace, "name": n, "field": f,
                                       "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}
                                      for n, f in inputs]}
                for out, inputs in lineage.items()}}}}],
    }


def _post(model, event, content_type="application/json"):
    return model.post(content_type, json.dumps(event).encode())[0]


def test_emulator_accepts_a_valid_event_and_keeps_its_column_lineage():
    model = MarquezModel()
    assert _post(model, _event()) == 201
    assert model.dropped == []
    assert {(c[2], c[5]) for c in model.column_lineage} == {("x", "a"), ("x", "b")}


@pytest.mark.parametrize("mutate, status", [
    (lambda e: e.pop("eventTime"), 422),
    (lambda e: e["run"].pop("runId"), 422),
    (lambda e: e["job"].pop("name"), 422),
    (lambda e: e.pop("producer"), 422),
    (lambda e: e["outputs"][0].pop("namespace"), 422),
    (lambda e: e["outputs"][0]["facets"]["schema"].pop("_producer"), 422),
    (lambda e: e["outputs"][0]["facets"]["columnLineage"]["fields"]["x"]["inputFields"][0].pop("field"), 422),
    (lambda e: e.update(eventTime="yesterday"), 400),
    (lambda e: e["outputs"][0]["facets"]["schema"].update(_schemaURL="not a uri"), 400),
    (lambda e: e["job"].update(name={"nested": 1}), 400),
    (lambda e: e["outputs"][0].update(namespace="s3://bucket with space"), 400),
    (lambda e: e["outputs"][0]["facets"].update(monkeypatch_anything={"free": ["form"]}), 201),
    (lambda e: e.update(eventTime="2025-05-31T10:00:00"), 201),  # FlexibleDateTimeDeserializer: zone optional
])
def test_emulator_applies_marquez_binding_and_validation(mutate, status):
    event = _event()
    mutate(event)
    assert _post(MarquezModel(), event) == status


def test_emulator_refuses_other_content_types_and_bad_json():
    model = MarquezModel()
    assert _post(model, _event(), content_type="text/plain") == 415
    assert model.post("application/json", b"{not json")[0] == 400


def test_emulator_drops_column_lineage_without_an_input_schema_field():
    model = MarquezModel()
    assert _post(model, _event(in_fields=("a",))) == 201
    assert model.dropped == ["out.csv.x <- in.csv.b (not a field of an input of the run)"]
    model = MarquezModel()
    assert _post(model, _event(out_fields=("y",))) == 201
    assert len(model.dropped) == 2 and "output field not in the schema facet" in model.dropped[0]


def test_emulator_knows_input_fields_from_earlier_events_of_the_run():
    model = MarquezModel()
    first = _event(event_type="RUNNING", lineage={})
    first["outputs"] = []
    second = _event(in_fields=())
    assert _post(model, first) == 201 and _post(model, second) == 201
    assert model.dropped == []


@pytest.fixture(scope="module")
def marquez_run(s3_server, snowflake_server, tmp_path_factory):
    harness.seed(s3_server, snowflake_server)
    with MarquezReceiver() as receiver:
        env = instrumented_env(s3_server, snowflake_server, tmp_path_factory.mktemp("marquez-data"),
                               OPENLINEAGE_URL=receiver.url)
        proc = harness.run_pipeline(env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return receiver.model, proc


def test_pipeline_events_all_accepted_by_marquez(marquez_run):
    model, proc = marquez_run
    statuses = [status for status, _ in model.responses]
    assert statuses and set(statuses) == {201}, model.responses
    types = [e["eventType"] for e in model.events]
    assert types[0] == "START" and types[-1] == "COMPLETE"
    assert "spool" not in proc.stderr.lower()


def test_no_column_lineage_dropped_by_marquez(marquez_run):
    model, _ = marquez_run
    assert not model.dropped, "\n".join(model.dropped)


def test_marquez_keeps_every_column_edge_of_the_events(marquez_run):
    model, _ = marquez_run
    sent = set()
    for event in model.events:
        for ds in event.get("outputs") or []:
            for column, spec in (((ds.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}).items():
                sent.update((ds["namespace"], ds["name"], column, i["namespace"], i["name"], i["field"])
                            for i in spec["inputFields"])
    assert sent == model.column_lineage
    assert [job for job in model.jobs] == [("demo", "integration.pipeline")]

"""Events are plain dicts built without the OpenLineage client; these tests hold them to what the client's
own classes (openlineage-python 1.54) would have produced from the same data, so drift of a schema URL
or a field is caught here, and to the official schemas."""

from __future__ import annotations

import importlib
import json

import pytest

from openlineage_monkeypatch import events
from openlineage_monkeypatch.events import DatasetRecord, EventRecord
from tests.conftest import assert_valid

CLIENT_CLASSES = {
    "schema": ("schema_dataset", "SchemaDatasetFacet"),
    "columnLineage": ("column_lineage_dataset", "ColumnLineageDatasetFacet"),
    "sql": ("sql_job", "SQLJobFacet"),
    "externalQuery": ("external_query_run", "ExternalQueryRunFacet"),
    "extractionError": ("extraction_error_run", "ExtractionErrorRunFacet"),
    "errorMessage": ("error_message_run", "ErrorMessageRunFacet"),
    "parent": ("parent_run", "ParentRunFacet"),
    "jobType": ("job_type_job", "JobTypeJobFacet"),
    "processing_engine": ("processing_engine_run", "ProcessingEngineRunFacet"),
    "sourceCodeLocation": ("source_code_location_job", "SourceCodeLocationJobFacet"),
    "symlinks": ("symlinks_dataset", "SymlinksDatasetFacet"),
    "dataSource": ("datasource_dataset", "DatasourceDatasetFacet"),
    "lifecycleStateChange": ("lifecycle_state_change_dataset", "LifecycleStateChangeDatasetFacet"),
    "outputStatistics": ("output_statistics_output_dataset", "OutputStatisticsOutputDatasetFacet"),
    "inputStatistics": ("input_statistics_input_dataset", "InputStatisticsInputDatasetFacet"),
    "storage": ("storage_dataset", "StorageDatasetFacet"),
    "tags": ("tags_dataset", "TagsDatasetFacet"),
}


def client_class(key):
    module, name = CLIENT_CLASSES[key]
    return getattr(importlib.import_module(f"openlineage.client.generated.{module}"), name)


def test_standard_schema_urls_are_the_installed_clients():
    assert set(events.STANDARD) == set(CLIENT_CLASSES) == set(events.STANDARD_SCHEMA_URLS)
    for key in CLIENT_CLASSES:
        assert events.STANDARD_SCHEMA_URLS[key] == client_class(key)._get_schema(), key
    from openlineage.client import event_v2

    assert events.RUN_EVENT_SCHEMA_URL == event_v2.RunEvent._get_schema()


def test_custom_schema_urls_are_the_facet_classes_and_shipped_schemas():
    from openlineage_monkeypatch import facets
    from tests.conftest import FACET_SCHEMAS

    classes = {"monkeypatch_columnOperations": facets.ColumnOperationsDatasetFacet,
               "monkeypatch_access": facets.AccessDatasetFacet,
               "monkeypatch_instrumentation": facets.InstrumentationRunFacet,
               "monkeypatch_failedAccess": facets.FailedAccessRunFacet,
               "monkeypatch_metadataAccess": facets.MetadataAccessRunFacet}
    assert set(classes) == set(events.CUSTOM_FACETS) == set(facets.CUSTOM)
    ids = {json.loads(p.read_text())["$id"] for p in FACET_SCHEMAS.glob("*.json")}
    for key, cls in classes.items():
        url = events.CUSTOM_SCHEMA_URLS[key]
        assert url == cls._get_schema()
        assert url.split("#")[0] in ids, url
        schema = json.loads((FACET_SCHEMAS / f"{events.CUSTOM_FACETS[key][0]}.json").read_text())
        allowed = set(schema["$defs"][events.CUSTOM_FACETS[key][0]]["allOf"][1]["properties"]) - {
            "_producer", "_schemaURL", "_deleted"}
        assert allowed == set(events.CUSTOM_FACETS[key][1]), key


# -- a reference: the same record built with the client's classes, as events.py did before -----------


def _reference_facets(facets: dict) -> dict:
    from openlineage.client.generated import column_lineage_dataset as cl
    from openlineage.client.generated import extraction_error_run as ee
    from openlineage.client.generated import lifecycle_state_change_dataset as lc
    from openlineage.client.generated import parent_run as pr
    from openlineage.client.generated import schema_dataset as sd
    from openlineage.client.generated import symlinks_dataset as sy
    from openlineage.client.generated import tags_dataset as tg

    from openlineage_monkeypatch import facets as ours

    p = events.PRODUCER

    def input_field(f):
        return cl.InputField(namespace=f["namespace"], name=f["name"], field=f["field"], transformations=[
            cl.Transformation(type=t["type"], subtype=t.get("subtype"), description=t.get("description"),
                              masking=t.get("masking")) for t in f.get("transformations") or []])

    def schema_field(f):
        return sd.SchemaDatasetFacetFields(name=f["name"], type=f.get("type"), description=f.get("description"),
                                           fields=[schema_field(x) for x in f.get("fields") or []])

    builders = {
        "schema": lambda d: sd.SchemaDatasetFacet(fields=[schema_field(f) for f in d.get("fields", [])], producer=p),
        "columnLineage": lambda d: cl.ColumnLineageDatasetFacet(fields={
            n: cl.Fields(inputFields=[input_field(f) for f in s.get("inputFields", [])],
                         transformationDescription=s.get("transformationDescription"),
                         transformationType=s.get("transformationType")) for n, s in d.get("fields", {}).items()},
            dataset=[input_field(f) for f in d.get("dataset") or []], producer=p),
        "sql": lambda d: client_class("sql")(query=d["query"], dialect=d.get("dialect"), producer=p),
        "externalQuery": lambda d: client_class("externalQuery")(externalQueryId=d["externalQueryId"],
                                                                 source=d["source"], producer=p),
        "extractionError": lambda d: ee.ExtractionErrorRunFacet(
            totalTasks=d["totalTasks"], failedTasks=d["failedTasks"], producer=p,
            errors=[ee.Error(errorMessage=e["errorMessage"], stackTrace=e.get("stackTrace"), task=e.get("task"),
                             taskNumber=e.get("taskNumber")) for e in d.get("errors", [])]),
        "errorMessage": lambda d: client_class("errorMessage")(message=d["message"], programmingLanguage="python",
                                                               stackTrace=d.get("stackTrace"), producer=p),
        "parent": lambda d: pr.ParentRunFacet(
            run=pr.Run(runId=d["run"]["runId"]), job=pr.Job(namespace=d["job"]["namespace"], name=d["job"]["name"]),
            root=pr.Root(run=pr.RootRun(runId=d["root"]["run"]["runId"]),
                         job=pr.RootJob(namespace=d["root"]["job"]["namespace"], name=d["root"]["job"]["name"]))
            if d.get("root") else None, producer=p),
        "jobType": lambda d: client_class("jobType")(processingType=d["processingType"], integration=d["integration"],
                                                     jobType=d.get("jobType"), producer=p),
        "processing_engine": lambda d: client_class("processing_engine")(
            version=d["version"], name=d.get("name"), openlineageAdapterVersion=d.get("openlineageAdapterVersion"),
            producer=p),
        "sourceCodeLocation": lambda d: client_class("sourceCodeLocation")(
            type=d["type"], url=d["url"], repoUrl=d.get("repoUrl"), path=d.get("path"), version=d.get("version"),
            branch=d.get("branch"), producer=p),
        "symlinks": lambda d: sy.SymlinksDatasetFacet(identifiers=[
            sy.Identifier(namespace=i["namespace"], name=i["name"], type=i["type"]) for i in d["identifiers"]],
            producer=p),
        "dataSource": lambda d: client_class("dataSource")(name=d.get("name"), uri=d.get("uri"), producer=p),
        "lifecycleStateChange": lambda d: lc.LifecycleStateChangeDatasetFacet(
            lifecycleStateChange=lc.LifecycleStateChange(d["lifecycleStateChange"]), producer=p),
        "outputStatistics": lambda d: client_class("outputStatistics")(
            rowCount=d.get("rowCount"), size=d.get("size"), fileCount=d.get("fileCount"), producer=p),
        "inputStatistics": lambda d: client_class("inputStatistics")(
            rowCount=d.get("rowCount"), size=d.get("size"), fileCount=d.get("fileCount"), producer=p),
        "storage": lambda d: client_class("storage")(storageLayer=d["storageLayer"], fileFormat=d.get("fileFormat"),
                                                     producer=p),
        "tags": lambda d: tg.TagsDatasetFacet(tags=[tg.TagsDatasetFacetFields(
            key=t["key"], value=t["value"], source=t.get("source"), field=t.get("field")) for t in d["tags"]],
            producer=p),
    }
    out = {}
    for key, data in facets.items():
        if data is None:
            continue
        builder = builders.get(key) or ours.CUSTOM.get(key)
        if builder is not None:
            out[key] = builder(data)
    return out


def reference(record: EventRecord) -> dict:
    from openlineage.client import event_v2 as ev
    from openlineage.client.serde import Serde

    def dataset(cls, d, side):
        facets, input_facets, output_facets = d.parts()
        kwargs = {"namespace": d.namespace, "name": d.name, "facets": _reference_facets(facets)}
        if side == "input" and input_facets:
            kwargs["inputFacets"] = _reference_facets(input_facets)
        if side == "output" and output_facets:
            kwargs["outputFacets"] = _reference_facets(output_facets)
        return cls(**kwargs)

    event = ev.RunEvent(
        eventType=ev.RunState[record.event_type], eventTime=events.iso_time(record.event_time)
        if not isinstance(record.event_time, str) else record.event_time,
        run=ev.Run(runId=record.run_id, facets=_reference_facets(record.run_facets)),
        job=ev.Job(namespace=record.job_namespace, name=record.job_name, facets=_reference_facets(record.job_facets)),
        inputs=[dataset(ev.InputDataset, d, "input") for d in record.inputs],
        outputs=[dataset(ev.OutputDataset, d, "output") for d in record.outputs],
        producer=events.PRODUCER)
    return Serde.to_dict(event)


def _without_empty_nested_fields(value, parent=False):
    """The client writes `"fields": []` under every schema field, and `"facets": {}` in the parent facet's
    run and job; we leave those empty values out."""
    if isinstance(value, dict):
        return {k: _without_empty_nested_fields(v, parent or k == "parent") for k, v in value.items()
                if not (k == "fields" and v == []) and not (parent and k == "facets" and v == {})}
    if isinstance(value, list):
        return [_without_empty_nested_fields(v, parent) for v in value]
    return value


RUN_ID = "01900000-0000-7000-8000-000000000001"
PARENT = {"run": {"runId": "01900000-0000-7000-8000-000000000002"}, "job": {"namespace": "airflow", "name": "dag.t"},
          "root": {"run": {"runId": "01900000-0000-7000-8000-000000000003"}, "job": {"namespace": "airflow",
                                                                                   "name": "dag"}}}
LINEAGE = {"fields": {"total": {"inputFields": [
    {"namespace": "file", "name": "/in.csv", "field": "a",
     "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION", "description": "a + b", "masking": False}]},
    {"namespace": "file", "name": "/in.csv", "field": "b", "transformations": [{"type": "DIRECT"}]}],
    "transformationDescription": "a + b", "transformationType": "TRANSFORMATION"}},
    "dataset": [{"namespace": "file", "name": "/in.csv", "field": "k",
                 "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}]}]}
EVERY_FACET = EventRecord(
    "COMPLETE", 1_700_000_000.25, RUN_ID, "tests", "job.py",
    run_facets={
        "parent": PARENT,
        "processing_engine": {"version": "3.11.7", "name": "python", "openlineageAdapterVersion": "0.1.0"},
        "errorMessage": {"message": "ValueError: bad", "stackTrace": "Traceback ..."},
        "externalQuery": {"externalQueryId": "01b2-q", "source": "snowflake://org-acct"},
        "extractionError": {"totalTasks": 2, "failedTasks": 1, "errors": [
            {"errorMessage": "cannot parse", "task": "SELECT ?", "taskNumber": 1}, {"errorMessage": "x"}]},
        "monkeypatch_instrumentation": {"version": "0.1.0", "integrations": {"pandas": {"status": "instrumented",
                                                                                        "libraryVersion": None}},
                                        "events": {"spooled": 0, "dropped": 0, "failedDeliveries": 0},
                                        "internalErrors": None},
        "monkeypatch_failedAccess": {"accesses": [{"namespace": "s3://b", "name": "k", "action": "s3:GetObject",
                                                   "error": "NoSuchKey", "count": 2}]},
        "monkeypatch_metadataAccess": {"accesses": [{"namespace": "s3://b", "name": "prefix/", "action":
                                                     "s3:ListBucket", "count": 1, "system": "s3", "api": "boto3"}]},
        "unknownKey": {"ignored": True},
        "sql": None,
    },
    job_facets={
        "jobType": {"processingType": "BATCH", "integration": "PYTHON", "jobType": "JOB"},
        "sourceCodeLocation": {"type": "git", "url": "https://github.com/a/b/blob/c/job.py", "repoUrl":
                               "https://github.com/a/b", "path": "job.py", "version": "c" * 40, "branch": "main"},
        "sql": {"query": "SELECT a FROM t WHERE b = ?", "dialect": "snowflake"},
    },
    inputs=[DatasetRecord("file", "/in.csv", {
        "schema": {"fields": [{"name": "a", "type": "int64"}, {"name": "b"},
                              {"name": "s", "type": "struct", "fields": [{"name": "x", "type": "int"}]}]},
        "symlinks": {"identifiers": [{"namespace": "s3://b", "name": "t", "type": "TABLE"}]},
        "dataSource": {"name": "file", "uri": "file:///in.csv"},
        "storage": {"storageLayer": "csv", "fileFormat": "csv"},
        "tags": {"tags": [{"key": "pii", "value": "true", "source": "CONFIG", "field": "a"}]},
        "monkeypatch_access": {"actions": [{"action": "read", "count": 1, "api": "pandas.read_csv"}], "system": "file"},
    }, input_facets={"inputStatistics": {"rowCount": 3, "size": 30}})],
    outputs=[DatasetRecord("file", "/out.csv", {
        "schema": {"fields": [{"name": "total", "type": "int64"}]},
        "columnLineage": LINEAGE,
        "lifecycleStateChange": {"lifecycleStateChange": "OVERWRITE"},
        "monkeypatch_columnOperations": {"fields": {"total": {"operations": [
            {"operation": "add", "location": "job.py:3", "detail": None}], "approximate": False}}, "rows": None},
    }, output_facets={"outputStatistics": {"rowCount": 3, "size": 12, "fileCount": 1}}),
        DatasetRecord("file", "/plain.csv")])


def test_every_facet_matches_what_the_client_builds(spec_checker):
    ours = events.to_dict(EVERY_FACET)
    assert ours == _without_empty_nested_fields(reference(EVERY_FACET))
    line = events.to_line(ours)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and b", " not in line.split(b'"SELECT')[0]
    assert json.loads(line) == ours
    assert_valid([ours], spec_checker)


def test_every_facet_carries_producer_and_schema_url():
    event = events.to_dict(EVERY_FACET)
    maps = [event["run"]["facets"], event["job"]["facets"]]
    for d in event["inputs"] + event["outputs"]:
        maps += [d["facets"], d.get("inputFacets") or {}, d.get("outputFacets") or {}]
    seen = 0
    for facets in maps:
        for key, facet in facets.items():
            assert facet["_producer"] == events.PRODUCER and facet["_schemaURL"].startswith("https://"), key
            seen += 1
    assert seen >= 20


def test_a_bad_facet_is_left_out_and_the_event_kept():
    record = EventRecord("RUNNING", "2024-01-01T00:00:00+00:00", RUN_ID, "tests", "job", outputs=[DatasetRecord(
        "file", "/o", {"lifecycleStateChange": {"lifecycleStateChange": "EXPLODE"},
                       "sql": {"dialect": "no query"}, "monkeypatch_access": {"actions": [], "bogus": 1},
                       "schema": {"fields": [{"name": "a"}]}})])
    event = events.to_dict(record)
    assert list(event["outputs"][0]["facets"]) == ["schema"]


def test_numpy_numbers_serialize_as_numbers():
    np = pytest.importorskip("numpy")
    record = EventRecord("RUNNING", "2024-01-01T00:00:00+00:00", RUN_ID, "tests", "job", outputs=[DatasetRecord(
        "file", "/o", output_facets={"outputStatistics": {"rowCount": np.int64(7), "size": np.float64(1.5)}})])
    stats = json.loads(events.to_line(events.to_dict(record)))["outputs"][0]["outputFacets"]["outputStatistics"]
    assert stats["rowCount"] == 7 and stats["size"] == 1.5


def test_events_module_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys; import openlineage_monkeypatch.events as e; "
            "e.to_line(e.to_dict(e.EventRecord('START', 0.0, 'x', 'n', 'j'))); "
            "print(sorted(m for m in sys.modules if m.startswith(('openlineage.', 'attr', 'requests', 'yaml'))))")
    from tests.conftest import clean_env

    out = subprocess.run([sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

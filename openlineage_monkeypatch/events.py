"""Records (plain data made on the job's thread) and their translation into OpenLineage RunEvents.

`build_event` runs on the emitter's thread: it imports the OpenLineage client's event and facet
classes there, so a job pays nothing for them. Standard facets are built with the client's classes
(their `_schemaURL` is the client's); our own facets with the classes in `facets/`.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

PRODUCER = f"https://github.com/openlineage-monkeypatch/openlineage-monkeypatch/tree/{__version__}"


class DatasetRecord:
    __slots__ = ("namespace", "name", "facets", "input_facets", "output_facets")

    def __init__(self, namespace: str, name: str, facets: dict | None = None, input_facets: dict | None = None,
                 output_facets: dict | None = None) -> None:
        self.namespace = namespace
        self.name = name
        self.facets = facets or {}
        self.input_facets = input_facets or {}
        self.output_facets = output_facets or {}


class EventRecord:
    __slots__ = ("event_type", "event_time", "run_id", "job_namespace", "job_name", "run_facets", "job_facets",
                 "inputs", "outputs")

    def __init__(self, event_type: str, event_time: str, run_id: str, job_namespace: str, job_name: str,
                 run_facets: dict | None = None, job_facets: dict | None = None,
                 inputs: list[DatasetRecord] | None = None, outputs: list[DatasetRecord] | None = None) -> None:
        self.event_type = event_type
        self.event_time = event_time
        self.run_id = run_id
        self.job_namespace = job_namespace
        self.job_name = job_name
        self.run_facets = run_facets or {}
        self.job_facets = job_facets or {}
        self.inputs = inputs or []
        self.outputs = outputs or []


# -------------------------------------------------------------------------------------------------
# facet builders: key -> function(data) -> facet object


def _schema(data):
    from openlineage.client.generated import schema_dataset as m

    def field(f):
        return m.SchemaDatasetFacetFields(
            name=f["name"], type=f.get("type"), description=f.get("description"),
            fields=[field(x) for x in f.get("fields") or []],
        )

    return m.SchemaDatasetFacet(fields=[field(f) for f in data.get("fields", [])], producer=PRODUCER)


def _input_field(m, f):
    return m.InputField(
        namespace=f["namespace"], name=f["name"], field=f["field"],
        transformations=[
            m.Transformation(type=t["type"], subtype=t.get("subtype"), description=t.get("description"),
                             masking=t.get("masking"))
            for t in f.get("transformations") or []
        ],
    )


def _column_lineage(data):
    from openlineage.client.generated import column_lineage_dataset as m

    fields = {
        name: m.Fields(
            inputFields=[_input_field(m, f) for f in spec.get("inputFields", [])],
            transformationDescription=spec.get("transformationDescription"),
            transformationType=spec.get("transformationType"),
        )
        for name, spec in data.get("fields", {}).items()
    }
    return m.ColumnLineageDatasetFacet(
        fields=fields, dataset=[_input_field(m, f) for f in data.get("dataset") or []], producer=PRODUCER
    )


def _sql(data):
    from openlineage.client.generated import sql_job as m

    return m.SQLJobFacet(query=data["query"], dialect=data.get("dialect"), producer=PRODUCER)


def _external_query(data):
    from openlineage.client.generated import external_query_run as m

    return m.ExternalQueryRunFacet(externalQueryId=data["externalQueryId"], source=data["source"], producer=PRODUCER)


def _extraction_error(data):
    from openlineage.client.generated import extraction_error_run as m

    return m.ExtractionErrorRunFacet(
        totalTasks=data["totalTasks"], failedTasks=data["failedTasks"],
        errors=[m.Error(errorMessage=e["errorMessage"], stackTrace=e.get("stackTrace"), task=e.get("task"),
                        taskNumber=e.get("taskNumber")) for e in data.get("errors", [])],
        producer=PRODUCER,
    )


def _error_message(data):
    from openlineage.client.generated import error_message_run as m

    return m.ErrorMessageRunFacet(message=data["message"], programmingLanguage="python",
                                  stackTrace=data.get("stackTrace"), producer=PRODUCER)


def _parent(data):
    from openlineage.client.generated import parent_run as m

    root = None
    if data.get("root"):
        r = data["root"]
        root = m.Root(run=m.RootRun(runId=r["run"]["runId"]),
                      job=m.RootJob(namespace=r["job"]["namespace"], name=r["job"]["name"]))
    return m.ParentRunFacet(run=m.Run(runId=data["run"]["runId"]),
                            job=m.Job(namespace=data["job"]["namespace"], name=data["job"]["name"]),
                            root=root, producer=PRODUCER)


def _job_type(data):
    from openlineage.client.generated import job_type_job as m

    return m.JobTypeJobFacet(processingType=data["processingType"], integration=data["integration"],
                             jobType=data.get("jobType"), producer=PRODUCER)


def _processing_engine(data):
    from openlineage.client.generated import processing_engine_run as m

    return m.ProcessingEngineRunFacet(version=data["version"], name=data.get("name"),
                                      openlineageAdapterVersion=data.get("openlineageAdapterVersion"),
                                      producer=PRODUCER)


def _source_code_location(data):
    from openlineage.client.generated import source_code_location_job as m

    return m.SourceCodeLocationJobFacet(type=data["type"], url=data["url"], repoUrl=data.get("repoUrl"),
                                        path=data.get("path"), version=data.get("version"),
                                        branch=data.get("branch"), producer=PRODUCER)


def _symlinks(data):
    from openlineage.client.generated import symlinks_dataset as m

    return m.SymlinksDatasetFacet(
        identifiers=[m.Identifier(namespace=i["namespace"], name=i["name"], type=i["type"])
                     for i in data.get("identifiers", [])], producer=PRODUCER)


def _datasource(data):
    from openlineage.client.generated import datasource_dataset as m

    return m.DatasourceDatasetFacet(name=data.get("name"), uri=data.get("uri"), producer=PRODUCER)


def _lifecycle(data):
    from openlineage.client.generated import lifecycle_state_change_dataset as m

    return m.LifecycleStateChangeDatasetFacet(
        lifecycleStateChange=m.LifecycleStateChange(data["lifecycleStateChange"]), producer=PRODUCER)


def _output_statistics(data):
    from openlineage.client.generated import output_statistics_output_dataset as m

    return m.OutputStatisticsOutputDatasetFacet(rowCount=data.get("rowCount"), size=data.get("size"),
                                                fileCount=data.get("fileCount"), producer=PRODUCER)


def _input_statistics(data):
    from openlineage.client.generated import input_statistics_input_dataset as m

    return m.InputStatisticsInputDatasetFacet(rowCount=data.get("rowCount"), size=data.get("size"),
                                              fileCount=data.get("fileCount"), producer=PRODUCER)


def _storage(data):
    from openlineage.client.generated import storage_dataset as m

    return m.StorageDatasetFacet(storageLayer=data["storageLayer"], fileFormat=data.get("fileFormat"),
                                 producer=PRODUCER)


def _tags_dataset(data):
    from openlineage.client.generated import tags_dataset as m

    return m.TagsDatasetFacet(tags=[m.TagsDatasetFacetFields(key=t["key"], value=t["value"], source=t.get("source"),
                                                             field=t.get("field")) for t in data.get("tags", [])],
                              producer=PRODUCER)


STANDARD = {
    "schema": _schema,
    "columnLineage": _column_lineage,
    "sql": _sql,
    "externalQuery": _external_query,
    "extractionError": _extraction_error,
    "errorMessage": _error_message,
    "parent": _parent,
    "jobType": _job_type,
    "processing_engine": _processing_engine,
    "sourceCodeLocation": _source_code_location,
    "symlinks": _symlinks,
    "dataSource": _datasource,
    "lifecycleStateChange": _lifecycle,
    "outputStatistics": _output_statistics,
    "inputStatistics": _input_statistics,
    "storage": _storage,
    "tags": _tags_dataset,
}


def warm_up() -> None:
    """Import everything build_event and the client use (see Emitter._prepare for why, and where)."""
    import importlib

    from openlineage.client import OpenLineageClient, event_v2  # noqa: F401
    from openlineage.client.serde import Serde  # noqa: F401

    from . import facets  # noqa: F401 - our attrs facet classes

    for module in ("schema_dataset", "column_lineage_dataset", "sql_job", "external_query_run", "extraction_error_run",
                   "error_message_run", "parent_run", "job_type_job", "processing_engine_run",
                   "source_code_location_job", "symlinks_dataset", "datasource_dataset",
                   "lifecycle_state_change_dataset", "output_statistics_output_dataset",
                   "input_statistics_input_dataset", "storage_dataset", "tags_dataset", "tags_run", "tags_job",
                   "environment_variables_run"):
        try:
            importlib.import_module(f"openlineage.client.generated.{module}")
        except ImportError:
            pass


def build_facets(facets: dict[str, Any]) -> dict:
    from .facets import CUSTOM

    out = {}
    for key, data in facets.items():
        if data is None:
            continue
        builder = STANDARD.get(key) or CUSTOM.get(key)
        if builder is None:
            continue
        try:
            out[key] = builder(data)
        except Exception:  # noqa: BLE001 - one bad facet must not cost the event
            from . import _log

            _log.log_once(f"facet:{key}", "could not build the %s facet; it is left out", key, exc_info=True)
    return out


def build_event(record: EventRecord):
    from openlineage.client import event_v2 as ev

    def dataset(cls, d: DatasetRecord, side: str):
        kwargs: dict = {"namespace": d.namespace, "name": d.name, "facets": build_facets(d.facets)}
        if side == "input" and d.input_facets:
            kwargs["inputFacets"] = build_facets(d.input_facets)
        if side == "output" and d.output_facets:
            kwargs["outputFacets"] = build_facets(d.output_facets)
        return cls(**kwargs)

    return ev.RunEvent(
        eventType=ev.RunState[record.event_type],
        eventTime=record.event_time,
        run=ev.Run(runId=record.run_id, facets=build_facets(record.run_facets)),
        job=ev.Job(namespace=record.job_namespace, name=record.job_name, facets=build_facets(record.job_facets)),
        inputs=[dataset(ev.InputDataset, d, "input") for d in record.inputs],
        outputs=[dataset(ev.OutputDataset, d, "output") for d in record.outputs],
        producer=PRODUCER,
    )

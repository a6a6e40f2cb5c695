"""A DataHub ingestion source that reads OpenLineage RunEvents from NDJSON files.

DataHub ingests OpenLineage live (its GMS endpoint, the Spark agent, the Airflow plugin) but has no
source for event files: the embedded default transport of openlineage-monkeypatch, a spool, or any
`file` transport. This source reads them and emits what DataHub's own OpenLineage converter emits
for the same events (metadata-integration/java/openlineage-converter, OpenLineageToDataHub and
DatahubJob), with the URN conventions of `naming`:

  - datasets: `status`, `datasetProperties` (OpenLineage namespace and name kept as properties)
    and `schemaMetadata` from the schema facets;
  - per OpenLineage job, a DataFlow (`dataFlowInfo`) and a DataJob (`dataJobInfo`) whose
    `dataJobInputOutput` holds the input and output dataset edges and the fine-grained (column)
    lineage of every output, and, for a run started by another job's run, the parent job edge;
  - per run, a DataProcessInstance (properties, inputs, outputs, relationship to its DataJob, and
    its start and end as run events).

Fine-grained lineage: one FineGrainedLineage per output column and transformation, upstreams are
the schema fields of the input columns, `transformOperation` lists the OpenLineage transformation
types (`DIRECT:AGGREGATION`, `INDIRECT:JOIN`, ...; `masking` is shown as `DIRECT:TRANSFORMATION:MASKED`).
Edges at the facet's dataset level (joins, filters, sorts, group keys that shape every row) become
FineGrainedLineages whose downstreams are all the output's columns. DataHub's Java converter groups
all inputs of a column into one entry; keeping one entry per transformation keeps which input did
what. INDIRECT-only inputs can be left out with `include_indirect_column_lineage: false`.

Events of one run arrive in pieces (START, a RUNNING per output, COMPLETE): all events of a job are
merged, and for each output the column lineage of its latest event is kept.
"""
from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional

from pydantic import Field

from datahub.configuration.common import ConfigModel
from datahub.emitter import mce_builder as builder
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.api.common import PipelineContext
from datahub.ingestion.api.decorators import SupportStatus, config_class, platform_name, support_status
from datahub.ingestion.api.source import Source, SourceReport
from datahub.ingestion.api.workunit import MetadataWorkUnit
from datahub.metadata.schema_classes import (
    AuditStampClass,
    BooleanTypeClass,
    DataFlowInfoClass,
    DataJobInfoClass,
    DataJobInputOutputClass,
    DataProcessInstanceInputClass,
    DataProcessInstanceOutputClass,
    DataProcessInstancePropertiesClass,
    DataProcessInstanceRelationshipsClass,
    DataProcessInstanceRunEventClass,
    DataProcessInstanceRunResultClass,
    DataProcessRunStatusClass,
    DatasetPropertiesClass,
    DateTypeClass,
    EdgeClass,
    FineGrainedLineageClass,
    FineGrainedLineageDownstreamTypeClass,
    FineGrainedLineageUpstreamTypeClass,
    NullTypeClass,
    NumberTypeClass,
    OtherSchemaClass,
    RecordTypeClass,
    RunResultTypeClass,
    SchemaFieldClass,
    SchemaFieldDataTypeClass,
    SchemaMetadataClass,
    StatusClass,
    StringTypeClass,
    TimeTypeClass,
)

from . import naming

ACTOR = "urn:li:corpuser:datahub"
EVENT_SUFFIXES = (".ndjson", ".jsonl", ".json", ".ndjson.gz", ".jsonl.gz", ".json.gz")


class OpenLineageEventsSourceConfig(ConfigModel):
    path: str = Field(description="An OpenLineage NDJSON event file, or a folder searched recursively for "
                                  "*.ndjson, *.jsonl, *.json (gzip allowed).")
    env: str = Field(default=naming.DEFAULT_ENV, description="DataHub environment (fabric) of the datasets.")
    platform_instances: Dict[str, str] = Field(
        default_factory=dict,
        description="Platform instance per OpenLineage dataset namespace, e.g. {'snowflake://org-account': 'prod'}.")
    lowercase_dataset_urns: bool = Field(default=False, description="Lower-case dataset namespaces and names, as "
                                                                    "DataHub's converter option lowerCaseDatasetUrns.")
    lowercase_platforms: List[str] = Field(
        default_factory=list,
        description="Lower-case the dataset names of these platforms only, e.g. ['snowflake'] to match the URNs "
                    "of DataHub's Snowflake source (lower case by default) while S3 keys keep their case.")
    orchestrator: Optional[str] = Field(default=None, description="DataFlow orchestrator; default: the event's "
                                                                  "processing_engine name, else its producer.")
    pipeline_name: Optional[str] = Field(default=None, description="DataFlow name for every job; default: the job "
                                                                   "name up to its first dot.")
    include_column_lineage: bool = Field(default=True, description="Emit fine-grained (column) lineage.")
    include_indirect_column_lineage: bool = Field(default=True, description="Keep inputs whose only role is "
                                                                            "INDIRECT (join, filter, group by ...).")
    include_schema_metadata: bool = Field(default=True, description="Emit schemaMetadata from schema facets.")
    include_run_instances: bool = Field(default=True, description="Emit a DataProcessInstance per run.")


@dataclass
class OpenLineageEventsSourceReport(SourceReport):
    files: int = 0
    events: int = 0
    skipped_lines: int = 0
    jobs: int = 0
    runs: int = 0
    datasets: int = 0
    fine_grained_lineages: int = 0


@dataclass
class _Dataset:
    namespace: str
    name: str
    fields: Dict[str, Optional[str]] = field(default_factory=dict)


@dataclass
class _Job:
    namespace: str
    name: str
    engine: Optional[str] = None
    producer: Optional[str] = None
    custom_properties: Dict[str, str] = field(default_factory=dict)
    description: Optional[str] = None
    inputs: Dict[str, int] = field(default_factory=dict)  # dataset urn -> last event time (ms)
    outputs: Dict[str, int] = field(default_factory=dict)
    lineage: Dict[str, tuple] = field(default_factory=dict)  # output urn -> (facet, output dataset)
    sql: Dict[str, str] = field(default_factory=dict)  # output urn -> the last SQL statement that wrote it
    parents: Dict[tuple, int] = field(default_factory=dict)  # parent (namespace, name) -> time


@dataclass
class _Run:
    run_id: str
    job: tuple
    start: Optional[int] = None
    end: Optional[int] = None
    end_type: Optional[str] = None
    inputs: Dict[str, None] = field(default_factory=dict)
    outputs: Dict[str, None] = field(default_factory=dict)


def _millis(event_time: str) -> int:
    from datetime import datetime, timezone

    value = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1000)


def _field_type(native: Optional[str]):
    """A DataHub field type for a schema facet type (pandas dtypes, SQL types, Spark types)."""
    text = (native or "").lower()
    if not text:
        return NullTypeClass()
    if text.startswith(("bool",)):
        return BooleanTypeClass()
    if text.startswith(("int", "uint", "float", "double", "decimal", "number", "numeric", "long", "short",
                        "real", "bigint", "smallint", "tinyint", "fixed")):
        return NumberTypeClass()
    if text.startswith(("datetime", "timestamp", "time")):
        return TimeTypeClass()
    if text == "date" or text.startswith("date32") or text.startswith("date64"):
        return DateTypeClass()
    if text.startswith(("object", "string", "str", "varchar", "char", "text", "category")):
        return StringTypeClass()
    if text.startswith(("struct", "map", "record", "variant", "object")):
        return RecordTypeClass()
    return NullTypeClass()


def _transformation_text(transformation: dict) -> str:
    text = f"{transformation.get('type')}:{transformation.get('subtype')}"
    return text + ":MASKED" if transformation.get("masking") else text


@platform_name("OpenLineage")
@config_class(OpenLineageEventsSourceConfig)
@support_status(getattr(SupportStatus, "ALPHA", None) or SupportStatus.INCUBATING)
class OpenLineageEventsSource(Source):
    """Datasets, data jobs, their inputs and outputs and column-level lineage from OpenLineage event files."""

    def __init__(self, ctx: PipelineContext, config: OpenLineageEventsSourceConfig):
        super().__init__(ctx)
        self.config = config
        self.report = OpenLineageEventsSourceReport()
        self.datasets: Dict[str, _Dataset] = {}
        self.jobs: Dict[tuple, _Job] = {}
        self.runs: Dict[str, _Run] = {}

    @classmethod
    def create(cls, config_dict: dict, ctx: PipelineContext) -> "OpenLineageEventsSource":
        config_class = OpenLineageEventsSourceConfig
        parse = getattr(config_class, "model_validate", None) or config_class.parse_obj  # pydantic 2 or 1
        return cls(ctx, parse(config_dict))

    def get_report(self) -> SourceReport:
        return self.report

    # -- reading ----------------------------------------------------------------------------------

    def _files(self) -> List[Path]:
        root = Path(os.path.expanduser(self.config.path))
        if root.is_file():
            return [root]
        return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(EVENT_SUFFIXES))

    def _events(self) -> Iterator[dict]:
        for path in self._files():
            self.report.files += 1
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        continue
                    try:
                        event = json.loads(line)
                    except ValueError:
                        self.report.skipped_lines += 1
                        continue
                    if not isinstance(event, dict) or not isinstance(event.get("run"), dict) \
                            or not isinstance(event.get("job"), dict) or not event.get("eventTime"):
                        self.report.skipped_lines += 1  # not a RunEvent (DatasetEvent, JobEvent, garbage)
                        continue
                    self.report.events += 1
                    yield event

    # -- merging ----------------------------------------------------------------------------------

    def _dataset(self, ds: dict) -> str:
        namespace, name = ds["namespace"], ds["name"]
        platform, dataset_name = naming.dataset_platform_and_name(namespace, name, self.config.lowercase_dataset_urns)
        if platform in self.config.lowercase_platforms:
            dataset_name = dataset_name.lower()
        urn = builder.make_dataset_urn_with_platform_instance(
            platform=platform, name=dataset_name, platform_instance=self.config.platform_instances.get(namespace),
            env=self.config.env)
        state = self.datasets.setdefault(urn, _Dataset(namespace, name))
        schema = ((ds.get("facets") or {}).get("schema") or {}).get("fields") or []
        for item in schema:
            if isinstance(item, dict) and item.get("name"):
                if item.get("type") or item["name"] not in state.fields:
                    state.fields[item["name"]] = item.get("type")
        return urn

    def _job(self, event: dict) -> _Job:
        run_facets = (event.get("run") or {}).get("facets") or {}
        engine = run_facets.get("processing_engine") or {}
        namespace, name = event["job"]["namespace"], event["job"]["name"]
        job = self.jobs.get((namespace, name))
        if job is None:
            job = self.jobs[(namespace, name)] = _Job(namespace, name)
        # The orchestrator comes from the processing_engine facet, which not every event of a run
        # carries: one job keeps one orchestrator (the first engine seen, else the producer's).
        if engine.get("name") and not job.engine:
            job.engine = engine["name"]
        if event.get("producer") and not job.producer:
            job.producer = event["producer"]
        for key, prop in (("name", "processingEngine"), ("version", "processingEngineVersion"),
                          ("openlineageAdapterVersion", "openlineageAdapterVersion")):
            if engine.get(key):
                job.custom_properties[prop] = str(engine[key])
        job_facets = event["job"].get("facets") or {}
        for key in ("processingType", "integration", "jobType"):
            value = (job_facets.get("jobType") or {}).get(key)
            if value:
                job.custom_properties[f"jobType.{key}"] = str(value)
        location = job_facets.get("sourceCodeLocation") or {}
        if location.get("url"):
            job.custom_properties["sourceCodeLocation"] = str(location["url"])
        if (job_facets.get("documentation") or {}).get("description"):
            job.description = job_facets["documentation"]["description"]
        return job

    def _merge(self, event: dict) -> None:
        job = self._job(event)
        when = _millis(event["eventTime"])
        run_id = str(event["run"].get("runId"))
        run = self.runs.setdefault(run_id, _Run(run_id, (job.namespace, job.name)))
        event_type = (event.get("eventType") or "OTHER").upper()
        if event_type == "START" or run.start is None:
            run.start = when if run.start is None else min(run.start, when)
        if event_type in ("COMPLETE", "FAIL", "ABORT"):
            run.end, run.end_type = when, event_type
        for ds in event.get("inputs") or []:
            urn = self._dataset(ds)
            job.inputs[urn] = when
            run.inputs[urn] = None
        sql = ((event["job"].get("facets") or {}).get("sql") or {}).get("query")
        for ds in event.get("outputs") or []:
            urn = self._dataset(ds)
            job.outputs[urn] = when
            run.outputs[urn] = None
            if sql:
                job.sql[urn] = sql
            lineage = (ds.get("facets") or {}).get("columnLineage")
            if lineage:
                job.lineage[urn] = (lineage, ds)
        parent = ((event["run"].get("facets") or {}).get("parent") or {}).get("job") or {}
        if parent.get("namespace") and parent.get("name"):
            job.parents[(parent["namespace"], parent["name"])] = when

    def _orchestrator(self, key: tuple) -> str:
        job = self.jobs.get(key)
        if job is None:  # a parent job that has no events of its own here
            return self.config.orchestrator or "openlineage"
        return naming.orchestrator(job.engine, job.producer, self.config.orchestrator)

    def _flow_urn(self, key: tuple) -> str:
        return builder.make_data_flow_urn(self._orchestrator(key), naming.flow_name(key[1], self.config.pipeline_name),
                                          key[0])

    def _job_urn(self, key: tuple) -> str:
        return builder.make_data_job_urn_with_flow(self._flow_urn(key), key[1])

    # -- fine-grained lineage ---------------------------------------------------------------------

    def _input_field_urn(self, item: dict) -> str:
        urn = self._dataset({"namespace": item["namespace"], "name": item["name"]})
        return builder.make_schema_field_urn(urn, item["field"])

    def _fine_grained(self, output_urn: str, facet: dict, sql: Optional[str], output: dict) -> List[FineGrainedLineageClass]:
        by_target: Dict[tuple, set] = {}  # (downstream urns, transformation text) -> upstream field urns
        columns = list(self.datasets[output_urn].fields) or list((facet.get("fields") or {}))
        all_columns = tuple(sorted(builder.make_schema_field_urn(output_urn, c) for c in columns))

        def add(downstreams: tuple, item: dict) -> None:
            transformations = item.get("transformations") or [{}]
            if not self.config.include_indirect_column_lineage and all(
                    (t.get("type") or "").upper() == "INDIRECT" for t in transformations if t):
                return
            text = ",".join(sorted((_transformation_text(t) for t in transformations if t), key=str.casefold))
            by_target.setdefault((downstreams, text), set()).add(self._input_field_urn(item))

        for column, spec in (facet.get("fields") or {}).items():
            for item in (spec or {}).get("inputFields") or []:
                add((builder.make_schema_field_urn(output_urn, column),), item)
        if all_columns:
            for item in facet.get("dataset") or []:
                add(all_columns, item)
        result = []
        for (downstreams, text), upstreams in sorted(by_target.items()):
            operation = f"-- {text}\n{sql}" if sql and text else (sql or text or "TRANSFORM")
            result.append(FineGrainedLineageClass(
                upstreamType=FineGrainedLineageUpstreamTypeClass.FIELD_SET, upstreams=sorted(upstreams),
                downstreamType=(FineGrainedLineageDownstreamTypeClass.FIELD if len(downstreams) == 1
                                else FineGrainedLineageDownstreamTypeClass.FIELD_SET),
                downstreams=list(downstreams), transformOperation=operation, confidenceScore=0.5,
                query=None))
        return result

    # -- work units -------------------------------------------------------------------------------

    def get_workunits_internal(self) -> Iterable[MetadataWorkUnit]:
        for event in self._events():
            try:
                self._merge(event)
            except (KeyError, TypeError, ValueError) as exc:
                self.report.skipped_lines += 1
                self.report.warning(message="an OpenLineage event could not be read", context=str(exc)[:200])
        fine_grained: Dict[str, List[FineGrainedLineageClass]] = {}
        if self.config.include_column_lineage:
            for key, job in self.jobs.items():
                items: List[FineGrainedLineageClass] = []
                for output_urn, (facet, output) in sorted(job.lineage.items()):
                    items.extend(self._fine_grained(output_urn, facet, job.sql.get(output_urn), output))
                fine_grained[self._job_urn(key)] = items
        yield from self._dataset_workunits()
        yield from self._job_workunits(fine_grained)
        if self.config.include_run_instances:
            yield from self._run_workunits()

    def _wu(self, urn: str, aspect) -> MetadataWorkUnit:
        return MetadataChangeProposalWrapper(entityUrn=urn, aspect=aspect).as_workunit()

    def _dataset_workunits(self) -> Iterable[MetadataWorkUnit]:
        for urn, ds in sorted(self.datasets.items()):
            self.report.datasets += 1
            yield self._wu(urn, StatusClass(removed=False))
            yield self._wu(urn, DatasetPropertiesClass(
                name=ds.name.rstrip("/").rsplit("/", 1)[-1] or ds.name, qualifiedName=f"{ds.namespace}/{ds.name}",
                customProperties={"openlineage.namespace": ds.namespace, "openlineage.name": ds.name}))
            if self.config.include_schema_metadata and ds.fields:
                platform = urn.split("urn:li:dataPlatform:", 1)[1].split(",", 1)[0]
                yield self._wu(urn, SchemaMetadataClass(
                    schemaName=ds.name, platform=builder.make_data_platform_urn(platform), version=0, hash="",
                    platformSchema=OtherSchemaClass(rawSchema=json.dumps(
                        [{"name": n, "type": t} for n, t in ds.fields.items()])),
                    fields=[SchemaFieldClass(fieldPath=n, nativeDataType=t or "",
                                             type=SchemaFieldDataTypeClass(type=_field_type(t)))
                            for n, t in ds.fields.items()]))

    def _job_workunits(self, fine_grained: Dict[str, List[FineGrainedLineageClass]]) -> Iterable[MetadataWorkUnit]:
        flows_done = set()
        for key, job in sorted(self.jobs.items()):
            self.report.jobs += 1
            flow, job_urn = self._flow_urn(key), self._job_urn(key)
            if flow not in flows_done:
                flows_done.add(flow)
                yield self._wu(flow, DataFlowInfoClass(name=naming.flow_name(job.name, self.config.pipeline_name),
                                                       customProperties={"openlineage.namespace": job.namespace}))
                yield self._wu(flow, StatusClass(removed=False))
            yield self._wu(job_urn, DataJobInfoClass(
                name=naming.job_display_name(job.name), type=self._orchestrator(key), flowUrn=flow,
                customProperties={"openlineage.namespace": job.namespace, "openlineage.name": job.name,
                                  **job.custom_properties},
                description=job.description))
            yield self._wu(job_urn, StatusClass(removed=False))
            items = fine_grained.get(job_urn) or []
            self.report.fine_grained_lineages += len(items)
            yield self._wu(job_urn, DataJobInputOutputClass(
                inputDatasets=[], outputDatasets=[],
                inputDatasetEdges=[self._edge(urn, t) for urn, t in sorted(job.inputs.items())],
                outputDatasetEdges=[self._edge(urn, t) for urn, t in sorted(job.outputs.items())],
                inputDatajobEdges=[self._edge(self._job_urn(p), t) for p, t in sorted(job.parents.items())] or None,
                fineGrainedLineages=items or None))

    @staticmethod
    def _edge(urn: str, when: int) -> EdgeClass:
        return EdgeClass(destinationUrn=urn, lastModified=AuditStampClass(time=when, actor=ACTOR))

    def _run_workunits(self) -> Iterable[MetadataWorkUnit]:
        for run_id, run in sorted(self.runs.items()):
            self.report.runs += 1
            urn = builder.make_data_process_instance_urn(run_id)
            yield self._wu(urn, DataProcessInstancePropertiesClass(
                name=run_id, created=AuditStampClass(time=run.start or run.end or 0, actor=ACTOR)))
            yield self._wu(urn, DataProcessInstanceRelationshipsClass(upstreamInstances=[],
                                                                      parentTemplate=self._job_urn(run.job)))
            yield self._wu(urn, DataProcessInstanceInputClass(inputs=list(run.inputs)))
            yield self._wu(urn, DataProcessInstanceOutputClass(outputs=list(run.outputs)))
            if run.start is not None:
                yield self._wu(urn, DataProcessInstanceRunEventClass(
                    timestampMillis=run.start, status=DataProcessRunStatusClass.STARTED))
            if run.end is not None:
                result = RunResultTypeClass.SUCCESS if run.end_type == "COMPLETE" else RunResultTypeClass.FAILURE
                yield self._wu(urn, DataProcessInstanceRunEventClass(
                    timestampMillis=run.end, status=DataProcessRunStatusClass.COMPLETE,
                    result=DataProcessInstanceRunResultClass(type=result, nativeResultType=run.end_type),
                    durationMillis=(run.end - run.start) if run.start is not None else None))

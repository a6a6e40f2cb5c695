"""Records (immutable snapshots made on the job's thread) and their translation into OpenLineage
RunEvents as plain, spec-shaped dicts.

Nothing here imports the OpenLineage client: `to_dict` runs on our background thread in the job's
process, and `to_line` turns its result into one compact NDJSON line. Every facet carries `_producer`
and `_schemaURL`: for standard facets the schema URLs that openlineage-python 1.54's generated classes
emit (tests/foundation/test_events.py compares them with the installed client, so drift is caught),
for ours the versioned URLs of the JSON schemas in facets/schemas/.

Facet data from integrations is plain data keyed by facet key. Standard facets are copied field by
field as the client's classes would have kept them (unknown keys dropped, None values left out); a
facet whose data lacks a required field is left out with one log line, the event is kept.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from ._version import __version__

PRODUCER = f"https://github.com/openlineage-monkeypatch/openlineage-monkeypatch/tree/{__version__}"
RUN_EVENT_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SCHEMA_BASE = "https://openlineage-monkeypatch.github.io/spec/facets/1-0-0/"

_SPEC = "https://openlineage.io/spec/facets/"

# facet key -> the _schemaURL openlineage-python 1.54 writes for it
STANDARD_SCHEMA_URLS = {
    "schema": _SPEC + "1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "columnLineage": _SPEC + "1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
    "sql": _SPEC + "1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet",
    "externalQuery": _SPEC + "1-0-2/ExternalQueryRunFacet.json#/$defs/ExternalQueryRunFacet",
    "extractionError": _SPEC + "1-1-2/ExtractionErrorRunFacet.json#/$defs/ExtractionErrorRunFacet",
    "errorMessage": _SPEC + "1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "parent": _SPEC + "1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
    "jobType": _SPEC + "2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "processing_engine": _SPEC + "1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
    "sourceCodeLocation": _SPEC + "1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet",
    "symlinks": _SPEC + "1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet",
    "dataSource": _SPEC + "1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
    "lifecycleStateChange": _SPEC + "1-0-1/LifecycleStateChangeDatasetFacet.json#/$defs/LifecycleStateChangeDatasetFacet",
    "outputStatistics": _SPEC + "1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet",
    "inputStatistics": _SPEC + "1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet",
    "storage": _SPEC + "1-0-1/StorageDatasetFacet.json#/$defs/StorageDatasetFacet",
    "tags": _SPEC + "1-0-0/TagsDatasetFacet.json#/$defs/TagsDatasetFacet",
}

# our facet key -> (JSON schema in facets/schemas/, the fields it allows)
CUSTOM_FACETS = {
    "monkeypatch_columnOperations": ("ColumnOperationsDatasetFacet", ("fields", "rows")),
    "monkeypatch_access": ("AccessDatasetFacet", ("actions", "system")),
    "monkeypatch_instrumentation": ("InstrumentationRunFacet", ("version", "integrations", "internalErrors", "events",
                                                                 "approximateColumns", "opaqueOperations")),
    "monkeypatch_failedAccess": ("FailedAccessRunFacet", ("accesses",)),
    "monkeypatch_metadataAccess": ("MetadataAccessRunFacet", ("accesses",)),
}
CUSTOM_SCHEMA_URLS = {key: f"{SCHEMA_BASE}{name}.json#/$defs/{name}" for key, (name, _) in CUSTOM_FACETS.items()}
LIFECYCLE_STATES = frozenset({"ALTER", "CREATE", "DROP", "OVERWRITE", "RENAME", "TRUNCATE"})
EVENT_TYPES = frozenset({"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"})


class DatasetRecord:
    """A dataset as it goes into one event: facet data by key (plain data, never changed afterwards)."""

    __slots__ = ("namespace", "name", "facets", "input_facets", "output_facets")

    def __init__(self, namespace: str, name: str, facets: dict | None = None, input_facets: dict | None = None,
                 output_facets: dict | None = None) -> None:
        self.namespace = namespace
        self.name = name
        self.facets = facets or {}
        self.input_facets = input_facets or {}
        self.output_facets = output_facets or {}

    def parts(self) -> tuple[dict, dict, dict]:
        """(facets, inputFacets, outputFacets) data; subclasses compute them from a snapshot, late."""
        return self.facets, self.input_facets, self.output_facets


class EventRecord:
    """One event to emit. `event_time` is seconds since the epoch (formatted off the job's thread) or
    an ISO 8601 string with a time zone."""

    __slots__ = ("event_type", "event_time", "run_id", "job_namespace", "job_name", "run_facets", "job_facets",
                 "inputs", "outputs")

    def __init__(self, event_type: str, event_time: float | str, run_id: str, job_namespace: str, job_name: str,
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


def iso_time(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), timezone.utc).isoformat()


# -------------------------------------------------------------------------------------------------
# standard facets: data -> the fields the client's class keeps (key -> value, None left out)


def _put(out: dict, data: dict, *keys: str) -> dict:
    for key in keys:
        value = data.get(key)
        if value is not None:
            out[key] = value
    return out


def _schema_field(f: dict) -> dict:
    out = {"name": f["name"]}
    _put(out, f, "type", "description")
    nested = f.get("fields")
    if nested:
        out["fields"] = [_schema_field(x) for x in nested]
    return out


def _schema(data: dict) -> dict:
    return {"fields": [_schema_field(f) for f in data.get("fields") or ()]}


def _transformation(t: dict) -> dict:
    return _put({"type": t["type"]}, t, "subtype", "description", "masking")


def _input_field(f: dict) -> dict:
    return {"namespace": f["namespace"], "name": f["name"], "field": f["field"],
            "transformations": [_transformation(t) for t in f.get("transformations") or ()]}


def _column_lineage(data: dict) -> dict:
    fields = {}
    for name, spec in (data.get("fields") or {}).items():
        entry = {"inputFields": [_input_field(f) for f in spec.get("inputFields") or ()]}
        fields[name] = _put(entry, spec, "transformationDescription", "transformationType")
    return {"fields": fields, "dataset": [_input_field(f) for f in data.get("dataset") or ()]}


def _sql(data: dict) -> dict:
    return _put({"query": data["query"]}, data, "dialect")


def _external_query(data: dict) -> dict:
    return {"externalQueryId": data["externalQueryId"], "source": data["source"]}


def _extraction_error(data: dict) -> dict:
    errors = [_put({"errorMessage": e["errorMessage"]}, e, "stackTrace", "task", "taskNumber")
              for e in data.get("errors") or ()]
    return {"totalTasks": data["totalTasks"], "failedTasks": data["failedTasks"], "errors": errors}


def _error_message(data: dict) -> dict:
    return _put({"message": data["message"], "programmingLanguage": "python"}, data, "stackTrace")


def _run_job(data: dict) -> dict:
    return {"run": {"runId": data["run"]["runId"]},
            "job": {"namespace": data["job"]["namespace"], "name": data["job"]["name"]}}


def _parent(data: dict) -> dict:
    out = _run_job(data)
    if data.get("root"):
        out["root"] = _run_job(data["root"])
    return out


def _job_type(data: dict) -> dict:
    return _put({"processingType": data["processingType"], "integration": data["integration"]}, data, "jobType")


def _processing_engine(data: dict) -> dict:
    return _put({"version": data["version"]}, data, "name", "openlineageAdapterVersion")


def _source_code_location(data: dict) -> dict:
    return _put({"type": data["type"], "url": data["url"]}, data, "repoUrl", "path", "version", "branch")


def _symlinks(data: dict) -> dict:
    return {"identifiers": [{"namespace": i["namespace"], "name": i["name"], "type": i["type"]}
                            for i in data.get("identifiers") or ()]}


def _datasource(data: dict) -> dict:
    return _put({}, data, "name", "uri")


def _lifecycle(data: dict) -> dict:
    state = data["lifecycleStateChange"]
    if state not in LIFECYCLE_STATES:
        raise ValueError(f"unknown lifecycle state {state!r}")
    return {"lifecycleStateChange": state}


def _statistics(data: dict) -> dict:
    return _put({}, data, "rowCount", "size", "fileCount")


def _storage(data: dict) -> dict:
    return _put({"storageLayer": data["storageLayer"]}, data, "fileFormat")


def _tags(data: dict) -> dict:
    return {"tags": [_put({"key": t["key"], "value": t["value"]}, t, "source", "field") for t in data.get("tags") or ()]}


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
    "outputStatistics": _statistics,
    "inputStatistics": _statistics,
    "storage": _storage,
    "tags": _tags,
}


def _clean(value):
    """None values left out at every depth, and empty objects from lists (as the client's Serde does)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [c for c in (_clean(v) for v in value if v is not None) if c != {}]
    return value


def _custom(key: str, data: dict) -> dict:
    allowed = CUSTOM_FACETS[key][1]
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise TypeError(f"unexpected field(s) {unknown}")
    return {k: _clean(v) for k, v in data.items() if v is not None}


def facet(key: str, data: dict) -> dict | None:
    """The facet dict (with _producer and _schemaURL) for one facet's data; None for an unknown key."""
    builder = STANDARD.get(key)
    if builder is not None:
        out = builder(data)
        url = STANDARD_SCHEMA_URLS[key]
    elif key in CUSTOM_FACETS:
        out = _custom(key, data)
        url = CUSTOM_SCHEMA_URLS[key]
    else:
        return None
    out["_producer"] = PRODUCER
    out["_schemaURL"] = url
    return out


def build_facets(facets: dict[str, Any]) -> dict:
    out = {}
    for key, data in facets.items():
        if data is None:
            continue
        try:
            built = facet(key, data)
        except Exception:  # noqa: BLE001 - one bad facet must not cost the event
            from . import _log

            _log.log_once(f"facet:{key}", "could not build the %s facet; it is left out", key, exc_info=True)
            continue
        if built is not None:
            out[key] = built
    return out


def _dataset(d: DatasetRecord, side: str) -> dict:
    facets, input_facets, output_facets = d.parts()
    out = {"namespace": d.namespace, "name": d.name, "facets": build_facets(facets)}
    if side == "input":
        out["inputFacets"] = build_facets(input_facets) if input_facets else {}
    else:
        out["outputFacets"] = build_facets(output_facets) if output_facets else {}
    return out


def to_dict(record: EventRecord) -> dict:
    """The RunEvent for a record, as the OpenLineage spec shapes it."""
    if record.event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {record.event_type!r}")
    event_time = record.event_time
    if not isinstance(event_time, str):
        event_time = iso_time(event_time)
    return {
        "eventType": record.event_type,
        "eventTime": event_time,
        "run": {"runId": record.run_id, "facets": build_facets(record.run_facets)},
        "job": {"namespace": record.job_namespace, "name": record.job_name, "facets": build_facets(record.job_facets)},
        "inputs": [_dataset(d, "input") for d in record.inputs],
        "outputs": [_dataset(d, "output") for d in record.outputs],
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA_URL,
    }


def _json_default(value):
    """Numbers of other types (numpy scalars) as numbers; anything else as the client's Serde marks it."""
    for convert in (int, float):
        try:
            if convert is int and hasattr(value, "__index__"):
                return value.__index__()
            if convert is float and hasattr(value, "__float__"):
                return float(value)
        except Exception:  # noqa: BLE001
            continue
    return f"<<non-serializable: {type(value).__qualname__}>>"


_encoder = None


def to_line(event: dict) -> bytes:
    """One compact NDJSON line (with its newline), UTF-8."""
    global _encoder
    if _encoder is None:
        import json

        _encoder = json.JSONEncoder(separators=(",", ":"), default=_json_default)
    return (_encoder.encode(event) + "\n").encode("utf-8")

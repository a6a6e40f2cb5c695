"""A local stand-in for Marquez's `POST /api/v1/lineage`, applying Marquez's own acceptance rules.

Marquez cannot run on these machines (no Docker, no Gradle), so this receiver emulates, on
127.0.0.1, what the Marquez API does with an OpenLineage event, rule by rule, from its source
(MarquezProject/marquez at a89b89cad, 0.51.2-SNAPSHOT; paths under api/src/main/java/marquez/,
line numbers at that commit):

Request handling (api/OpenLineageResource.java, `create` l.68, `determineStatusCode` l.102):
  - `@POST @Consumes(APPLICATION_JSON) @Path("/lineage")`: another content type is refused (415).
  - The body binds to `@Valid @NotNull BaseEvent`: malformed JSON or a value Jackson cannot bind
    (an object where a string is declared, an unparsable time or URI) is a 400 (Dropwizard's
    JsonProcessingExceptionMapper); a bean-validation failure (`@NotNull` on a required field) is
    a 422 (Dropwizard's JerseyViolationExceptionMapper).
  - Success answers 201; an IllegalArgumentException while updating the model answers 400
    (`determineStatusCode`), anything else 500.
  - The event class comes from the suffix of `schemaURL` (service/models/EventTypeResolver.java l.64):
    `/RunEvent` (or none, or anything unknown) -> LineageEvent, `/DatasetEvent`, `/JobEvent`.
Binding (service/models/LineageEvent.java, BaseJsonModel.java, common/Utils.java):
  - LineageEvent l.47-53 (eventTime, run, job, producer @NotNull), Run.runId l.78, Job l.222-223,
    Dataset l.375-376, BaseFacet._producer/_schemaURL l.122-123, ColumnLineageOutputColumn.inputFields
    l.628, ColumnLineageInputField l.642-644.
  - Required (`@NotNull`): eventTime, run, run.runId, job, job.namespace, job.name, producer,
    each dataset's namespace and name; in the typed facets: `_producer` and `_schemaURL` of every
    facet Marquez models (nominalTime, parent, documentation, sourceCodeLocation, sql, jobType,
    schema, dataSource, lifecycleStateChange, columnLineage, symlinks), nominalTime.nominalStartTime,
    parent.run.runId, parent.job.namespace/name, documentation.description, sql.query,
    jobType.processingType/integration/jobType, schema field names, symlink identifiers'
    namespace/name, columnLineage's inputFields and their namespace/name/field.
  - Times use common/models/FlexibleDateTimeDeserializer.java (l.37): ISO local date-time with an
    optional offset (a missing zone means the server's zone, so it is not refused).
  - `_producer`, `_schemaURL` and `schemaURL` are java.net.URI.
  - Unknown properties are kept (`@JsonAnySetter` on BaseJsonModel and the facet containers;
    Dropwizard's mapper disables FAIL_ON_UNKNOWN_PROPERTIES): custom facets are stored unchecked,
    and the per-input-field `transformations` of the current column-lineage spec are ignored.
Model update (db/OpenLineageDao.java, service/OpenLineageService.java):
  - The job namespace is sanitized (`formatNamespaceName`, OpenLineageDao l.833:
    [^a-z:/A-Z0-9\\-_.@+] -> "_"); dataset namespaces are stored as sent and later built into `NamespaceName.of(...)`
    (common/models/NamespaceName.java l.26-32, pattern ^[a-zA-Z:;=/0-9_\\-\\.@+]{1,1024}$) in
    OpenLineageService.buildDatasetVersionId (l.278-281), called by
    `buildJobInput` (l.235; every event with an eventType and inputs, over all input versions of
    the run) and `buildJobOutput` (l.204; COMPLETE, over all output versions of the run): a bad
    dataset namespace is an IllegalArgumentException -> 400. Dataset and job names must not be blank.
  - Inputs are upserted before outputs (OpenLineageDao l.375 then l.391). An input maps the
    dataset's current version (l.950; or a new one when there is none) to the run
    (`runs_input_mapping`) and maps the fields of this event's schema facet to that version (`updateFieldMapping`). An output always
    gets a new version with this event's schema fields; COMPLETE makes the run's output versions
    current (`buildJobOutput` -> `updateVersion`).
  - Column lineage (`upsertColumnLineage`, l.1006-1090, outputs only): for each output column in
    the columnLineage facet, the column must be a field of this event's schema facet of that output
    ("Cannot produce column lineage for missing output field", l.1047), and each input field is kept
    only when it is a field mapped to an input dataset version of the same run (l.1025,
    DatasetFieldDao.findInputFieldsDataAssociatedWithRun, l.236-252); the others are dropped silently, and the response is still 201. Dataset-level column lineage
    (`columnLineage.dataset`) and per-field transformations are not stored at all.

The emulator records every response, every dropped column-lineage edge and what Marquez would then
show (jobs, datasets with their fields, column lineage), for the tests to assert on.
"""
from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAMESPACE_PATTERN = re.compile(r"^[a-zA-Z:;=/0-9_\-\.@+]{1,1024}$")  # common/models/NamespaceName.java
JOB_NAMESPACE_FORMAT = re.compile(r"[^a-z:/A-Z0-9\-_.@+]")  # OpenLineageDao.formatNamespaceName
# FlexibleDateTimeDeserializer: ISO_LOCAL_DATE_TIME, then an optional offset id (Z, +01:00, +0100 ...)
LOCAL_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)(Z|[+-]\d{2}(:?\d{2}(:?\d{2})?)?)?$",
                             re.IGNORECASE)


class BindError(Exception):
    """Jackson could not bind the body: HTTP 400."""


class Violation(Exception):
    """Bean validation failed: HTTP 422."""


# -- binding: the Java classes of LineageEvent.java as (field -> (kind, required, nested)) ----------
S, URI_, TIME, ANY = "string", "uri", "time", "any"

BASE_FACET = {"_producer": (URI_, True, None), "_schemaURL": (URI_, True, None)}
RUN_LINK = {"runId": (S, True, None)}
JOB_LINK = {"namespace": (S, True, None), "name": (S, True, None)}
RUN_FACETS = {
    "nominalTime": ("object", False, {**BASE_FACET, "nominalStartTime": (TIME, True, None),
                                      "nominalEndTime": (TIME, False, None)}),
    "parent": ("object", False, {**BASE_FACET, "run": ("object", True, RUN_LINK),
                                 "job": ("object", True, JOB_LINK)}),
}
JOB_FACETS = {
    "documentation": ("object", False, {**BASE_FACET, "description": (S, True, None)}),
    "sourceCodeLocation": ("object", False, {**BASE_FACET, "type": (S, False, None), "url": (S, False, None)}),
    "sql": ("object", False, {**BASE_FACET, "query": (S, True, None)}),
    "jobType": ("object", False, {**BASE_FACET, "processingType": (S, True, None), "integration": (S, True, None),
                                  "jobType": (S, True, None)}),
}
SCHEMA_FIELD = {"name": (S, True, None), "type": (S, False, None), "description": (S, False, None)}
INPUT_FIELD = {"namespace": (S, True, None), "name": (S, True, None), "field": (S, True, None)}
OUTPUT_COLUMN = {"inputFields": ("list", True, ("object", INPUT_FIELD)),
                 "transformationDescription": (S, False, None), "transformationType": (S, False, None)}
DATASET_FACETS = {
    "documentation": ("object", False, {**BASE_FACET, "description": (S, True, None)}),
    "schema": ("object", False, {**BASE_FACET, "fields": ("list", False, ("object", SCHEMA_FIELD))}),
    "lifecycleStateChange": ("object", False, {**BASE_FACET, "lifecycleStateChange": (S, False, None)}),
    "dataSource": ("object", False, {**BASE_FACET, "name": (S, False, None), "uri": (S, False, None)}),
    "columnLineage": ("object", False, {**BASE_FACET, "fields": ("map", False, ("object", OUTPUT_COLUMN))}),
    "symlinks": ("object", False, {**BASE_FACET, "identifiers": ("list", False, ("object", {
        "namespace": (S, True, None), "name": (S, True, None), "type": (S, False, None)}))}),
    "description": (S, False, None),
}
DATASET = {"namespace": (S, True, None), "name": (S, True, None), "facets": ("object", False, DATASET_FACETS),
           "inputFacets": ("object", False, {}), "outputFacets": ("object", False, {})}
LINEAGE_EVENT = {
    "eventType": (S, False, None),
    "eventTime": (TIME, True, None),
    "run": ("object", True, {"runId": (S, True, None), "facets": ("object", False, RUN_FACETS)}),
    "job": ("object", True, {"namespace": (S, True, None), "name": (S, True, None),
                             "facets": ("object", False, JOB_FACETS)}),
    "inputs": ("list", False, ("object", DATASET)),
    "outputs": ("list", False, ("object", DATASET)),
    "producer": (S, True, None),
    "schemaURL": (URI_, False, None),
}


def _uri_ok(value: str) -> bool:
    """java.net.URI(String) accepts RFC 2396 references: no spaces, control or a few other characters."""
    return not re.search(r"[\s\"<>\\^`{|}]", value) and not value.startswith(":")


def _bind_scalar(kind: str, value, where: str):
    if isinstance(value, (dict, list)):
        raise BindError(f"{where}: cannot deserialize a {type(value).__name__} into a {kind}")
    if kind == S:
        return value if isinstance(value, str) else json.dumps(value)  # Jackson coerces scalars to String
    if not isinstance(value, str):
        raise BindError(f"{where}: expected a string for a {kind}")
    if kind == URI_ and not _uri_ok(value):
        raise BindError(f"{where}: not a java.net.URI: {value!r}")
    if kind == TIME and not LOCAL_DATE_TIME.match(value):
        raise BindError(f"{where}: cannot parse date-time {value!r}")
    return value


def bind(spec: dict, data, where: str, violations: list[str]) -> None:
    """Check `data` against one Java class: Jackson binding errors raise, @NotNull failures are collected."""
    if not isinstance(data, dict):
        raise BindError(f"{where}: expected an object")
    for name, (kind, required, nested) in spec.items():
        value = data.get(name)
        path = f"{where}.{name}" if where else name
        if value is None:
            if required:
                violations.append(f"{path} must not be null")
            continue
        if kind == "object":
            bind(nested, value, path, violations)
        elif kind in ("list", "map"):
            if kind == "list" and not isinstance(value, list):
                raise BindError(f"{path}: expected an array")
            if kind == "map" and not isinstance(value, dict):
                raise BindError(f"{path}: expected an object")
            items = enumerate(value) if kind == "list" else value.items()
            for key, item in items:
                item_path = f"{path}[{key}]"
                if item is None:
                    continue  # null elements bind as null; @Valid skips them
                if nested[0] == "object":
                    bind(nested[1], item, item_path, violations)
                else:
                    _bind_scalar(nested[0], item, item_path)
        elif kind != ANY:
            _bind_scalar(kind, value, path)


def event_class(event: dict) -> str:
    """EventTypeResolver.typeFromId: the suffix of schemaURL after the last '/'."""
    url = event.get("schemaURL")
    if not isinstance(url, str) or "/" not in url:
        return "RunEvent"
    suffix = url[url.rfind("/"):]
    return {"/DatasetEvent": "DatasetEvent", "/JobEvent": "JobEvent"}.get(suffix, "RunEvent")


def run_uuid(run_id: str) -> str:
    """OpenLineageService.runUuidFromEvent: the UUID, or a name-based UUID of the string."""
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        return str(uuid.uuid3(uuid.NAMESPACE_URL, run_id))  # nameUUIDFromBytes is MD5-based as well


class MarquezModel:
    """The part of Marquez's database that decides what is stored (and what is dropped)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.responses: list[tuple[int, str]] = []
        self.events: list[dict] = []
        self.current_version: dict[tuple, str | None] = {}
        self.version_dataset: dict[str, tuple] = {}
        self.version_fields: dict[str, set[str]] = {}
        self.run_inputs: dict[str, list[str]] = {}
        self.run_outputs: dict[str, list[str]] = {}
        self.jobs: dict[tuple, set[str]] = {}
        self.column_lineage: set[tuple] = set()  # (output ns, output name, field, input ns, input name, input field)
        self.dropped: list[str] = []

    # -- the request --------------------------------------------------------------------------

    def post(self, content_type: str | None, body: bytes) -> tuple[int, str]:
        with self.lock:
            status, message = self._post(content_type, body)
            self.responses.append((status, message))
            return status, message

    def _post(self, content_type: str | None, body: bytes) -> tuple[int, str]:
        if not content_type or content_type.split(";")[0].strip().lower() != "application/json":
            return 415, "Unsupported Media Type"
        try:
            event = json.loads(body)
        except ValueError as exc:
            return 400, f"Unable to process JSON: {exc}"
        if event is None:
            return 422, "The request body may not be null"
        violations: list[str] = []
        try:
            if not isinstance(event, dict):
                raise BindError("expected a JSON object")
            kind = event_class(event)
            if kind != "RunEvent":
                return 201, f"{kind} stored"  # DatasetEvent / JobEvent: not sent by us
            bind(LINEAGE_EVENT, event, "", violations)
        except BindError as exc:
            return 400, f"Unable to process JSON: {exc}"
        if violations:
            return 422, "; ".join(violations)
        self.events.append(event)
        try:
            self._update(event)
        except ValueError as exc:  # IllegalArgumentException
            return 400, str(exc)
        return 201, "Created"

    # -- OpenLineageDao.updateMarquezModel ------------------------------------------------------

    def _update(self, event: dict) -> None:
        run = run_uuid(event["run"]["runId"])
        job_namespace = JOB_NAMESPACE_FORMAT.sub("_", event["job"]["namespace"])
        job = (job_namespace, event["job"]["name"])
        self.jobs.setdefault(job, set()).add(run)
        event_type = event.get("eventType")
        inputs = event.get("inputs") or []
        outputs = event.get("outputs") or []
        for ds in inputs:
            self._upsert_dataset(ds, run, is_input=True)
        for ds in outputs:
            self._upsert_dataset(ds, run, is_input=False)
        if event_type is None:
            return
        if event_type.upper() == "COMPLETE":  # buildJobVersionId + buildJobOutput
            _not_blank(job[1], "job name")
            latest: dict[tuple, str] = {}
            for version in self.run_outputs.get(run, []):
                latest[self.version_dataset[version]] = version
            for dataset, version in latest.items():
                _namespace_name(dataset[0])
                _not_blank(dataset[1], "dataset name")
                self.current_version[dataset] = version
        if inputs:  # buildJobInput
            for version in self.run_inputs.get(run, []):
                dataset = self.version_dataset[version]
                _namespace_name(dataset[0])
                _not_blank(dataset[1], "dataset name")

    def _upsert_dataset(self, ds: dict, run: str, is_input: bool) -> None:
        key = (ds["namespace"], ds["name"])
        facets = ds.get("facets") or {}
        schema = facets.get("schema") or {}
        fields = [f["name"] for f in schema.get("fields") or [] if f]
        current = self.current_version.get(key)
        if is_input and current is not None:
            version = current
        else:
            version = str(uuid.uuid4())
            self.version_dataset[version] = key
            self.version_fields[version] = set()
            if is_input:
                self.current_version[key] = version
            else:
                self.current_version.setdefault(key, None)
                self.run_outputs.setdefault(run, []).append(version)
        self.version_fields[version].update(fields)
        if is_input:
            self.run_inputs.setdefault(run, [])
            if version not in self.run_inputs[run]:
                self.run_inputs[run].append(version)
        else:
            self._column_lineage(ds, run, set(fields))

    def _column_lineage(self, ds: dict, run: str, output_fields: set[str]) -> None:
        """OpenLineageDao.upsertColumnLineage: keep only what Marquez can tie to the run's input fields."""
        lineage = ((ds.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}
        run_fields = {(*self.version_dataset[v], f) for v in self.run_inputs.get(run, []) for f in self.version_fields[v]}
        for column, spec in lineage.items():
            if not isinstance(spec, dict):
                continue
            inputs = [(i["namespace"], i["name"], i["field"]) for i in spec.get("inputFields") or [] if i]
            if column not in output_fields:
                self.dropped.extend(f"{ds['name']}.{column} <- {n}.{f} (output field not in the schema facet)"
                                    for _, n, f in inputs)
                continue
            for namespace, name, field in inputs:
                if (namespace, name, field) in run_fields:
                    self.column_lineage.add((ds["namespace"], ds["name"], column, namespace, name, field))
                else:
                    self.dropped.append(f"{ds['name']}.{column} <- {name}.{field} (not a field of an input of the run)")

    # -- what the UI would show ------------------------------------------------------------------

    def datasets(self) -> dict[tuple, set[str]]:
        shown: dict[tuple, set[str]] = {}
        for version, dataset in self.version_dataset.items():
            shown.setdefault(dataset, set()).update(self.version_fields[version])
        return shown


def _namespace_name(value: str) -> None:
    if not NAMESPACE_PATTERN.match(value):
        raise ValueError(f"namespace '{value}' must contain only letters (a-z, A-Z), numbers (0-9), underscores (_), "
                         "at (@), plus (+), dashes (-), colons (:), equals (=), semicolons (;), slashes (/) or dots (.) "
                         "with a maximum length of 1024 characters.")


def _not_blank(value: str, what: str) -> None:
    if not value.strip():
        raise ValueError(f"{what} must not be blank")


class MarquezReceiver:
    """`POST /api/v1/lineage` on 127.0.0.1 (a free port), backed by a MarquezModel."""

    def __init__(self) -> None:
        self.model = MarquezModel()
        model = self.model

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.split("?")[0].rstrip("/") != "/api/v1/lineage":
                    status, message = 404, "HTTP 404 Not Found"
                else:
                    status, message = model.post(self.headers.get("Content-Type"), body)
                payload = b"" if status == 201 else json.dumps({"code": status, "message": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "MarquezReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

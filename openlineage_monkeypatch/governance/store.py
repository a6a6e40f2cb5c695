"""The event store: OpenLineage NDJSON parsed and aggregated in DuckDB.

Two passes over the events, never a Python list of them:

1. Every line is parsed by DuckDB's JSON reader straight into the structure below (a lighter scan
   first counts lines, malformed lines and unknown facet keys); what is kept per event is narrow:
   identity, time, the run facets the survey needs (small), and per dataset its namespace, name and
   a hash of its facets. Events are then checked, de-duplicated (runId + eventType + eventTime) and
   windowed.
2. A run mentions a dataset in several events (a RUNNING per output, then COMPLETE with everything);
   the last mention is the most complete (access counts and schemas are cumulative, the lineage is
   the final one). Runs of the same job almost always produce identical facets, so the distinct
   (job, role, dataset, facets-hash) "variants" are few. Only the events holding one representative
   per variant are parsed again in full; their columns, lineage edges, operations and privileges
   are weighted by the number of runs behind each variant.

DuckDB runs with a memory limit and a private temporary folder, so it spills to disk instead of
growing without bound. Besides files, the SQL needs nothing but a relation with one VARCHAR column
`line` holding an event: `Store.load_relation()` takes any, e.g. Marquez's `lineage_events.event`
through DuckDB's postgres extension (see the README section "Governance: survey and policy").
A file with an event larger than 64 MB is reported unreadable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Sequence

from . import datasetlineage

OUR_PRODUCER_PREFIX = "https://github.com/openlineage-monkeypatch/openlineage-monkeypatch"

# Facet keys of the OpenLineage spec (spec/facets/*.json) plus ours: anything else is counted as unknown.
KNOWN_FACETS = frozenset({
    "subset", "catalog", "columnLineage", "dataQualityAssertions", "dataQualityMetrics", "datasetType", "version",
    "dataSource", "documentation", "environmentVariables", "errorMessage", "executionParameters", "externalQuery",
    "extractionError", "hierarchy", "inputStatistics", "jobDependencies", "jobType", "lifecycleStateChange",
    "lineage", "nominalTime", "outputStatistics", "ownership", "parent", "processing_engine", "sql", "schema",
    "sourceCode", "sourceCodeLocation", "storage", "symlinks", "tags", "test",
    "monkeypatch_access", "monkeypatch_columnOperations", "monkeypatch_failedAccess", "monkeypatch_instrumentation",
    "monkeypatch_metadataAccess",
})

_TRANSFORMATION = {"type": "VARCHAR", "subtype": "VARCHAR", "masking": "BOOLEAN"}
_INPUT_FIELD = {"namespace": "VARCHAR", "name": "VARCHAR", "field": "VARCHAR", "transformations": [_TRANSFORMATION]}
_STEP = {"operation": "VARCHAR", "location": "VARCHAR", "detail": "VARCHAR"}


def _sql_type(spec) -> str:
    """A DuckDB type from a from_json structure (strings are DuckDB types already)."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return _sql_type(spec[0]) + "[]"
    return "STRUCT(" + ", ".join(f'"{k}" {_sql_type(v)}' for k, v in spec.items()) + ")"


DATASET_FACETS = {
    "schema": {"fields": [{"name": "VARCHAR", "type": "VARCHAR"}]},
    "columnLineage": {
        "fields": "MAP(VARCHAR, " + _sql_type({"inputFields": [_INPUT_FIELD], "transformationType": "VARCHAR"}) + ")",
        "dataset": [_INPUT_FIELD],
    },
    "monkeypatch_columnOperations": {
        "fields": "MAP(VARCHAR, " + _sql_type({"operations": [_STEP], "approximate": "BOOLEAN"}) + ")",
        "rows": [_STEP],
    },
    "monkeypatch_access": {"system": "VARCHAR", "actions": [{"action": "VARCHAR", "count": "BIGINT", "failed": "BIGINT",
                                                             "objectType": "VARCHAR", "object": "VARCHAR",
                                                             "api": "VARCHAR"}]},
    "tags": {"tags": [{"key": "VARCHAR", "value": "VARCHAR", "source": "VARCHAR", "field": "VARCHAR"}]},
}
_DATASET = {"namespace": "VARCHAR", "name": "VARCHAR", "facets": DATASET_FACETS}
_HEAD = {"eventType": "VARCHAR", "eventTime": "VARCHAR", "producer": "VARCHAR",
         "job": {"namespace": "VARCHAR", "name": "VARCHAR"}}
STRUCTURE = {
    **_HEAD,
    "run": {"runId": "VARCHAR", "facets": {
        "extractionError": {"errors": [{"errorMessage": "VARCHAR", "task": "VARCHAR"}]},
        "monkeypatch_metadataAccess": {"accesses": [{"namespace": "VARCHAR", "name": "VARCHAR", "action": "VARCHAR",
                                                     "count": "BIGINT", "system": "VARCHAR", "objectType": "VARCHAR",
                                                     "object": "VARCHAR", "api": "VARCHAR", "output": "BOOLEAN"}]},
        "monkeypatch_failedAccess": {"accesses": [{"namespace": "VARCHAR", "name": "VARCHAR", "action": "VARCHAR",
                                                   "error": "VARCHAR", "count": "BIGINT"}]},
        "monkeypatch_instrumentation": {"opaqueOperations": ["VARCHAR"], "approximateColumns": "BIGINT",
                                        "internalErrors": "MAP(VARCHAR, BIGINT)"},
        "errorMessage": {"message": "VARCHAR"},
    }},
    "inputs": [_DATASET],
    "outputs": [_DATASET],
}
# pass 1 keeps the facets that make a variant as JSON text (hashed, never converted: that is what
# costs) and the access entries typed (counted per run)
# Pass 1 reads every facets object as a map of facet key -> JSON text: the keys tell the unknown
# facets, the facets that make a variant are hashed as text (never converted: that is what costs),
# and only the small ones the survey needs per run are parsed (access entries, run facets).
_SHAPE_FACETS = ("schema", "columnLineage", "monkeypatch_columnOperations", "tags")
_FACET_MAP = "MAP(VARCHAR, JSON)"
_PASS1_DATASET = {"namespace": "VARCHAR", "name": "VARCHAR", "facets": _FACET_MAP}
PASS1_STRUCTURE = {**_HEAD, "job": {"namespace": "VARCHAR", "name": "VARCHAR", "facets": _FACET_MAP},
                   "run": {"runId": "VARCHAR", "facets": _FACET_MAP},
                   "inputs": [_PASS1_DATASET], "outputs": [_PASS1_DATASET]}
RUN_FACETS = STRUCTURE["run"]["facets"]
# pass 2 needs only the identity and the datasets
FULL_STRUCTURE = {**_HEAD, "run": {"runId": "VARCHAR"}, "inputs": [_DATASET], "outputs": [_DATASET]}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _time_literal(value: datetime | None) -> str:
    if value is None:
        return "NULL::TIMESTAMPTZ"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return f"TIMESTAMPTZ {_quote(value.isoformat())}"


SMALL_FILE_BATCH = 64          # up to this many files are read as they are
SMALL_FILE_BYTES = 16 << 20    # smaller files are copied into chunks
CHUNK_BYTES = 256 << 20


_SENDFILE = sys.platform.startswith("linux") and hasattr(os, "sendfile")


def _append(out_fd: int, path: str) -> int:
    """Copy one event file to the end of a chunk (a newline added when it lacks one); its size."""
    if path.endswith(".gz"):
        import gzip

        with gzip.open(path, "rb") as handle:
            data = handle.read()
        if data:
            os.write(out_fd, data if data.endswith(b"\n") else data + b"\n")
        return len(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if not size:
            return 0
        if _SENDFILE:  # in the kernel, no copy through Python
            sent = 0
            while sent < size:
                n = os.sendfile(out_fd, fd, sent, size - sent)
                if not n:
                    break
                sent += n
            last = os.pread(fd, 1, size - 1)
        else:
            data = os.read(fd, size)
            os.write(out_fd, data)
            last = data[-1:]
        if last != b"\n":
            os.write(out_fd, b"\n")
        return size
    finally:
        os.close(fd)


def _chunks(paths: Sequence[str], folder: str, unreadable: list):
    """Yield chunk files of about CHUNK_BYTES holding the lines of `paths` (.gz decompressed).

    A background thread fills the next chunk while the caller parses the current one.
    """
    import queue
    import threading

    ready: queue.Queue = queue.Queue(maxsize=1)

    def fill() -> None:
        index = 0
        out = None
        name = ""
        size = 0
        try:
            for path in paths:
                if out is None:
                    name = os.path.join(folder, f"chunk-{index:05d}.ndjson")
                    out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    size = 0
                try:
                    size += _append(out, path)
                except Exception as exc:  # noqa: BLE001 - one unreadable file is reported, not fatal
                    unreadable.append({"path": path, "error": f"{type(exc).__name__}: {exc}"[:300]})
                    continue
                if size >= CHUNK_BYTES:
                    os.close(out)
                    ready.put(name)
                    out = None
                    index += 1
            if out is not None:
                os.close(out)
                ready.put(name)
        finally:
            ready.put(None)

    worker = threading.Thread(target=fill, name="olmp-survey-chunks", daemon=True)
    worker.start()
    while True:
        name = ready.get()
        if name is None:
            break
        yield name
    worker.join()


JSON_OPTIONS = "format='newline_delimited', ignore_errors=true, maximum_object_size=16777216"
LARGE_JSON_OPTIONS = JSON_OPTIONS.replace("16777216", "67108864")  # retried per file when an event is larger


def lines_relation(paths: Sequence[str], options: str = JSON_OPTIONS) -> str:
    """The non-blank lines of NDJSON files (plain or .gz) as one VARCHAR column `line`, NULL when malformed."""
    files = "[" + ", ".join(_quote(p) for p in paths) + "]"
    return f"(SELECT json::VARCHAR AS line FROM read_json_objects({files}, {options}))"


@dataclass
class LoadSummary:
    files: int = 0
    unreadable_files: list = field(default_factory=list)
    lines: int = 0
    malformed: int = 0
    invalid: int = 0
    other_producer: int = 0
    duplicates: int = 0
    outside_window: int = 0
    events: int = 0
    unknown_facets: dict = field(default_factory=dict)
    other_producers: dict = field(default_factory=dict)
    sources: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sources": self.sources, "files": self.files, "unreadableFiles": self.unreadable_files,
            "lines": self.lines, "events": self.events,
            "skipped": {"malformed": self.malformed, "invalid": self.invalid, "otherProducer": self.other_producer,
                        "duplicate": self.duplicates, "outsideWindow": self.outside_window},
            "unknownFacets": self.unknown_facets, "otherProducers": self.other_producers, "notes": self.notes,
        }

    def skipped(self) -> int:
        return self.malformed + self.invalid + self.other_producer + self.duplicates


class Store:
    """Aggregates of one set of events. Use as a context manager (closes DuckDB, removes temp files)."""

    def __init__(self, memory_limit: str = "1GB", threads: int | None = None, temp_dir: str | None = None) -> None:
        import duckdb

        self._tmp = tempfile.mkdtemp(prefix="olmp-survey-", dir=temp_dir)
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit={_quote(memory_limit)}")
        self.con.execute(f"SET temp_directory={_quote(self._tmp)}")
        self.con.execute("SET preserve_insertion_order=false")
        self.con.execute("SET enable_progress_bar=false")  # it would write into the report on stdout
        try:
            self.con.execute("SET TimeZone='UTC'")
        except Exception:  # noqa: BLE001 - without ICU, timestamps still compare right
            pass
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        self.summary = LoadSummary()
        self.since: datetime | None = None
        self.until: datetime | None = None
        self.timings: dict[str, float] = {}
        self.cpu_timings: dict[str, float] = {}
        self._relations: list[tuple[str, object]] = []
        self._raw_created = False
        self._loaded = False

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _exec(self, sql: str, *args):
        """con.execute that records the wall and CPU seconds of each step (`survey --timings`, benchmarks)."""
        began, cpu = time.perf_counter(), time.process_time()
        try:
            return self.con.execute(sql, *args)
        finally:
            match = re.search(r"(CREATE|INSERT INTO) (?:OR REPLACE )?(?:TEMP )?(?:TABLE |VIEW )?(\w+)", sql)
            key = match.group(2) if match else sql.split()[0].lower()
            self.timings[key] = round(self.timings.get(key, 0.0) + time.perf_counter() - began, 3)
            self.cpu_timings[key] = round(self.cpu_timings.get(key, 0.0) + time.process_time() - cpu, 3)

    # -- pass 1 ---------------------------------------------------------------------------------

    _KNOWN_SQL = "[" + ", ".join(_quote(k) for k in sorted(KNOWN_FACETS)) + "]"
    _ACCESS_SQL = _quote(json.dumps(DATASET_FACETS["monkeypatch_access"]))
    _DATASET_SQL = ("{'ns': d.namespace, 'name': d.name, 'h': hash("
                    + ", ".join(f"d.facets[{_quote(k)}]" for k in _SHAPE_FACETS)
                    + f"), 'access': from_json(d.facets['monkeypatch_access'], {_ACCESS_SQL})}}")

    @classmethod
    def _narrow(cls, e: str, source: int, file_sql: str) -> str:
        """The columns kept per event (pass 1), from a parsed event struct expression `e`."""
        run_facets = "struct_pack(" + ", ".join(
            f'"{k}" := from_json({e}.run.facets[{_quote(k)}], {_quote(json.dumps(v))})'
            for k, v in RUN_FACETS.items()) + ")"
        unknown = (f"list_filter(list_distinct(flatten([map_keys({e}.run.facets), map_keys({e}.job.facets), "
                   f"flatten(list_transform({e}.inputs, lambda d: map_keys(d.facets))), "
                   f"flatten(list_transform({e}.outputs, lambda d: map_keys(d.facets)))])), "
                   f"lambda k: NOT list_contains({cls._KNOWN_SQL}, k))")
        return f"""
            {source} AS source, {file_sql} AS file,
            ({e}.eventType IS NOT NULL OR {e}.eventTime IS NOT NULL OR {e}.producer IS NOT NULL
             OR {e}.run IS NOT NULL OR {e}.job IS NOT NULL OR {e}.inputs IS NOT NULL OR {e}.outputs IS NOT NULL)
              AS is_event,
            {e}.run.runId AS run_id, upper({e}.eventType) AS event_type,
            {e}.eventTime AS raw_time, TRY_CAST({e}.eventTime AS TIMESTAMPTZ) AS t,
            {e}.job.namespace AS job_ns, {e}.job.name AS job_name, {e}.producer AS producer,
            {run_facets} AS run_facets,
            list_transform({e}.inputs, lambda d: {cls._DATASET_SQL}) AS inputs,
            list_transform({e}.outputs, lambda d: {cls._DATASET_SQL}) AS outputs,
            {unknown} AS unknown
        """

    def _insert_raw(self, select: str) -> None:
        if self._raw_created:
            self._exec(f"INSERT INTO raw {select}")
        else:
            self._exec(f"CREATE TABLE raw AS {select}")
            self._raw_created = True

    def _parse_files(self, paths: Sequence[str], options: str = JSON_OPTIONS) -> None:
        """Pass 1 over files: DuckDB's JSON reader parses each line straight into the structure.

        It yields one row per non-blank line, all NULL for a line that is not JSON or not an object
        with any OpenLineage event field: those are the malformed lines.
        """
        files = "[" + ", ".join(_quote(p) for p in paths) + "]"
        columns = "{" + ", ".join(f"{_quote(k)}: {_quote(_sql_type(v))}" for k, v in PASS1_STRUCTURE.items()) + "}"
        source = len(self._relations)
        self._insert_raw(f"""
            SELECT {self._narrow('r', source, 'filename')}
            FROM (SELECT struct_pack(eventType, eventTime, producer, job, run, inputs, outputs) AS r, filename
                  FROM read_json({files}, {options}, columns={columns}, filename=true))
        """)
        self._relations.append(("files", list(paths)))

    def _parse_lines(self, relation: str) -> None:
        """Pass 1 over any relation with a VARCHAR column `line` (one event per row)."""
        structure = _quote(json.dumps(PASS1_STRUCTURE))
        source = len(self._relations)
        # Invalid lines become NULL before any other JSON function sees them (CASE would not protect a
        # vectorized function from the other rows of its batch). from_json turns values of unexpected
        # types into NULL rather than failing.
        self._insert_raw(f"""
            WITH l AS (
              SELECT CASE WHEN json_valid(line) THEN line END AS line FROM {relation}
              WHERE line IS NOT NULL AND NOT (strlen(line) < 16 AND trim(line) = '')
            )
            SELECT {self._narrow('e', source, 'NULL::VARCHAR')} FROM (SELECT from_json(line, {structure}) AS e FROM l)
        """)
        self._relations.append(("sql", relation))

    def load_files(self, paths: Sequence[str]) -> None:
        """Parse NDJSON files (.gz too). A file that cannot be read is skipped and reported.

        Many small files (the embedded transport writes one per run) are copied into a few large
        chunk files first, by a thread that works while DuckDB parses the previous chunk: DuckDB
        pays a fixed cost per file that would dominate with hundreds of thousands of them.
        """
        paths = [p for p in paths if p]
        if not paths:
            return
        self.summary.files += len(paths)
        if len(paths) <= SMALL_FILE_BATCH:
            self._load_direct(paths)
            return
        big, small = [], []
        for path in paths:
            try:
                (big if os.path.getsize(path) >= SMALL_FILE_BYTES else small).append(path)
            except OSError as exc:
                self.summary.unreadable_files.append({"path": path, "error": f"{type(exc).__name__}: {exc}"[:300]})
        if big:
            self._load_direct(big)
        for chunk in _chunks(small, self._tmp, self.summary.unreadable_files):
            self._load_direct([chunk])

    def _load_direct(self, paths: Sequence[str]) -> None:
        import duckdb

        file_errors = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)
        try:
            self._parse_files(paths)
            return
        except file_errors:  # find the bad file(s) one by one
            pass
        for path in paths:
            try:
                try:
                    self._parse_files([path])
                except duckdb.InvalidInputException as exc:
                    if "maximum_object_size" not in str(exc):
                        raise
                    self._parse_files([path], LARGE_JSON_OPTIONS)
            except file_errors as exc:
                self.summary.unreadable_files.append({"path": path, "error": f"{type(exc).__name__}: {exc}"[:300]})

    def load_relation(self, relation_sql: str) -> None:
        """Parse any relation with a VARCHAR column `line` (one OpenLineage event per row)."""
        self._parse_lines(f"({relation_sql})")

    # -- checks, window, aggregation --------------------------------------------------------------

    def finish_loading(self, since: datetime | None = None, until: datetime | None = None,
                       all_producers: bool = False) -> LoadSummary:
        """Check, de-duplicate and window the parsed events, then build the aggregates."""
        if self._loaded:
            raise RuntimeError("finish_loading() was already called")
        self._loaded = True
        self.since, self.until = since, until
        if not self._raw_created:
            self._parse_lines("(SELECT NULL::VARCHAR AS line WHERE false)")
        s = self.summary
        s.lines, s.malformed = self.con.execute("SELECT count(*), count(*) FILTER (NOT is_event) FROM raw").fetchone()
        since_sql, until_sql = _time_literal(since), _time_literal(until)
        producer_ok = "true" if all_producers else f"starts_with(coalesce(producer, ''), {_quote(OUR_PRODUCER_PREFIX)})"
        self._exec(f"""
            CREATE TABLE ev AS
            WITH checked AS (
              SELECT rowid AS rid, CASE
                  WHEN run_id IS NULL OR job_ns IS NULL OR job_name IS NULL OR t IS NULL
                       OR event_type IS NULL OR event_type NOT IN ('START', 'RUNNING', 'COMPLETE', 'FAIL', 'ABORT', 'OTHER')
                       THEN 'invalid'
                  WHEN NOT {producer_ok} THEN 'other_producer'
                  ELSE 'ok' END AS status, run_id, event_type, raw_time, t
              FROM raw WHERE is_event
            )
            SELECT rid, CASE
                     WHEN status <> 'ok' THEN status
                     WHEN row_number() OVER (PARTITION BY run_id, event_type, raw_time ORDER BY rid) > 1
                          THEN 'duplicate'
                     WHEN ({since_sql} IS NOT NULL AND t < {since_sql})
                          OR ({until_sql} IS NOT NULL AND t >= {until_sql}) THEN 'outside_window'
                     ELSE 'ok' END AS status
            FROM checked
        """)
        counts = dict(self.con.execute("SELECT status, count(*) FROM ev GROUP BY status").fetchall())
        s.invalid = counts.get("invalid", 0)
        s.other_producer = counts.get("other_producer", 0)
        s.duplicates = counts.get("duplicate", 0)
        s.outside_window = counts.get("outside_window", 0)
        s.events = counts.get("ok", 0)
        s.other_producers = dict(self.con.execute(
            "SELECT coalesce(r.producer, '(none)'), count(*) FROM raw r JOIN ev ON ev.rid = r.rowid "
            "WHERE ev.status = 'other_producer' GROUP BY ALL ORDER BY 2 DESC LIMIT 20").fetchall())
        self._exec("""
            CREATE TEMP TABLE ok AS
            SELECT r.* EXCLUDE (is_event, unknown), r.rowid AS rid FROM raw r JOIN ev ON ev.rid = r.rowid
            WHERE ev.status = 'ok'
        """)
        s.unknown_facets = dict(self.con.execute(
            "SELECT k, count(*) FROM (SELECT unnest(r.unknown) AS k FROM raw r JOIN ev ON ev.rid = r.rowid "
            "WHERE ev.status = 'ok' AND len(r.unknown) > 0) GROUP BY k ORDER BY 2 DESC, 1 LIMIT 50").fetchall())
        self._exec("DROP TABLE raw")
        self._exec("DROP TABLE ev")
        self._aggregate()
        return s

    def _aggregate(self) -> None:
        ex = self._exec
        ex("""
            CREATE TABLE runs AS
            SELECT run_id, any_value(job_ns) AS job_ns, any_value(job_name) AS job_name, min(t) AS first_seen,
                   max(t) AS last_seen, count(*) AS events,
                   bool_or(event_type = 'START') AS has_start,
                   arg_max(event_type, t) FILTER (event_type IN ('COMPLETE', 'FAIL', 'ABORT')) AS final_state
            FROM ok GROUP BY run_id
        """)
        # the last mention of each dataset in each run (and where to find it: event, role, position)
        ex("""
            CREATE TEMP TABLE run_ds AS
            WITH m AS (
              SELECT run_id, job_ns, job_name, t, rid, 'input' AS role,
                     generate_subscripts(inputs, 1) AS idx, unnest(inputs) AS d FROM ok
              UNION ALL
              SELECT run_id, job_ns, job_name, t, rid, 'output' AS role,
                     generate_subscripts(outputs, 1) AS idx, unnest(outputs) AS d FROM ok
            )
            SELECT run_id, any_value(job_ns) AS job_ns, any_value(job_name) AS job_name, role,
                   d.ns AS ns, d.name AS name, min(t) AS first_seen, max(t) AS last_seen,
                   arg_max(d.h, (t, rid)) AS h, arg_max(rid, (t, rid)) AS rid, arg_max(idx, (t, rid)) AS idx,
                   arg_max(d.access.system, (t, rid)) AS system, arg_max(d.access.actions, (t, rid)) AS actions
            FROM m WHERE d.ns IS NOT NULL AND d.name IS NOT NULL
            GROUP BY run_id, role, d.ns, d.name
        """)
        # privileges used: on datasets read or written (monkeypatch_access, the last mention per run carries
        # the run's totals) and on datasets only looked at (monkeypatch_metadataAccess, a run facet of the
        # run's final event, which carries the totals)
        ex("""
            CREATE TABLE access AS
            WITH meta AS (
              SELECT run_id, job_ns, job_name, t, rid,
                     unnest(run_facets.monkeypatch_metadataAccess.accesses) AS x
              FROM ok WHERE run_facets.monkeypatch_metadataAccess IS NOT NULL
            ), meta_last AS (
              SELECT run_id, arg_max(rid, (t, rid)) AS rid FROM meta GROUP BY run_id
            ), a AS (
              SELECT run_id, job_ns, job_name, role, ns, name, first_seen, last_seen, system, unnest(actions) AS act
              FROM run_ds WHERE len(actions) > 0
              UNION ALL
              SELECT m.run_id, m.job_ns, m.job_name, CASE WHEN m.x.output THEN 'output' ELSE 'input' END AS role,
                     m.x.namespace AS ns, m.x.name AS name, m.t AS first_seen, m.t AS last_seen,
                     m.x.system AS system,
                     struct_pack(action := m.x.action, count := m.x.count, failed := NULL::BIGINT,
                                 objectType := m.x.objectType, object := m.x.object, api := m.x.api) AS act
              FROM meta m JOIN meta_last l ON l.run_id = m.run_id AND l.rid = m.rid
              WHERE m.x.namespace IS NOT NULL AND m.x.name IS NOT NULL
            )
            SELECT job_ns, job_name, role, ns, name, any_value(system) AS system, act.action AS action,
                   coalesce(act.objectType, '') AS object_type, coalesce(act.object, '') AS object,
                   coalesce(act.api, '') AS api, count(DISTINCT run_id) AS runs,
                   sum(coalesce(act.count, 1)) AS count, sum(coalesce(act.failed, 0)) AS failed,
                   min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                   arg_min(run_id, first_seen) AS first_run, arg_max(run_id, last_seen) AS last_run,
                   arg_max(run_id, last_seen, 5) AS recent_runs
            FROM a WHERE act.action IS NOT NULL
            GROUP BY job_ns, job_name, role, ns, name, act.action, coalesce(act.objectType, ''),
                     coalesce(act.object, ''), coalesce(act.api, '')
        """)
        ex("""
            CREATE TABLE ds_use AS
            SELECT job_ns, job_name, role, ns, name, count(*) AS runs, min(first_seen) AS first_seen,
                   max(last_seen) AS last_seen, arg_min(run_id, first_seen) AS first_run,
                   arg_max(run_id, last_seen) AS last_run, arg_max(run_id, last_seen, 5) AS recent_runs
            FROM run_ds GROUP BY ALL
        """)
        ex("""
            CREATE TEMP TABLE variant_keys AS
            SELECT job_ns, job_name, role, ns, name, h, count(*) AS runs, min(first_seen) AS first_seen,
                   max(last_seen) AS last_seen, arg_min(run_id, first_seen) AS first_run,
                   arg_max(run_id, last_seen) AS last_run, arg_max(rid, last_seen) AS rid,
                   arg_max(idx, last_seen) AS idx
            FROM run_ds GROUP BY ALL
        """)
        ex("DROP TABLE run_ds")
        ex("""
            CREATE TEMP TABLE rep_events AS
            SELECT DISTINCT o.rid, o.source, o.file, o.run_id, o.event_type, o.raw_time
            FROM variant_keys v JOIN ok o ON o.rid = v.rid
        """)
        self._fetch_representatives()
        ex("""
            CREATE TEMP TABLE variants AS
            SELECT v.* EXCLUDE (rid, idx),
                   (CASE WHEN v.role = 'input' THEN f.e.inputs[v.idx] ELSE f.e.outputs[v.idx] END).facets AS f
            FROM variant_keys v JOIN full_events f ON f.rid = v.rid
        """)
        ex("DROP TABLE variant_keys")
        ex("DROP TABLE full_events")
        ex("""
            CREATE TABLE field_use AS
            WITH f AS (
              SELECT job_ns, job_name, role, ns, name, runs, first_seen, last_seen,
                     unnest(f.schema.fields) AS fld FROM variants
            )
            SELECT job_ns, job_name, role, ns, name, fld.name AS field, max(fld.type) AS type, sum(runs) AS runs,
                   min(first_seen) AS first_seen, max(last_seen) AS last_seen
            FROM f WHERE fld.name IS NOT NULL GROUP BY job_ns, job_name, role, ns, name, fld.name
        """)
        # column lineage edges; out_field NULL: dataset-level edges (they affect every output column)
        ex("""
            CREATE TABLE edges AS
            WITH o AS (SELECT * FROM variants WHERE role = 'output'),
            per_field AS (
              SELECT job_ns, job_name, runs, first_seen, last_seen, first_run, last_run, ns AS out_ns,
                     name AS out_name, unnest(map_entries(f.columnLineage.fields)) AS entry FROM o
            ), field_inputs AS (
              SELECT job_ns, job_name, runs, first_seen, last_seen, first_run, last_run, out_ns, out_name,
                     entry.key AS out_field, unnest(entry.value.inputFields) AS inp,
                     entry.value.transformationType AS legacy_type FROM per_field
            ), dataset_inputs AS (
              SELECT job_ns, job_name, runs, first_seen, last_seen, first_run, last_run, ns AS out_ns,
                     name AS out_name, NULL::VARCHAR AS out_field,
                     unnest(f.columnLineage.dataset) AS inp, NULL::VARCHAR AS legacy_type
              FROM o
            ), all_inputs AS (
              SELECT * FROM field_inputs UNION ALL SELECT * FROM dataset_inputs
            ), tr AS (
              SELECT * EXCLUDE (inp, legacy_type), inp.namespace AS in_ns, inp.name AS in_name,
                     inp.field AS in_field,
                     CASE WHEN len(coalesce(inp.transformations, [])) = 0
                          THEN [{'type': CASE WHEN out_field IS NULL THEN 'INDIRECT' ELSE 'DIRECT' END,
                                 'subtype': CASE WHEN legacy_type IN ('IDENTITY', 'TRANSFORMATION', 'AGGREGATION')
                                                 THEN legacy_type ELSE NULL END,
                                 'masking': false}]
                          ELSE inp.transformations END AS trs
              FROM all_inputs WHERE inp.field IS NOT NULL AND inp.namespace IS NOT NULL AND inp.name IS NOT NULL
            ), flat AS (
              SELECT * EXCLUDE (trs), unnest(trs) AS x FROM tr
            )
            SELECT job_ns, job_name, out_ns, out_name, out_field, in_ns, in_name, in_field,
                   upper(coalesce(x.type, 'DIRECT')) AS type, upper(coalesce(x.subtype, '')) AS subtype,
                   coalesce(x.masking, false) AS masking, sum(runs) AS runs, min(first_seen) AS first_seen,
                   max(last_seen) AS last_seen, arg_min(first_run, first_seen) AS first_run,
                   arg_max(last_run, last_seen) AS last_run
            FROM flat GROUP BY ALL
        """)
        # operations (file:line) behind each output column; out_field NULL: row operations
        ex("""
            CREATE TABLE ops AS
            WITH o AS (SELECT * FROM variants WHERE role = 'output'),
            f AS (
              SELECT job_ns, job_name, runs, first_seen, last_seen, ns AS out_ns, name AS out_name,
                     unnest(map_entries(f.monkeypatch_columnOperations.fields)) AS entry FROM o
            ), g AS (
              SELECT job_ns, job_name, runs, first_seen, last_seen, out_ns, out_name, entry.key AS out_field,
                     coalesce(entry.value.approximate, false) AS approximate,
                     CASE WHEN len(coalesce(entry.value.operations, [])) = 0 THEN [NULL]
                          ELSE entry.value.operations END AS steps
              FROM f
            ), steps AS (
              SELECT * EXCLUDE (steps), generate_subscripts(steps, 1) AS position, unnest(steps) AS step FROM g
            ), rowsteps AS (
              SELECT job_ns, job_name, runs, first_seen, last_seen, ns AS out_ns, name AS out_name,
                     NULL::VARCHAR AS out_field, false AS approximate,
                     generate_subscripts(f.monkeypatch_columnOperations."rows", 1) AS position,
                     unnest(f.monkeypatch_columnOperations."rows") AS step
              FROM o
            )
            SELECT job_ns, job_name, out_ns, out_name, out_field, approximate, position, step.operation AS operation,
                   step.location AS location, step.detail AS detail, sum(runs) AS runs,
                   min(first_seen) AS first_seen, max(last_seen) AS last_seen
            FROM (SELECT * FROM steps UNION ALL SELECT * FROM rowsteps) GROUP BY ALL
        """)
        ex("""
            CREATE TABLE tags AS
            WITH x AS (SELECT ns, name, first_seen, last_seen, unnest(f.tags.tags) AS tag FROM variants)
            SELECT ns, name, tag.field AS field, tag.key AS key, tag.value AS value, any_value(tag.source) AS source,
                   min(first_seen) AS first_seen, max(last_seen) AS last_seen
            FROM x WHERE tag.key IS NOT NULL GROUP BY ns, name, tag.field, tag.key, tag.value
        """)
        datasetlineage.build(ex, OUR_PRODUCER_PREFIX)  # dataset_edges: needs `ok` and `variants`
        ex("DROP TABLE variants")
        # run facets: small, kept in pass 1
        ex("""
            CREATE TABLE failed AS
            WITH a AS (
              SELECT run_id, job_ns, job_name, t, unnest(run_facets.monkeypatch_failedAccess.accesses) AS x FROM ok
            ), per_run AS (
              SELECT run_id, job_ns, job_name, x.namespace AS ns, x.name AS name, x.action AS action,
                     coalesce(x.error, 'error') AS error, max(coalesce(x.count, 1)) AS count, min(t) AS t
              FROM a GROUP BY ALL
            )
            SELECT job_ns, job_name, ns, name, action, error, count(*) AS runs, sum(count) AS count,
                   min(t) AS first_seen, max(t) AS last_seen, arg_max(run_id, t) AS last_run
            FROM per_run GROUP BY ALL
        """)
        ex("""
            CREATE TABLE extraction_errors AS
            WITH x AS (
              SELECT run_id, job_ns, job_name, t, unnest(run_facets.extractionError.errors) AS err FROM ok
            )
            SELECT job_ns, job_name, coalesce(err.errorMessage, '') AS message, coalesce(err.task, '') AS task,
                   count(DISTINCT run_id) AS runs, min(t) AS first_seen, max(t) AS last_seen,
                   arg_max(run_id, t) AS last_run
            FROM x GROUP BY ALL
        """)
        ex("""
            CREATE TABLE opaque AS
            WITH x AS (
              SELECT run_id, job_ns, job_name, t,
                     unnest(run_facets.monkeypatch_instrumentation.opaqueOperations) AS operation FROM ok
            )
            SELECT job_ns, job_name, operation, count(DISTINCT run_id) AS runs, min(t) AS first_seen,
                   max(t) AS last_seen, arg_max(run_id, t) AS last_run
            FROM x WHERE operation IS NOT NULL GROUP BY ALL
        """)
        ex("""
            CREATE TABLE internal_errors AS
            WITH x AS (
              SELECT run_id, job_ns, job_name, t,
                     unnest(map_entries(run_facets.monkeypatch_instrumentation.internalErrors)) AS entry FROM ok
            )
            SELECT job_ns, job_name, entry.key AS integration, count(DISTINCT run_id) AS runs,
                   max(entry.value) AS max_errors, max(t) AS last_seen
            FROM x GROUP BY ALL
        """)
        ex("""
            CREATE TABLE run_errors AS
            SELECT run_id, arg_max(run_facets.errorMessage.message, t) AS message FROM ok
            WHERE run_facets.errorMessage.message IS NOT NULL GROUP BY run_id
        """)
        ex("DROP TABLE ok")

    def _fetch_representatives(self) -> None:
        """Pass 2: parse in full only the events that hold a representative of a variant."""
        structure = _quote(json.dumps(FULL_STRUCTURE))
        self._exec("CREATE TEMP TABLE full_events (rid BIGINT, e " + _sql_type(FULL_STRUCTURE) + ")")
        groups = self.con.execute(
            "SELECT source, list(DISTINCT file) FILTER (file IS NOT NULL), list(DISTINCT run_id) FROM rep_events "
            "GROUP BY source ORDER BY source").fetchall()
        for source, files, run_ids in groups:
            kind, what = self._relations[source]
            if kind != "files":
                self._fetch_from(what, source, run_ids, structure)
                continue
            try:
                self._fetch_from(lines_relation(files), source, run_ids, structure)
            except Exception as exc:  # noqa: BLE001 - an event over 16 MB: again with the larger limit
                if "maximum_object_size" not in str(exc):
                    raise
                self._fetch_from(lines_relation(files, LARGE_JSON_OPTIONS), source, run_ids, structure)
        self._exec("DROP TABLE rep_events")

    def _fetch_from(self, relation: str, source: int, run_ids: list[str], structure: str) -> None:
        wanted = "[" + ", ".join(_quote(r) for r in run_ids) + "]::VARCHAR[]"
        # a regular expression finds candidate lines far faster than parsing every line again;
        # the few candidates are then parsed and matched exactly
        self._exec(f"""
            INSERT INTO full_events
            WITH k AS (
              SELECT line FROM {relation}
              WHERE list_has_any(regexp_extract_all(line, '"runId"\\s*:\\s*"([^"]+)"', 1), {wanted})
            ), c AS (
              SELECT from_json(CASE WHEN json_valid(line) THEN line END, {structure}) AS e FROM k
            )
            SELECT r.rid, any_value(c.e) FROM c JOIN rep_events r
              ON r.source = {source} AND r.run_id = c.e.run.runId AND r.event_type = upper(c.e.eventType)
                 AND r.raw_time = c.e.eventTime
            GROUP BY r.rid
        """)

    # -- queries ---------------------------------------------------------------------------------

    def query(self, sql: str, params: Iterable | None = None) -> list[dict]:
        cursor = self.con.execute(sql, list(params) if params is not None else None)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Iterable | None = None):
        row = self.con.execute(sql, list(params) if params is not None else None).fetchone()
        return row[0] if row else None


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files as given; folders walked for *.ndjson, *.jsonl, *.json (and their .gz), sorted."""
    suffixes = (".ndjson", ".jsonl", ".json", ".ndjson.gz", ".jsonl.gz", ".json.gz")
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith(suffixes):
                        out.append(os.path.join(folder, name))
        elif os.path.isfile(path):
            out.append(path)
    return out

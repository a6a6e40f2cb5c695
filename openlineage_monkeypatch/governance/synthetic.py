"""Event sets for tests and benchmarks: a small builder for exact hand-built runs, and a fast
generator of large synthetic event sets shaped like ours (START, one RUNNING per output, COMPLETE).

    python -m openlineage_monkeypatch.governance.synthetic OUT_DIR --events 1000000 [--layout runs] [--gzip]
    python -m openlineage_monkeypatch.governance.synthetic OUT_DIR --events 1000000 --bench

--bench then runs `openlineage-monkeypatch survey OUT_DIR --format json` in a child process and
prints its wall time and peak memory (the child's maximum resident set size).

The generator writes every event of a run to the same file, spreads runs over a time span, and can
inject the bad input the survey must survive (malformed lines, duplicates, other producers, unknown
facets, runs that never finish). It returns exact counts, so tests can check the survey against them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from ..events import PRODUCER

SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
OUR_FACETS = "https://openlineage-monkeypatch.github.io/spec/facets/1-0-0/"
STD_FACETS = "https://openlineage.io/spec/facets/"
OTHER_PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.20.0/integration/spark"


def _facet(schema: str, data: dict) -> dict:
    return {"_producer": PRODUCER, "_schemaURL": schema, **data}


def _std(name: str, version: str, data: dict) -> dict:
    return _facet(f"{STD_FACETS}{version}/{name}.json#/$defs/{name}", data)


def _ours(name: str, data: dict) -> dict:
    return _facet(f"{OUR_FACETS}{name}.json#/$defs/{name}", data)


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat()


def parse_time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -------------------------------------------------------------------------------------------------
# the builder: exact hand-built event sets


def edge(namespace: str, name: str, field: str, type_: str = "DIRECT", subtype: str = "IDENTITY",
         masking: bool = False) -> dict:
    """One inputField of a columnLineage facet with one transformation."""
    return {"namespace": namespace, "name": name, "field": field,
            "transformations": [{"type": type_, "subtype": subtype, "masking": masking}]}


def merge_edges(edges: list[dict]) -> list[dict]:
    """Several transformations of the same input field folded into one inputField."""
    out: dict[tuple, dict] = {}
    for e in edges:
        key = (e["namespace"], e["name"], e["field"])
        if key in out:
            out[key]["transformations"].extend(e["transformations"])
        else:
            out[key] = {**e, "transformations": list(e["transformations"])}
    return list(out.values())


class Dataset:
    def __init__(self, namespace: str, name: str, fields=(), tags: dict | None = None) -> None:
        self.namespace = namespace
        self.name = name
        self.fields = list(fields)
        self.tags = dict(tags or {})

    def field(self, name: str, type_: str = "DIRECT", subtype: str = "IDENTITY", masking: bool = False) -> dict:
        return edge(self.namespace, self.name, name, type_, subtype, masking)


class RunBuilder:
    """One run of a job; call read/write/... then complete()/fail()/abort(), or leave it unfinished."""

    def __init__(self, owner: "EventSet", namespace: str, job: str, at: datetime, run_id: str | None,
                 sql: str | None = None) -> None:
        self.owner = owner
        self.namespace = namespace
        self.job = job
        self.at = at
        self.run_id = run_id or str(uuid.uuid4())
        self.sql = sql
        self.inputs: dict[tuple, dict] = {}
        self.outputs: dict[tuple, dict] = {}
        self.run_facets: dict = {}
        self.tick = 0
        self._emit("START", [], [], {"processing_engine": _std("ProcessingEngineRunFacet", "1-1-1",
                                                                {"version": "3.11", "name": "python"})})

    def _time(self) -> str:
        self.tick += 1
        return iso(self.at + timedelta(seconds=self.tick))

    def _emit(self, event_type: str, inputs: list, outputs: list, run_facets: dict | None = None,
              job_facets: dict | None = None) -> dict:
        jf = dict(job_facets or {})
        if self.sql and event_type in ("START", "COMPLETE", "FAIL", "ABORT"):
            jf["sql"] = _std("SQLJobFacet", "1-1-0", {"query": self.sql, "dialect": "snowflake"})
        event = {
            "eventTime": self._time(), "eventType": event_type, "producer": PRODUCER, "schemaURL": SCHEMA,
            "run": {"runId": self.run_id, "facets": dict(run_facets or {})},
            "job": {"namespace": self.namespace, "name": self.job, "facets": jf},
            "inputs": inputs, "outputs": outputs,
        }
        self.owner.events.append(event)
        return event

    @staticmethod
    def _dataset(ds: Dataset, actions=(), system: str | None = None, extra: dict | None = None) -> dict:
        facets: dict = {}
        if ds.fields:
            facets["schema"] = _std("SchemaDatasetFacet", "1-2-0", {"fields": [
                {"name": f, "type": "string"} for f in ds.fields]})
        if ds.tags:
            facets["tags"] = _std("TagsDatasetFacet", "1-0-0", {"tags": [
                {"key": cls, "value": "true", "source": "test", "field": f} for f, cls in ds.tags.items()]})
        if actions:
            items = []
            for a in actions:
                a = {"action": a, "count": 1} if isinstance(a, str) else dict(a)
                a.setdefault("count", 1)
                items.append(a)
            facets["monkeypatch_access"] = _ours("AccessDatasetFacet", {
                "actions": items, "system": system or _system_of(ds.namespace)})
        facets.update(extra or {})
        return {"namespace": ds.namespace, "name": ds.name, "facets": facets}

    def read(self, ds: Dataset, actions=("read",), system: str | None = None) -> "RunBuilder":
        self.inputs[(ds.namespace, ds.name)] = self._dataset(ds, actions, system)
        return self

    def write(self, ds: Dataset, lineage: dict[str, list[dict]] | None = None, dataset_lineage=(),
              operations: dict | None = None, approximate=(), actions=("write",), system: str | None = None,
              rows=None, inputs=None) -> dict:
        """Emit a RUNNING event for one output; lineage: {out_field: [edge(...), ...]}. The event's
        inputs are the datasets the lineage names, or `inputs` (Datasets read before) when given."""
        extra: dict = {}
        if lineage is not None or dataset_lineage:
            cl: dict = {"fields": {f: {"inputFields": merge_edges(e)} for f, e in (lineage or {}).items()}}
            if dataset_lineage:
                cl["dataset"] = merge_edges(list(dataset_lineage))
            extra["columnLineage"] = _std("ColumnLineageDatasetFacet", "1-2-0", cl)
        if operations or approximate:
            fields = {f: {"operations": list(ops)} for f, ops in (operations or {}).items()}
            for f in approximate:
                fields.setdefault(f, {"operations": []})["approximate"] = True
            data: dict = {"fields": fields}
            if rows:
                data["rows"] = rows
            extra["monkeypatch_columnOperations"] = _ours("ColumnOperationsDatasetFacet", data)
        out = self._dataset(ds, actions, system, extra)
        self.outputs[(ds.namespace, ds.name)] = out
        referenced = {(e["namespace"], e["name"]) for es in (lineage or {}).values() for e in es}
        referenced |= {(e["namespace"], e["name"]) for e in dataset_lineage}
        if inputs is not None:
            referenced = {(d.namespace, d.name) for d in inputs}
        return self._emit("RUNNING", [self.inputs[k] for k in sorted(referenced) if k in self.inputs], [out])

    def access(self, ds: Dataset, actions, system: str | None = None) -> "RunBuilder":
        """Accesses without data (list, head, delete): an input with only the access facet."""
        self.inputs[(ds.namespace, ds.name)] = self._dataset(Dataset(ds.namespace, ds.name), actions, system)
        return self

    def extraction_error(self, message: str, task: str | None = None) -> "RunBuilder":
        facet = self.run_facets.setdefault("extractionError", _std(
            "ExtractionErrorRunFacet", "1-1-2", {"totalTasks": 0, "failedTasks": 0, "errors": []}))
        facet["errors"].append({"errorMessage": message, "task": task, "taskNumber": len(facet["errors"]) + 1})
        facet["totalTasks"] = facet["failedTasks"] = len(facet["errors"])
        return self

    def failed_access(self, namespace: str, name: str, action: str, error: str, count: int = 1) -> "RunBuilder":
        facet = self.run_facets.setdefault("monkeypatch_failedAccess", _ours("FailedAccessRunFacet", {"accesses": []}))
        facet["accesses"].append({"namespace": namespace, "name": name, "action": action, "error": error,
                                  "count": count})
        return self

    def opaque(self, *operations: str, approximate_columns: int = 0) -> "RunBuilder":
        self.run_facets["monkeypatch_instrumentation"] = _ours("InstrumentationRunFacet", {
            "version": "0.1.0", "opaqueOperations": sorted(operations), "approximateColumns": approximate_columns})
        return self

    def finish(self, event_type: str = "COMPLETE") -> dict:
        facets = dict(self.run_facets)
        facets.setdefault("monkeypatch_instrumentation", _ours("InstrumentationRunFacet", {"version": "0.1.0"}))
        if event_type == "FAIL":
            facets["errorMessage"] = _std("ErrorMessageRunFacet", "1-0-1",
                                          {"message": "boom", "programmingLanguage": "python"})
        return self._emit(event_type, list(self.inputs.values()), list(self.outputs.values()), facets)

    def complete(self) -> dict:
        return self.finish("COMPLETE")

    def fail(self) -> dict:
        return self.finish("FAIL")

    def abort(self) -> dict:
        return self.finish("ABORT")


class EventSet:
    """A list of events built run by run (hand-built tests)."""

    def __init__(self, start: str | datetime = "2026-01-01T00:00:00+00:00") -> None:
        self.start = parse_time(start)
        self.events: list[dict] = []

    def run(self, job: str, namespace: str = "tests", at: str | datetime | float | None = None,
            run_id: str | None = None, sql: str | None = None) -> RunBuilder:
        if at is None:
            when = self.start + timedelta(minutes=len(self.events))
        elif isinstance(at, (int, float)):
            when = self.start + timedelta(hours=at)
        else:
            when = parse_time(at)
        return RunBuilder(self, namespace, job, when, run_id, sql)

    def write(self, path: str | os.PathLike, extra_lines=()) -> str:
        path = os.fspath(path)
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "wt", encoding="utf-8") as handle:
            for event in self.events:
                handle.write(json.dumps(event) + "\n")
            for line in extra_lines:
                handle.write(line.rstrip("\n") + "\n")
        return path


def _system_of(namespace: str) -> str:
    if namespace.startswith("s3://"):
        return "s3"
    if namespace.startswith("snowflake://"):
        return "snowflake"
    return namespace.split("://", 1)[0]


# -------------------------------------------------------------------------------------------------
# the large generator

SF = "snowflake://acme-xy12345"
RAW = "s3://acme-raw"
LAKE = "s3://acme-lake"


def _pipeline(p: int, width: int) -> list[dict]:
    """Three jobs: S3 csv + Snowflake table -> S3 parquet -> Snowflake table -> local csv report."""
    extra = [f"attr_{i}" for i in range(max(0, width - 6))]
    customers = Dataset(RAW, f"landing/p{p}/customers.csv",
                        ["customer_id", "email", "name", "phone", "country", "signup_date"] + extra)
    orders = Dataset(SF, f"SALES.RAW.ORDERS_P{p}", ["order_id", "customer_id", "amount", "status", "created_at"])
    clean = Dataset(LAKE, f"clean/p{p}/customers.parquet",
                    ["customer_id", "email_hash", "name", "country", "total_amount", "order_count"] + extra)
    features = Dataset(SF, f"SALES.FEATURES.CUSTOMER_P{p}",
                       ["customer_id", "name_upper", "country", "total_amount", "order_count"] + extra)
    report = Dataset("file", f"/srv/reports/p{p}/by_country.csv", ["country", "customers", "revenue"])
    loc = f"jobs/p{p}/clean.py"

    def ops(field, op, line):
        return {field: [{"operation": op, "location": f"{loc}:{line}"}]}

    clean_lineage = {
        "customer_id": [customers.field("customer_id")],
        "email_hash": [customers.field("email", subtype="TRANSFORMATION", masking=True)],
        "name": [customers.field("name")],
        "country": [customers.field("country")],
        "total_amount": [orders.field("amount", subtype="AGGREGATION")],
        "order_count": [orders.field("order_id", subtype="AGGREGATION")],
        **{c: [customers.field(c)] for c in extra},
    }
    clean_rows = [customers.field("customer_id", "INDIRECT", "JOIN"), orders.field("customer_id", "INDIRECT", "JOIN"),
                  orders.field("status", "INDIRECT", "FILTER"), orders.field("customer_id", "INDIRECT", "GROUP_BY")]
    features_lineage = {
        "customer_id": [clean.field("customer_id")],
        "name_upper": [clean.field("name", subtype="TRANSFORMATION")],
        "country": [clean.field("country")],
        "total_amount": [clean.field("total_amount")],
        "order_count": [clean.field("order_count")],
        **{c: [clean.field(c)] for c in extra},
    }
    report_lineage = {
        "country": [features.field("country")],
        "customers": [features.field("customer_id", subtype="AGGREGATION")],
        "revenue": [features.field("total_amount", subtype="AGGREGATION")],
    }
    return [
        {"job": f"p{p}.clean", "reads": [(customers, ["s3:GetObject"]), (orders, [{"action": "SELECT",
                                                                                  "objectType": "TABLE"}])],
         "writes": [(clean, ["s3:PutObject"], clean_lineage, clean_rows,
                     {**ops("email_hash", "Series.map(hash)", 12), **ops("total_amount", "GroupBy.sum", 20)})],
         "sql": f"SELECT order_id, customer_id, amount FROM SALES.RAW.ORDERS_P{p} WHERE status = ?"},
        {"job": f"p{p}.features", "reads": [(clean, ["s3:GetObject", "s3:ListBucket"])],
         "writes": [(features, [{"action": "INSERT", "objectType": "TABLE"}], features_lineage, [],
                     ops("name_upper", "Series.str.upper", 7))],
         "sql": f"INSERT INTO SALES.FEATURES.CUSTOMER_P{p} VALUES (?, ?, ?, ?, ?)"},
        {"job": f"p{p}.report", "reads": [(features, [{"action": "SELECT", "objectType": "TABLE"}])],
         "writes": [(report, ["write"], report_lineage, [features.field("country", "INDIRECT", "GROUP_BY")], {})],
         "sql": None},
    ]


def _templates(spec: dict, namespace: str) -> list[str]:
    """The JSON lines of one run of this job with @@RUN@@ / @@T<n>@@ placeholders."""
    holder = EventSet()
    run = RunBuilder(holder, namespace, spec["job"], datetime(2000, 1, 1, tzinfo=timezone.utc), "@@RUN@@",
                     sql=spec.get("sql"))
    for ds, actions in spec["reads"]:
        run.read(ds, actions)
    for ds, actions, lineage, rows, operations in spec["writes"]:
        run.write(ds, lineage, rows, operations, actions=actions)
    run.complete()
    lines = []
    for i, event in enumerate(holder.events):
        event["eventTime"] = f"@@T{i}@@"
        lines.append(json.dumps(event, separators=(",", ":")))
    return lines


def generate(out_dir: str, events: int = 20_000, files: int = 4, seed: int = 7, gzip_files: bool = False,
             width: int = 12, pipelines: int | None = None, start: str = "2026-01-01T00:00:00+00:00",
             days: float = 30.0, bad: bool = True, namespace: str = "synthetic", layout: str = "files") -> dict:
    """Write about `events` events into out_dir; returns exact counts.

    layout "files": `files` NDJSON files, runs of a job always in the same file; layout "runs": one
    file per run in day folders, as the embedded transport writes them (`files` is ignored).
    """
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    pipelines = pipelines or max(1, min(200, events // 5000))
    jobs = [spec for p in range(pipelines) for spec in _pipeline(p, width)]
    templates = [_templates(spec, namespace) for spec in jobs]
    begin = parse_time(start).timestamp()
    span = days * 86400.0
    ext = ".ndjson.gz" if gzip_files else ".ndjson"
    per_run_files = layout == "runs"
    if per_run_files:
        files = 0
    paths = [os.path.join(out_dir, f"events-{i:03d}{ext}") for i in range(files)]
    handles = [gzip.open(p, "wt", encoding="utf-8", compresslevel=3) if gzip_files else
               open(p, "w", encoding="utf-8") for p in paths]
    made_days: set = set()
    counts = {"lines": 0, "events": 0, "runs": 0, "incomplete": 0, "failed_runs": 0, "malformed": 0,
              "duplicates": 0, "other_producer": 0, "unknown_facets": 0, "extraction_errors": 0,
              "failed_accesses": 0, "opaque_runs": 0, "jobs": len(jobs), "files": files}
    written = 0
    per_run = sum(len(t) for t in templates) / len(templates)
    total_runs = max(1, int(events / per_run))
    step = span / total_runs
    try:
        for r in range(total_runs):
            if written >= events:
                break
            j = rng.randrange(len(jobs))
            lines = list(templates[j])
            run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            base = begin + r * step
            handle = None if per_run_files else handles[j % files]
            roll = rng.random()
            final = lines[-1]
            if bad and roll < 0.01:
                lines = lines[:-1]  # never finished
                counts["incomplete"] += 1
            elif bad and roll < 0.015:
                final = final.replace('"eventType":"COMPLETE"', '"eventType":"FAIL"', 1)
                lines[-1] = final
                counts["failed_runs"] += 1
            elif bad and roll < 0.02 and jobs[j].get("sql"):
                lines[-1] = final.replace('"run":{"runId":"@@RUN@@","facets":{', '"run":{"runId":"@@RUN@@","facets":'
                                          '{"extractionError":{"_producer":"' + PRODUCER + '","_schemaURL":"'
                                          + STD_FACETS + '1-1-2/ExtractionErrorRunFacet.json","totalTasks":1,'
                                          '"failedTasks":1,"errors":[{"errorMessage":"cannot parse statement",'
                                          '"taskNumber":1}]},', 1)
                counts["extraction_errors"] += 1
            elif bad and roll < 0.025:
                lines[-1] = final.replace('"run":{"runId":"@@RUN@@","facets":{', '"run":{"runId":"@@RUN@@","facets":'
                                          '{"monkeypatch_failedAccess":{"_producer":"' + PRODUCER + '","_schemaURL":"'
                                          + OUR_FACETS + 'FailedAccessRunFacet.json","accesses":[{"namespace":"'
                                          + RAW + '","name":"landing/secret.csv","action":"s3:GetObject",'
                                          '"error":"AccessDenied","count":1}]},', 1)
                counts["failed_accesses"] += 1
            out = []
            for i, line in enumerate(lines):
                stamp = datetime.fromtimestamp(base + i * 0.5, timezone.utc).isoformat()
                out.append(line.replace("@@RUN@@", run_id).replace(f"@@T{i}@@", stamp))
            if bad and rng.random() < 0.01:
                out[0] = out[0].replace('"facets":{"processing_engine"', '"facets":{"vendor_unknownFacet":{"x":1},'
                                        '"processing_engine"', 1)
                counts["unknown_facets"] += 1
            counts["runs"] += 1
            counts["events"] += len(out)
            if bad and rng.random() < 0.005:
                out.append(out[-1])
                counts["duplicates"] += 1
            if bad and rng.random() < 0.002:
                out.append(out[0][: len(out[0]) // 2])
                counts["malformed"] += 1
            if bad and rng.random() < 0.003:
                out.append(out[0].replace(PRODUCER, OTHER_PRODUCER).replace(run_id, str(uuid.UUID(
                    int=rng.getrandbits(128), version=4))))
                counts["other_producer"] += 1
            if per_run_files:
                day = datetime.fromtimestamp(base, timezone.utc).strftime("%Y-%m-%d")
                folder = os.path.join(out_dir, day)
                if day not in made_days:
                    os.makedirs(folder, exist_ok=True)
                    made_days.add(day)
                path = os.path.join(folder, f"{jobs[j]['job']}-{run_id}{ext}")
                with (gzip.open(path, "wt", encoding="utf-8") if gzip_files else open(path, "w", encoding="utf-8")) as f:
                    f.write("\n".join(out) + "\n")
                paths.append(path)
            else:
                handle.write("\n".join(out) + "\n")
            written += len(out)
            counts["lines"] += len(out)
    finally:
        for handle in handles:
            handle.close()
    counts["paths"] = paths
    counts["files"] = len(paths)
    counts["bytes"] = sum(os.path.getsize(p) for p in paths)
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="generate a synthetic OpenLineage event set")
    parser.add_argument("out_dir")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--width", type=int, default=12, help="columns per customer table")
    parser.add_argument("--clean", action="store_true", help="no injected bad input")
    parser.add_argument("--layout", choices=("files", "runs"), default="files",
                        help="files: --files big files; runs: one file per run in day folders (embedded transport)")
    parser.add_argument("--bench", action="store_true", help="then time `survey` over the set in a child process")
    parser.add_argument("--reuse", action="store_true", help="with --bench: survey OUT_DIR as it is, generate nothing")
    args = parser.parse_args(argv)
    if not args.reuse:
        began = time.perf_counter()
        counts = generate(args.out_dir, args.events, args.files, args.seed, args.gzip, args.width,
                          bad=not args.clean, layout=args.layout)
        counts.pop("paths")
        counts["seconds"] = round(time.perf_counter() - began, 1)
        json.dump({"generated": counts}, sys.stdout, indent=2)
        print()
    if args.bench:
        json.dump({"survey": bench(args.out_dir)}, sys.stdout, indent=2)
        print()
    return 0


def bench(folder: str, extra_args=()) -> dict:
    """Wall time and peak RSS of `openlineage-monkeypatch survey FOLDER --format json` in a child."""
    import resource
    import subprocess

    out = os.path.join(folder, os.pardir, "survey-bench.json")
    command = [sys.executable, "-m", "openlineage_monkeypatch.cli", "survey", folder, "--format", "json",
               "--out", out, "--timings", *extra_args]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = usage.ru_maxrss
    timings = [line[len("timing "):] for line in done.stderr.splitlines() if line.startswith("timing ")]
    with open(out, encoding="utf-8") as handle:
        data = json.load(handle)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"command": " ".join(command), "exit": done.returncode, "seconds": round(seconds, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mb": round(peak_kb / 1024),
            "load_average_after": load, "events": data["input"]["events"],
            "runs": data["overview"]["runs"], "skipped": data["input"]["skipped"], "steps": timings,
            "cpus": os.cpu_count()}


if __name__ == "__main__":
    sys.exit(main())

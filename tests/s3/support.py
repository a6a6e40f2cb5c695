"""Running small jobs in fresh instrumented interpreters and reading what they emitted.

Every job's events and log lines are kept in TRANSCRIPT for the secret scan (test_secrets.py).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from integration import servers
from tests.conftest import clean_env, read_events, run_python

TRANSCRIPT: list[tuple[str, str]] = []


def job_env(workdir: Path, server=None, **extra) -> dict:
    """An instrumented job's environment: file transport into workdir, S3 endpoint and fake keys."""
    env = clean_env(
        OPENLINEAGE_MONKEYPATCH_ENABLED="1",
        OPENLINEAGE_NAMESPACE="tests",
        OPENLINEAGE__TRANSPORT__TYPE="file",
        OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(workdir / "events.ndjson"),
        OPENLINEAGE__TRANSPORT__APPEND="true",
        OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(workdir / "olmp-data"),
        OPENLINEAGE_MONKEYPATCH_LOG_LEVEL="DEBUG",
    )
    if server is not None:
        env.update(servers.FAKE_CREDENTIALS)
        env["AWS_ENDPOINT_URL"] = server.endpoint_url
    env.update(extra)
    return env


class Job:
    """A finished job: its process, its events, and lookups into the final (COMPLETE) event."""

    def __init__(self, proc, events: list[dict], workdir: Path) -> None:
        self.proc = proc
        self.events = events
        self.workdir = workdir
        self.final = next((e for e in reversed(events) if e["eventType"] in ("COMPLETE", "FAIL", "ABORT")), None)

    @property
    def stdout(self) -> str:
        return self.proc.stdout

    def path(self, name: str) -> str:
        return str((self.workdir / name).resolve())

    def dataset(self, side: str, name: str, namespace: str | None = None, event: dict | None = None) -> dict | None:
        event = event or self.final or {}
        for ds in event.get(side) or ():
            if ds["name"] == name and (namespace is None or ds["namespace"] == namespace):
                return ds
        return None

    def output(self, name: str, namespace: str | None = None) -> dict:
        ds = self.dataset("outputs", name, namespace)
        assert ds is not None, f"no output {namespace}:{name}; outputs: {self.names('outputs')}"
        return ds

    def input(self, name: str, namespace: str | None = None) -> dict:
        ds = self.dataset("inputs", name, namespace)
        assert ds is not None, f"no input {namespace}:{name}; inputs: {self.names('inputs')}"
        return ds

    def names(self, side: str) -> list[str]:
        return [f"{d['namespace']}:{d['name']}" for d in (self.final or {}).get(side) or ()]

    def running(self, name: str) -> list[dict]:
        """RUNNING events whose output is `name`."""
        return [e for e in self.events if e["eventType"] == "RUNNING"
                and any(d["name"] == name for d in e.get("outputs") or ())]

    def failed(self) -> set[tuple[str, str, str, str]]:
        facet = ((self.final or {}).get("run", {}).get("facets") or {}).get("monkeypatch_failedAccess") or {}
        return {(a["namespace"], a["name"], a["action"], a["error"]) for a in facet.get("accesses") or ()}

    def metadata(self, name: str, namespace: str | None = None) -> dict[tuple, int]:
        """{(action, api, objectType): count} of the monkeypatch_metadataAccess run facet for one dataset
        (accesses to datasets that were neither read nor written: head, list, presign, abort ...)."""
        facet = ((self.final or {}).get("run", {}).get("facets") or {}).get("monkeypatch_metadataAccess") or {}
        return {(a["action"], a.get("api"), a.get("objectType")): a["count"] for a in facet.get("accesses") or ()
                if a["name"] == name and (namespace is None or a["namespace"] == namespace)}

    def internal_errors(self) -> dict:
        facet = ((self.final or {}).get("run", {}).get("facets") or {}).get("monkeypatch_instrumentation") or {}
        return facet.get("internalErrors") or {}


def schema(ds: dict) -> list[tuple[str, str | None]]:
    return [(f["name"], f.get("type")) for f in ((ds.get("facets") or {}).get("schema") or {}).get("fields") or ()]


def actions(ds: dict) -> dict[tuple, int]:
    """{(action, api, objectType): count} of the monkeypatch_access facet."""
    facet = (ds.get("facets") or {}).get("monkeypatch_access") or {}
    return {(a["action"], a.get("api"), a.get("objectType")): a["count"] for a in facet.get("actions") or ()}


def action_names(ds: dict) -> set[str]:
    return {a for a, _, _ in actions(ds)}


def lineage(ds: dict) -> dict[str, set[tuple]]:
    """{output field: {(namespace, name, field, type, subtype)}}; dataset-level edges under "*"."""
    facet = (ds.get("facets") or {}).get("columnLineage") or {}
    out: dict[str, set] = {}
    for name, spec in (facet.get("fields") or {}).items():
        for item in spec.get("inputFields") or ():
            for t in item.get("transformations") or ():
                out.setdefault(name, set()).add(
                    (item["namespace"], item["name"], item["field"], t["type"], t.get("subtype")))
    for item in facet.get("dataset") or ():
        for t in item.get("transformations") or ():
            out.setdefault("*", set()).add(
                (item["namespace"], item["name"], item["field"], t["type"], t.get("subtype")))
    return out


def identity(namespace: str, name: str, fields) -> dict[str, set[tuple]]:
    return {f: {(namespace, name, f, "DIRECT", "IDENTITY")} for f in fields}


def run_job(code: str, workdir: Path, server=None, *, args=(), env: dict | None = None, plain: bool = False,
            label: str = "job", timeout: float = 120) -> Job:
    """Write `code` to workdir/job.py and run it instrumented (or plain) in a fresh interpreter."""
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "job.py"
    script.write_text(textwrap.dedent(code))
    run_env = job_env(workdir, server, **(env or {}))
    if plain:
        run_env = {k: v for k, v in run_env.items() if not k.startswith("OPENLINEAGE")}
    events_path = workdir / "events.ndjson"
    if events_path.exists():
        events_path.unlink()
    proc = run_python(["job.py", *args], env=run_env, cwd=workdir, timeout=timeout)
    events = read_events(events_path)
    TRANSCRIPT.append((f"{label} events", "\n".join(json.dumps(e) for e in events)))
    TRANSCRIPT.append((f"{label} stderr", proc.stderr))
    TRANSCRIPT.append((f"{label} stdout", proc.stdout))
    return Job(proc, events, workdir)

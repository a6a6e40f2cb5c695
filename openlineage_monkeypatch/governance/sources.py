"""Where events come from: files, folders, globs, the embedded default folder and the spool, and a
Marquez API (`--marquez URL`).

From Marquez, `GET /api/v1/events/lineage` (paged, `after`/`before` for the window) gives the raw
events, streamed to a temporary NDJSON file the store reads like any other. `GET /api/v1/lineage`
gives the graph whose dataset nodes carry Marquez's field tags (PII ...), used as classifications.
A Marquez without the events endpoint (older than 0.30) is read from its graph instead: jobs with
their inputs and outputs, `GET /api/v1/column-lineage` for column edges; one COMPLETE event per job
is synthesized (run counts are then the jobs' latest runs only, which the report says).
"""

from __future__ import annotations

import glob
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from .. import config
from .store import OUR_PRODUCER_PREFIX, expand_paths

GRAPH_PRODUCER = OUR_PRODUCER_PREFIX + "/tree/governance#marquez-graph"


def default_sources(settings: config.Settings | None = None) -> list[str]:
    settings = settings or config.settings()
    return [p for p in (settings.events_dir, settings.spool_dir) if os.path.isdir(p)]


def resolve_paths(sources: list[str]) -> tuple[list[str], list[str]]:
    """(files, notes): folders walked, globs expanded, missing paths noted (never an error)."""
    files: list[str] = []
    notes: list[str] = []
    for source in sources:
        if any(ch in source for ch in "*?["):
            matched = sorted(glob.glob(os.path.expanduser(source), recursive=True))
            if not matched:
                notes.append(f"{source}: no file matches")
            files.extend(expand_paths(matched))
        elif os.path.exists(os.path.expanduser(source)):
            found = expand_paths([os.path.expanduser(source)])
            if not found:
                notes.append(f"{source}: no event file (*.ndjson, *.jsonl, *.json, .gz)")
            files.extend(found)
        else:
            notes.append(f"{source}: not found")
    seen = set()
    unique = []
    for f in files:
        real = os.path.realpath(f)
        if real not in seen:
            seen.add(real)
            unique.append(f)
    return unique, notes


class MarquezError(Exception):
    pass


class Marquez:
    """A small read-only client of Marquez's HTTP API (standard library only)."""

    def __init__(self, url: str, timeout: float = 30.0, page_size: int = 1000) -> None:
        url = url.rstrip("/")
        if not url.endswith("/api/v1"):
            url += "/api/v1"
        self.base = url
        self.timeout = timeout
        self.page_size = page_size
        self.requests = 0

    def get(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       "User-Agent": "openlineage-monkeypatch-survey"})
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - user's URL
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise FileNotFoundError(path) from exc
            raise MarquezError(f"GET {path}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise MarquezError(f"GET {path}: {exc}") from exc

    def events_to_file(self, path: str, since: datetime | None = None, until: datetime | None = None) -> int:
        """Stream every lineage event in the window into an NDJSON file; returns how many."""
        written = 0
        offset = 0
        with open(path, "w", encoding="utf-8") as out:
            while True:
                page = self.get("/events/lineage", limit=self.page_size, offset=offset, sortDirection="asc",
                                after=_iso(since), before=_iso(until))
                events = page.get("events") or []
                for event in events:
                    out.write(json.dumps(event, separators=(",", ":")) + "\n")
                written += len(events)
                offset += len(events)
                total = page.get("totalCount")
                if len(events) < self.page_size or (isinstance(total, (int, float)) and offset >= total):
                    break
        return written

    def graph(self, node_id: str, depth: int = 20) -> list[dict]:
        return self.get("/lineage", nodeId=node_id, depth=depth).get("graph") or []

    def column_lineage(self, node_id: str, depth: int = 1) -> list[dict]:
        return self.get("/column-lineage", nodeId=node_id, depth=depth).get("graph") or []

    def paged(self, path: str, key: str):
        offset = 0
        while True:
            page = self.get(path, limit=self.page_size, offset=offset)
            items = page.get(key) or []
            yield from items
            offset += len(items)
            if len(items) < self.page_size:
                return

    # -- field tags as classifications ------------------------------------------------------------

    def field_tags(self, datasets) -> dict[tuple[str, str, str], set[str]]:
        """{(namespace, name, field): tags} from the lineage graphs around the given datasets."""
        tags: dict[tuple[str, str, str], set[str]] = {}
        seen: set[tuple[str, str]] = set()
        for namespace, name in datasets:
            if (namespace, name) in seen:
                continue
            try:
                nodes = self.graph(dataset_node(namespace, name))
            except FileNotFoundError:
                seen.add((namespace, name))
                continue
            seen.add((namespace, name))
            for node in nodes:
                if node.get("type") != "DATASET":
                    continue
                data = node.get("data") or {}
                ns = data.get("namespace") or (data.get("id") or {}).get("namespace")
                nm = (data.get("id") or {}).get("name") or data.get("name")
                if not ns or not nm:
                    continue
                seen.add((ns, nm))
                for f in data.get("fields") or []:
                    if f.get("name") and f.get("tags"):
                        tags.setdefault((ns, nm, f["name"]), set()).update(str(t) for t in f["tags"])
        return tags

    # -- a Marquez without the events endpoint --------------------------------------------------

    def graph_events_to_file(self, path: str) -> int:
        """One synthesized COMPLETE event per job, from jobs, datasets and column lineage."""
        written = 0
        schemas: dict[tuple[str, str], list[dict]] = {}
        for ns in self.paged("/namespaces", "namespaces"):
            name = ns.get("name")
            if not name:
                continue
            quoted = urllib.parse.quote(name, safe="")
            for ds in self.paged(f"/namespaces/{quoted}/datasets", "datasets"):
                dsid = ds.get("id") or {}
                key = (dsid.get("namespace") or name, dsid.get("name") or ds.get("name"))
                schemas[key] = [{"name": f["name"], "type": f.get("type")} for f in ds.get("fields") or []
                                if f.get("name")]
        with open(path, "w", encoding="utf-8") as out:
            for ns in self.paged("/namespaces", "namespaces"):
                name = ns.get("name")
                if not name:
                    continue
                quoted = urllib.parse.quote(name, safe="")
                for job in self.paged(f"/namespaces/{quoted}/jobs", "jobs"):
                    event = self._job_event(job, schemas)
                    if event is not None:
                        out.write(json.dumps(event, separators=(",", ":")) + "\n")
                        written += 1
        return written

    def _job_event(self, job: dict, schemas: dict) -> dict | None:
        jid = job.get("id") or {}
        namespace, name = jid.get("namespace") or job.get("namespace"), jid.get("name") or job.get("name")
        if not namespace or not name:
            return None
        run = job.get("latestRun") or {}
        run_id = run.get("id") or f"00000000-0000-0000-0000-{abs(hash((namespace, name))) % 10**12:012d}"
        when = run.get("endedAt") or run.get("updatedAt") or job.get("updatedAt") or job.get("createdAt")
        state = {"COMPLETED": "COMPLETE", "FAILED": "FAIL", "ABORTED": "ABORT"}.get(run.get("state"), "COMPLETE")

        def dataset(d: dict, with_lineage: bool) -> dict:
            key = (d.get("namespace"), d.get("name"))
            facets: dict = {}
            if schemas.get(key):
                facets["schema"] = {"fields": schemas[key]}
            if with_lineage:
                lineage = self._column_lineage_facet(*key)
                if lineage:
                    facets["columnLineage"] = lineage
            return {"namespace": key[0], "name": key[1], "facets": facets}

        return {
            "eventType": state, "eventTime": when or datetime.now(timezone.utc).isoformat(),
            "producer": GRAPH_PRODUCER, "run": {"runId": run_id, "facets": {}},
            "job": {"namespace": namespace, "name": name, "facets": {}},
            "inputs": [dataset(d, False) for d in job.get("inputs") or [] if d.get("namespace") and d.get("name")],
            "outputs": [dataset(d, True) for d in job.get("outputs") or [] if d.get("namespace") and d.get("name")],
        }

    def _column_lineage_facet(self, namespace: str, name: str) -> dict | None:
        try:
            nodes = self.column_lineage(dataset_node(namespace, name), depth=1)
        except FileNotFoundError:
            return None
        fields: dict[str, dict] = {}
        for node in nodes:
            data = node.get("data") or {}
            if node.get("type") != "DATASET_FIELD" or data.get("namespace") != namespace or data.get("dataset") != name:
                continue
            inputs = []
            for inp in data.get("inputFields") or []:
                kind = (inp.get("transformationType") or data.get("transformationType") or "").upper()
                subtype = kind if kind in ("IDENTITY", "TRANSFORMATION", "AGGREGATION") else None
                inputs.append({"namespace": inp.get("namespace"), "name": inp.get("dataset"), "field": inp.get("field"),
                               "transformations": [{"type": "INDIRECT" if kind == "INDIRECT" else "DIRECT",
                                                    "subtype": subtype, "masking": False}]})
            if inputs:
                fields[data["field"]] = {"inputFields": inputs}
        return {"fields": fields} if fields else None


def dataset_node(namespace: str, name: str) -> str:
    return f"dataset:{namespace}:{name}"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def fetch_marquez(url: str, folder: str, since: datetime | None, until: datetime | None,
                  timeout: float = 30.0) -> tuple[Marquez, str, int, list[str]]:
    """(client, NDJSON path, events written, notes) for one Marquez URL."""
    client = Marquez(url, timeout=timeout)
    host = urllib.parse.urlsplit(client.base).netloc.replace(":", "_") or "marquez"
    path = os.path.join(folder, f"marquez-{host}-{abs(hash(url)) % 10**8}.ndjson")
    notes: list[str] = []
    try:
        count = client.events_to_file(path, since, until)
        notes.append(f"marquez {client.base}: {count} event(s) from /events/lineage")
    except FileNotFoundError:
        count = client.graph_events_to_file(path)
        notes.append(f"marquez {client.base}: no /events/lineage endpoint; {count} job(s) read from the lineage "
                     "graph (latest runs only, no time window)")
    return client, path, count, notes

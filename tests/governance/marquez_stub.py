"""A local HTTP server on 127.0.0.1 answering like Marquez's read API (spec/openapi.yml, 0.51):

GET /api/v1/events/lineage   LineageEventList {events, totalCount}; limit, offset, sortDirection, before, after
GET /api/v1/lineage          LineageGraph {graph: [GraphNode {id, type: DATASET|JOB, data, inEdges, outEdges}]}
GET /api/v1/column-lineage   LineageGraph of DATASET_FIELD nodes {namespace, dataset, field, fieldType,
                             inputFields: [{namespace, dataset, field, transformationDescription, transformationType}]}
GET /api/v1/namespaces, /namespaces/{ns}/jobs, /namespaces/{ns}/datasets
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class MarquezStub:
    def __init__(self, events: list[dict], field_tags: dict | None = None, events_endpoint: bool = True) -> None:
        self.events = sorted(events, key=lambda e: e["eventTime"])
        self.field_tags = field_tags or {}
        self.events_endpoint = events_endpoint
        self.requests: list[tuple[str, dict]] = []
        self.datasets: dict[tuple[str, str], dict] = {}
        self.jobs: dict[tuple[str, str], dict] = {}
        self.lineage: dict[tuple[str, str, str], list[dict]] = {}
        for e in self.events:
            job = self.jobs.setdefault((e["job"]["namespace"], e["job"]["name"]), {
                "inputs": set(), "outputs": set(), "run": None})
            if e["eventType"] in ("COMPLETE", "FAIL", "ABORT"):
                job["run"] = {"id": e["run"]["runId"], "state": {"COMPLETE": "COMPLETED", "FAIL": "FAILED",
                                                                  "ABORT": "ABORTED"}[e["eventType"]],
                              "endedAt": e["eventTime"]}
            for side in ("inputs", "outputs"):
                for d in e.get(side) or []:
                    key = (d["namespace"], d["name"])
                    job[side].add(key)
                    fields = self.datasets.setdefault(key, {})
                    for f in ((d.get("facets") or {}).get("schema") or {}).get("fields") or []:
                        fields[f["name"]] = f.get("type")
                    cl = (d.get("facets") or {}).get("columnLineage") or {}
                    for name, spec in (cl.get("fields") or {}).items():
                        inputs = []
                        for inp in spec.get("inputFields") or []:
                            t = (inp.get("transformations") or [{}])[0]
                            kind = t.get("subtype") if t.get("type") == "DIRECT" else "INDIRECT"
                            inputs.append({"namespace": inp["namespace"], "dataset": inp["name"],
                                           "field": inp["field"], "transformationDescription": None,
                                           "transformationType": kind})
                        self.lineage[(key[0], key[1], name)] = inputs

    # -- answers ---------------------------------------------------------------------------------

    def _dataset_data(self, key) -> dict:
        return {"id": {"namespace": key[0], "name": key[1]}, "type": "DB_TABLE", "name": key[1],
                "physicalName": key[1], "namespace": key[0], "sourceName": "default",
                "fields": [{"name": n, "type": t or "VARCHAR", "tags": self.field_tags.get((key[0], key[1], n), []),
                            "description": None} for n, t in self.datasets[key].items()],
                "tags": [], "facets": {}}

    def _dataset_key(self, node_id: str):
        for key in self.datasets:
            if node_id == f"dataset:{key[0]}:{key[1]}":
                return key
        return None

    def events_page(self, q: dict) -> dict:
        events = self.events
        if q.get("after"):
            events = [e for e in events if _time(e["eventTime"]) >= _time(q["after"])]
        if q.get("before"):
            events = [e for e in events if _time(e["eventTime"]) < _time(q["before"])]
        if (q.get("sortDirection") or "desc") == "desc":
            events = list(reversed(events))
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", 100))
        return {"events": events[offset: offset + limit], "totalCount": len(events)}

    def graph(self, q: dict) -> dict | None:
        start = self._dataset_key(q.get("nodeId", ""))
        if start is None:
            return None
        seen, todo = {start}, [start]
        while todo:  # the connected component, as Marquez returns with a large depth
            key = todo.pop()
            for job in self.jobs.values():
                if key in job["inputs"] | job["outputs"]:
                    for other in job["inputs"] | job["outputs"]:
                        if other not in seen:
                            seen.add(other)
                            todo.append(other)
        nodes = []
        for key in sorted(seen):
            node = f"dataset:{key[0]}:{key[1]}"
            nodes.append({"id": node, "type": "DATASET", "data": self._dataset_data(key),
                          "inEdges": [{"origin": f"job:{j[0]}:{j[1]}", "destination": node}
                                      for j, v in self.jobs.items() if key in v["outputs"]],
                          "outEdges": [{"origin": node, "destination": f"job:{j[0]}:{j[1]}"}
                                       for j, v in self.jobs.items() if key in v["inputs"]]})
        for (ns, name), v in sorted(self.jobs.items()):
            if (v["inputs"] | v["outputs"]) & seen:
                node = f"job:{ns}:{name}"
                nodes.append({"id": node, "type": "JOB", "data": {"id": {"namespace": ns, "name": name},
                                                                 "name": name, "namespace": ns},
                              "inEdges": [{"origin": f"dataset:{d[0]}:{d[1]}", "destination": node}
                                          for d in sorted(v["inputs"])],
                              "outEdges": [{"origin": node, "destination": f"dataset:{d[0]}:{d[1]}"}
                                           for d in sorted(v["outputs"])]})
        return {"graph": nodes}

    def column_graph(self, q: dict) -> dict | None:
        key = self._dataset_key(q.get("nodeId", ""))
        if key is None:
            return None
        nodes = []
        for name, type_ in self.datasets[key].items():
            inputs = self.lineage.get((key[0], key[1], name), [])
            node = f"datasetField:{key[0]}:{key[1]}:{name}"
            nodes.append({"id": node, "type": "DATASET_FIELD",
                          "data": {"namespace": key[0], "dataset": key[1], "datasetVersion": None, "field": name,
                                   "fieldType": type_, "inputFields": inputs},
                          "inEdges": [{"origin": f"datasetField:{i['namespace']}:{i['dataset']}:{i['field']}",
                                       "destination": node} for i in inputs],
                          "outEdges": []})
        return {"graph": nodes}

    def namespaces(self) -> dict:
        names = sorted({k[0] for k in self.jobs} | {k[0] for k in self.datasets})
        return {"namespaces": [{"name": n, "ownerName": "anonymous"} for n in names]}

    def job_list(self, ns: str) -> dict:
        return {"jobs": [{"id": {"namespace": k[0], "name": k[1]}, "type": "BATCH", "name": k[1], "namespace": k[0],
                          "inputs": [{"namespace": d[0], "name": d[1]} for d in sorted(v["inputs"])],
                          "outputs": [{"namespace": d[0], "name": d[1]} for d in sorted(v["outputs"])],
                          "latestRun": v["run"], "updatedAt": (v["run"] or {}).get("endedAt")}
                         for k, v in sorted(self.jobs.items()) if k[0] == ns], "totalCount": 0}

    def dataset_list(self, ns: str) -> dict:
        return {"datasets": [self._dataset_data(k) for k in sorted(self.datasets) if k[0] == ns], "totalCount": 0}

    # -- server ----------------------------------------------------------------------------------

    def start(self) -> str:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                stub.requests.append((parts.path, q))
                path = parts.path
                body = None
                if path == "/api/v1/events/lineage" and stub.events_endpoint:
                    body = stub.events_page(q)
                elif path == "/api/v1/lineage":
                    body = stub.graph(q)
                elif path == "/api/v1/column-lineage":
                    body = stub.column_graph(q)
                elif path == "/api/v1/namespaces":
                    body = stub.namespaces()
                elif path.startswith("/api/v1/namespaces/") and path.endswith("/jobs"):
                    body = stub.job_list(unquote(path[len("/api/v1/namespaces/"):-len("/jobs")]))
                elif path.startswith("/api/v1/namespaces/") and path.endswith("/datasets"):
                    body = stub.dataset_list(unquote(path[len("/api/v1/namespaces/"):-len("/datasets")]))
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"code":404,"message":"HTTP 404 Not Found"}')
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

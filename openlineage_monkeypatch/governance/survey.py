"""The survey: who reads and writes which dataset and column, how, what depends on it, where sensitive
columns end up, and where the lineage has gaps. Built from the Store's aggregates (never from events).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from .classify import Rule, apply_rules, tag_class
from .store import Store

DIRECT = "DIRECT"
INDIRECT = "INDIRECT"
STOP_CHOICES = ("masking", "aggregation")
INCOMPLETE_LIMIT = 100


def ds_label(namespace: str, name: str) -> str:
    """How a dataset is shown: s3://bucket/key, snowflake://acct/DB.S.T, file:/path."""
    return f"{namespace.rstrip('/')}/{name}" if "://" in namespace else f"{namespace}:{name}"


def col_label(namespace: str, name: str, column: str) -> str:
    return f"{ds_label(namespace, name)}.{column}"


def _ts(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def transformation_label(type_: str, subtype: str | None, masking: bool = False) -> str:
    text = f"{type_}/{subtype}" if subtype else type_
    return text + " (masked)" if masking else text


@dataclass
class Edge:
    job: tuple[str, str]
    src: tuple[str, str, str]
    dst: tuple[str, str, str]
    type: str
    subtype: str
    masking: bool
    runs: int
    dataset_level: bool = False

    def as_dict(self) -> dict:
        return {"job": {"namespace": self.job[0], "name": self.job[1]}, "type": self.type,
                "subtype": self.subtype or None, "masking": self.masking, "runs": self.runs,
                "datasetLevel": self.dataset_level}


@dataclass
class Sensitivity:
    stop_at: tuple[str, ...] = STOP_CHOICES
    rules: list[Rule] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # {(ns, name, column): {classes}} e.g. Marquez field tags


class Survey:
    """Everything the survey reports, as plain data (to_dict), from one loaded Store."""

    def __init__(self, store: Store, sensitivity: Sensitivity | None = None) -> None:
        self.store = store
        self.sensitivity = sensitivity or Sensitivity()
        q = store.query
        self.ds_use = q("SELECT * FROM ds_use ORDER BY ns, name, role, job_ns, job_name")
        self.field_use = q("SELECT * FROM field_use ORDER BY ns, name, field, role, job_ns, job_name")
        self.edge_rows = q("SELECT * FROM edges ORDER BY out_ns, out_name, out_field NULLS FIRST, in_ns, in_name, "
                           "in_field, job_ns, job_name, type, subtype, masking")
        self.op_rows = q("SELECT * FROM ops ORDER BY out_ns, out_name, out_field NULLS FIRST, job_ns, job_name, "
                         "position")
        self.tag_rows = q("SELECT * FROM tags ORDER BY ns, name, field NULLS FIRST, key, value")
        self.dataset_edge_rows = q("SELECT * FROM dataset_edges ORDER BY out_ns, out_name, in_ns, in_name, job_ns, "
                                   "job_name, basis")
        self._build_graph()

    # -- graph ------------------------------------------------------------------------------------

    def _build_graph(self) -> None:
        self.columns: dict[tuple[str, str, str], dict] = {}
        for row in self.field_use:
            key = (row["ns"], row["name"], row["field"])
            info = self.columns.setdefault(key, {"type": None, "first": None, "last": None})
            info["type"] = info["type"] or row["type"]
            self._seen(info, row["first_seen"], row["last_seen"])
        outputs_of: dict[tuple, set[str]] = defaultdict(set)  # (job, ns, name) -> output columns
        for row in self.field_use:
            if row["role"] == "output":
                outputs_of[(row["job_ns"], row["job_name"], row["ns"], row["name"])].add(row["field"])
        for row in self.edge_rows:
            if row["out_field"] is not None:
                outputs_of[(row["job_ns"], row["job_name"], row["out_ns"], row["out_name"])].add(row["out_field"])
        self.edges: list[Edge] = []
        for row in self.edge_rows:
            job = (row["job_ns"], row["job_name"])
            src = (row["in_ns"], row["in_name"], row["in_field"])
            self._seen(self.columns.setdefault(src, {"type": None, "first": None, "last": None}),
                       row["first_seen"], row["last_seen"])
            if row["out_field"] is not None:
                targets = [row["out_field"]]
                dataset_level = False
            else:
                targets = sorted(outputs_of.get((row["job_ns"], row["job_name"], row["out_ns"], row["out_name"]), ()))
                dataset_level = True
            for target in targets:
                dst = (row["out_ns"], row["out_name"], target)
                self._seen(self.columns.setdefault(dst, {"type": None, "first": None, "last": None}),
                           row["first_seen"], row["last_seen"])
                self.edges.append(Edge(job, src, dst, row["type"], row["subtype"], bool(row["masking"]), row["runs"],
                                       dataset_level))
        self.down: dict[tuple, list[Edge]] = defaultdict(list)
        self.up: dict[tuple, list[Edge]] = defaultdict(list)
        for e in self.edges:
            self.down[e.src].append(e)
            self.up[e.dst].append(e)
        self.jobs_with_lineage = {(r["job_ns"], r["job_name"]) for r in self.edge_rows}

    @staticmethod
    def _seen(info: dict, first, last) -> None:
        if first is not None and (info["first"] is None or first < info["first"]):
            info["first"] = first
        if last is not None and (info["last"] is None or last > info["last"]):
            info["last"] = last

    def closure(self, start: tuple, direction: str = "down") -> dict[tuple, dict]:
        """Columns reachable from `start` (transitively): {column: {hops, direct, via}}."""
        cache = self.__dict__.setdefault("_closures", {})
        key = (start, direction)
        if key not in cache:
            cache[key] = self._closure(start, direction)
        return cache[key]

    def _closure(self, start: tuple, direction: str) -> dict[tuple, dict]:
        adjacency = self.down if direction == "down" else self.up
        reached: dict[tuple, dict] = {}
        queue = deque([(start, 0, True)])
        best: dict[tuple, tuple[int, bool]] = {start: (0, True)}
        while queue:
            node, hops, direct_path = queue.popleft()
            for e in adjacency.get(node, ()):
                nxt = e.dst if direction == "down" else e.src
                if nxt == start:
                    continue
                is_direct = direct_path and e.type == DIRECT
                info = reached.get(nxt)
                if info is None:
                    reached[nxt] = {"hops": hops + 1, "direct": is_direct, "via": {e.job}}
                else:
                    info["via"].add(e.job)
                    if is_direct and not info["direct"]:
                        info["direct"] = True
                seen = best.get(nxt)
                if seen is None or (is_direct and not seen[1]):
                    best[nxt] = (hops + 1, is_direct)
                    queue.append((nxt, hops + 1, is_direct))
        return reached

    # -- sections -----------------------------------------------------------------------------------

    def overview(self) -> dict:
        q = self.store.scalar
        first, last = self.store.con.execute("SELECT min(first_seen), max(last_seen) FROM runs").fetchone()
        return {
            "window": {"since": _ts(self.store.since), "until": _ts(self.store.until), "firstEvent": _ts(first),
                       "lastEvent": _ts(last)},
            "events": self.store.summary.events,
            "runs": q("SELECT count(*) FROM runs"),
            "jobs": q("SELECT count(DISTINCT (job_ns, job_name)) FROM runs"),
            "datasets": len({(r["ns"], r["name"]) for r in self.ds_use}),
            "columns": len(self.columns),
            "columnEdges": len(self.edge_rows),
        }

    def jobs(self) -> list[dict]:
        rows = self.store.query("""
            SELECT job_ns, job_name, count(*) AS runs, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
                   count(*) FILTER (final_state = 'COMPLETE') AS complete,
                   count(*) FILTER (final_state = 'FAIL') AS fail, count(*) FILTER (final_state = 'ABORT') AS abort,
                   count(*) FILTER (final_state IS NULL) AS unfinished, arg_max(run_id, last_seen) AS last_run
            FROM runs GROUP BY ALL ORDER BY job_ns, job_name
        """)
        io: dict[tuple, dict[str, list]] = defaultdict(lambda: {"input": [], "output": []})
        for r in self.ds_use:
            io[(r["job_ns"], r["job_name"])][r["role"]].append(ds_label(r["ns"], r["name"]))
        return [{
            "namespace": r["job_ns"], "name": r["job_name"], "runs": r["runs"], "firstSeen": _ts(r["first_seen"]),
            "lastSeen": _ts(r["last_seen"]), "lastRun": r["last_run"],
            "states": {"COMPLETE": r["complete"], "FAIL": r["fail"], "ABORT": r["abort"], "unfinished": r["unfinished"]},
            "inputs": io[(r["job_ns"], r["job_name"])]["input"], "outputs": io[(r["job_ns"], r["job_name"])]["output"],
        } for r in rows]

    def dataset_lineage(self) -> list[dict]:
        """Dataset-to-dataset edges per job, each with its basis (see datasetlineage): "lineage" (the
        output's columnLineage names the input), "event" (our per-output RUNNING event lists it) or
        "coarse" (only an event listing all inputs and outputs of the run: a possible edge)."""
        merged: dict[tuple, dict] = {}
        rank = {"lineage": 0, "event": 1, "coarse": 2}
        for r in self.dataset_edge_rows:
            key = (r["job_ns"], r["job_name"], r["in_ns"], r["in_name"], r["out_ns"], r["out_name"])
            e = merged.get(key)
            if e is None:
                e = merged[key] = {"job": {"namespace": r["job_ns"], "name": r["job_name"]},
                                   "from": ds_label(r["in_ns"], r["in_name"]), "to": ds_label(r["out_ns"], r["out_name"]),
                                   "fromDataset": {"namespace": r["in_ns"], "name": r["in_name"]},
                                   "toDataset": {"namespace": r["out_ns"], "name": r["out_name"]},
                                   "basis": r["basis"], "runs": 0, "runsByBasis": {},
                                   "firstSeen": _ts(r["first_seen"]), "lastSeen": _ts(r["last_seen"])}
            if rank[r["basis"]] < rank[e["basis"]]:
                e["basis"] = r["basis"]
            e["runsByBasis"][r["basis"]] = r["runs"]
            e["runs"] += r["runs"]
            e["firstSeen"] = min(e["firstSeen"], _ts(r["first_seen"]))
            e["lastSeen"] = max(e["lastSeen"], _ts(r["last_seen"]))
        return [merged[k] for k in sorted(merged, key=lambda k: (k[4], k[5], k[2], k[3], k[0], k[1]))]

    def column_usage(self) -> list[dict]:
        """Per job and input column: returned (DIRECT), aggregated, masked, or only INDIRECT (filter, join...)."""
        usage: dict[tuple, dict] = {}
        for e in self.edges:
            if e.dataset_level:
                key = (e.job, e.src)
                u = usage.setdefault(key, _new_usage())
                u["indirect"].add(e.subtype or "")
                u["outputs"].add(ds_label(e.dst[0], e.dst[1]))
                u["runs"] = max(u["runs"], e.runs)
                continue
            key = (e.job, e.src)
            u = usage.setdefault(key, _new_usage())
            u["outputs"].add(ds_label(e.dst[0], e.dst[1]))
            u["runs"] = max(u["runs"], e.runs)
            if e.type == DIRECT:
                u["direct"].add(e.subtype or "")
                if e.masking:
                    u["masked"] = True
                elif e.subtype == "AGGREGATION":
                    u["aggregated"] = True
                else:
                    u["returned"] = True
            else:
                u["indirect"].add(e.subtype or "")
        reads = {}
        for r in self.field_use:
            if r["role"] == "input":
                reads[((r["job_ns"], r["job_name"]), (r["ns"], r["name"], r["field"]))] = r
        out = []
        for key in sorted(set(usage) | set(reads)):
            job, col = key
            u = usage.get(key)
            read = reads.get(key)
            if u is None:
                how = "read, in no output" if job in self.jobs_with_lineage else "read (no column lineage)"
                entry = {"how": how, "returned": False, "aggregated": False, "masked": False, "direct": [],
                         "indirect": [], "outputs": []}
            else:
                entry = {"how": _how(u), "returned": u["returned"], "aggregated": u["aggregated"],
                         "masked": u["masked"], "direct": sorted(s for s in u["direct"] if s),
                         "indirect": sorted(s for s in u["indirect"] if s), "outputs": sorted(u["outputs"])}
            runs = read["runs"] if read else (u or {}).get("runs", 0)
            out.append({"job": {"namespace": job[0], "name": job[1]}, "namespace": col[0], "dataset": col[1],
                        "column": col[2], "runs": runs,
                        "firstSeen": _ts(read["first_seen"]) if read else None,
                        "lastSeen": _ts(read["last_seen"]) if read else None, **entry})
        return out

    def datasets(self, usage: list[dict] | None = None) -> list[dict]:
        usage = usage if usage is not None else self.column_usage()
        by_col: dict[tuple, list[dict]] = defaultdict(list)
        for u in usage:
            by_col[(u["namespace"], u["dataset"], u["column"])].append(u)
        writers_of: dict[tuple, list[dict]] = defaultdict(list)
        for r in self.field_use:
            if r["role"] == "output":
                writers_of[(r["ns"], r["name"], r["field"])].append(
                    {"job": {"namespace": r["job_ns"], "name": r["job_name"]}, "runs": r["runs"],
                     "firstSeen": _ts(r["first_seen"]), "lastSeen": _ts(r["last_seen"])})
        classes = self.classifications()
        per_ds: dict[tuple, dict] = {}
        for r in self.ds_use:
            key = (r["ns"], r["name"])
            d = per_ds.setdefault(key, {"namespace": r["ns"], "name": r["name"], "label": ds_label(*key),
                                        "firstSeen": None, "lastSeen": None, "readRuns": 0, "writeRuns": 0,
                                        "readers": [], "writers": [], "columns": []})
            entry = {"job": {"namespace": r["job_ns"], "name": r["job_name"]}, "runs": r["runs"],
                     "firstSeen": _ts(r["first_seen"]), "lastSeen": _ts(r["last_seen"]), "lastRun": r["last_run"]}
            if r["role"] == "input":
                d["readers"].append(entry)
                d["readRuns"] += r["runs"]
            else:
                d["writers"].append(entry)
                d["writeRuns"] += r["runs"]
            d["firstSeen"] = min(filter(None, [d["firstSeen"], _ts(r["first_seen"])]), default=None)
            d["lastSeen"] = max(filter(None, [d["lastSeen"], _ts(r["last_seen"])]), default=None)
        for (ns, name, column), info in sorted(self.columns.items()):
            d = per_ds.get((ns, name))
            if d is None:  # only known from a lineage edge of a dataset not seen as input/output
                d = per_ds.setdefault((ns, name), {"namespace": ns, "name": name, "label": ds_label(ns, name),
                                                   "firstSeen": None, "lastSeen": None, "readRuns": 0,
                                                   "writeRuns": 0, "readers": [], "writers": [], "columns": []})
            d["columns"].append({
                "name": column, "type": info["type"], "firstSeen": _ts(info["first"]), "lastSeen": _ts(info["last"]),
                "classifications": sorted(classes.get((ns, name, column), ())),
                "readers": [{k: u[k] for k in ("job", "how", "returned", "aggregated", "masked", "direct", "indirect",
                                                "runs")} for u in by_col.get((ns, name, column), [])],
                "writers": writers_of.get((ns, name, column), []),
                "downstreamCount": len(self.closure((ns, name, column))) if self.down.get((ns, name, column)) else 0,
            })
        return [per_ds[k] for k in sorted(per_ds)]

    def dependencies(self, columns: Iterable[tuple] | None = None) -> list[dict]:
        """Transitive downstream columns of every column that has any."""
        out = []
        for col in sorted(columns if columns is not None else self.down):
            reached = self.closure(col)
            if not reached:
                continue
            out.append({
                "namespace": col[0], "dataset": col[1], "column": col[2], "label": col_label(*col),
                "downstream": [{"namespace": c[0], "dataset": c[1], "column": c[2], "label": col_label(*c),
                                "hops": info["hops"], "direct": info["direct"],
                                "via": [f"{j[0]}/{j[1]}" for j in sorted(info["via"])]}
                               for c, info in sorted(reached.items(), key=lambda kv: (kv[1]["hops"], kv[0]))],
            })
        return out

    # -- sensitive columns ------------------------------------------------------------------------

    def classifications(self) -> dict[tuple, set[str]]:
        """Seeds: field-level tags facets, the YAML rules, extra (Marquez) tags."""
        if hasattr(self, "_classes"):
            return self._classes
        seeds: dict[tuple, set[str]] = defaultdict(set)
        self._seed_sources: dict[tuple, set[str]] = defaultdict(set)
        for r in self.tag_rows:
            cls = tag_class(r["key"], r["value"])
            if cls and r["field"]:
                key = (r["ns"], r["name"], r["field"])
                seeds[key].add(cls)
                self._seed_sources[key].add("tags facet")
        for key, classes in apply_rules(self.sensitivity.rules, self.columns.keys()).items():
            seeds[key].update(classes)
            self._seed_sources[key].add("classification file")
        for key, classes in self.sensitivity.extra.items():
            seeds[tuple(key)].update(classes)
            self._seed_sources[tuple(key)].add("marquez tags")
        self._classes = dict(seeds)
        return self._classes

    def sensitive(self) -> dict:
        seeds = self.classifications()
        stop_at = set(self.sensitivity.stop_at)
        derived: dict[tuple, dict] = {}
        stopped: dict[tuple, dict] = {}
        for seed in sorted(seeds):
            classes = seeds[seed]
            parents: dict[tuple, tuple[tuple, Edge] | None] = {seed: None}
            queue = deque([seed])
            while queue:
                node = queue.popleft()
                for e in self.down.get(node, ()):
                    if e.type != DIRECT or e.dataset_level:
                        continue
                    reason = None
                    if e.masking and "masking" in stop_at:
                        reason = "masking"
                    elif e.subtype == "AGGREGATION" and "aggregation" in stop_at:
                        reason = "aggregation"
                    if reason:
                        key = (e.src, e.dst, e.job, reason)
                        s = stopped.setdefault(key, {"from": col_label(*e.src), "to": col_label(*e.dst),
                                                     "job": f"{e.job[0]}/{e.job[1]}", "reason": reason,
                                                     "transformation": transformation_label(e.type, e.subtype,
                                                                                            e.masking),
                                                     "classifications": set()})
                        s["classifications"].update(classes)
                        continue
                    if e.dst in parents:
                        continue
                    parents[e.dst] = (node, e)
                    queue.append(e.dst)
            for node, link in parents.items():
                if link is None:
                    continue
                info = derived.setdefault(node, {"classes": set(), "origins": {}, "paths": {}})
                info["classes"].update(classes)
                path = []
                cur = node
                while parents[cur] is not None:
                    prev, e = parents[cur]
                    path.append({"job": f"{e.job[0]}/{e.job[1]}", "from": col_label(*e.src), "to": col_label(*e.dst),
                                 "transformation": transformation_label(e.type, e.subtype, e.masking)})
                    cur = prev
                path.reverse()
                info["origins"][seed] = len(path)
                info["paths"].setdefault(seed, path)
        classified = [{"namespace": k[0], "dataset": k[1], "column": k[2], "label": col_label(*k),
                       "classifications": sorted(v), "sources": sorted(self._seed_sources.get(k, ()))}
                      for k, v in sorted(seeds.items())]
        derived_list = []
        for k, info in sorted(derived.items()):
            if k in seeds:
                continue
            origin, hops = min(info["origins"].items(), key=lambda kv: (kv[1], kv[0]))
            derived_list.append({
                "namespace": k[0], "dataset": k[1], "column": k[2], "label": col_label(*k),
                "classifications": sorted(info["classes"]),
                "origins": [col_label(*o) for o in sorted(info["origins"])],
                "hops": hops, "path": info["paths"][origin],
            })
        writers: dict[tuple, set[str]] = defaultdict(set)
        for r in self.ds_use:
            if r["role"] == "output":
                writers[(r["ns"], r["name"])].add(f"{r['job_ns']}/{r['job_name']}")
        materializations: dict[tuple, dict] = {}
        for item, is_derived in [(c, False) for c in classified] + [(d, True) for d in derived_list]:
            key = (item["namespace"], item["dataset"])
            m = materializations.setdefault(key, {"namespace": key[0], "name": key[1], "label": ds_label(*key),
                                                  "writers": sorted(writers.get(key, ())), "columns": []})
            m["columns"].append({"column": item["column"], "classifications": item["classifications"],
                                 "derived": is_derived, **({"origins": item["origins"]} if is_derived else {})})
        return {
            "stopAt": sorted(stop_at),
            "classified": classified,
            "derived": derived_list,
            "materializations": [materializations[k] for k in sorted(materializations)],
            "stopped": [{**v, "classifications": sorted(v["classifications"])}
                        for _, v in sorted(stopped.items(), key=lambda kv: (kv[1]["from"], kv[1]["to"], kv[1]["job"]))],
        }

    # -- coverage gaps ------------------------------------------------------------------------------

    def gaps(self) -> dict:
        q = self.store.query
        unparsed = [{"job": f"{r['job_ns']}/{r['job_name']}", "message": r["message"], "task": r["task"] or None,
                     "runs": r["runs"], "firstSeen": _ts(r["first_seen"]), "lastSeen": _ts(r["last_seen"]),
                     "lastRun": r["last_run"]}
                    for r in q("SELECT * FROM extraction_errors ORDER BY job_ns, job_name, message, task")]
        opaque = [{"job": f"{r['job_ns']}/{r['job_name']}", "operation": r["operation"], "runs": r["runs"],
                   "lastSeen": _ts(r["last_seen"]), "lastRun": r["last_run"]}
                  for r in q("SELECT * FROM opaque ORDER BY job_ns, job_name, operation")]
        approximate = [{"job": f"{r['job_ns']}/{r['job_name']}", "column": col_label(r["out_ns"], r["out_name"],
                                                                                     r["out_field"]),
                        "runs": r["runs"]}
                       for r in q("SELECT job_ns, job_name, out_ns, out_name, out_field, max(runs) AS runs FROM ops "
                                  "WHERE approximate AND out_field IS NOT NULL GROUP BY ALL "
                                  "ORDER BY job_ns, job_name, out_ns, out_name, out_field")]
        failed = [{"job": f"{r['job_ns']}/{r['job_name']}", "dataset": ds_label(r["ns"], r["name"]),
                   "action": r["action"], "error": r["error"], "count": r["count"], "runs": r["runs"],
                   "lastSeen": _ts(r["last_seen"]), "lastRun": r["last_run"]}
                  for r in q("SELECT * FROM failed WHERE ns IS NOT NULL AND name IS NOT NULL "
                             "ORDER BY job_ns, job_name, ns, name, action, error")]
        failed += [{"job": f"{r['job_ns']}/{r['job_name']}", "dataset": ds_label(r["ns"], r["name"]),
                    "action": r["action"], "error": "failed (access facet)", "count": r["failed"], "runs": r["runs"],
                    "lastSeen": _ts(r["last_seen"]), "lastRun": r["last_run"]}
                   for r in q("SELECT * FROM access WHERE failed > 0 ORDER BY job_ns, job_name, ns, name, action")]
        unfinished_total = self.store.scalar("SELECT count(*) FROM runs WHERE final_state IS NULL")
        unfinished = [{"runId": r["run_id"], "job": f"{r['job_ns']}/{r['job_name']}", "started": r["has_start"],
                       "firstSeen": _ts(r["first_seen"]), "lastSeen": _ts(r["last_seen"]), "events": r["events"]}
                      for r in q(f"SELECT * FROM runs WHERE final_state IS NULL ORDER BY last_seen DESC, run_id "
                                 f"LIMIT {INCOMPLETE_LIMIT}")]
        unfinished_by_job = [{"job": f"{r['job_ns']}/{r['job_name']}", "runs": r["n"], "withStart": r["with_start"]}
                             for r in q("SELECT job_ns, job_name, count(*) AS n, count(*) FILTER (has_start) "
                                        "AS with_start FROM runs WHERE final_state IS NULL GROUP BY ALL "
                                        "ORDER BY n DESC, job_ns, job_name")]
        failed_runs = [{"job": f"{r['job_ns']}/{r['job_name']}", "state": r["final_state"], "runs": r["n"],
                        "lastRun": r["last_run"], "lastMessage": r["message"]}
                       for r in q("SELECT r.job_ns, r.job_name, r.final_state, count(*) AS n, "
                                  "arg_max(r.run_id, r.last_seen) AS last_run, arg_max(e.message, r.last_seen) "
                                  "AS message FROM runs r LEFT JOIN run_errors e USING (run_id) "
                                  "WHERE r.final_state IN ('FAIL', 'ABORT') GROUP BY ALL ORDER BY 1, 2, 3")]
        internal = [{"job": f"{r['job_ns']}/{r['job_name']}", "integration": r["integration"], "runs": r["runs"],
                     "maxErrors": r["max_errors"]}
                    for r in q("SELECT * FROM internal_errors ORDER BY job_ns, job_name, integration")]
        without_lineage = [{"job": f"{r['job_ns']}/{r['job_name']}", "dataset": ds_label(r["ns"], r["name"]),
                            "runs": r["runs"],
                            "upstream": "inputs of its own events" if r["basis"] == "event" else
                                        "every input of the run (coarse)"}
                           for r in q("SELECT * FROM output_basis WHERE basis <> 'lineage' "
                                      "ORDER BY job_ns, job_name, ns, name, basis")]
        return {"unparsedStatements": unparsed, "opaqueOperations": opaque, "approximateColumns": approximate,
                "outputsWithoutColumnLineage": without_lineage,
                "failedAccesses": failed,
                "unfinishedRuns": {"total": unfinished_total, "byJob": unfinished_by_job, "latest": unfinished},
                "failedRuns": failed_runs, "internalErrors": internal}

    # -- everything ---------------------------------------------------------------------------------

    def to_dict(self, with_dependencies: bool = True) -> dict:
        usage = self.column_usage()
        return {
            "overview": self.overview(),
            "input": self.store.summary.as_dict(),
            "jobs": self.jobs(),
            "datasets": self.datasets(usage),
            "datasetLineage": self.dataset_lineage(),
            "columnUsage": usage,
            "dependencies": self.dependencies() if with_dependencies else [],
            "sensitive": self.sensitive(),
            "gaps": self.gaps(),
        }


def _new_usage() -> dict:
    return {"direct": set(), "indirect": set(), "returned": False, "aggregated": False, "masked": False,
            "outputs": set(), "runs": 0}


def _how(u: dict) -> str:
    parts = []
    if u["returned"]:
        parts.append("returned")
    if u["aggregated"]:
        parts.append("aggregated")
    if u["masked"]:
        parts.append("masked")
    if not parts:
        return "indirect only (" + ", ".join(sorted(s.lower() for s in u["indirect"] if s) or ["indirect"]) + ")"
    if u["indirect"]:
        parts.append("+ " + ", ".join(sorted(s.lower() for s in u["indirect"] if s)))
    return " ".join(parts)

"""The self-contained HTML lineage view: one file, inline CSS and JavaScript, the data embedded.

No server, no external request (a Content-Security-Policy forbids any): open it from disk. The page
draws the dataset graph (datasets grouped by namespace; an edge where a job wrote one dataset from
another, by the rule of governance.datasetlineage: the output's column lineage, else its own RUNNING
event, else, drawn dashed as coarse, every input of the run); a job is drawn as a node only for the
reads that feed none of its outputs and the writes with no known upstream dataset. A click on a dataset lists its columns, a click on a column lists its upstream
and downstream columns, transitively, with the transformation type of each edge and the file:line of
the operations behind it (monkeypatch_columnOperations).

    openlineage-monkeypatch view [SOURCES ...] --out lineage.html
"""

from __future__ import annotations

import html
import json
import os
from datetime import datetime, timezone

_HERE = os.path.dirname(__file__)

CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "connect-src 'none'; form-action 'none'; base-uri 'none'")


def _asset(name: str) -> str:
    with open(os.path.join(_HERE, name), encoding="utf-8") as handle:
        return handle.read()


def short_name(namespace: str, name: str) -> str:
    """The last path segment of a file or object, the table of DB.SCHEMA.TABLE, else the name."""
    stripped = name.rstrip("/")
    if "/" in stripped:
        return stripped.rsplit("/", 1)[1] or name
    if namespace.startswith(("snowflake://", "postgres://", "mysql://", "bigquery", "redshift://")) and "." in name:
        return name.rsplit(".", 1)[1]
    return name


def build_data(survey, title: str = "Lineage", sensitive: dict | None = None, notes=()) -> dict:
    """The data the page embeds, from a governance.survey.Survey."""
    from ..governance.survey import ds_label

    index: dict[tuple[str, str], int] = {}
    datasets: list[dict] = []

    def ds(namespace: str, name: str) -> int:
        key = (namespace, name)
        if key not in index:
            index[key] = len(datasets)
            datasets.append({"namespace": namespace, "name": name, "label": ds_label(namespace, name),
                             "short": short_name(namespace, name), "fields": [], "readers": [], "writers": []})
        return index[key]

    job_index: dict[tuple[str, str], int] = {}
    jobs: list[dict] = []

    def job(namespace: str, name: str) -> int:
        key = (namespace, name)
        if key not in job_index:
            job_index[key] = len(jobs)
            jobs.append({"namespace": namespace, "name": name, "runs": 0, "inputs": [], "outputs": []})
        return job_index[key]

    for r in survey.store.query("SELECT job_ns, job_name, count(*) AS runs FROM runs GROUP BY ALL ORDER BY 1, 2"):
        jobs[job(r["job_ns"], r["job_name"])]["runs"] = r["runs"]
    for r in survey.ds_use:
        d, j = ds(r["ns"], r["name"]), job(r["job_ns"], r["job_name"])
        side, holder = ("inputs", "readers") if r["role"] == "input" else ("outputs", "writers")
        if d not in jobs[j][side]:
            jobs[j][side].append(d)
        if j not in datasets[d][holder]:
            datasets[d][holder].append(j)
    classes = survey.classifications()
    derived = {}
    if sensitive:
        for item in sensitive.get("derived", []):
            derived[(item["namespace"], item["dataset"], item["column"])] = item["classifications"]
    for (namespace, name, column), info in sorted(survey.columns.items()):
        d = ds(namespace, name)
        field = {"name": column, "type": info.get("type")}
        if (namespace, name, column) in classes:
            field["classes"] = sorted(classes[(namespace, name, column)])
        elif (namespace, name, column) in derived:
            field["classes"] = derived[(namespace, name, column)]
            field["derived"] = True
        datasets[d]["fields"].append(field)
    dataset_edges: dict[tuple[int, int], dict] = {}
    linked: set[tuple[int, int, str]] = set()
    for e in survey.dataset_lineage():
        src = ds(e["fromDataset"]["namespace"], e["fromDataset"]["name"])
        dst = ds(e["toDataset"]["namespace"], e["toDataset"]["name"])
        j = job(e["job"]["namespace"], e["job"]["name"])
        item = dataset_edges.setdefault((src, dst), {"from": src, "to": dst, "jobs": []})
        item["jobs"].append({"job": j, "basis": e["basis"], "runs": e["runs"]})
        linked.add((j, src, "input"))
        linked.add((j, dst, "output"))
    # reads that feed no output of the job, writes with no upstream dataset: drawn to and from the job
    job_links = [{"job": j, "dataset": d, "role": role}
                 for j, info in enumerate(jobs) for role, side in (("input", "inputs"), ("output", "outputs"))
                 for d in info[side] if (j, d, role) not in linked]
    edges = []
    for e in survey.edges:
        edges.append({"from": [ds(e.src[0], e.src[1]), e.src[2]], "to": [ds(e.dst[0], e.dst[1]), e.dst[2]],
                      "job": job(*e.job), "type": e.type, "subtype": e.subtype or None, "masking": e.masking,
                      "datasetLevel": e.dataset_level, "runs": e.runs})
    operations: dict[str, list] = {}
    for r in survey.op_rows:
        if r["operation"] is None:
            continue
        # row operations (filters, joins ...) under "*": they are what dataset-level edges stand for
        key = f"{ds(r['out_ns'], r['out_name'])}\u0000{r['out_field'] if r['out_field'] is not None else '*'}"
        operations.setdefault(key, []).append({"job": job(r["job_ns"], r["job_name"]), "operation": r["operation"],
                                               "location": r["location"], "detail": r["detail"],
                                               "approximate": bool(r["approximate"])})
    namespaces = sorted({d["namespace"] for d in datasets})
    return {"title": title, "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "namespaces": namespaces, "datasets": datasets, "jobs": jobs,
            "datasetEdges": [dataset_edges[k] for k in sorted(dataset_edges)], "jobLinks": job_links,
            "columnEdges": edges,
            "operations": operations, "notes": list(notes)}


def _embed(data: dict) -> str:
    text = json.dumps(data, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(data: dict, report_html: str | None = None) -> str:
    """The whole page as one HTML string."""
    title = html.escape(data.get("title") or "Lineage")
    tabs = ""
    report = ""
    if report_html is not None:
        tabs = ('<nav class="tabs"><button class="active" data-tab="graph">Lineage graph</button>'
                '<button data-tab="report">Survey report</button></nav>')
        report = f'<section id="report">{report_html}</section>'
    meta = html.escape(f"{len(data['datasets'])} datasets · {len(data['jobs'])} jobs · generated {data['generated']}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_asset("viewer.css")}</style>
</head>
<body>
<header><h1>{title}</h1>{tabs}<span class="meta">{meta}</span>
<input id="search" type="search" placeholder="find a dataset or column" aria-label="find"></header>
<main><div id="graph"></div><aside id="panel"></aside>{report}</main>
<script id="lineage-data" type="application/json">{_embed(data)}</script>
<script>{_asset("viewer.js")}</script>
</body>
</html>
"""


def write(path: str, data: dict, report_html: str | None = None) -> str:
    text = render(data, report_html)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def from_events(sources, out: str, title: str = "Lineage") -> dict:
    """Write the page for event files or folders (what `openlineage-monkeypatch view` does); returns
    the embedded data. Needs the governance extra (DuckDB)."""
    from ..governance.sources import resolve_paths
    from ..governance.store import Store
    from ..governance.survey import Survey

    files, notes = resolve_paths([str(s) for s in sources])
    with Store() as store:
        store.load_files(files)
        store.finish_loading()
        store.summary.notes.extend(notes)
        survey = Survey(store)
        data = build_data(survey, title, survey.sensitive(), store.summary.notes)
    write(out, data)
    return data

"""The survey's tables as HTML (the "Survey report" tab of the self-contained page)."""

from __future__ import annotations

import html


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _table(headers: list[str], rows: list[list], numeric=()) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for r in rows:
        body.append("<tr>" + "".join(
            f'<td{" class=num" if i in numeric else ""}>{html.escape(_cell(c))}</td>' for i, c in enumerate(r)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _job(j: dict) -> str:
    return f"{j['namespace']}/{j['name']}"


def render_report(data: dict) -> str:
    ov, inp, sens, gaps = data["overview"], data["input"], data["sensitive"], data["gaps"]
    sk = inp["skipped"]
    parts = ["<h2>Overview</h2>", _table(["", ""], [
        ["window", f"{ov['window']['since'] or 'start'} .. {ov['window']['until'] or 'now'}"],
        ["events used", ov["events"]], ["runs", ov["runs"]], ["jobs", ov["jobs"]], ["datasets", ov["datasets"]],
        ["columns", ov["columns"]], ["lines read", inp["lines"]], ["files", inp["files"]],
        ["skipped", f"{sk['malformed']} malformed, {sk['invalid']} invalid, {sk['duplicate']} duplicate, "
                    f"{sk['otherProducer']} other producers, {sk['outsideWindow']} outside the window"],
        ["unknown facets (ignored)", ", ".join(f"{k} ({v})" for k, v in inp["unknownFacets"].items())],
        ["notes", "; ".join(inp["notes"])],
    ])]
    parts += ["<h2>Datasets: who reads and writes them</h2>", _table(
        ["dataset", "read by (runs)", "written by (runs)", "first seen", "last seen"],
        [[d["label"], [f"{_job(r['job'])} ({r['runs']})" for r in d["readers"]],
          [f"{_job(r['job'])} ({r['runs']})" for r in d["writers"]], d["firstSeen"], d["lastSeen"]]
         for d in data["datasets"]])]
    parts += ["<h2>Dataset lineage</h2>",
              "<p>basis: <b>lineage</b> = the output's column lineage names the input; <b>event</b> = the "
              "output's own event lists it; <b>coarse</b> = only an event listing every input and output of the "
              "run (a possible edge)</p>",
              _table(["from", "to", "job", "basis", "runs"],
                     [[e["from"], e["to"], _job(e["job"]), e["basis"], e["runs"]]
                      for e in data.get("datasetLineage", [])], numeric=(4,))]
    parts += ["<h2>Column use by job</h2>", _table(
        ["job", "column", "how", "transformations", "runs"],
        [[_job(u["job"]), f"{u['dataset']}.{u['column']}", u["how"], u["direct"] + u["indirect"], u["runs"]]
         for u in data["columnUsage"]], numeric=(4,))]
    parts += ["<h2>Sensitive columns</h2>", _table(
        ["column", "classes", "from"], [[c["label"], c["classifications"], c["sources"]] for c in sens["classified"]]),
        f"<h2>Derived sensitive columns (stop at: {html.escape(', '.join(sens['stopAt']) or 'nothing')})</h2>",
        _table(["column", "classes", "derived from", "hops", "path"],
               [[d["label"], d["classifications"], d["origins"], d["hops"],
                 " → ".join(f"{p['job']}: {p['transformation']}" for p in d["path"])] for d in sens["derived"]]),
        "<h2>Materializations holding sensitive columns</h2>",
        _table(["dataset", "columns (* derived)", "written by"],
               [[m["label"], [c["column"] + ("*" if c["derived"] else "") for c in m["columns"]], m["writers"]]
                for m in sens["materializations"]]),
        "<h2>Propagation stopped (masked or aggregated)</h2>",
        _table(["from", "to", "job", "transformation"],
               [[s["from"], s["to"], s["job"], s["transformation"]] for s in sens["stopped"]])]
    parts += ["<h2>Downstream dependencies</h2>", _table(
        ["column", "downstream columns", "with a DIRECT-only path"],
        [[d["label"], len(d["downstream"]), sum(1 for x in d["downstream"] if x["direct"])]
         for d in data["dependencies"]], numeric=(1, 2))]
    un = gaps["unfinishedRuns"]
    parts += ["<h2>Coverage gaps</h2>",
              "<h3>Statements that did not parse</h3>",
              _table(["job", "message", "runs", "last run"],
                     [[x["job"], x["message"], x["runs"], x["lastRun"]] for x in gaps["unparsedStatements"]]),
              "<h3>Opaque operations</h3>",
              _table(["job", "operation", "runs"], [[x["job"], x["operation"], x["runs"]] for x in gaps["opaqueOperations"]]),
              "<h3>Approximate columns</h3>",
              _table(["job", "column", "runs"], [[x["job"], x["column"], x["runs"]] for x in gaps["approximateColumns"]]),
              "<h3>Outputs without column lineage</h3>",
              _table(["job", "dataset", "runs", "upstream taken from"],
                     [[x["job"], x["dataset"], x["runs"], x["upstream"]]
                      for x in gaps.get("outputsWithoutColumnLineage", [])]),
              "<h3>Failed accesses</h3>",
              _table(["job", "dataset", "action", "error", "count", "runs"],
                     [[x["job"], x["dataset"], x["action"], x["error"], x["count"], x["runs"]]
                      for x in gaps["failedAccesses"]]),
              f"<h3>Runs that never finished ({un['total']})</h3>",
              _table(["job", "runs", "with START"], [[x["job"], x["runs"], x["withStart"]] for x in un["byJob"]]),
              "<h3>Failed or aborted runs</h3>",
              _table(["job", "state", "runs", "last message"],
                     [[x["job"], x["state"], x["runs"], x["lastMessage"]] for x in gaps["failedRuns"]])]
    return "\n".join(parts)

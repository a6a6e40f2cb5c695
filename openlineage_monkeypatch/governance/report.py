"""The survey as a terminal report (plain-text tables) and as JSON."""

from __future__ import annotations

import json
import shutil


def table(headers: list[str], rows: list[list], max_width: int | None = None) -> str:
    """A plain-text table; long cells are cut in the middle so both ends stay readable."""
    if not rows:
        return "  (none)"
    width = max_width or max(80, min(200, shutil.get_terminal_size((160, 20)).columns))
    cells = [[_cell(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    budget = width - 2 - 2 * (len(headers) - 1)
    while sum(widths) > budget and max(widths) > 12:
        i = widths.index(max(widths))
        widths[i] -= 1
    lines = ["  " + "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip(),
             "  " + "  ".join("-" * w for w in widths)]
    for r in cells:
        lines.append("  " + "  ".join(_fit(c, widths[i]).ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _fit(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    keep = width - 1
    head = keep // 3
    return text[:head] + "…" + text[len(text) - (keep - head):]


def _day(ts: str | None) -> str:
    return (ts or "")[:19].replace("T", " ")


def render_text(data: dict, limit: int = 50) -> str:
    out: list[str] = []
    ov = data["overview"]
    inp = data["input"]
    w = ov["window"]
    out.append("openlineage-monkeypatch survey")
    out.append(f"  window       : {w['since'] or 'start'} .. {w['until'] or 'now'} "
               f"(events from {_day(w['firstEvent']) or '-'} to {_day(w['lastEvent']) or '-'})")
    out.append(f"  read         : {inp['lines']} line(s) in {inp['files']} file(s); {ov['events']} event(s), "
               f"{ov['runs']} run(s) of {ov['jobs']} job(s); {ov['datasets']} dataset(s), {ov['columns']} column(s)")
    sk = inp["skipped"]
    out.append(f"  skipped      : {sk['malformed']} malformed, {sk['invalid']} invalid, {sk['duplicate']} duplicate, "
               f"{sk['otherProducer']} from other producers, {sk['outsideWindow']} outside the window")
    if inp["unknownFacets"]:
        out.append("  unknown facets (ignored): " + ", ".join(f"{k} ({v})" for k, v in inp["unknownFacets"].items()))
    for f in inp["unreadableFiles"]:
        out.append(f"  unreadable   : {f['path']}: {f['error']}")
    for note in inp["notes"]:
        out.append(f"  note         : {note}")

    out.append("\nDATASETS: who reads and writes them")
    rows = []
    for d in data["datasets"][:limit]:
        rows.append([d["label"], [_job(r["job"]) + f" ({r['runs']})" for r in d["readers"]],
                     [_job(r["job"]) + f" ({r['runs']})" for r in d["writers"]], _day(d["firstSeen"]),
                     _day(d["lastSeen"])])
    out.append(table(["DATASET", "READ BY (runs)", "WRITTEN BY (runs)", "FIRST SEEN", "LAST SEEN"], rows))
    _more(out, data["datasets"], limit)

    lineage = data.get("datasetLineage", [])
    out.append("\nDATASET LINEAGE: which datasets each written dataset comes from (basis: lineage = its column "
               "lineage names it; event = its own event lists it; coarse = only a whole-run event, possible)")
    out.append(table(["FROM", "TO", "JOB", "BASIS", "RUNS"],
                     [[e["from"], e["to"], _job(e["job"]), e["basis"], e["runs"]] for e in lineage[:limit]]))
    _more(out, lineage, limit)

    out.append("\nCOLUMN USE: how each job uses the columns it reads")
    rows = [[_job(u["job"]), f"{_ds(u)}.{u['column']}", u["how"],
             ", ".join(u["direct"] + [s for s in u["indirect"]]), u["runs"]]
            for u in data["columnUsage"][: limit * 4]]
    out.append(table(["JOB", "COLUMN", "HOW", "TRANSFORMATIONS", "RUNS"], rows))
    _more(out, data["columnUsage"], limit * 4)

    sens = data["sensitive"]
    out.append("\nSENSITIVE COLUMNS: classified at the source")
    out.append(table(["COLUMN", "CLASS", "FROM"],
                     [[c["label"], c["classifications"], c["sources"]] for c in sens["classified"][:limit]]))
    _more(out, sens["classified"], limit)
    out.append(f"\nDERIVED SENSITIVE COLUMNS (along DIRECT edges; propagation stops at: "
               f"{', '.join(sens['stopAt']) or 'nothing'})")
    out.append(table(["COLUMN", "CLASS", "FROM", "HOPS", "LAST STEP"],
                     [[d["label"], d["classifications"], d["origins"], d["hops"],
                       (d["path"][-1]["job"] + ": " + d["path"][-1]["transformation"]) if d["path"] else ""]
                      for d in sens["derived"][:limit]]))
    _more(out, sens["derived"], limit)
    out.append("\nMATERIALIZATIONS holding sensitive columns")
    out.append(table(["DATASET", "SENSITIVE COLUMNS", "WRITTEN BY"],
                     [[m["label"], [c["column"] + ("*" if c["derived"] else "") for c in m["columns"]], m["writers"]]
                      for m in sens["materializations"][:limit]]))
    out.append("  (* derived)")
    if sens["stopped"]:
        out.append("\nPROPAGATION STOPPED (masked or aggregated)")
        out.append(table(["FROM", "TO", "JOB", "BECAUSE"],
                         [[s["from"], s["to"], s["job"], s["transformation"]] for s in sens["stopped"][:limit]]))

    deps = data["dependencies"]
    if deps:
        out.append("\nDOWNSTREAM DEPENDENCIES (transitive; D = a DIRECT-only path exists)")
        rows = []
        for d in deps[:limit]:
            down = d["downstream"]
            direct = sum(1 for x in down if x["direct"])
            shown = ", ".join(x["label"] + ("" if x["direct"] else " (i)") for x in down[:4])
            rows.append([d["label"], len(down), direct, shown + (" …" if len(down) > 4 else "")])
        out.append(table(["COLUMN", "DOWNSTREAM", "D", "FIRST ONES"], rows))
        _more(out, deps, limit)

    g = data["gaps"]
    out.append("\nCOVERAGE GAPS")
    out.append(f"  statements that did not parse : {sum(x['runs'] for x in g['unparsedStatements'])} run(s)")
    out.append(table(["JOB", "MESSAGE", "RUNS", "LAST RUN"],
                     [[x["job"], x["message"], x["runs"], x["lastRun"]] for x in g["unparsedStatements"][:limit]]))
    out.append(f"  opaque operations             : {len(g['opaqueOperations'])}")
    if g["opaqueOperations"]:
        out.append(table(["JOB", "OPERATION", "RUNS"],
                         [[x["job"], x["operation"], x["runs"]] for x in g["opaqueOperations"][:limit]]))
    out.append(f"  approximate columns           : {len(g['approximateColumns'])}")
    if g["approximateColumns"]:
        out.append(table(["JOB", "COLUMN", "RUNS"],
                         [[x["job"], x["column"], x["runs"]] for x in g["approximateColumns"][:limit]]))
    no_lineage = g.get("outputsWithoutColumnLineage", [])
    out.append(f"  outputs without column lineage: {len(no_lineage)}")
    if no_lineage:
        out.append(table(["JOB", "DATASET", "RUNS", "UPSTREAM TAKEN FROM"],
                         [[x["job"], x["dataset"], x["runs"], x["upstream"]] for x in no_lineage[:limit]]))
    out.append(f"  failed accesses               : {sum(x['count'] or 0 for x in g['failedAccesses'])}")
    if g["failedAccesses"]:
        out.append(table(["JOB", "DATASET", "ACTION", "ERROR", "COUNT", "RUNS"],
                         [[x["job"], x["dataset"], x["action"], x["error"], x["count"], x["runs"]]
                          for x in g["failedAccesses"][:limit]]))
    un = g["unfinishedRuns"]
    out.append(f"  runs that never finished      : {un['total']}")
    if un["byJob"]:
        out.append(table(["JOB", "RUNS", "WITH START"], [[x["job"], x["runs"], x["withStart"]] for x in un["byJob"][:limit]]))
    if g["failedRuns"]:
        out.append("  failed or aborted runs:")
        out.append(table(["JOB", "STATE", "RUNS", "LAST MESSAGE"],
                         [[x["job"], x["state"], x["runs"], x["lastMessage"]] for x in g["failedRuns"][:limit]]))
    if g["internalErrors"]:
        out.append("  instrumentation errors (caught, never affected the job):")
        out.append(table(["JOB", "INTEGRATION", "RUNS", "MAX ERRORS"],
                         [[x["job"], x["integration"], x["runs"], x["maxErrors"]] for x in g["internalErrors"]]))
    return "\n".join(out) + "\n"


def _job(job: dict) -> str:
    return f"{job['namespace']}/{job['name']}"


def _ds(u: dict) -> str:
    ns = u["namespace"]
    return f"{ns.rstrip('/')}/{u['dataset']}" if "://" in ns else f"{ns}:{u['dataset']}"


def _more(out: list[str], items: list, limit: int) -> None:
    if len(items) > limit:
        out.append(f"  … {len(items) - limit} more (--format json or html for everything)")


def render_json(data: dict) -> str:
    return json.dumps(data, indent=2, default=str) + "\n"

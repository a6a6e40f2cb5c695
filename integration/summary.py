"""A terminal summary of a run's lineage events: datasets, jobs, column-lineage edges, where PII flows.

    python -m integration.summary EVENTS_FILE_OR_FOLDER

PII follows DIRECT edges from the source columns named in PII_COLUMNS through every output that
derives from them (across files and tables written and read back in the run); a masking
transformation (a hash) or an aggregation stops it, as the governance survey does by default.
"""
from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

# Source columns that hold personal data in the demo pipeline: (dataset name suffix, column); the same
# as integration/pii.yml, which the HTML view (openlineage-monkeypatch view --classifications) uses.
PII_COLUMNS = {("SHOP.CRM.CUSTOMERS", "EMAIL"), ("SHOP.CRM.CUSTOMERS", "FULL_NAME"),
               ("contact_preferences.csv", "phone")}


def load(path: Path | str) -> list[dict]:
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.rglob("*.ndjson"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]


def short(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if "://" in namespace else f"{namespace}:{name}"


def final_outputs(events: list[dict]) -> dict[tuple, dict]:
    """Each output dataset's facets from the last event that reported it (the COMPLETE event)."""
    outputs: dict[tuple, dict] = {}
    for event in events:
        for ds in event.get("outputs") or []:
            outputs[(ds["namespace"], ds["name"])] = ds.get("facets") or {}
    return outputs


def edges(events: list[dict]) -> list[tuple]:
    """(output dataset, output column or '*', input dataset, input column, type, subtype, masking)."""
    found = []
    for out, facets in final_outputs(events).items():
        lineage = facets.get("columnLineage") or {}
        for column, spec in (lineage.get("fields") or {}).items():
            for item in spec.get("inputFields") or []:
                for t in item.get("transformations") or [{}]:
                    found.append((out, column, (item["namespace"], item["name"]), item["field"], t.get("type"),
                                  t.get("subtype"), bool(t.get("masking"))))
        for item in lineage.get("dataset") or []:
            for t in item.get("transformations") or [{}]:
                found.append((out, "*", (item["namespace"], item["name"]), item["field"], t.get("type"),
                              t.get("subtype"), bool(t.get("masking"))))
    return found


def pii_flow(all_edges: list[tuple]) -> list[tuple]:
    """(source column, reached column, how: 'copied'|'derived'|'masked'|'aggregated') for each PII source."""
    direct = defaultdict(list)  # (dataset, column) -> [(output dataset, output column, subtype, masking)]
    for out, column, ds, field, kind, subtype, masking in all_edges:
        if kind == "DIRECT" and column != "*":
            direct[(ds, field)].append((out, column, subtype, masking))
    sources = [(ds, field) for (ds, field) in direct if any(ds[1].endswith(s) and field == f for s, f in PII_COLUMNS)]
    result = []
    for source in sorted(sources):
        seen = {source}
        frontier = [(source, "copied")]
        while frontier:
            node, how = frontier.pop()
            for out, column, subtype, masking in direct.get(node, []):
                target = (out, column)
                if target in seen:
                    continue
                seen.add(target)
                step = "masked" if masking else "aggregated" if subtype == "AGGREGATION" else \
                    how if subtype == "IDENTITY" else "derived"
                result.append((source, target, step))
                if step not in ("masked", "aggregated"):
                    frontier.append((target, step))
    return result


def summarize(events: list[dict]) -> dict:
    finals = [e for e in events if e.get("eventType") in ("COMPLETE", "FAIL", "ABORT")]
    inputs, outputs = set(), set()
    for event in events:
        inputs.update((d["namespace"], d["name"]) for d in event.get("inputs") or [])
        outputs.update((d["namespace"], d["name"]) for d in event.get("outputs") or [])
    all_edges = edges(events)
    return {
        "jobs": sorted({(e["job"]["namespace"], e["job"]["name"]) for e in events}),
        "runs": sorted({e["run"]["runId"] for e in events}),
        "event_types": Counter(e.get("eventType") for e in events),
        "final": [e.get("eventType") for e in finals],
        "inputs": sorted(inputs - outputs),
        "intermediates": sorted(inputs & outputs),
        "outputs": sorted(outputs - inputs),
        "schemas": {k: len(((v.get("schema") or {}).get("fields") or [])) for k, v in final_outputs(events).items()},
        "edges": all_edges,
        "pii": pii_flow(all_edges),
    }


def format_text(summary: dict) -> str:
    lines = []
    for namespace, name in summary["jobs"]:
        lines.append(f"job      {namespace}/{name}: {len(summary['runs'])} run(s), events "
                     + ", ".join(f"{k} {v}" for k, v in sorted(summary["event_types"].items())))
    for label, key in (("reads", "inputs"), ("re-reads", "intermediates"), ("writes", "outputs")):
        for ds in summary[key]:
            columns = summary["schemas"].get(ds)
            lines.append(f"{label:<8} {short(*ds)}" + (f"  ({columns} columns)" if columns else ""))
    kinds = Counter(f"{e[4]}/{e[5]}" for e in summary["edges"])
    field_edges = sum(1 for e in summary["edges"] if e[1] != "*")
    lines.append(f"column lineage: {field_edges} column edges, {len(summary['edges']) - field_edges} dataset-level "
                 f"edges ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    if summary["pii"]:
        lines.append("PII flow (DIRECT edges from personal-data columns):")
        for source, target, how in summary["pii"]:
            lines.append(f"  {source[0][1]}.{source[1]} -> {short(*target[0])} . {target[1]}  [{how}]")
    else:
        lines.append("PII flow: no column lineage from personal-data columns in these events")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_text(summarize(load(sys.argv[1]))))

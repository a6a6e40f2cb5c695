"""The demo's terminal summary of a set of lineage events, for a governance engineer, in ~20 lines.

    python -m integration.summary EVENTS_FILE_OR_FOLDER [--classifications integration/pii.yml]

It reads the events with the governance survey (openlineage_monkeypatch.governance), the same code
behind `openlineage-monkeypatch survey` and the HTML view, so the three always agree:

- the job and its runs; the datasets read and written, per system;
- what each written dataset comes from: the datasets its column lineage names (else its own
  RUNNING event's inputs, else, marked coarse, every input of the run), never inputs x outputs;
- the column edges by transformation type;
- where classified columns (PII) flow along DIRECT edges, and where masking or aggregation stops them;
- coverage gaps: approximate columns, statements that did not parse, opaque operations, failed
  accesses, outputs without column lineage, unfinished or failed runs.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter, defaultdict
from pathlib import Path

WORDS = {"IDENTITY": "copied", "TRANSFORMATION": "derived", "AGGREGATION": "aggregated"}
DIRECT_ORDER = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
INDIRECT_ORDER = ("JOIN", "FILTER", "GROUP_BY", "SORT", "WINDOW", "CONDITIONAL")


@contextlib.contextmanager
def open_survey(sources, classifications: str | Path | None = None):
    """A governance Survey of event files or folders (closed on exit)."""
    from openlineage_monkeypatch.governance.classify import load_rules
    from openlineage_monkeypatch.governance.sources import resolve_paths
    from openlineage_monkeypatch.governance.store import Store
    from openlineage_monkeypatch.governance.survey import Sensitivity, Survey

    sources = [str(s) for s in (sources if isinstance(sources, (list, tuple)) else [sources])]
    rules = load_rules(str(classifications)) if classifications else []
    files, notes = resolve_paths(sources)
    with Store(memory_limit="512MB") as store:
        store.load_files(files)
        store.finish_loading()
        store.summary.notes.extend(notes)
        yield Survey(store, Sensitivity(rules=rules))


def system_of(namespace: str) -> str:
    return namespace.split("://", 1)[0] if "://" in namespace else namespace


class Names:
    """Short, unambiguous dataset names: an object's file name or a table's DB.SCHEMA.TABLE."""

    def __init__(self, datasets) -> None:
        self.count = Counter(self._base(ns, name) for ns, name in datasets)

    @staticmethod
    def _base(namespace: str, name: str) -> str:
        stripped = name.rstrip("/")
        return stripped.rsplit("/", 1)[1] if "/" in stripped else name

    def __call__(self, namespace: str, name: str) -> str:
        base = self._base(namespace, name)
        return base if self.count[base] == 1 else name

    def column(self, key: tuple) -> str:
        return f"{self(key[0], key[1])}.{key[2]}"


def _join(items, limit: int = 6) -> str:
    items = list(items)
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def format_text(survey, classifications_label: str | None = None) -> str:
    """The summary of a governance Survey (see open_survey), one line per fact."""
    from openlineage_monkeypatch.governance.survey import ds_label

    lines: list[str] = []
    jobs = survey.jobs()
    for j in jobs:
        states = ", ".join(f"{k} {v}" for k, v in j["states"].items() if v)
        lines.append(f"job        {j['namespace']}/{j['name']}: {j['runs']} run{'s' if j['runs'] != 1 else ''} "
                     f"({states})")
    skipped = survey.store.summary.skipped()
    if skipped:
        lines.append(f"input      {survey.store.summary.events} events used, {skipped} skipped (malformed, invalid, "
                     f"duplicate or another producer's)")

    read, written, first_written, readers, writers = set(), set(), {}, defaultdict(set), defaultdict(set)
    for r in survey.ds_use:
        key = (r["ns"], r["name"])
        if r["role"] == "input":
            read.add(key)
            readers[key].add((r["job_ns"], r["job_name"]))
        else:
            written.add(key)
            writers[key].add((r["job_ns"], r["job_name"]))
            first_written[key] = min(first_written.get(key, r["first_seen"]), r["first_seen"])
    names = Names(set(read) | set(written) | {(k[0], k[1]) for k in survey.columns})
    by_system: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for ns, name in sorted(read):
        if (ns, name) not in written:
            by_system[("reads", system_of(ns))][ns].append(name)
    for ns, name in sorted(written):
        by_system[("writes", system_of(ns))][ns].append(name)
    for (verb, system), per_ns in sorted(by_system.items(), key=lambda kv: (kv[0][0] != "reads", kv[0][1])):
        text = "; ".join(f"{ns}: {_join(items)}" for ns, items in sorted(per_ns.items()))
        lines.append(f"{verb:<10} {system:<10} {text}")

    # what each written dataset comes from (the same rule as the HTML view's edges)
    upstream: dict[tuple, list[str]] = defaultdict(list)
    for e in survey.dataset_lineage():
        src = (e["fromDataset"]["namespace"], e["fromDataset"]["name"])
        dst = (e["toDataset"]["namespace"], e["toDataset"]["name"])
        text = "itself" if src == dst else names(*src)
        upstream[dst].append(text + (" (coarse)" if e["basis"] == "coarse" else ""))
    no_lineage = defaultdict(list)
    for g in survey.gaps()["outputsWithoutColumnLineage"]:
        no_lineage[g["dataset"]].append(g["job"])
    lines.append("lineage    each written dataset <- what its column lineage names")
    width = max((len(names(*d)) for d in written), default=0)
    for ds in sorted(written, key=lambda d: (first_written[d], d)):  # in the order the job wrote them
        ups = upstream.get(ds)
        notes = ["read back"] if readers[ds] & writers[ds] else []
        if ds_label(*ds) in no_lineage:
            by = f" from {', '.join(no_lineage[ds_label(*ds)])}" if len(jobs) > 1 else ""
            notes.append(f"no column lineage{by}" + ("; inputs from its own event" if ups else
                                                     "; its events name no input"))
        note = f"  ({'; '.join(notes)})" if notes else ""
        ups = sorted(ups or [], key=lambda u: u.startswith("itself"))
        lines.append(f"  {names(*ds):<{width}} <- {_join(ups) if ups else '?'}{note}")

    field_kinds, row_kinds, masked = Counter(), Counter(), 0
    for r in survey.edge_rows:
        (field_kinds if r["out_field"] is not None else row_kinds)[(r["type"], r["subtype"] or "")] += 1
        masked += bool(r["masking"])
    kinds = field_kinds + row_kinds

    def part(type_: str, order) -> str:
        found = {s: n for (t, s), n in kinds.items() if t == type_}
        ordered = [s for s in order if s in found] + sorted(s for s in found if s not in order)
        return f"{type_} " + ", ".join(f"{s or '?'} {found[s]}" for s in ordered) if found else ""

    lines.append(f"columns    {sum(field_kinds.values())} column edges + {sum(row_kinds.values())} row-level: "
                 + "; ".join(p for p in (part("DIRECT", DIRECT_ORDER), part("INDIRECT", INDIRECT_ORDER)) if p)
                 + (f" ({masked} masked)" if masked else ""))

    sens = survey.sensitive()
    if sens["classified"]:
        classes = ", ".join(sorted({c for item in sens["classified"] for c in item["classifications"]}))
        lines.append(f"{classes:<10} from {classifications_label or 'the classifications'}, along DIRECT edges; "
                     f"stops at {' and '.join(sens['stopAt']) or 'nothing'}")
        lines.extend(f"  {chain}" for chain in _pii_chains(survey, sens, names))
    else:
        lines.append("PII        no classified column in these events")

    g = survey.gaps()
    counts = [(len(g["approximateColumns"]), "approximate column(s)", [x["column"] for x in g["approximateColumns"]]),
              (sum(x["runs"] for x in g["unparsedStatements"]), "unparsed statement(s)",
               [x["message"] for x in g["unparsedStatements"]]),
              (len(g["opaqueOperations"]), "opaque operation(s)", [x["operation"] for x in g["opaqueOperations"]]),
              (sum(x["count"] or 0 for x in g["failedAccesses"]), "failed access(es)",
               [f"{x['action']} {x['dataset']}" for x in g["failedAccesses"]]),
              (len(g["outputsWithoutColumnLineage"]), "output(s) without column lineage",
               [x["dataset"] for x in g["outputsWithoutColumnLineage"]]),
              (g["unfinishedRuns"]["total"], "unfinished run(s)", []),
              (sum(x["runs"] for x in g["failedRuns"]), "failed run(s)", [x["job"] for x in g["failedRuns"]]),
              (len(g["internalErrors"]), "instrumentation error(s)", [x["integration"] for x in g["internalErrors"]])]
    lines.append("gaps       " + ", ".join(f"{n} {what}" for n, what, _ in counts if n or what in (
        "approximate column(s)", "unparsed statement(s)", "output(s) without column lineage")))
    for n, what, items in counts:
        if n and items:
            lines.append(f"  {what}: {_join(sorted(set(items)), 4)}")
    return "\n".join(lines)


def _pii_chains(survey, sens: dict, names: Names) -> list[str]:
    """One line per path a classified column takes along DIRECT edges, to where it ends or is stopped."""
    from openlineage_monkeypatch.governance.survey import col_label

    key_of = {col_label(*k): k for k in survey.columns}
    derived = {d["label"]: d for d in sens["derived"]}

    def col(label: str) -> str:
        return names.column(key_of[label]) if label in key_of else label

    def chain_to(label: str) -> list[str]:
        d = derived.get(label)
        if d is None or not d["path"]:
            return [col(label)]
        return [col(d["path"][0]["from"])] + [f"{col(p['to'])} ({_word(p['transformation'])})" for p in d["path"]]

    classes = sorted({c for item in sens["classified"] for c in item["classifications"]})

    def tagged(parts: list[str], item_classes) -> str:
        return " -> ".join(parts) + (f"  [{', '.join(item_classes)}]" if len(classes) > 1 else "")

    texts = {tagged(chain_to(label), d["classifications"]) for label, d in derived.items()}
    texts |= {tagged(chain_to(s["from"]) + [f"{col(s['to'])} ({'masked' if s['reason'] == 'masking' else 'aggregated'}"
                                            f", stops)"], s["classifications"]) for s in sens["stopped"]}
    # a chain that is the beginning of a longer one is told by the longer one
    heads = {t.split("  [")[0] for t in texts}
    return sorted((t for t in texts if not any(o.startswith(t.split("  [")[0] + " -> ") for o in heads)),
                  key=str.lower)


def _word(transformation: str) -> str:
    if "(masked)" in transformation:
        return "masked"
    return WORDS.get(transformation.split("/", 1)[-1], transformation.lower())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="+", help="event files or folders")
    parser.add_argument("--classifications", help="YAML: column patterns -> classes (integration/pii.yml)")
    args = parser.parse_args(argv)
    with open_survey(args.events, args.classifications) as survey:
        print(format_text(survey, args.classifications))
    return 0


if __name__ == "__main__":
    sys.exit(main())

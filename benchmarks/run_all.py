"""Run every benchmark and regenerate benchmarks/results.md and benchmarks/results.json.

    python benchmarks/run_all.py            # full run (about 10 minutes on 2 cores)
    python benchmarks/run_all.py --quick    # fewer repetitions, smaller sizes (about 3 minutes)
    python benchmarks/run_all.py --only startup,ops

Each benchmark runs the same job plain (package installed, OPENLINEAGE_MONKEYPATCH_ENABLED unset)
and instrumented (set, file transport) in fresh interpreters, alternating, and reports the median
of the per-pair ratios with their spread. `make bench` runs this.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

BENCHMARKS = ["startup", "etl", "ops", "wide", "events", "memory", "sql_s3", "survey", "guard"]


def _run_guard(quick: bool, reps: int | None) -> list[dict]:
    import guard

    measured = guard.measure()
    budget = json.loads(guard.BUDGET.read_text()) if guard.BUDGET.exists() else None
    problems = guard.compare(measured, budget) if budget else []
    return [h.result("8 CI guard", "counts on the fixed workload (tests/perf)", unit="",
                     value=measured, target="within benchmarks/budget.json",
                     ok=None if budget is None else not problems, note="; ".join(problems), key=True)]


def _module_runner(name: str):
    if name == "guard":
        return _run_guard
    module = __import__(f"bench_{name}")
    return module.run


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def fmt_num(value, unit: str = "") -> str:
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def fmt_dist(q: dict | None, unit: str = "", digits: int = 3) -> str:
    if not q:
        return ""
    def one(x) -> str:
        return f"{x:.{digits}g}" if abs(x) < 10 ** digits else f"{x:,.0f}"

    return f"{one(q['median'])} [{one(q['p25'])}–{one(q['p75'])}] {unit}".strip()


def fmt_value(row: dict) -> str:
    value = row.get("value")
    if value is None:
        return ""
    if isinstance(value, dict) and "median" in value:
        return fmt_dist(value, row["unit"])
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return fmt_num(value, row["unit"])


def status(row: dict) -> str:
    if not row.get("target"):
        return ""
    return f"{row['target']}: " + ("ok" if row["ok"] else "MISSED" if row["ok"] is False else "n/a")


def table(rows: list[dict]) -> list[str]:
    lines = ["| Benchmark | Metric | Plain | Instrumented | Ratio | Added / value | Target |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        unit = row["unit"]
        ratio = row.get("ratio")
        ratio_text = f"{fmt_dist(ratio)} (n={ratio['n']})" if ratio else ""
        plain = fmt_num(row["plain"]["median"], unit) if row.get("plain") else ""
        instr = fmt_num(row["instrumented"]["median"], unit) if row.get("instrumented") else ""
        cells = [row["benchmark"], row["metric"], plain, instr, ratio_text, fmt_value(row), status(row)]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return lines


def markdown(rows: list[dict], meta: dict) -> str:
    m = meta["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = [
        "# Benchmark results",
        "",
        f"Generated {meta['date']} by `{meta['command']}` in {meta['seconds']:.0f} s"
        + (" (quick mode: fewer repetitions, smaller sizes)" if meta["quick"] else "") + ".",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GiB, {m['os']}",
        f"- Python {m['python']} ({m['implementation']}); openlineage-monkeypatch {m['openlineage_monkeypatch']}"
        f" (commit {m['commit']})" + (f"; package under test from {m['target']}" if m.get("target") else ""),
        f"- Libraries: {versions}",
        f"- Load average (1, 5, 15 min) at start {meta['load_average']['start']}, at end {meta['load_average']['end']}"
        f" on {m['cores']} cores: above the core count, other processes competed for the CPU and wall-clock"
        " figures are inflated on both sides; CPU-time rows are the steadier ones.",
        "",
        "Plain = package installed, OPENLINEAGE_MONKEYPATCH_ENABLED unset; instrumented = set, OpenLineage file "
        "transport. Fresh interpreters, alternating (ABBA); ratio = instrumented / plain per pair, shown as "
        "median [quartiles]; n = pairs.",
        "",
    ]
    summary = [row for row in rows if row.get("key")]
    if summary:
        lines += ["## Summary", ""] + table(summary) + ["", "## All measurements", ""]
    lines += table(rows)
    notes = [(row["benchmark"], row["metric"], row["note"]) for row in rows if row.get("note")]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {b}, {metric}: {note}" for b, metric, note in notes]
    if meta.get("errors"):
        lines += ["", "Benchmarks that failed to run:", ""]
        lines += [f"- {name}: {error}" for name, error in meta["errors"].items()]
    return "\n".join(lines) + "\n"


README_BEGIN = "<!-- PERFORMANCE:BEGIN (written by benchmarks/run_all.py) -->"
README_END = "<!-- PERFORMANCE:END -->"


def readme_block(rows: list[dict], meta: dict) -> str:
    """The README's results table: the summary rows and the machine they were measured on."""
    m = meta["machine"]
    summary = [row for row in rows if row.get("key")] or rows
    lines = [
        README_BEGIN,
        f"Measured {meta['date']} with `{meta['command']}` on {m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}, pandas {m['versions'].get('pandas')}, openlineage-python "
        f"{m['versions'].get('openlineage-python')} (commit {m['commit']}). Ratio = instrumented / plain in the "
        "same run, median [quartiles] over alternating pairs; every row and sample is in "
        "[benchmarks/results.md](benchmarks/results.md).",
        "",
    ] + table(summary) + [README_END]
    return "\n".join(lines)


def update_readme(path: Path, rows: list[dict], meta: dict) -> bool:
    text = path.read_text()
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        return False
    path.write_text(text[:start] + readme_block(rows, meta) + text[end + len(README_END):])
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller sizes")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--reps", type=int, default=None, help="override repetitions (pairs) per measurement")
    parser.add_argument("--out", type=Path, default=h.BENCH_DIR, help="folder for results.md / results.json")
    parser.add_argument("--no-readme", action="store_true",
                        help="leave README.md alone (it is updated only by a full run into benchmarks/)")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or BENCHMARKS
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.time()
    load_start = _load()
    rows: list[dict] = []
    errors: dict[str, str] = {}
    for name in names:
        print(f"== {name}", flush=True)
        t = time.time()
        try:
            new = _module_runner(name)(args.quick, args.reps)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            traceback.print_exc()
            errors[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
            continue
        h.print_rows(new)
        print(f"   ({time.time() - t:.0f} s)", flush=True)
        rows += new
    command = "python benchmarks/run_all.py" + (" --quick" if args.quick else "") + \
              (f" --only {args.only}" if args.only else "") + (f" --reps {args.reps}" if args.reps else "")
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": command, "quick": args.quick, "seconds": time.time() - started,
            "machine": h.machine(), "errors": errors, "load_average": {"start": load_start, "end": _load()}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2, default=str) + "\n")
    (args.out / "results.md").write_text(markdown(rows, meta))
    print(f"wrote {args.out / 'results.md'} and results.json ({meta['seconds']:.0f} s)")
    full_run = not args.quick and not args.only and args.reps is None and args.out.resolve() == h.BENCH_DIR.resolve()
    if full_run and not errors and not args.no_readme and update_readme(h.BENCH_DIR.parent / "README.md", rows, meta):
        print("updated the results table in README.md")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

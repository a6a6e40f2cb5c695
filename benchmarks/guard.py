"""The CI performance guard: counts on a fixed workload compared with a recorded budget.

Wall time is useless in CI (shared runners, noisy neighbours); counts are not. On a fixed pandas
workload (jobs/guard_job.py: a read, 20 operations x N iterations, a write) this measures, in fresh
interpreters, plain and instrumented:
- intercepted calls per operation (entries into openlineage_monkeypatch code),
- Python function calls of our code per operation,
- extra Python function calls per operation (instrumented minus plain, everything included),
- memory still held after the workload by allocations made in our code (tracemalloc),
- the provenance tables' size after the workload (weak tables must have emptied).
The cyclic GC is paused while counting, so the counts are the same on every run for fixed library
versions. The budget (benchmarks/budget.json) records them with a tolerance; a change that makes
any of them grow beyond it fails `make test` (tests/perf/test_budget.py).

    python benchmarks/guard.py            # measure and compare with the budget
    python benchmarks/guard.py --record   # measure and write the budget (review the diff!)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

BUDGET = h.BENCH_DIR / "budget.json"
ITERATIONS = 25
# relative headroom over the recorded value, plus an absolute slack for tiny numbers
# (catches a handler that starts doing per-column or per-row Python work, a leak, a table that no
# longer empties; lets ordinary growth of the engine through until the budget is re-recorded)
TOLERANCE = {"entries_per_op": (0.25, 0.5), "our_calls_per_op": (0.25, 5.0), "extra_calls_per_op": (0.25, 10.0),
             "retained_kib": (0.50, 64.0), "provenance_entries": (0.0, 16)}


def measure(iterations: int = ITERATIONS) -> dict:
    work = h.workdir("guard")
    try:
        plain = h.run_child(h.python_job("guard_job.py", iterations), env=h.plain_env(), timeout=300).data
        instr = h.run_child(h.python_job("guard_job.py", iterations), env=h.instrumented_env(work), timeout=300).data
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    ops = instr["ops"]
    return {
        "entries_per_op": round(instr["entries"] / ops, 3),
        "our_calls_per_op": round(instr["ours"] / ops, 2),
        "extra_calls_per_op": round((instr["calls"] - plain["calls"]) / ops, 2),
        "retained_kib": round(instr["retained_bytes"] / 1024, 1),
        "provenance_entries": sum(instr["sizes"].values()) if instr["sizes"] else 0,
    }


def versions() -> dict:
    m = h.machine()
    return {"python": m["python"], **{k: v for k, v in m["versions"].items()
                                      if k in ("pandas", "numpy", "pyarrow", "wrapt")}}


def compare(measured: dict, budget: dict) -> list[str]:
    """Problems: metrics above budget * (1 + relative) + absolute."""
    problems = []
    for name, value in measured.items():
        recorded = budget["metrics"].get(name)
        if recorded is None:
            continue
        relative, absolute = TOLERANCE.get(name, (0.25, 0.0))
        limit = recorded * (1 + relative) + absolute
        if value > limit:
            problems.append(f"{name} = {value} exceeds the budget {recorded} (limit {limit:.2f})")
    return problems


def record(measured: dict) -> None:
    BUDGET.write_text(json.dumps({
        "workload": f"benchmarks/jobs/guard_job.py {ITERATIONS}",
        "recorded_with": versions(),
        "tolerance": {k: {"relative": r, "absolute": a} for k, (r, a) in TOLERANCE.items()},
        "metrics": measured,
    }, indent=2) + "\n")


def main() -> int:
    measured = measure()
    if "--record" in sys.argv:
        record(measured)
        print(f"recorded {BUDGET}: {json.dumps(measured)}")
        return 0
    budget = json.loads(BUDGET.read_text())
    print(f"measured {json.dumps(measured)}\nbudget   {json.dumps(budget['metrics'])}")
    problems = compare(measured, budget)
    for problem in problems:
        print("OVER BUDGET:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark 3: operation-heavy pandas (20,000 operations on 1,000-row frames), plain vs instrumented.

Reports the ratio of the loop's time and the microseconds added per operation: per operation of
the workload (20 per iteration) and per intercepted call (an entry into openlineage_monkeypatch
code from outside it, counted under sys.setprofile in a separate, untimed run).
`--profile` also writes a pyinstrument profile of one instrumented run (benchmarks/profiles/).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402


def counts(iterations: int, work: Path) -> dict:
    plain = h.run_child(h.python_job("ops_job.py", iterations, "count"), env=h.plain_env()).data
    instrumented = h.run_child(h.python_job("ops_job.py", iterations, "count"), env=h.instrumented_env(work)).data
    ops = instrumented["ops"]
    return {
        "ops": ops,
        "entries": instrumented["entries"],
        "entries_per_op": instrumented["entries"] / ops,
        "our_calls_per_op": instrumented["ours"] / ops,
        "extra_calls_per_op": (instrumented["calls"] - plain["calls"]) / ops,
    }


def profile(iterations: int, work: Path, out: Path) -> str:
    """A pyinstrument text profile of one instrumented run (the job's whole process)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    env = h.instrumented_env(work)
    subprocess.run([h.bench_python(), "-m", "pyinstrument", "--show-all", "-o", str(out), "-r", "text",
                    str(h.JOBS / "ops_job.py"), str(iterations), "warm"], env=env, check=True, capture_output=True)
    return str(out)


def run(quick: bool = False, reps: int | None = None, with_profile: bool = False) -> list[dict]:
    iterations = 300 if quick else 1000
    reps = reps or (3 if quick else 5)
    work = h.workdir("ops")
    rows = []
    try:
        env_i = h.instrumented_env(work)
        c = counts(min(iterations, 100), work)
        for mode, label in (("", "as run"),
                            ("warm", "after an explicit flush() (emitter idle)")):
            p, i = h.alternate(lambda: h.run_child(h.python_job("ops_job.py", iterations, mode), env=h.plain_env()),
                               lambda: h.run_child(h.python_job("ops_job.py", iterations, mode), env=env_i),
                               reps=reps, warmup=1, progress=f"ops {mode or 'cold'}")
            ops = p[0]["ops"]
            for key, what in (("body", "wall"), ("cpu", "CPU")):
                a, b = [r[key] for r in p], [r[key] for r in i]
                per_op = h.diff_stats(a, b, 1e6 / ops)
                target = key == "cpu" and mode == "warm"
                rows.append(h.result(
                    "3 operation-heavy", f"{ops:,} ops on 1,000-row frames, {label}: {what} time", unit="s",
                    plain=a, instrumented=b, ratio=h.ratio_stats(a, b)))
                rows.append(h.result(
                    "3 operation-heavy", f"µs added per operation, {label}, {what}", unit="µs", value=per_op,
                    target="< 20 µs" if target else None, ok=per_op["median"] < 20 if target else None, key=target,
                    note=(f"{c['entries_per_op']:.2f} entries into our code per operation (outermost call plus "
                          f"pandas-internal calls passed through), {c['our_calls_per_op']:.1f} Python calls of our "
                          f"functions, {c['extra_calls_per_op']:+.1f} Python calls in all") if target else "",
                    **(c if target else {})))
        if with_profile:
            rows[-1]["profile"] = profile(iterations, work, h.BENCH_DIR / "profiles" / "ops_instrumented.txt")
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    h.finish(run(args.quick, args.reps, args.profile), args)

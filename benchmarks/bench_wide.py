"""Benchmark 4: wide frames (up to 2,000 columns) through 10 operations, at several widths.

For each width the 10 operations run in a loop, plain and instrumented alternately. The added
time per operation is fitted against the width on a log-log scale: a slope near 1 is linear in the
number of columns touched, above ~1.2 would be worse than linear.
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402


def slope(xs, ys) -> float | None:
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def run(quick: bool = False, reps: int | None = None) -> list[dict]:
    widths = [250, 1000, 2000] if quick else [250, 500, 1000, 2000]
    reps = reps or (3 if quick else 5)
    loops = 5 if quick else 10
    work = h.workdir("wide")
    rows, added = [], []
    try:
        env_i = h.instrumented_env(work)
        for width in widths:
            p, i = h.alternate(lambda: h.run_child(h.python_job("wide_job.py", width, loops), env=h.plain_env()),
                               lambda: h.run_child(h.python_job("wide_job.py", width, loops), env=env_i),
                               reps=reps, warmup=1, progress=f"wide {width}")
            body_p, body_i = [r["body"] for r in p], [r["body"] for r in i]
            cpu_p, cpu_i = [r["cpu"] for r in p], [r["cpu"] for r in i]
            ops = p[0]["ops"]
            per_op_ms = h.diff_stats(cpu_p, cpu_i, 1e3 / ops)
            added.append(per_op_ms["median"])
            rows.append(h.result("4 wide frames", f"{width} columns x 10 ops: loop wall time", unit="s", plain=body_p,
                                 instrumented=body_i, ratio=h.ratio_stats(body_p, body_i)))
            rows.append(h.result("4 wide frames", f"{width} columns x 10 ops: loop CPU time (all threads)", unit="s",
                                 plain=cpu_p, instrumented=cpu_i, ratio=h.ratio_stats(cpu_p, cpu_i),
                                 key=width == widths[-1]))
            rows.append(h.result("4 wide frames", f"{width} columns: CPU added per operation", unit="ms",
                                 value=per_op_ms, note=f"{per_op_ms['median'] * 1e3 / width:.2f} µs per column-op",
                                 added_ms_per_op=per_op_ms))
        s = slope(widths, added)
        rows.append(h.result("4 wide frames", "growth of added CPU time with width (log-log slope)", unit="",
                             value=None if s is None else round(s, 2), target="<= 1.2 (linear)",
                             ok=None if s is None else s <= 1.2, key=True,
                             note="added ms/op by width: " + ", ".join(f"{w}: {a:.3f}" for w, a in zip(widths, added))))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = h.main_args(__doc__.splitlines()[0])
    h.finish(run(args.quick, args.reps), args)

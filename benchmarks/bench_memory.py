"""Benchmark 6b: the provenance tables and RSS stay flat through a long read/transform/write loop.

(6a, peak RSS on the 1M-row ETL, is measured by bench_etl.py.) The loop job samples
openlineage_monkeypatch.lineage.table.sizes() and RSS after gc.collect() at regular points; flat
means the last sample holds no more entries than the first (plus a small constant) and RSS grows
no more than in the plain run.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402


def run(quick: bool = False, reps: int | None = None) -> list[dict]:
    iterations = 1000 if quick else 5000
    work = h.workdir("memory")
    try:
        plain = h.run_child(h.python_job("loop_job.py", iterations, 10), env=h.plain_env())
        instrumented = h.run_child(h.python_job("loop_job.py", iterations, 10), env=h.instrumented_env(work))
        pts_i, pts_p = instrumented["points"], plain["points"]
        first, last = pts_i[0], pts_i[-1]
        keys = [k for k in first if k not in ("iteration", "rss_kb")]
        growth = {k: last[k] - first[k] for k in keys}
        entries_flat = all(v <= 2 for v in growth.values())
        rss_growth_i = (last["rss_kb"] - first["rss_kb"]) / 1024
        rss_growth_p = (pts_p[-1]["rss_kb"] - pts_p[0]["rss_kb"]) / 1024
        return [
            h.result("6 memory", f"provenance tables after {iterations:,} loop iterations", unit="entries",
                     value={k: f"{first[k]} -> {last[k]}" for k in keys}, target="flat", ok=entries_flat, key=True,
                     note=f"sampled after gc.collect() at iteration {first['iteration']} and {last['iteration']}",
                     points=pts_i),
            h.result("6 memory", "RSS growth over the loop (first to last sample)", unit="MiB",
                     value=f"plain {rss_growth_p:+.1f}, instrumented {rss_growth_i:+.1f}",
                     target="no more than plain + 5 MiB", ok=rss_growth_i <= rss_growth_p + 5),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = h.main_args(__doc__.splitlines()[0])
    h.finish(run(args.quick, args.reps), args)

"""Benchmark 3 job: many small pandas operations (the worst case for per-call overhead).

    python ops_job.py ITERATIONS [count|warm]
Each iteration runs OPS_PER_ITERATION operations on 1,000-row frames; the frames are read from a
parquet file first so that they carry provenance from a dataset. With `count`, the loop runs under
a profiler that counts entries into openlineage_monkeypatch code instead of being timed. With
`warm`, an instrumented job first waits for its emitter to deliver the run's first events (our
thread's one-time start-up happens there), so the loop shows the steady state.
"""

import os
import sys

from _common import Timer, count_entries, report
from _ops import OPS_PER_ITERATION, iteration, make_inputs

import pandas as pd

iterations = int(sys.argv[1])
mode = sys.argv[2] if len(sys.argv) > 2 else ""
counting = mode == "count"

folder, source, lookup = make_inputs("olmp-ops-", seed=7)
base = pd.read_parquet(source)


def loop():
    for _ in range(iterations):
        iteration(base, lookup)


iteration(base, lookup)  # warm-up: first-call imports and caches inside pandas
if mode == "warm" and os.environ.get("OPENLINEAGE_MONKEYPATCH_ENABLED"):
    import openlineage_monkeypatch

    openlineage_monkeypatch.flush(30)
if counting:
    counts = count_entries(loop)
    report(ops=iterations * OPS_PER_ITERATION, **counts)
else:
    with Timer() as body:
        loop()
    report(**body.data(), ops=iterations * OPS_PER_ITERATION)

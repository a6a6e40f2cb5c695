"""The CI guard's fixed workload: counts, not times (see benchmarks/guard.py).

    python guard_job.py ITERATIONS
Reads a parquet file, runs the operation-heavy iteration of ops_job ITERATIONS times (20 operations
each) and writes the result, under sys.setprofile (call counts) with the cyclic GC paused so that
weakref callbacks fire at the same points every run. Then reports the provenance tables' sizes
and the memory still held by allocations made in openlineage_monkeypatch code (tracemalloc).
"""

import gc
import os
import sys
import tracemalloc

from _common import count_entries, enabled, report
from _ops import OPS_PER_ITERATION, iteration, make_inputs

import pandas as pd

iterations = int(sys.argv[1])
folder, source, lookup = make_inputs("olmp-guard-", seed=11)


def workload():
    base = pd.read_parquet(source)
    for _ in range(iterations):
        out, _ = iteration(base, lookup)
    out.to_parquet(os.path.join(folder, "out.parquet"))


workload()  # warm-up: pandas' first-call imports and caches, our lazy imports, the run's START
if enabled():
    import openlineage_monkeypatch

    openlineage_monkeypatch.flush(30)
gc.collect()
gc.disable()
counts = count_entries(workload)
gc.enable()
gc.collect()

tracemalloc.start()
workload()
gc.collect()
snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, "*openlineage_monkeypatch*")])
retained = sum(stat.size for stat in snapshot.statistics("filename"))
tracemalloc.stop()

sizes = {}
if enabled():
    from openlineage_monkeypatch.lineage import table

    sizes = table.sizes()
report(ops=iterations * OPS_PER_ITERATION + 2, retained_bytes=retained, sizes=sizes, **counts)

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
import tempfile
import tracemalloc

from _common import count_entries, enabled, report

import numpy as np
import pandas as pd

iterations = int(sys.argv[1])
rng = np.random.default_rng(11)
folder = tempfile.mkdtemp(prefix="olmp-guard-")
source = os.path.join(folder, "base.parquet")
pd.DataFrame({
    "id": np.arange(1000),
    "key": rng.integers(0, 20, 1000),
    "a": rng.normal(size=1000),
    "b": rng.normal(size=1000),
    "c": rng.choice(["x", "y", "z"], 1000),
}).to_parquet(source, index=False)
lookup = pd.DataFrame({"key": np.arange(20), "weight": rng.uniform(size=20)})
OPS_PER_ITERATION = 20


def iteration(df):
    s = df["a"] + df["b"]
    df = df.assign(total=s)
    df = df[df["total"] > 0]
    df = df.rename(columns={"c": "category"})
    df = df.merge(lookup, on="key", how="left")
    df["score"] = df["total"] * df["weight"]
    df = df.fillna({"weight": 0.0})
    df = df.sort_values("score")
    g = df.groupby("key")["score"].sum()
    df = df.drop(columns=["b"])
    return df.head(100), g


def workload():
    base = pd.read_parquet(source)
    for _ in range(iterations):
        out, _ = iteration(base)
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

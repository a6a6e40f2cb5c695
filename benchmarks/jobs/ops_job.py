"""Benchmark 3 job: many small pandas operations (the worst case for per-call overhead).

    python ops_job.py ITERATIONS [count|warm]
Each iteration runs OPS_PER_ITERATION operations on 1,000-row frames; the frames are read from a
parquet file first so that they carry provenance from a dataset. With `count`, the loop runs under
a profiler that counts entries into openlineage_monkeypatch code instead of being timed. With
`warm`, an instrumented job first waits for its emitter to deliver the run's first events (the
one-time import of the OpenLineage client happens there), so the loop shows the steady state.
"""

import os
import sys
import tempfile

from _common import Timer, count_entries, report

import numpy as np
import pandas as pd

iterations = int(sys.argv[1])
mode = sys.argv[2] if len(sys.argv) > 2 else ""
counting = mode == "count"

rng = np.random.default_rng(7)
folder = tempfile.mkdtemp(prefix="olmp-ops-")
source = os.path.join(folder, "base.parquet")
pd.DataFrame({
    "id": np.arange(1000),
    "key": rng.integers(0, 20, 1000),
    "a": rng.normal(size=1000),
    "b": rng.normal(size=1000),
    "c": rng.choice(["x", "y", "z"], 1000),
}).to_parquet(source, index=False)
base = pd.read_parquet(source)
lookup = pd.DataFrame({"key": np.arange(20), "weight": rng.uniform(size=20)})

OPS_PER_ITERATION = 20


def iteration(df):
    s = df["a"] + df["b"]                                  # 1 getitem, 2 getitem, 3 add
    df = df.assign(total=s)                                # 4 assign
    df = df[df["total"] > 0]                               # 5 getitem, 6 gt, 7 filter
    df = df.rename(columns={"c": "category"})              # 8 rename
    df = df.merge(lookup, on="key", how="left")            # 9 merge
    df["score"] = df["total"] * df["weight"]               # 10 getitem, 11 getitem, 12 mul, 13 setitem
    df = df.fillna({"weight": 0.0})                        # 14 fillna
    df = df.sort_values("score")                           # 15 sort
    g = df.groupby("key")["score"].sum()                   # 16 groupby, 17 getitem, 18 sum
    df = df.drop(columns=["b"])                            # 19 drop
    return df.head(100), g                                 # 20 head


def loop():
    for _ in range(iterations):
        iteration(base)


iteration(base)  # warm-up: first-call imports and caches inside pandas
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

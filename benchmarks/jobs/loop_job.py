"""Benchmark 6b job: a long loop of read / transform / write; samples the provenance tables' size.

    python loop_job.py ITERATIONS SAMPLES
Prints, for SAMPLES points through the loop, openlineage_monkeypatch.lineage.table.sizes() (when
instrumented) and the process RSS, after a gc.collect().
"""

import gc
import os
import sys
import tempfile

from _common import Timer, enabled, report

import numpy as np
import pandas as pd

iterations, samples = int(sys.argv[1]), int(sys.argv[2])
folder = tempfile.mkdtemp(prefix="olmp-loop-")
rng = np.random.default_rng(5)
source = os.path.join(folder, "in.parquet")
pd.DataFrame({"id": np.arange(500), "k": rng.integers(0, 10, 500), "v": rng.normal(size=500)}).to_parquet(source)
lookup = pd.DataFrame({"k": np.arange(10), "w": rng.uniform(size=10)})


def rss_kb() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def sizes() -> dict:
    if not enabled():
        return {}
    from openlineage_monkeypatch.lineage import table

    return table.sizes()


points = []
every = max(1, iterations // samples)
with Timer() as body:
    for i in range(iterations):
        df = pd.read_parquet(source)
        df = df[df["v"] > 0].merge(lookup, on="k")
        df["score"] = df["v"] * df["w"]
        df.groupby("k", as_index=False)["score"].sum().to_parquet(os.path.join(folder, f"out-{i % 50}.parquet"))
        if (i + 1) % every == 0:
            gc.collect()
            points.append({"iteration": i + 1, "rss_kb": rss_kb(), **sizes()})

report(**body.data(), points=points)

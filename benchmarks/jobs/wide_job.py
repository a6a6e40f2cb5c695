"""Benchmark 4 job: wide frames (WIDTH columns) through 10 operations, LOOPS times.

    python wide_job.py WIDTH LOOPS [count]
"""

import os
import sys
import tempfile
import warnings

from _common import Timer, count_entries, report

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")  # pandas' fragmentation warnings, the same on both sides
width, loops = int(sys.argv[1]), int(sys.argv[2])
counting = len(sys.argv) > 3 and sys.argv[3] == "count"
rows = 200
rng = np.random.default_rng(3)
folder = tempfile.mkdtemp(prefix="olmp-wide-")
source = os.path.join(folder, "wide.parquet")
columns = {f"c{i}": rng.normal(size=rows) for i in range(width)}
columns["key"] = rng.integers(0, 10, rows)
pd.DataFrame(columns).to_parquet(source, index=False)
base = pd.read_parquet(source)
lookup = pd.DataFrame({"key": np.arange(10), "label": [f"k{i}" for i in range(10)]})
value_columns = [f"c{i}" for i in range(width)]
renames = {c: c.upper() for c in value_columns}
out = os.path.join(folder, "out.parquet")


def ten_ops(df):
    df = df[df["c0"] > -1.0]                                     # 1 filter (all columns)
    df = df.assign(total=df["c1"] + df["c2"])                    # 2 derive one column
    df = df.rename(columns=renames)                              # 3 rename every column
    df = df.fillna(0.0)                                          # 4 every column
    df = df.astype({"total": "float32"})                         # 5 astype one column
    df = df.sort_values("C0")                                    # 6 sort (all columns)
    df = df.merge(lookup, on="key")                              # 7 join (all columns)
    g = df.groupby("key")[[renames[c] for c in value_columns]].sum()  # 8 group-by over all columns
    g = g.reset_index()                                          # 9
    g.to_parquet(out, index=False)                               # 10 write (lineage of every column)
    return g


def loop():
    for _ in range(loops):
        ten_ops(base)


ten_ops(base)
if counting:
    report(width=width, ops=loops * 10, **count_entries(loop))
else:
    with Timer() as body:
        loop()
    report(width=width, **body.data(), ops=loops * 10)

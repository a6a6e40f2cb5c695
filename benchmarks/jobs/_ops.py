"""The operation-heavy workload, shared by ops_job.py (timed) and guard_job.py (counted): 1,000-row
frames read from a parquet file, so that they carry provenance from a dataset, through 20 pandas
operations per iteration."""

import os
import tempfile

import numpy as np
import pandas as pd

OPS_PER_ITERATION = 20


def make_inputs(prefix: str, seed: int):
    """(folder, path of the 1,000-row parquet source, the 20-row lookup frame)."""
    rng = np.random.default_rng(seed)
    folder = tempfile.mkdtemp(prefix=prefix)
    source = os.path.join(folder, "base.parquet")
    pd.DataFrame({
        "id": np.arange(1000),
        "key": rng.integers(0, 20, 1000),
        "a": rng.normal(size=1000),
        "b": rng.normal(size=1000),
        "c": rng.choice(["x", "y", "z"], 1000),
    }).to_parquet(source, index=False)
    lookup = pd.DataFrame({"key": np.arange(20), "weight": rng.uniform(size=20)})
    return folder, source, lookup


def iteration(df, lookup):
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

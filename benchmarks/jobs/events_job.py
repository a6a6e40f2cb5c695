"""Benchmark 5 job: many small outputs (one event each).

    python events_job.py OUT_DIR N
Writes N small CSV files (a 10-row frame each); every write is an output, hence a RUNNING event.
"""

import os
import sys

from _common import Timer, report

import pandas as pd

out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
frame = pd.DataFrame({"id": range(10), "value": [i * 1.5 for i in range(10)], "name": [f"n{i}" for i in range(10)]})

with Timer() as body:
    for i in range(n):
        frame.to_csv(os.path.join(out, f"part-{i:05d}.csv"), index=False)

report(**body.data(), outputs=n)

"""Helpers for benchmark job scripts (they run plain or instrumented in a fresh interpreter).

A job times its own body with `Timer` and ends with `report(...)`: one `BENCH {json}` line on
stdout, which the harness reads. Nothing here imports the package under test.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def enabled() -> bool:
    return bool(os.environ.get("OPENLINEAGE_MONKEYPATCH_ENABLED"))


class Timer:
    """Of a block: wall time (`seconds`), CPU time of the whole process, all threads (`cpu`), and of
    this thread alone (`thread_cpu`; the difference is other threads: our emitter, pyarrow pools)."""

    def __enter__(self):
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.thread_start = time.thread_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.cpu = time.process_time() - self.cpu_start
        self.thread_cpu = time.thread_time() - self.thread_start

    def data(self) -> dict:
        return {"body": self.seconds, "cpu": self.cpu, "thread_cpu": self.thread_cpu}


def peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report(**data) -> None:
    data.setdefault("peak_rss_kb", peak_rss_kb())
    sys.stdout.write("BENCH " + json.dumps(data) + "\n")
    sys.stdout.flush()


def count_entries(fn):
    """Run fn() under sys.setprofile on this thread, counting Python function calls: `calls` (all),
    `ours` (calls of functions defined in openlineage_monkeypatch) and `entries` (calls into
    openlineage_monkeypatch code from code outside it: intercepted calls, weakref callbacks).
    Deterministic for a fixed workload and fixed library versions."""
    package = os.sep + "openlineage_monkeypatch" + os.sep
    counts = {"entries": 0, "ours": 0, "calls": 0}

    def profile(frame, event, arg):
        if event == "call":
            counts["calls"] += 1
            if package in frame.f_code.co_filename:
                counts["ours"] += 1
                back = frame.f_back
                if back is None or package not in back.f_code.co_filename:
                    counts["entries"] += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return counts

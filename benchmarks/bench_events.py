"""Benchmark 5: a job that writes 10,000 small outputs, each a RUNNING event, plain vs instrumented.

The job's outputs go to tmpfs (/dev/shm) when available, so that the disk's variance does not drown
the cost of the events; the events file and the spool stay on disk. Two transports: the OpenLineage
file transport, and HTTP to a local receiver on 127.0.0.1 that
answers every request after 100 ms (so delivery cannot keep up: the queue fills, the exit flush hits
its bound, the rest is spooled). Reported: the job's body time ratio (first write to last write
returned), its CPU time ratio (all threads), and the whole process's wall time, exit included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402


class Receiver:
    def __init__(self, delay: float) -> None:
        self.proc = subprocess.Popen([h.bench_python(), str(h.JOBS / "slow_receiver.py"), str(delay)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=h.plain_env())
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"receiver did not start: {line!r}")
        self.url = f"http://127.0.0.1:{line.split()[1]}"

    def count(self) -> int:
        return int(urllib.request.urlopen(self.url + "/count", timeout=5).read())

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def output_root() -> Path:
    """Where the job's 10,000 small files go: tmpfs when there is one. Creating files on a disk
    filesystem shared with other work varies by a factor of two or more from run to run, which
    would drown the cost measured here (the events, not the disk)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="olmp-bench-events-", dir=shm))
    return h.workdir("events-out")


def measure(transport: str, n: int, reps: int, receiver: Receiver | None) -> list[dict]:
    work = h.workdir("events")
    outputs = output_root()
    try:
        def plain():
            shutil.rmtree(outputs / "p", ignore_errors=True)
            return h.run_child(h.python_job("events_job.py", outputs / "p", n), env=h.plain_env())

        def instrumented():
            sub = work / "i"
            shutil.rmtree(sub, ignore_errors=True)
            shutil.rmtree(outputs / "i", ignore_errors=True)
            sub.mkdir()
            env = h.instrumented_env(sub, transport=transport, url=receiver.url if receiver else None)
            before = receiver.count() if receiver else 0
            result = h.run_child(h.python_job("events_job.py", outputs / "i", n), env=env)
            events = sub / "events.ndjson"
            if receiver:
                result.data["delivered"] = receiver.count() - before
            elif transport == "embedded":
                found = list((sub / "olmp-data" / "events").rglob("*.ndjson"))
                result.data["delivered"] = sum(sum(1 for _ in f.open()) for f in found)
            else:
                result.data["delivered"] = sum(1 for _ in events.open()) if events.exists() else 0
            spool = list((sub / "olmp-data").rglob("spool-*.ndjson"))
            result.data["spooled"] = sum(sum(1 for _ in f.open()) for f in spool)
            return result

        p, i = h.alternate(plain, instrumented, reps=reps, warmup=0, progress=f"events {transport}")
        label = {"file": "OpenLineage file transport", "http": "HTTP receiver, 100 ms per request",
                 "embedded": "embedded default event file"}[transport]
        body = h.ratio_stats([r["body"] for r in p], [r["body"] for r in i])
        cpu = h.ratio_stats([r["cpu"] for r in p], [r["cpu"] for r in i])
        wall = h.ratio_stats([r.wall for r in p], [r.wall for r in i])
        delivered = [r["delivered"] for r in i]
        spooled = [r["spooled"] for r in i]
        note = f"events delivered {min(delivered)}-{max(delivered)}, spooled {min(spooled)}-{max(spooled)} per run"
        return [
            h.result("5 many events", f"{n:,} outputs, {label}: job body time", unit="s",
                     plain=[r["body"] for r in p], instrumented=[r["body"] for r in i], ratio=body,
                     target="<= 1.10", ok=body["median"] <= 1.10, note=note, key=True),
            h.result("5 many events", f"{n:,} outputs, {label}: CPU time, all threads", unit="s",
                     plain=[r["cpu"] for r in p], instrumented=[r["cpu"] for r in i], ratio=cpu),
            h.result("5 many events", f"{n:,} outputs, {label}: whole process incl. exit flush", unit="s",
                     plain=[r.wall for r in p], instrumented=[r.wall for r in i], ratio=wall),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(outputs, ignore_errors=True)


def run(quick: bool = False, reps: int | None = None) -> list[dict]:
    n = 2000 if quick else 10_000
    reps = reps or (2 if quick else 4)
    rows = measure("embedded", n, reps, None)
    rows += measure("file", n, reps, None)
    receiver = Receiver(0.1)
    try:
        rows += measure("http", n, reps, receiver)
    finally:
        receiver.stop()
    return rows


if __name__ == "__main__":
    args = h.main_args(__doc__.splitlines()[0])
    h.finish(run(args.quick, args.reps), args)

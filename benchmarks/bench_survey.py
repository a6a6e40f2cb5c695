"""Benchmark 9: `openlineage-monkeypatch survey` over a generated set of 1,000,000 events.

The events come from openlineage_monkeypatch.governance.synthetic (many jobs, runs with column lineage,
S3 and Snowflake accesses, sensitive columns, a share of bad lines), split over 16 NDJSON files and
cached in the benchmark data folder. The survey runs in a child process; its wall time and peak RSS
are the figures (targets from the governance issue: under 60 s and under 2 GB on 2 cores).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

BENCH = r"""
import json, sys
from openlineage_monkeypatch.governance import synthetic
print(json.dumps(synthetic.bench(sys.argv[1])))
"""


def _events(count: int) -> Path:
    folder = h.data_dir() / f"survey-{count}" / "events"
    if not (folder.parent / "done").exists():
        shutil.rmtree(folder.parent, ignore_errors=True)
        folder.mkdir(parents=True)
        subprocess.run([h.bench_python(), "-m", "openlineage_monkeypatch.governance.synthetic", str(folder),
                        "--events", str(count), "--files", "16"], check=True, env=h.base_env(),
                       stdout=subprocess.DEVNULL)
        (folder.parent / "done").write_text("")
    return folder


def run(quick: bool = False, reps: int | None = None) -> list[dict]:
    import json

    count = 100_000 if quick else 1_000_000
    folder = _events(count)
    samples = []
    for _ in range(reps or (1 if quick else 2)):
        done = subprocess.run([h.bench_python(), "-c", BENCH, str(folder)], capture_output=True, text=True,
                              env=h.base_env(), check=True)
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    seconds = [s["seconds"] for s in samples]
    rss = [s["peak_rss_mb"] for s in samples]
    events = samples[0]["events"]
    label = f"survey over {events:,} events (16 NDJSON files), child process"
    return [
        h.result("9 governance survey", f"{label}: wall time", unit="s", value=h.quantiles(seconds),
                 target="< 60 s", ok=max(seconds) < 60 if count == 1_000_000 else None, key=True,
                 note=f"{samples[0]['runs']:,} runs; counted and skipped: "
                 + ", ".join(f"{n:,} {kind}" for kind, n in samples[0]["skipped"].items() if n)),
        h.result("9 governance survey", f"{label}: peak RSS", unit="MiB", value=h.quantiles(rss),
                 target="< 2048 MiB", ok=max(rss) < 2048 if count == 1_000_000 else None, key=True),
    ]


if __name__ == "__main__":
    args = h.main_args(__doc__.splitlines()[0])
    h.finish(run(args.quick, args.reps), args)

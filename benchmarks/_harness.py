"""What every benchmark shares: plain and instrumented environments, timed child processes, statistics.

A benchmark compares the same job run *plain* (package installed, OPENLINEAGE_MONKEYPATCH_ENABLED
unset: the .pth line reads the environment and stops) and *instrumented* (the variable set, the
OpenLineage file transport writing to a private temp file), in fresh interpreters, in one run,
alternating ABBA so that drift of the machine (thermal, page cache, noisy neighbours) falls on both
sides equally. A ratio is computed per pair (instrumented / plain of the same repetition) and the
table reports the median ratio with its spread (quartiles and extremes).

Job scripts print one line `BENCH {json}` with what they measured themselves (the job's body time,
counts); the parent adds the whole process's wall time and peak RSS (os.wait4 rusage).
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import sysconfig
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
JOBS = BENCH_DIR / "jobs"
PACKAGE_DIR = REPO / "openlineage_monkeypatch"
PTH = "openlineage_monkeypatch.pth"
# our own distribution in the surrounding environment (wheel, or editable: hatchling/setuptools names)
_OURS = ("openlineage_monkeypatch", "_openlineage_monkeypatch", "_editable_impl_openlineage_monkeypatch",
         "__editable__.openlineage_monkeypatch", "__editable___openlineage_monkeypatch")


def make_overlay(root: Path, with_hook: bool = True, repo: Path = REPO) -> str:
    """A throw-away virtual environment over this one: same base interpreter, a site-packages of
    symlinks to every entry of this environment's site-packages except our own distribution, plus
    (with_hook) this repository's openlineage_monkeypatch.pth and a path entry for the repository.

    Benchmarks run their jobs with its python, so that the package under test is "installed" the way
    a user installs it (the .pth start-up hook) whatever state the surrounding environment is in.
    """
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    target = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    source = Path(sysconfig.get_paths()["purelib"])
    for entry in source.iterdir():
        if entry.name.startswith(_OURS):
            continue
        link = target / entry.name
        if not os.path.lexists(link):
            link.symlink_to(entry)
    # "_" sorts before "o": the repository is on sys.path before our .pth line imports from it
    (target / "_olmp_bench_repo.pth").write_text(str(repo) + "\n")
    if with_hook:
        shutil.copy(repo / PTH, target / PTH)
    return str(python)


_overlay: str | None = None


def target_repo() -> Path:
    """The checkout under test: this one, or OLMP_BENCH_TARGET (e.g. an export of main)."""
    target = os.environ.get("OLMP_BENCH_TARGET")
    return Path(target).resolve() if target else REPO


def bench_python() -> str:
    """The interpreter benchmarks run jobs with (an overlay venv made once per process)."""
    global _overlay
    if _overlay is None:
        root = Path(tempfile.mkdtemp(prefix="olmp-bench-venv-"))
        atexit.register(shutil.rmtree, root, True)
        _overlay = make_overlay(root / "venv", repo=target_repo())
    return _overlay




# -- environments ---------------------------------------------------------------------------------


def base_env(**extra: str) -> dict:
    """This environment without any OpenLineage variable or PYTHONPATH (the overlay interpreter
    puts the repository on the path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env.pop("PYTHONPATH", None)
    env.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    env.setdefault("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
    env["PYTHONHASHSEED"] = "0"
    # An installed wheel has its bytecode compiled by pip; this machine sets PYTHONDONTWRITEBYTECODE,
    # which would make every child compile our modules from source and time that instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


def plain_env(**extra: str) -> dict:
    return base_env(**extra)


def instrumented_env(workdir: Path, transport: str = "file", url: str | None = None, **extra: str) -> dict:
    """Enabled, events to a file in workdir (or to `url` over HTTP), private data/spool folders."""
    workdir = Path(workdir)
    env = base_env(
        OPENLINEAGE_MONKEYPATCH_ENABLED="1",
        OPENLINEAGE_NAMESPACE="bench",
        OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(workdir / "olmp-data"),
    )
    if transport == "file":
        env.update(
            OPENLINEAGE__TRANSPORT__TYPE="file",
            OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(workdir / "events.ndjson"),
            OPENLINEAGE__TRANSPORT__APPEND="true",
        )
    elif transport == "http":
        env.update(OPENLINEAGE_URL=url or "http://127.0.0.1:9")
    env.update(extra)
    return env


# -- child processes ------------------------------------------------------------------------------


class ChildResult:
    __slots__ = ("wall", "maxrss_kb", "data", "returncode", "stderr")

    def __init__(self, wall, maxrss_kb, data, returncode, stderr):
        self.wall = wall
        self.maxrss_kb = maxrss_kb
        self.data = data
        self.returncode = returncode
        self.stderr = stderr

    def __getitem__(self, key):
        return self.data[key]


def run_child(argv: list[str], env: dict, cwd: Path | str | None = None, timeout: float = 600,
              check: bool = True) -> ChildResult:
    """Run argv; wall time from the parent, peak RSS from the child's rusage, BENCH json from stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        timer = threading.Timer(timeout, proc.kill)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    data = {}
    for line in stdout.splitlines():
        if line.startswith("BENCH "):
            data = json.loads(line[6:])
    if check and proc.returncode != 0:
        raise RuntimeError(f"{argv} exited with {proc.returncode}:\n{stderr[-3000:]}")
    return ChildResult(wall, usage.ru_maxrss, data, proc.returncode, stderr)


def python_job(job: str, *args: str) -> list[str]:
    return [bench_python(), str(JOBS / job), *map(str, args)]


def report(**data) -> None:
    """Called by job scripts: the one line the parent reads."""
    print("BENCH " + json.dumps(data), flush=True)


def peak_rss_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- alternation and statistics -------------------------------------------------------------------


def alternate(run_plain, run_instrumented, reps: int, warmup: int = 1, progress: str | None = None):
    """Run both sides `reps` times in ABBA order after `warmup` discarded pairs; returns two lists."""
    plain, instrumented = [], []
    for i in range(warmup + reps):
        order = (run_plain, run_instrumented) if i % 2 == 0 else (run_instrumented, run_plain)
        results = {}
        for fn in order:
            results[fn] = fn()
        if i >= warmup:
            plain.append(results[run_plain])
            instrumented.append(results[run_instrumented])
        if progress:
            print(f"  {progress}: {i + 1}/{warmup + reps}", file=sys.stderr, flush=True)
    return plain, instrumented


def quantiles(values) -> dict:
    values = sorted(values)
    if not values:
        return {}
    if len(values) == 1:
        v = values[0]
        return {"median": v, "p25": v, "p75": v, "min": v, "max": v, "n": 1}
    q = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": statistics.median(values), "p25": q[0], "p75": q[2], "min": values[0], "max": values[-1],
            "n": len(values)}


def ratio_stats(plain, instrumented) -> dict:
    """Per-pair ratios instrumented/plain, summarized."""
    return quantiles([b / a for a, b in zip(plain, instrumented) if a > 0])


def diff_stats(plain, instrumented, scale: float = 1.0) -> dict:
    """Per-pair differences (instrumented - plain) * scale, summarized."""
    return quantiles([(b - a) * scale for a, b in zip(plain, instrumented)])


def result(benchmark: str, metric: str, *, unit: str, plain=None, instrumented=None, ratio=None, value=None,
           target: str | None = None, ok: bool | None = None, note: str = "", **extra) -> dict:
    """One row of the results table."""
    row = {"benchmark": benchmark, "metric": metric, "unit": unit, "note": note}
    if plain is not None:
        row["plain"] = quantiles(plain)
    if instrumented is not None:
        row["instrumented"] = quantiles(instrumented)
    if ratio is not None:
        row["ratio"] = ratio
    if value is not None:
        row["value"] = value
    row["target"] = target
    row["ok"] = ok
    row.update(extra)
    return row


# -- machine and versions -------------------------------------------------------------------------


def _dist_version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001
        return None


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                timeout=10).stdout.strip() or None
    except Exception:  # noqa: BLE001
        pass
    sys.path.insert(0, str(REPO))
    try:
        from openlineage_monkeypatch import __version__ as ours
    finally:
        sys.path.remove(str(REPO))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "openlineage_monkeypatch": ours,
        "commit": commit,
        "target": None if target_repo() == REPO else str(target_repo()),
        "versions": {name: _dist_version(name) for name in (
            "pandas", "numpy", "pyarrow", "wrapt", "openlineage-python", "openlineage-sql", "sqlglot", "boto3",
            "botocore", "s3fs", "snowflake-connector-python", "moto")},
    }


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"olmp-bench-{prefix}-"))


def data_dir() -> Path:
    """A cache of generated input data, reused across runs (outside the repository)."""
    folder = Path(os.environ.get("OLMP_BENCH_DATA") or Path(tempfile.gettempdir()) / "olmp-bench-data")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fmt(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def print_rows(rows: list[dict]) -> None:
    for row in rows:
        parts = [f"[{row['benchmark']}] {row['metric']}:"]
        if "ratio" in row and row["ratio"]:
            r = row["ratio"]
            parts.append(f"ratio {r['median']:.3f} (IQR {r['p25']:.3f}-{r['p75']:.3f}, range {r['min']:.3f}-{r['max']:.3f},"
                         f" n={r['n']})")
        if "value" in row:
            v = row["value"]
            if isinstance(v, dict) and "median" in v:
                parts.append(f"{v['median']:.4g} {row['unit']} (IQR {v['p25']:.4g}-{v['p75']:.4g}, n={v['n']})")
            else:
                parts.append(f"{v} {row['unit']}")
        if row.get("plain") and row.get("instrumented"):
            parts.append(f"plain {row['plain']['median']:.4g} / instrumented {row['instrumented']['median']:.4g}"
                         f" {row['unit']}")
        if row.get("target"):
            parts.append(f"target {row['target']}: {'ok' if row['ok'] else 'MISSED' if row['ok'] is False else '-'}")
        if row.get("note"):
            parts.append(f"({row['note']})")
        print(" ".join(parts), flush=True)


def main_args(description: str):
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller sizes")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (pairs) per measurement")
    parser.add_argument("--json", type=Path, default=None, help="write the rows as JSON here")
    return parser.parse_args()


def finish(rows: list[dict], args) -> None:
    print_rows(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))

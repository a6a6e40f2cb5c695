"""Fixtures of the reliability suite: the plain run every instrumented run is compared with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.fixtures.jobs import PANDAS_JOB, outputs, timed, without_ours, write_job

FLUSH_TIMEOUT = 1.0
# Wall-clock allowance on top of the flush bound: 2 shared cores, where the job itself takes ~0.6 s and
# our own start-up work (importing the client off the job's thread) competes for the CPU. The exact
# figure is the exit wait we log at DEBUG (exit_wait below), held to the bound plus SPOOL_ALLOWANCE.
SLACK = 2.5
SPOOL_ALLOWANCE = 0.3


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    files: dict
    elapsed: float


def run_job(folder: Path, env: dict, args=("job.py", "in.csv", "out.csv"), job: str = PANDAS_JOB,
            files=("out.csv",), timeout: float = 60) -> Result:
    write_job(folder, "job.py", job)
    proc, elapsed = timed(list(args), env, folder, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr, outputs(folder, files), elapsed)


@pytest.fixture(scope="session")
def plain(tmp_path_factory) -> Result:
    """The pandas job run without instrumentation (twice: the faster run is the baseline time)."""
    results = [run_job(tmp_path_factory.mktemp("plain"), clean_env()) for _ in range(2)]
    assert results[0].returncode == 0, results[0].stderr
    best = min(results, key=lambda r: r.elapsed)
    return best


def assert_same_as_plain(result: Result, plain: Result, strip_ours: bool = False) -> None:
    """Exit code, stdout, stderr and output bytes equal the plain run's."""
    assert result.returncode == plain.returncode, result.stderr
    assert result.stdout == plain.stdout
    stderr = without_ours(result.stderr) if strip_ours else result.stderr
    assert stderr == plain.stderr
    assert result.files == plain.files


def instrumented_env(folder: Path, **extra: str) -> dict:
    """Enabled, a private data dir, our log lines in a file, a small flush bound."""
    env = clean_env(
        OPENLINEAGE_MONKEYPATCH_ENABLED="1",
        OPENLINEAGE_NAMESPACE="reliability",
        OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(folder / "olmp-data"),
        OPENLINEAGE_MONKEYPATCH_LOG=str(folder / "olmp.log"),
        OPENLINEAGE_MONKEYPATCH_FLUSH_TIMEOUT=str(FLUSH_TIMEOUT),
        OPENLINEAGE_MONKEYPATCH_LOG_LEVEL="DEBUG",
    )
    env.update(extra)
    return env


def our_log(folder: Path, debug: bool = False) -> list[str]:
    """Our diagnostic lines (warnings and errors; with debug=True every line)."""
    path = folder / "olmp.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line for line in lines if debug or " DEBUG: " not in line]


def exit_wait(folder: Path) -> float | None:
    """How long the job's exit waited for us, as our DEBUG line says."""
    import re

    for line in our_log(folder, debug=True):
        match = re.search(r"exit: \w+ emitted and flushed in ([0-9.]+) s", line)
        if match:
            return float(match.group(1))
    return None

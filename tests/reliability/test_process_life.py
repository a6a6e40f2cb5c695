"""Process life: signals, os._exit, forks while our thread is busy, threads, a job that never exits.

Each instrumented run is compared with the same job run plain: exit status, stdout, stderr and output
files are equal; the events are all there (delivered or spooled); the exit costs at most the bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import assert_valid, clean_env, read_events
from tests.fixtures import secrets
from tests.fixtures.jobs import by_run, names, parent_of, spool_events, types, write_job
from tests.fixtures.receiver import Receiver
from tests.reliability.conftest import FLUSH_TIMEOUT, SLACK, SPOOL_ALLOWANCE, instrumented_env, our_log

WAITING_JOB = """\
import sys, time
import pandas as pd

df = pd.read_csv("in.csv")
df.to_csv("out.csv", index=False)
print("ready", flush=True)
time.sleep(60)
print("never")
"""


def start(folder: Path, env: dict, job: str, *args: str) -> subprocess.Popen:
    write_job(folder, "job.py", job)
    return subprocess.Popen([sys.executable, "job.py", *args], cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 30) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    secrets.record_output(proc.args, out, err)
    return proc.returncode, out, err


def signalled(folder: Path, env: dict, signum: int) -> tuple[int, str, str, float, bytes]:
    """Start the waiting job, signal it once it is ready; (status, stdout, stderr, seconds to exit, out.csv)."""
    proc = start(folder, env, WAITING_JOB)
    first = proc.stdout.readline()
    assert first == "ready\n", proc.stderr.read() if proc.poll() is not None else first
    time.sleep(0.3)  # let it reach its sleep, so the traceback of a KeyboardInterrupt names the same line
    sent = time.monotonic()
    proc.send_signal(signum)
    code, out, err = finish(proc)
    err = err.replace(str(folder), "<job folder>")  # a traceback names the script's own path
    return code, first + out, err, time.monotonic() - sent, (folder / "out.csv").read_bytes()


def file_transport(folder: Path) -> dict:
    return {"OPENLINEAGE__TRANSPORT__TYPE": "file", "OPENLINEAGE__TRANSPORT__APPEND": "true",
            "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH": str(folder / "events.ndjson")}


@pytest.mark.parametrize("signum,kind,message", [
    (signal.SIGTERM, "ABORT", "terminated by signal 15"),
    (signal.SIGINT, "ABORT", "interrupted (KeyboardInterrupt)"),
])
@pytest.mark.parametrize("backend", ["file", "hang"])
def test_signal_mid_job(tmp_path, spec_checker, signum, kind, message, backend):
    plain = signalled(tmp_path / "plain", clean_env(), signum)
    with Receiver("hang") as hung:
        transport = file_transport(tmp_path) if backend == "file" else {"OPENLINEAGE_URL": hung.url}
        env = instrumented_env(tmp_path, **transport)
        code, out, err, seconds, written = signalled(tmp_path / "job", env, signum)
    assert (code, out, err, written) == (plain[0], plain[1], plain[2], plain[4])
    assert seconds <= plain[3] + FLUSH_TIMEOUT + SLACK, (seconds, plain[3])
    events = read_events(tmp_path / "events.ndjson") if backend == "file" else spool_events(tmp_path / "olmp-data")
    assert types(events) == ["START", "RUNNING", kind]
    assert message in events[-1]["run"]["facets"]["errorMessage"]["message"]
    assert names(events[-1]["outputs"]) == ["out.csv"]
    assert_valid(events, spec_checker)


OS_EXIT_JOB = """\
import os
import pandas as pd

pd.read_csv("in.csv").to_csv("out.csv", index=False)
print("unflushed output is lost by os._exit, with or without us")
os._exit(3)
"""


@pytest.mark.parametrize("backend", ["file", "hang"])
def test_os_exit_does_not_hang_and_keeps_the_events(tmp_path, spec_checker, backend):
    write_job(tmp_path / "plain", "job.py", OS_EXIT_JOB)
    plain = subprocess.run([sys.executable, "job.py"], cwd=tmp_path / "plain", env=clean_env(), capture_output=True,
                           text=True, timeout=60)
    with Receiver("hang") as hung:
        transport = file_transport(tmp_path) if backend == "file" else {"OPENLINEAGE_URL": hung.url}
        proc = start(tmp_path / "job", instrumented_env(tmp_path, **transport), OS_EXIT_JOB)
        began = time.monotonic()
        code, out, err = finish(proc)
        seconds = time.monotonic() - began
    assert (code, out, err) == (plain.returncode, plain.stdout, plain.stderr) and code == 3
    assert seconds < 10 and seconds < 2 + FLUSH_TIMEOUT + SLACK
    events = read_events(tmp_path / "events.ndjson") if backend == "file" else spool_events(tmp_path / "olmp-data")
    assert types(events) == ["START", "RUNNING", "FAIL"]
    assert "os._exit" in events[-1]["run"]["facets"]["errorMessage"]["message"]
    assert_valid(events, spec_checker)


BUSY_FORK_JOB = """\
import os, signal, sys
import pandas as pd

signal.alarm(60)  # a deadlock fails the test instead of hanging it
pd.read_csv("in.csv").to_csv("p0.csv", index=False)   # our thread now imports the client and sends
for i in range(6):
    pid = os.fork()                                    # while it is busy
    if pid == 0:
        import requests, urllib3, yaml                  # the job's own imports work in the child
        pd.read_csv("in.csv").to_csv(f"c{i}.csv", index=False)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    pd.read_csv("in.csv").to_csv(f"p{i + 1}.csv", index=False)
print("forks ok")
"""

BUSY_POOL_JOB = """\
import multiprocessing as mp, signal, sys
import pandas as pd


def work(i):
    import requests
    pd.read_csv("in.csv").to_csv(f"w{i}.csv", index=False)
    return i


if __name__ == "__main__":
    signal.alarm(60)
    mp.set_start_method(sys.argv[1])
    pd.read_csv("in.csv").to_csv("p0.csv", index=False)
    for round in range(2):
        with mp.Pool(3) as pool:
            print(sum(pool.map(work, range(round * 6, round * 6 + 6))))
"""


@pytest.mark.parametrize("job,args,outputs", [
    (BUSY_FORK_JOB, [], [f"p{i}.csv" for i in range(7)] + [f"c{i}.csv" for i in range(6)]),
    (BUSY_POOL_JOB, ["fork"], ["p0.csv"] + [f"w{i}.csv" for i in range(12)]),
    (BUSY_POOL_JOB, ["forkserver"], ["p0.csv"] + [f"w{i}.csv" for i in range(12)]),
], ids=["os.fork", "pool-fork", "pool-forkserver"])
def test_fork_while_our_thread_is_busy(tmp_path, spec_checker, job, args, outputs):
    write_job(tmp_path / "plain", "job.py", job)
    plain = subprocess.run([sys.executable, "job.py", *args], cwd=tmp_path / "plain", env=clean_env(),
                           capture_output=True, text=True, timeout=120)
    with Receiver("slow", delay=0.15) as backend:  # each send takes a while: the forks land mid-send
        env = instrumented_env(tmp_path, OPENLINEAGE_URL=backend.url, OPENLINEAGE_MONKEYPATCH_FLUSH_TIMEOUT="10")
        proc = start(tmp_path / "job", env, job, *args)
        code, out, err = finish(proc, timeout=120)
        assert (code, out, err) == (plain.returncode, plain.stdout, plain.stderr)
        events = backend.events + spool_events(tmp_path / "olmp-data")
    written = sorted({n for e in events if e["eventType"] == "RUNNING" for n in names(e["outputs"])})
    assert written == sorted(outputs), "no output lost"
    runs = by_run(events)
    main = [r for r in runs.values() if r[0]["job"]["name"] == "job.py"]
    assert len(main) == 1
    main_id = main[0][0]["run"]["runId"]
    for run in runs.values():
        assert types(run)[0] == "START" and types(run)[-1] == "COMPLETE", types(run)
        if run is not main[0]:
            assert {parent_of(e)[2] for e in run} == {main_id}, "each child its own run under the job"
    assert our_log(tmp_path) == []
    assert_valid(events, spec_checker)


THREADS_JOB = """\
import threading
import pandas as pd

def work(k):
    df = pd.read_csv(f"in{k}.csv")
    for j in range(5):
        df[f"c{k}"] = df[f"a{k}"] * j
        df.to_csv(f"out{k}_{j}.csv", index=False)

threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("done")
"""


def test_threads_running_pandas_concurrently_lose_no_output(tmp_path, spec_checker):
    folder = tmp_path / "job"
    folder.mkdir()
    for k in range(8):
        (folder / f"in{k}.csv").write_text(f"a{k},b{k}\n1,2\n3,4\n")
    proc = start(folder, instrumented_env(tmp_path, **file_transport(tmp_path)), THREADS_JOB)
    code, out, err = finish(proc, timeout=120)
    assert (code, out, err) == (0, "done\n", "")
    events = read_events(tmp_path / "events.ndjson")
    run = list(by_run(events).values())
    assert len(run) == 1
    running = [e for e in run[0] if e["eventType"] == "RUNNING"]
    assert sorted(n for e in running for n in names(e["outputs"])) == sorted(
        f"out{k}_{j}.csv" for k in range(8) for j in range(5))
    for event in running:  # each output's inputs are its own thread's input, never another's
        k = names(event["outputs"])[0][3]
        assert names(event["inputs"]) == [f"in{k}.csv"], event["inputs"]
        lineage = event["outputs"][0]["facets"].get("columnLineage", {}).get("fields", {})
        sources = {f["name"].rsplit("/", 1)[-1] for spec in lineage.values() for f in spec["inputFields"]}
        assert sources <= {f"in{k}.csv"}, sources
    assert names(run[0][-1]["outputs"]) == sorted(f"out{k}_{j}.csv" for k in range(8) for j in range(5))
    assert_valid(events, spec_checker)


@pytest.mark.parametrize("backend", ["ok", "hang"])
def test_a_job_that_never_exits_still_reports(tmp_path, backend):
    with Receiver(backend) as server:
        # against a hung backend, an event waits at most the delivery timeout before it is spooled
        env = instrumented_env(tmp_path, OPENLINEAGE_URL=server.url, OPENLINEAGE_MONKEYPATCH_DELIVERY_TIMEOUT="2")
        proc = start(tmp_path / "job", env, WAITING_JOB.replace("time.sleep(60)", "time.sleep(3600)"))
        try:
            assert proc.stdout.readline() == "ready\n"
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                found = server.events if backend == "ok" else spool_events(tmp_path / "olmp-data")
                if "RUNNING" in types(found):
                    break
                time.sleep(0.1)
            assert proc.poll() is None, "still running"
            assert types(found)[:2] == ["START", "RUNNING"], types(found)
            assert names(found[1]["outputs"]) == ["out.csv"]
        finally:
            proc.kill()
            finish(proc)


def spool_env(tmp_path: Path, spool: Path, **extra) -> dict:
    return instrumented_env(tmp_path, OPENLINEAGE_MONKEYPATCH_SPOOL_DIR=str(spool), **extra)


@pytest.mark.parametrize("backend", ["ok", "refuse"])
def test_spool_folder_not_writable(tmp_path, plain, backend):
    """The spool folder cannot be created (a file is in the way; chmod does not stop root): the events go
    to the temporary folder instead, with one warning. (When nothing can be written, see the disk-full test.)"""
    (tmp_path / "a-file").write_text("not a folder")
    temp = tmp_path / "tmp"
    with Receiver(backend) as server:
        env = spool_env(tmp_path, tmp_path / "a-file" / "spool", OPENLINEAGE_URL=server.url, TMPDIR=str(temp))
        (tmp_path / "tmp").mkdir(exist_ok=True)
        from tests.reliability.conftest import assert_same_as_plain, run_job

        result = run_job(tmp_path / "job", env)
        assert_same_as_plain(result, plain)
        warnings = our_log(tmp_path)
        if backend == "ok":
            assert warnings == [] and types(server.wait_for(3)) == ["START", "RUNNING", "COMPLETE"], "nothing lost"
            return
        assert len(warnings) == 1 and "could not write the spool" in warnings[0], warnings
        assert str(temp) in warnings[0]
        fallback = list(temp.rglob("spool-*.ndjson"))
        assert len(fallback) == 1 and sorted(types(read_events(fallback[0]))) == ["COMPLETE", "RUNNING", "START"]


FSIZE = 4096


def _limit_file_size():
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE, FSIZE))


def test_spool_disk_full(tmp_path):
    """Files cannot grow past 4 KiB (RLIMIT_FSIZE; Python ignores SIGXFSZ, so writes fail with EFBIG the way a
    full disk fails them with ENOSPC): the job's small output is written, our spool is not; one warning."""
    write_job(tmp_path / "plain", "job.py")
    run = dict(capture_output=True, text=True, timeout=60, preexec_fn=_limit_file_size)
    plain = subprocess.run([sys.executable, "job.py", "in.csv", "out.csv"], cwd=tmp_path / "plain", env=clean_env(), **run)
    with Receiver("refuse") as server:
        write_job(tmp_path / "job", "job.py")
        env = instrumented_env(tmp_path, OPENLINEAGE_URL=server.url)
        env["OPENLINEAGE_MONKEYPATCH_LOG"] = "off"
        proc = subprocess.run([sys.executable, "job.py", "in.csv", "out.csv"], cwd=tmp_path / "job", env=env, **run)
    secrets.record_output(proc.args, proc.stdout, proc.stderr)
    assert (proc.returncode, proc.stdout, proc.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert (tmp_path / "job" / "out.csv").read_bytes() == (tmp_path / "plain" / "out.csv").read_bytes()
    spooled = list((tmp_path / "olmp-data" / "spool").glob("*.ndjson"))
    for path in spooled:  # whatever fitted is whole lines only
        for line in path.read_text().splitlines():
            assert line.startswith("{") and line.endswith("}")
    env["OPENLINEAGE_MONKEYPATCH_LOG"] = "stderr"
    env["TMPDIR"] = str(tmp_path / "tmp")  # the fallback folder is size-limited too
    (tmp_path / "tmp").mkdir()
    loud = subprocess.run([sys.executable, "job.py", "in.csv", "out.csv"], cwd=tmp_path / "job", env=env, **run)
    ours = [line for line in loud.stderr.splitlines() if line.startswith("openlineage-monkeypatch:")
            and " DEBUG: " not in line]
    assert loud.returncode == 0 and len(ours) == 1 and "could not write the spool" in ours[0], loud.stderr
    assert "undelivered lineage event(s) lost" in ours[0]

"""How events leave the job's process: never through the OpenLineage client in that process; with a
transport of the user's, through a delivery process that is neither the job's child nor in its session,
that only the job holds a pipe to (not its children), that survives the job's death with what it got,
and whose own failure costs the job nothing but a spooled event and one warning."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import assert_valid, clean_env, read_event_dir, read_events
from tests.fixtures import secrets
from tests.fixtures.jobs import names, spool_events, types, write_job
from tests.fixtures.receiver import Receiver
from tests.reliability.conftest import instrumented_env, our_log

MARK = "OPENLINEAGE_MONKEYPATCH_DELIVERY_PARENT"


def file_env(folder: Path, **extra) -> dict:
    return instrumented_env(folder, OPENLINEAGE__TRANSPORT__TYPE="file", OPENLINEAGE__TRANSPORT__APPEND="true",
                            OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(folder / "events.ndjson"), **extra)


def run(folder: Path, env: dict, job: str, timeout: float = 60) -> subprocess.CompletedProcess:
    write_job(folder, "job.py", job)
    proc = subprocess.run([sys.executable, "job.py"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=timeout)
    secrets.record_output(proc.args, proc.stdout, proc.stderr)
    return proc


def delivery_processes(job_pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"{MARK}={job_pid}".encode() in environ:
            found.append(int(entry))
    return found


MODULES_JOB = """\
import sys
import pandas as pd
import openlineage_monkeypatch

pd.read_csv("in.csv").to_csv("out.csv", index=False)
assert openlineage_monkeypatch.flush(10)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("openlineage", "attr", "attrs", "requests", "urllib3",
                                                               "httpx", "yaml", "subprocess"))
print(" ".join(loaded))
"""


@pytest.mark.parametrize("transport", ["embedded", "file", "http"])
def test_the_job_process_never_imports_the_client(tmp_path, transport, spec_checker):
    with Receiver("ok") as backend:
        if transport == "embedded":
            env = instrumented_env(tmp_path)
        elif transport == "file":
            env = file_env(tmp_path)
        else:
            env = instrumented_env(tmp_path, OPENLINEAGE_URL=backend.url)
        proc = run(tmp_path / "job", env, MODULES_JOB)
        assert proc.returncode == 0, proc.stderr
        plain = run(tmp_path / "plain", clean_env(), MODULES_JOB.replace(
            "import openlineage_monkeypatch\n", "").replace("assert openlineage_monkeypatch.flush(10)\n", ""))
        assert proc.stdout == plain.stdout, "the job's process loaded nothing more than the plain job"
        if transport == "embedded":
            events = read_event_dir(tmp_path / "olmp-data" / "events")
        elif transport == "file":
            events = read_events(tmp_path / "events.ndjson")
        else:
            events = backend.wait_for(3)
    assert types(events) == ["START", "RUNNING", "COMPLETE"]
    assert_valid(events, spec_checker)


WAITING_JOB = """\
import os, sys
import pandas as pd
import openlineage_monkeypatch

pd.read_csv("in.csv").to_csv("out.csv", index=False)
assert openlineage_monkeypatch.flush(10)
try:
    os.waitpid(-1, os.WNOHANG)
    print("a child", flush=True)
except ChildProcessError:
    print("no child", flush=True)
print(os.getpid(), os.getsid(0), flush=True)
sys.stdin.readline()
"""


def test_the_delivery_process_is_not_a_child_nor_in_the_jobs_session(tmp_path):
    write_job(tmp_path / "job", "job.py", WAITING_JOB)
    proc = subprocess.Popen([sys.executable, "job.py"], cwd=tmp_path / "job", env=file_env(tmp_path),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline() == "no child\n", "os.wait() in the job never sees our delivery process"
        pid, sid = map(int, proc.stdout.readline().split())
        found = delivery_processes(pid)
        assert len(found) == 1, found
        delivery = found[0]
        assert os.getsid(delivery) != sid, "a terminal's Ctrl-C (its process group) does not reach it"
        status = Path(f"/proc/{delivery}/status").read_text()
        assert f"PPid:\t{pid}\n" not in status
        assert "OPENLINEAGE_MONKEYPATCH_ENABLED" not in Path(f"/proc/{delivery}/environ").read_text(errors="replace")
        os.killpg(sid, signal.SIGINT)  # Ctrl-C: the job is interrupted, its events still delivered
        out, err = proc.communicate(timeout=30)
        secrets.record_output(proc.args, out, err)
    finally:
        proc.kill()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    events = read_events(tmp_path / "events.ndjson")
    assert types(events) == ["START", "RUNNING", "ABORT"]
    deadline = time.monotonic() + 10
    while delivery_processes(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert delivery_processes(pid) == [], "it exits once the job is done"


CHILDREN_JOB = """\
import os, subprocess, sys, time
import pandas as pd

pd.read_csv("in.csv").to_csv("out.csv", index=False)
time.sleep(0.3)  # our thread has started the delivery process and written to its pipe
# a long-lived child of each kind: none may keep the pipe open (the delivery process would never see EOF)
sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=False)
pid = os.fork()
if pid == 0:
    for fd in (0, 1, 2):
        os.close(fd)
    time.sleep(30)
    os._exit(0)
with open("children", "w") as handle:
    handle.write(f"{sleeper.pid} {pid}")
pd.read_csv("in.csv").to_csv("out2.csv", index=False)
print("parent done")
"""


def test_children_do_not_hold_the_delivery_pipe(tmp_path, spec_checker):
    env = file_env(tmp_path, OPENLINEAGE_MONKEYPATCH_FLUSH_TIMEOUT="8")
    started = time.monotonic()
    write_job(tmp_path / "job", "job.py", CHILDREN_JOB)
    proc = subprocess.Popen([sys.executable, "job.py"], cwd=tmp_path / "job", env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        children = (tmp_path / "job" / "children").read_text().split() if (tmp_path / "job" / "children").exists() else []
        for pid in children:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
    assert proc.returncode == 0 and out == "parent done\n", err
    assert elapsed < 6, f"the exit waited {elapsed:.1f} s: a child kept the pipe to the delivery process open"
    events = [e for e in read_events(tmp_path / "events.ndjson") if e["job"]["name"] == "job.py"]
    assert types(events) == ["START", "RUNNING", "RUNNING", "COMPLETE"]
    assert names(events[-1]["outputs"]) == ["out.csv", "out2.csv"]
    assert_valid(events, spec_checker)


KILLED_JOB = """\
import os, signal, time
import pandas as pd

pd.read_csv("in.csv").to_csv("out.csv", index=False)
time.sleep(0.5)  # handed over to the delivery process
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_job_still_gets_what_it_handed_over_delivered(tmp_path, spec_checker):
    proc = run(tmp_path / "job", file_env(tmp_path), KILLED_JOB)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 15
    events = []
    while time.monotonic() < deadline:
        events = read_events(tmp_path / "events.ndjson")
        if len(events) >= 2:
            break
        time.sleep(0.1)
    assert types(events) == ["START", "RUNNING"], "no final event: the job was killed; nothing handed over lost"
    assert_valid(events, spec_checker)


NO_PYTHON_JOB = """\
import sys
import pandas as pd

sys.executable = "/nonexistent/python3"
print("job: start")
pd.read_csv("in.csv").to_csv("out.csv", index=False)
print("job: done")
"""


def test_a_delivery_process_that_cannot_start_spools_with_one_warning(tmp_path, spec_checker):
    proc = run(tmp_path / "job", file_env(tmp_path), NO_PYTHON_JOB)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "job: start\njob: done\n", "")
    log = our_log(tmp_path)
    assert len(log) == 1 and "could not start the delivery process" in log[0] and "replay" in log[0], log
    spooled = spool_events(tmp_path / "olmp-data")
    assert types(spooled) == ["START", "RUNNING", "COMPLETE"]
    assert not (tmp_path / "events.ndjson").exists()
    assert_valid(spooled, spec_checker)


DELIVERY_DIES_JOB = """\
import os, signal, time
import pandas as pd
import openlineage_monkeypatch

pd.read_csv("in.csv").to_csv("out1.csv", index=False)
assert openlineage_monkeypatch.flush(10)
for entry in os.listdir("/proc"):
    try:
        if entry.isdigit() and b"OPENLINEAGE_MONKEYPATCH_DELIVERY_PARENT=%d" % os.getpid() in open(
                f"/proc/{entry}/environ", "rb").read().split(b"\\0"):
            os.kill(int(entry), signal.SIGKILL)
    except OSError:
        pass
time.sleep(0.3)
pd.read_csv("in.csv").to_csv("out2.csv", index=False)
print("job: done")
"""


def test_a_delivery_process_that_dies_costs_a_spool_and_one_warning(tmp_path, spec_checker):
    started = time.monotonic()
    proc = run(tmp_path / "job", file_env(tmp_path), DELIVERY_DIES_JOB)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "job: done\n", "")
    assert time.monotonic() - started < 20
    delivered = read_events(tmp_path / "events.ndjson")
    spooled = spool_events(tmp_path / "olmp-data")
    assert types(delivered) == ["START", "RUNNING"]
    assert types(spooled) == ["RUNNING", "COMPLETE"] and names(spooled[0]["outputs"]) == ["out2.csv"]
    log = our_log(tmp_path)
    assert len(log) == 1 and "spooled to" in log[0], log
    assert_valid(delivered + spooled, spec_checker)


FLUSH_JOB = """\
import json, os
import pandas as pd
import openlineage_monkeypatch

pd.read_csv("in.csv").to_csv("out.csv", index=False)
print(openlineage_monkeypatch.flush(float(os.environ["FLUSH"])))
path = os.environ.get("EVENTS")
if path:
    print([json.loads(line)["eventType"] for line in open(path)])
"""


def test_flush_returns_once_the_events_are_delivered(tmp_path):
    env = file_env(tmp_path, FLUSH="10", EVENTS=str(tmp_path / "events.ndjson"))
    proc = run(tmp_path / "job", env, FLUSH_JOB)
    assert proc.stdout == "True\n['START', 'RUNNING']\n", proc.stderr
    with Receiver("hang") as hung:
        env = instrumented_env(tmp_path / "h", OPENLINEAGE_URL=hung.url, FLUSH="0.5")
        began = time.monotonic()
        proc = run(tmp_path / "h" / "job", env, FLUSH_JOB)
        assert proc.stdout == "False\n", proc.stderr
        assert time.monotonic() - began < 10
    assert sorted(types(spool_events(tmp_path / "h" / "olmp-data"))) == ["COMPLETE", "RUNNING", "START"]

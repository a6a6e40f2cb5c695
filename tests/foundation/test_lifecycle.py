"""Run lifecycle in fresh interpreters with only the environment switched on: how the process was
started (script, -m, console script), children (subprocess, multiprocessing with each start method,
os.fork), parents from Airflow, names, standard facets, failure outcomes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid

import pytest

from tests.conftest import assert_valid, read_events, run_python
from tests.fixtures.jobs import PANDAS_JOB, by_run, names, parent_of, types, write_job

UUID_V7 = 7


def single_run(events):
    runs = by_run(events)
    assert len(runs) == 1, [types(e) for e in runs.values()]
    return next(iter(runs.values()))


def assert_uuid7(value: str) -> None:
    assert uuid.UUID(value).version == UUID_V7, value


def test_script_run_is_start_running_complete(tmp_path, ol_env, events_file, spec_checker):
    write_job(tmp_path)
    proc = run_python(["job.py", "in.csv", "out.csv"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = read_events(events_file)
    run = single_run(events)
    assert types(run) == ["START", "RUNNING", "COMPLETE"]
    assert_uuid7(run[0]["run"]["runId"])
    assert {e["job"]["namespace"] for e in run} == {"tests"}
    assert {e["job"]["name"] for e in run} == {"job.py"}
    assert all(parent_of(e) is None for e in run)
    start, running, complete = run
    assert names(running["inputs"]) == ["in.csv"] and names(running["outputs"]) == ["out.csv"]
    assert names(complete["inputs"]) == ["in.csv"] and names(complete["outputs"]) == ["out.csv"]
    assert start["job"]["facets"]["jobType"]["processingType"] == "BATCH"
    assert start["job"]["facets"]["jobType"]["integration"] == "PYTHON"
    engine = complete["run"]["facets"]["processing_engine"]
    assert engine["name"] == "python" and engine["version"] == sys.version.split()[0]
    assert engine["openlineageAdapterVersion"]
    assert "errorMessage" not in complete["run"]["facets"]
    assert start["eventTime"] <= running["eventTime"] <= complete["eventTime"]
    assert all(e["eventTime"].endswith("+00:00") or e["eventTime"].endswith("Z") for e in run)
    assert_valid(events, spec_checker)


def test_module_run_is_named_after_the_module(tmp_path, ol_env, events_file, spec_checker):
    write_job(tmp_path / "pkg", "job.py")
    (tmp_path / "pkg" / "__init__.py").write_text("")
    proc = run_python(["-m", "pkg.job", "pkg/in.csv", "out.csv"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run = single_run(read_events(events_file))
    assert types(run) == ["START", "RUNNING", "COMPLETE"]
    assert {e["job"]["name"] for e in run} == {"pkg.job"}
    assert_valid(run, spec_checker)


def test_console_script_is_named_after_the_command(tmp_path, ol_env, events_file):
    write_job(tmp_path / "pkg", "job.py", PANDAS_JOB.replace('print("job: start")', 'def main():\n    pass'))
    (tmp_path / "pkg" / "cli.py").write_text(
        "import sys, pandas as pd\n"
        "def main():\n"
        "    pd.read_csv(sys.argv[1]).to_csv(sys.argv[2], index=False)\n"
        "    return 0\n")
    (tmp_path / "pkg" / "__init__.py").write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nightly-etl"
    # what pip writes for [project.scripts] nightly-etl = "pkg.cli:main"
    script.write_text(f"#!{sys.executable}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom pkg.cli import main\n"
                      "if __name__ == '__main__':\n"
                      "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                      "    sys.exit(main())\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = dict(ol_env, PYTHONPATH=os.pathsep.join([str(tmp_path), ol_env["PYTHONPATH"]]))
    proc = subprocess.run([str(script), "pkg/in.csv", "out.csv"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    run = single_run(read_events(events_file))
    assert types(run) == ["START", "RUNNING", "COMPLETE"]
    assert {e["job"]["name"] for e in run} == {"nightly-etl"}


def test_job_names_and_namespace(tmp_path, ol_env, events_file):
    write_job(tmp_path / "jobs", "daily.py")
    env = dict(ol_env)
    env.pop("OPENLINEAGE_NAMESPACE")
    for _ in range(2):  # stable across runs
        assert run_python(["jobs/daily.py", "jobs/in.csv", "out.csv"], env=env, cwd=tmp_path).returncode == 0
    named = dict(env, OPENLINEAGE_JOB_NAME="warehouse.daily_orders", OPENLINEAGE_NAMESPACE="etl")
    assert run_python(["jobs/daily.py", "jobs/in.csv", "out.csv"], env=named, cwd=tmp_path).returncode == 0
    runs = list(by_run(read_events(events_file)).values())
    assert len(runs) == 3
    assert {(e["job"]["namespace"], e["job"]["name"]) for e in runs[0] + runs[1]} == {("default", "jobs/daily.py")}
    assert {(e["job"]["namespace"], e["job"]["name"]) for e in runs[2]} == {("etl", "warehouse.daily_orders")}
    assert len({r[0]["run"]["runId"] for r in runs}) == 3


def test_process_that_touches_nothing_emits_nothing(tmp_path, ol_env, events_file):
    child = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import pandas'], check=True)"
    assert run_python(["-c", "import pandas, json; json.dumps({})"], env=ol_env, cwd=tmp_path).returncode == 0
    assert run_python(["-c", child], env=ol_env, cwd=tmp_path).returncode == 0
    assert read_events(events_file) == []
    assert not (tmp_path / "olmp-data" / "events").exists()


PARENT = """\
import subprocess, sys
print("parent: starting a child", flush=True)
subprocess.run([sys.executable, "child.py", "in.csv", "out.csv"], check=True)
print("parent: done")
"""


def test_subprocess_child_has_its_own_run_under_the_parent(tmp_path, ol_env, events_file, spec_checker):
    write_job(tmp_path, "child.py")
    (tmp_path / "parent.py").write_text(PARENT)
    proc = run_python(["parent.py"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "parent: starting a child\njob: start\nrows 3\nparent: done\n"
    events = read_events(events_file)
    runs = by_run(events)
    assert len(runs) == 2
    parent = next(r for r in runs.values() if r[0]["job"]["name"] == "parent.py")
    child = next(r for r in runs.values() if r[0]["job"]["name"] == "child.py")
    # the parent only started a child: it is materialized (START timed at its own start) because the child did work
    assert types(parent) == ["START", "COMPLETE"]
    assert types(child) == ["START", "RUNNING", "COMPLETE"]
    parent_id = parent[0]["run"]["runId"]
    assert {parent_of(e) for e in child} == {("tests", "parent.py", parent_id, "parent.py", parent_id)}
    assert parent[0]["eventTime"] < child[0]["eventTime"]
    assert all(parent_of(e) is None for e in parent)
    assert not any((tmp_path / "olmp-data" / "runs").glob("*")), "the child's marker is consumed"
    assert_valid(events, spec_checker)


def test_airflow_parent_and_root_reach_grandchildren(tmp_path, ol_env, events_file, spec_checker):
    write_job(tmp_path, "child.py")
    (tmp_path / "parent.py").write_text(PARENT.replace('print("parent: done")',
                                                       'import pandas as pd\npd.read_csv("in.csv")'))
    task_run, dag_run = str(uuid.uuid4()), str(uuid.uuid4())
    env = dict(ol_env, OPENLINEAGE_PARENT_ID=f"airflow://prod/my_dag.load_orders/{task_run}",
               OPENLINEAGE_ROOT_PARENT_ID=f"airflow://prod/my_dag/{dag_run}")
    proc = run_python(["parent.py"], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = read_events(events_file)
    runs = by_run(events)
    parent = next(r for r in runs.values() if r[0]["job"]["name"] == "parent.py")
    child = next(r for r in runs.values() if r[0]["job"]["name"] == "child.py")
    assert types(parent) == ["START", "COMPLETE"]
    assert {parent_of(e) for e in parent} == {("airflow://prod", "my_dag.load_orders", task_run, "my_dag", dag_run)}
    parent_id = parent[0]["run"]["runId"]
    assert {parent_of(e) for e in child} == {("tests", "parent.py", parent_id, "my_dag", dag_run)}
    assert_valid(events, spec_checker)


MP_JOB = """\
import multiprocessing as mp
import sys

import pandas as pd


def work(i):
    pd.read_csv("in.csv").to_csv(f"out{i}.csv", index=False)
    return i


if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    with mp.Pool(2) as pool:
        print(pool.map(work, range(4)))
    p = mp.Process(target=work, args=(9,))
    p.start()
    p.join()
    print("exit", p.exitcode)
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_workers_are_child_runs(tmp_path, ol_env, events_file, spec_checker, method):
    write_job(tmp_path, "job.py", MP_JOB)
    proc = run_python(["job.py", method], env=ol_env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[0, 1, 2, 3]\nexit 0\n"
    events = read_events(events_file)
    runs = by_run(events)
    main = [r for r in runs.values() if r[0]["job"]["name"] == "job.py"]
    assert len(main) == 1, {r[0]["job"]["name"] for r in runs.values()}
    main = main[0]
    main_id = main[0]["run"]["runId"]
    assert types(main) == ["START", "COMPLETE"]
    workers = [r for r in runs.values() if r is not main]
    assert {r[0]["job"]["name"] for r in workers} <= {"job.py.PoolWorker", "job.py.Process"}
    assert sum(1 for r in workers if r[0]["job"]["name"] == "job.py.Process") == 1
    written = []
    for run in workers:
        assert types(run)[0] == "START" and types(run)[-1] == "COMPLETE", types(run)
        assert set(types(run)[1:-1]) == {"RUNNING"}
        assert {parent_of(e) for e in run} == {("tests", "job.py", main_id, "job.py", main_id)}
        written += [name for e in run if e["eventType"] == "RUNNING" for name in names(e["outputs"])]
    assert sorted(written) == ["out0.csv", "out1.csv", "out2.csv", "out3.csv", "out9.csv"], "no output lost"
    assert_valid(events, spec_checker)


FORK_JOB = """\
import os
import pandas as pd

pd.read_csv("in.csv").to_csv("parent.csv", index=False)
pid = os.fork()
if pid == 0:
    pd.read_csv("in.csv").to_csv("child.csv", index=False)
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child status", os.waitstatus_to_exitcode(status))
"""


def test_os_fork_child_is_its_own_run(tmp_path, ol_env, events_file, spec_checker):
    write_job(tmp_path, "job.py", FORK_JOB)
    proc = run_python(["job.py"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "child status 0\n", proc.stderr
    events = read_events(events_file)
    runs = by_run(events)
    parent = next(r for r in runs.values() if r[0]["job"]["name"] == "job.py")
    child = next(r for r in runs.values() if r[0]["job"]["name"] == "job.py.fork")
    assert types(parent) == ["START", "RUNNING", "COMPLETE"]
    assert types(child) == ["START", "RUNNING", "COMPLETE"]
    pid = parent[0]["run"]["runId"]
    assert {parent_of(e) for e in child} == {("tests", "job.py", pid, "job.py", pid)}
    assert names(child[-1]["outputs"]) == ["child.csv"] and names(parent[-1]["outputs"]) == ["parent.csv"]
    assert_valid(events, spec_checker)


FAILING = {
    "exception": ('raise ValueError("bad row 7")', 1, "FAIL", "ValueError: bad row 7"),
    "sys.exit": ("sys.exit(3)", 3, "FAIL", "exited with status 3"),
    "exit builtin": ("exit(4)", 4, "FAIL", "exited with status 4"),
    "sys.exit(0)": ("sys.exit(0)", 0, "COMPLETE", None),
    # an uncaught KeyboardInterrupt ends the process by SIGINT, as in the plain run (-2, 130 in a shell)
    "keyboard interrupt": ("raise KeyboardInterrupt", -2, "ABORT", "interrupted (KeyboardInterrupt)"),
}


@pytest.mark.parametrize("case", list(FAILING))
def test_exit_outcomes(tmp_path, ol_env, events_file, spec_checker, case):
    statement, code, kind, message = FAILING[case]
    write_job(tmp_path, "job.py", f"import sys\nimport pandas as pd\npd.read_csv('in.csv')\n{statement}\n")
    proc = run_python(["job.py"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == code
    run = single_run(read_events(events_file))
    assert types(run) == ["START", kind]
    facet = run[-1]["run"]["facets"].get("errorMessage")
    if message is None:
        assert facet is None
    else:
        assert message in facet["message"]
        assert facet["programmingLanguage"] == "python"
        if case == "exception":
            assert "Traceback" in facet["stackTrace"] and "job.py" in facet["stackTrace"]
    assert_valid(run, spec_checker)


def _git(folder, *args):
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull})


@pytest.mark.parametrize("remote,expected", [
    ("https://ci-bot:olmp-url-pw-3b8d1@github.com/acme/etl.git", "https://github.com/acme/etl"),
    ("git@github.com:acme/etl.git", "https://github.com/acme/etl"),
    (None, None),
])
def test_source_code_location_only_in_https_form(tmp_path, ol_env, events_file, spec_checker, remote, expected):
    repo = tmp_path / "repo"
    write_job(repo / "jobs", "load.py")
    _git(repo, "init", "-q", "-b", "main")
    if remote:
        _git(repo, "remote", "add", "origin", remote)
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "x")
    proc = run_python(["jobs/load.py", "jobs/in.csv", "out.csv"], env=ol_env, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    run = single_run(read_events(events_file))
    location = run[0]["job"]["facets"].get("sourceCodeLocation")
    if expected is None:
        assert location is None
        assert all("sourceCodeLocation" not in e["job"]["facets"] for e in run)
        return
    assert location["repoUrl"] == expected
    assert location["url"].startswith(expected + "/blob/") and location["url"].endswith("/jobs/load.py")
    assert location["path"] == "jobs/load.py" and location["branch"] == "main" and len(location["version"]) == 40
    assert_valid(run, spec_checker)


def test_script_outside_git_has_no_source_code_location(tmp_path, ol_env, events_file):
    write_job(tmp_path)
    assert run_python(["job.py", "in.csv", "out.csv"], env=ol_env, cwd=tmp_path).returncode == 0
    assert all("sourceCodeLocation" not in e["job"]["facets"] for e in read_events(events_file))

"""`openlineage-monkeypatch run` and `doctor`; instrument()/uninstrument()/finish() in-process."""

from __future__ import annotations

import json

from tests.conftest import assert_valid, clean_env, read_events, run_python
from tests.fixtures.jobs import PREFIX, by_run, names, types, write_job
from tests.fixtures.secrets import API_KEY

CLI = ["-m", "openlineage_monkeypatch.cli"]


def test_run_wrapper_instruments_an_unchanged_command(tmp_path, ol_env, events_file, spec_checker):
    write_job(tmp_path)
    env = dict(ol_env)
    env.pop("OPENLINEAGE_MONKEYPATCH_ENABLED")
    import sys

    proc = run_python(CLI + ["run", "--", sys.executable, "job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "job: start\nrows 3\n" and proc.stderr == "job: a line on stderr\n"
    run = list(by_run(read_events(events_file)).values())
    assert len(run) == 1 and types(run[0]) == ["START", "RUNNING", "COMPLETE"]
    assert run[0][0]["job"]["name"] == "job.py" and "parent" not in run[0][0]["run"]["facets"]
    assert_valid(run[0], spec_checker)


def test_run_wrapper_passes_the_exit_status_and_reports_a_missing_command(tmp_path, ol_env):
    import sys

    proc = run_python(CLI + ["run", "--", sys.executable, "-c", "import sys; sys.exit(7)"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 7
    missing = run_python(CLI + ["run", "--", "no-such-command-olmp"], env=ol_env, cwd=tmp_path)
    assert missing.returncode == 127 and "cannot run no-such-command-olmp" in missing.stderr
    usage = run_python(CLI + ["run"], env=ol_env, cwd=tmp_path)
    assert usage.returncode == 2


def test_doctor_shows_config_transport_and_integrations_without_secrets(tmp_path):
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE__TRANSPORT__TYPE="http",
                    OPENLINEAGE__TRANSPORT__URL="https://user:olmp-url-pw-3b8d1@lineage.example.com",
                    OPENLINEAGE__TRANSPORT__AUTH=json.dumps({"type": "api_key", "apiKey": API_KEY}),
                    OPENLINEAGE_NAMESPACE="prod", OPENLINEAGE_MONKEYPATCH_DISABLED_INTEGRATIONS="snowflake",
                    OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
    proc = run_python(CLI + ["doctor", "--json"], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["enabled_by_environment"] is True and report["job_namespace"] == "prod"
    assert report["transport"]["type"] == "http" and report["transport"]["url"] == "https://lineage.example.com"
    assert report["integrations"]["pandas"]["enabled"] and not report["integrations"]["snowflake"]["enabled"]
    assert report["integrations"]["pandas"]["installed_version"]
    assert report["startup_hook"].endswith("openlineage_monkeypatch.pth")
    assert report["spool_dir"] == str(tmp_path / "d" / "spool")
    text = run_python(CLI + ["doctor"], env=env, cwd=tmp_path)
    assert text.returncode == 0 and "integrations:" in text.stdout
    for output in (proc.stdout + proc.stderr, text.stdout + text.stderr):
        assert API_KEY not in output and "olmp-url-pw" not in output
    assert not (tmp_path / "d" / "events").exists(), "doctor emits nothing"


def test_doctor_with_nothing_configured_names_the_embedded_default(tmp_path):
    env = clean_env(OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
    report = json.loads(run_python(CLI + ["doctor", "--json"], env=env, cwd=tmp_path).stdout)
    assert report["enabled_by_environment"] is False
    assert report["transport"] == {"type": "file (embedded default)", "events_dir": str(tmp_path / "d" / "events")}


API_JOB = """\
import sys
import openlineage_monkeypatch as olmp

print(olmp.instrument(["pandas"]))
import pandas as pd

original = pd.read_csv.__wrapped__
pd.read_csv("in.csv").to_csv("a.csv", index=False)
olmp.finish()                      # one run per finish() in a notebook
pd.read_csv("a.csv").to_csv("b.csv", index=False)
olmp.uninstrument()
print(pd.read_csv is original, hasattr(pd.read_csv, "__wrapped__"))
pd.read_csv("b.csv").to_csv("c.csv", index=False)   # not seen
print(olmp.flush(1.0))
"""


def test_instrument_uninstrument_finish_in_process(tmp_path, ol_env, events_file, spec_checker):
    write_job(tmp_path, "nb.py", API_JOB)
    env = dict(ol_env)
    env.pop("OPENLINEAGE_MONKEYPATCH_ENABLED")
    proc = run_python(["nb.py"], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "['pandas']\nTrue False\nTrue\n"
    runs = list(by_run(read_events(events_file)).values())
    assert [types(r) for r in runs] == [["START", "RUNNING", "COMPLETE"], ["START", "RUNNING", "COMPLETE"]]
    assert names(runs[0][-1]["outputs"]) == ["a.csv"] and names(runs[1][-1]["outputs"]) == ["b.csv"]
    assert PREFIX not in proc.stderr.replace(f"{PREFIX} INFO", "")
    assert_valid(runs[0] + runs[1], spec_checker)


def test_instrument_does_nothing_when_openlineage_is_disabled(tmp_path, ol_env, events_file):
    write_job(tmp_path, "nb.py", "import openlineage_monkeypatch as olmp\nprint(olmp.instrument())\n"
                                 "import pandas as pd\npd.read_csv('in.csv')\n")
    env = dict(ol_env, OPENLINEAGE_DISABLED="true")
    env.pop("OPENLINEAGE_MONKEYPATCH_ENABLED")
    proc = run_python(["nb.py"], env=env, cwd=tmp_path)
    assert proc.stdout == "[]\n" and read_events(events_file) == []

"""Helpers for Snowflake jobs run against fakesnow's server with the real connector, in fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from integration import servers
from tests.conftest import REPO, read_events, run_python

# Secrets given to connect() in every job: none may appear in any event or log line.
SECRETS = {
    "password": "Pa55-w0rd-NEVER-LEAK-7781",
    "passcode": "914215",
    "token": "tok-NEVER-LEAK-55aa",
    "private_key_file_pwd": "pkpw-NEVER-LEAK-3311",
    "oauth_client_secret": "oauth-NEVER-LEAK-9080",
}
SECRET_VALUES = tuple(SECRETS.values()) + ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",)

PRELUDE = """
import os, sys
import snowflake.connector

PORT = int(os.environ["FAKESNOW_PORT"])
SECRETS = {secrets!r}


def connect(database="DB1", schema="S1", **extra):
    kwargs = dict(user="fake", account="myorg-myacct", host="127.0.0.1", port=PORT, protocol="http",
                  network_timeout=5, login_timeout=5, database=database, schema=schema,
                  session_parameters={{"FAKESNOW_DB_PATH": ":isolated:",
                                      "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False}},
                  **SECRETS)
    kwargs.update(extra)
    conn = snowflake.connector.connect(**kwargs)
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {{database}}")
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {{database}}.{{schema}}")
    cur.execute(f"USE SCHEMA {{database}}.{{schema}}")
    return conn
""".format(secrets=SECRETS)


class Job:
    """A finished job: its events, exit code and output."""

    def __init__(self, proc: subprocess.CompletedProcess, events: list[dict], script: Path | None = None) -> None:
        self.script = script
        self.proc = proc
        self.events = events
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def running(self) -> list[dict]:
        return [e for e in self.events if e["eventType"] == "RUNNING"]

    def with_sql(self, fragment: str) -> list[dict]:
        return [e for e in self.running() if fragment in ((e["job"]["facets"].get("sql") or {}).get("query") or "")]

    def complete(self) -> dict:
        finals = [e for e in self.events if e["eventType"] in ("COMPLETE", "FAIL")]
        assert finals, [e["eventType"] for e in self.events]
        return finals[-1]


def run_job(code: str, env: dict, tmp_path: Path, port: int, *args: str, name: str = "job.py") -> Job:
    script = tmp_path / name
    script.write_text(PRELUDE + textwrap.dedent(code))
    env = dict(env, FAKESNOW_PORT=str(port))
    connector = os.environ.get("OLMP_TEST_CONNECTOR_PATH")  # another snowflake-connector-python, for the jobs
    if connector:
        env["PYTHONPATH"] = os.pathsep.join([connector, env["PYTHONPATH"]])
    proc = run_python([str(script), *args], env=env, cwd=tmp_path, timeout=120)
    events_path = env.get("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH")
    events = read_events(events_path) if events_path else []
    return Job(proc, events, script)


def job_env(folder: Path) -> dict:
    """What tests.conftest's ol_env gives, for module-scoped jobs."""
    from tests.conftest import clean_env

    return clean_env(
        OPENLINEAGE_MONKEYPATCH_ENABLED="1",
        OPENLINEAGE_NAMESPACE="tests",
        OPENLINEAGE__TRANSPORT__TYPE="file",
        OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(folder / "events.ndjson"),
        OPENLINEAGE__TRANSPORT__APPEND="true",
        OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(folder / "olmp-data"),
    )


def dataset(event: dict, side: str, suffix: str) -> dict:
    matches = [d for d in event[side] if d["name"].endswith(suffix)]
    assert len(matches) == 1, (suffix, [d["name"] for d in event[side]])
    return matches[0]


def actions(ds: dict) -> set[tuple]:
    return {(a["action"], a.get("objectType"), a.get("object"))
            for a in ((ds["facets"].get("monkeypatch_access") or {}).get("actions") or [])}


def assert_no_secrets(job: Job) -> None:
    text = json.dumps(job.events) + job.stdout + job.stderr
    for value in SECRET_VALUES:
        assert value not in text, f"secret {value[:6]}... leaked"


@pytest.fixture(scope="session")
def shimmed_snowflake_server():
    """fakesnow with a one-line shim so the real connector's write_pandas runs (see shimmed_server.py)."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.snowflake.shimmed_server"], cwd=REPO,
                            env=servers.server_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    if not line or not line[0].startswith("READY "):
        proc.kill()
        raise RuntimeError("shimmed fakesnow did not start")
    server = servers.LocalServer("snowflake", proc, int(line[0].split()[1]))
    yield server
    server.stop()

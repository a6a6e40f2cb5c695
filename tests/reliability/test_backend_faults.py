"""Backend faults: the job's exit code, output and files equal the plain run's, its extra wall time
stays under the flush bound, undelivered events are spooled, and `replay` delivers each exactly once.

The HTTP transport is configured the way production does it (OPENLINEAGE__TRANSPORT__* with an API
key), so the same runs also prove the key never reaches our log, the spool or the job's output.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_valid, read_events, run_python
from tests.fixtures.jobs import spool_events, types
from tests.fixtures.receiver import Receiver
from tests.fixtures.secrets import API_KEY, scan_text
from tests.reliability.conftest import (FLUSH_TIMEOUT, SLACK, SPOOL_ALLOWANCE, assert_same_as_plain, exit_wait,
                                        instrumented_env, our_log, run_job)

FAULTS = ["refuse", "dns", "tls", "hang", "500", "429", "garbage", "reset", "slow"]


def event_key(event: dict) -> tuple:
    return event["run"]["runId"], event["eventType"], event["eventTime"]


def replay(folder, env, *extra):
    proc = run_python(["-m", "openlineage_monkeypatch.cli", "replay", *extra], env=env, cwd=folder)
    return proc


@pytest.mark.parametrize("fault", FAULTS)
def test_backend_fault_costs_at_most_the_bound_and_loses_nothing(tmp_path, plain, spec_checker, fault):
    with Receiver("ok" if fault in ("dns", "tls") else fault, delay=0.05) as backend:
        url, extra = backend.url, {}
        if fault == "dns":  # glibc resolves the alias to an invalid name locally: no DNS packet leaves
            (tmp_path / "hostaliases").write_text("olmpdnsfail a..b\n")
            url, extra = "http://olmpdnsfail:8080", {"HOSTALIASES": str(tmp_path / "hostaliases")}
        elif fault == "tls":
            url = f"https://127.0.0.1:{backend.port}"
        transport = {"OPENLINEAGE__TRANSPORT__TYPE": "http", "OPENLINEAGE__TRANSPORT__URL": url,
                     "OPENLINEAGE__TRANSPORT__AUTH": json.dumps({"type": "api_key", "apiKey": API_KEY})}
        env = instrumented_env(tmp_path, **transport, **extra)
        result = run_job(tmp_path / "job", env)

        assert_same_as_plain(result, plain)
        assert result.elapsed <= plain.elapsed + FLUSH_TIMEOUT + SLACK, f"{result.elapsed:.2f}s vs {plain.elapsed:.2f}s"
        assert exit_wait(tmp_path) <= FLUSH_TIMEOUT + SPOOL_ALLOWANCE, our_log(tmp_path, debug=True)
        data = tmp_path / "olmp-data"
        delivered, spooled = list(backend.events), spool_events(data)
        log = our_log(tmp_path)
        if fault == "slow":
            assert types(delivered) == ["START", "RUNNING", "COMPLETE"] and spooled == [] and log == []
        else:
            assert len(log) == 1 and "spooled to" in log[0] and "openlineage-monkeypatch replay" in log[0], log
            assert sorted(types(delivered + spooled)) == ["COMPLETE", "RUNNING", "START"]
        everything = "\n".join(log) + result.stdout + result.stderr
        everything += "".join(p.read_text() for p in (data / "spool").glob("*")) if (data / "spool").exists() else ""
        assert API_KEY not in everything and not scan_text(everything)

        # the backend is back: replay delivers what was spooled, once
        backend.behaviour = "ok"
        replay_env = dict(env, **({"OPENLINEAGE__TRANSPORT__URL": backend.url} if fault in ("dns", "tls") else {}))
        replay_env.pop("OPENLINEAGE_MONKEYPATCH_ENABLED")
        first = replay(tmp_path, replay_env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert f"replay: {len(spooled)} sent, 0 already sent, 0 failed" in first.stdout
        events = backend.wait_for(len(delivered) + len(spooled))
        assert sorted(types(events)) == ["COMPLETE", "RUNNING", "START"], "each event exactly once"
        assert len({event_key(e) for e in events}) == 3
        second = replay(tmp_path, replay_env)
        assert second.returncode == 0 and second.stdout.startswith("replay: 0 sent"), second.stdout
        assert len(backend.events) == 3, "replaying twice sends nothing more"
        auth = {r["headers"].get("authorization") for r in backend.requests if r["method"] == "POST"}
        assert auth == {f"Bearer {API_KEY}"}, "the key was used, and only in the header"
        assert API_KEY not in first.stdout + first.stderr + second.stdout + second.stderr
        assert_valid(events, spec_checker)


NO_RETRIES = json.dumps({"total": 0, "connect": 0, "read": 0, "status": 0})


def test_replay_of_a_partly_delivered_spool_resumes_where_it_stopped(tmp_path, spec_checker):
    """A replay cut short by the backend failing again resumes at the first undelivered line."""
    with Receiver("refuse") as backend:
        env = instrumented_env(tmp_path, OPENLINEAGE__TRANSPORT__TYPE="http",
                               OPENLINEAGE__TRANSPORT__URL=backend.url, OPENLINEAGE__TRANSPORT__RETRY=NO_RETRIES)
        assert run_job(tmp_path / "job", env).returncode == 0
        assert run_job(tmp_path / "job2", env).returncode == 0
        assert len(spool_events(tmp_path / "olmp-data")) == 6
        backend.behaviour = "ok"
        backend.accept_only = 4
        failed = replay(tmp_path, env)
        assert failed.returncode == 1 and "replay: 4 sent, 0 already sent, 2 failed" in failed.stdout, failed.stdout
        backend.accept_only = None
        done = replay(tmp_path, env)
        assert done.returncode == 0 and "replay: 2 sent, 1 already sent, 0 failed" in done.stdout, done.stdout
        assert replay(tmp_path, env).stdout.startswith("replay: 0 sent")
        assert len(backend.wait_for(6)) == 6
        assert len({event_key(e) for e in backend.events}) == 6
        assert_valid(backend.events, spec_checker)


def test_replay_names_a_spool_file_explicitly_and_dry_runs(tmp_path):
    with Receiver("refuse") as backend:
        env = instrumented_env(tmp_path, OPENLINEAGE_URL=backend.url)
        run_job(tmp_path / "job", env)
        files = sorted((tmp_path / "olmp-data" / "spool").glob("*.ndjson"))
        assert len(files) == 1
        backend.behaviour = "ok"
        dry = replay(tmp_path, env, "--dry-run", str(files[0]))
        assert dry.stdout.startswith("replay: 3 sent") and backend.events == []
        assert replay(tmp_path, env, str(files[0])).stdout.startswith("replay: 3 sent")
        assert len(backend.wait_for(3)) == 3
        assert not files[0].exists() and files[0].with_name(files[0].name + ".replayed").exists()
        assert read_events(files[0].with_name(files[0].name + ".replayed"))

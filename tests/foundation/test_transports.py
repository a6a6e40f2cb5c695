"""Transports are the OpenLineage client's: whatever its config selects is used as is; with nothing
configured, the embedded default is an NDJSON file in the per-user data folder, never the cwd."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import assert_valid, clean_env, read_event_dir, read_events, run_python
from tests.fixtures.jobs import PREFIX, by_run, spool_events, types, write_job
from tests.fixtures.receiver import Receiver


def test_nothing_configured_writes_ndjson_in_the_per_user_data_folder(tmp_path, spec_checker):
    work, home = tmp_path / "work", tmp_path / "home"
    write_job(work)
    home.mkdir()
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", HOME=str(home))
    env.pop("XDG_DATA_HOME", None)
    proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=work)
    assert proc.returncode == 0, proc.stderr
    folder = home / ".local" / "share" / "openlineage-monkeypatch" / "events"
    files = list(folder.rglob("*.ndjson"))
    assert len(files) == 1 and files[0].name.startswith("job.py-"), files
    events = read_events(files[0])
    assert types(events) == ["START", "RUNNING", "COMPLETE"]
    assert sorted(p.name for p in work.iterdir()) == ["in.csv", "job.py", "out.csv"], "nothing in the cwd"
    ours = [line for line in proc.stderr.splitlines() if line.startswith(PREFIX)]
    assert ours == [f"{PREFIX} INFO: lineage events go to {files[0]} (no OpenLineage transport configured)"]
    assert_valid(events, spec_checker)


def test_xdg_data_home_and_data_dir_override(tmp_path):
    write_job(tmp_path)
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path).returncode == 0
    assert len(read_event_dir(tmp_path / "xdg" / "openlineage-monkeypatch" / "events")) == 3
    env["OPENLINEAGE_MONKEYPATCH_DATA_DIR"] = str(tmp_path / "mine")
    assert run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path).returncode == 0
    assert len(read_event_dir(tmp_path / "mine" / "events")) == 3


def test_openlineage_yml_in_the_cwd_selects_the_transport(tmp_path):
    write_job(tmp_path)
    target = tmp_path / "from-yml.ndjson"
    (tmp_path / "openlineage.yml").write_text(f"transport:\n  type: file\n  log_file_path: {target}\n  append: true\n")
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
    proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
    assert proc.returncode == 0 and PREFIX not in proc.stderr, proc.stderr
    assert types(read_events(target)) == ["START", "RUNNING", "COMPLETE"]
    assert not (tmp_path / "d" / "events").exists()


def test_composite_transport_delivers_to_each(tmp_path):
    write_job(tmp_path)
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    with Receiver("ok") as backend:
        config = Path(tmp_path / "ol.yml")
        config.write_text(
            "transport:\n  type: composite\n  continue_on_failure: true\n  transports:\n"
            f"    - type: file\n      log_file_path: {first}\n      append: true\n"
            f"    - type: http\n      url: {backend.url}\n"
            f"    - type: file\n      log_file_path: {second}\n      append: true\n")
        env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE_CONFIG=str(config),
                        OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
        proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert types(read_events(first)) == types(read_events(second)) == ["START", "RUNNING", "COMPLETE"]
        assert types(backend.wait_for(3)) == ["START", "RUNNING", "COMPLETE"]


def test_console_transport_logs_through_the_client(tmp_path):
    job = ("import logging, sys\nlogging.basicConfig(level=logging.INFO, format='%(name)s %(message)s')\n"
           "import pandas as pd\npd.read_csv(sys.argv[1]).to_csv(sys.argv[2], index=False)\n")
    write_job(tmp_path, "job.py", job)
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE__TRANSPORT__TYPE="console",
                    OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
    proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("openlineage.client.transport.console")]
    assert len(lines) == 3 and all('"eventType"' in line for line in lines), proc.stderr
    others = [line for line in proc.stderr.splitlines() if not line.startswith("openlineage.client.transport.console")]
    assert not [line for line in others if line.startswith(("urllib3", "openlineage"))], others


def test_kafka_config_without_its_library_leaves_the_job_alone(tmp_path):
    write_job(tmp_path)
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE__TRANSPORT__TYPE="kafka",
                    OPENLINEAGE__TRANSPORT__TOPIC="lineage",
                    OPENLINEAGE__TRANSPORT__CONFIG='{"bootstrap.servers": "127.0.0.1:9"}',
                    OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
    proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "job: start\nrows 3\n", proc.stderr
    ours = [line for line in proc.stderr.splitlines() if line.startswith(PREFIX)]
    assert len(ours) == 1 and "could not set up the OpenLineage client" in ours[0], proc.stderr
    assert types(spool_events(tmp_path / "d")) == ["START", "RUNNING", "COMPLETE"], "kept for replay"


def test_http_transport_delivers_to_the_backend(tmp_path, spec_checker):
    write_job(tmp_path)
    with Receiver("ok") as backend:
        env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE_URL=backend.url,
                        OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"))
        proc = run_python(["job.py", "in.csv", "out.csv"], env=env, cwd=tmp_path)
        assert proc.returncode == 0 and PREFIX not in proc.stderr, proc.stderr
        events = backend.wait_for(3)
        assert types(events) == ["START", "RUNNING", "COMPLETE"]
        assert {r["path"] for r in backend.requests} == {"/api/v1/lineage"}
        assert len(by_run(events)) == 1
        assert_valid(events, spec_checker)
    assert not (tmp_path / "d" / "spool").exists()

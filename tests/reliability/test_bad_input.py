"""Bad input to the parts the foundation owns: environment values, parent ids, job names, config
files, spool contents, text that passes through the scrubbers. Property-based where it fits."""

from __future__ import annotations

import json
import math
import os
import string
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openlineage_monkeypatch import config, emitter, redact, run, spool
from tests.conftest import assert_valid, read_events
from tests.fixtures.jobs import spool_events, types
from tests.reliability.conftest import assert_same_as_plain, instrumented_env, our_log, run_job

ENV_NAMES = [config.FLUSH_TIMEOUT, config.QUEUE_SIZE, config.DATA_DIR, config.SPOOL_DIR, config.SQL_TEXT, config.LOG,
             config.LOG_LEVEL, config.FAULT, config.DISABLED_INTEGRATIONS, config.RETRY_AFTER, config.DELIVERY_TIMEOUT,
             config.ERROR_DETAIL, "OPENLINEAGE_NAMESPACE", config.JOB_NAME, config.PARENT_ID, config.ROOT_PARENT_ID,
             "OPENLINEAGE_URL", "OPENLINEAGE_CONFIG", config.ENABLED, "OPENLINEAGE_DISABLED"]
# environment values cannot hold NUL; anything else can reach us
env_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.dictionaries(st.sampled_from(ENV_NAMES), env_text))
def test_any_environment_gives_sane_settings(values):
    resolved = config.Settings(values)
    assert 0 <= resolved.flush_timeout <= 3600 and math.isfinite(resolved.flush_timeout)
    assert 0.05 <= resolved.delivery_timeout <= 3600 and math.isfinite(resolved.retry_after)
    assert 1 <= resolved.queue_size <= 10_000_000
    assert os.path.isabs(resolved.data_dir) and os.path.isabs(resolved.spool_dir)
    assert resolved.sql_text in ("full", "redacted", "none")
    assert resolved.fault in (None, "raise", "garbage", "slow")
    assert resolved.namespace and resolved.namespace == resolved.namespace.strip()
    config.is_enabled(values)
    config.disabled_integrations(values)


@pytest.mark.parametrize("value,expected", [
    ("nan", 5.0), ("inf", 3600.0), ("-3", 0.0), ("1e309", 3600.0), ("", 5.0), ("  2.5 ", 2.5), ("0x10", 5.0),
])
def test_flush_timeout_edge_values(value, expected):
    assert config.Settings({config.FLUSH_TIMEOUT: value}).flush_timeout == expected


@FAST
@given(env_text)
def test_any_parent_id_parses_or_is_ignored(value):
    parsed = run.parse_parent(value, quiet=True)
    if parsed is not None:
        namespace, job, run_id = parsed
        assert namespace and job and uuid.UUID(run_id)


@FAST
@given(st.text(min_size=1, max_size=30).filter(lambda s: s.strip() and "/" not in s),
       st.text(min_size=1, max_size=30).filter(lambda s: s.strip() and "/" not in s))
def test_airflow_style_parent_ids_round_trip(namespace, job):
    run_id = str(uuid.uuid4())
    assert run.parse_parent(f"{namespace}/{job}/{run_id}", quiet=True) == (namespace.strip(), job.strip(), run_id)
    assert run.parse_parent(f"airflow://host:8080/{namespace}/{job}/{run_id}", quiet=True)[2] == run_id


@FAST
@given(st.text(max_size=300))
def test_event_file_names_stay_in_the_events_folder(job_name):
    resolved = config.Settings({config.DATA_DIR: "/tmp/olmp-x"})
    path = emitter.default_events_path(resolved, str(uuid.uuid4()), job_name)
    assert os.path.dirname(os.path.dirname(path)) == resolved.events_dir
    assert os.sep not in os.path.basename(path) and not os.path.basename(path).startswith(".")


SECRET = st.text(alphabet=string.ascii_letters + string.digits + "+/_-", min_size=12, max_size=40)
PREFIX_TEXT = st.text(max_size=40).map(lambda s: s + " ")


@FAST
@given(PREFIX_TEXT, SECRET, st.text(max_size=40), st.sampled_from([
    "password={}", "PASSWORD: {}", 'api_key="{}"', "aws_secret_access_key = {}", "Authorization: Bearer {}",
    "https://user:{}@host.example.com/x", "s3://bucket/key?X-Amz-Signature={}&X-Amz-Date=1",
    "token={}", "private_key_passphrase={}", 'Snowflake Token="{}"', "client_secret:{}",
]))
def test_scrubber_removes_planted_secrets(before, secret, after, shape):
    if secret in before + after:
        return
    text = before + shape.format(secret) + " " + after
    scrubbed = redact.scrub_text(text)
    assert secret not in scrubbed


@FAST
@given(st.text(max_size=500))
def test_scrubbers_never_raise(text):
    redact.scrub_text(text)
    redact.redact_error_text(text)
    redact.redact_sql_literals(text)
    redact.strip_userinfo(text)
    redact.strip_query(text)


@FAST
@given(st.text(alphabet=string.ascii_letters + " ", min_size=3, max_size=30).filter(lambda s: s.strip()))
def test_sql_literals_and_error_values_are_redacted(value):
    assert value not in redact.redact_sql_literals(f"SELECT a FROM t WHERE name = '{value}' -- x").replace("?", "")
    message = f"ValueError: could not convert string to float: '{value}'"
    assert f"'{value}'" not in redact.redact_error_text(message)


@FAST
@given(st.lists(st.binary(max_size=80), max_size=8))
def test_replay_skips_garbage_lines(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("spool")
    path = folder / "spool-x.ndjson"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n")

    class Collect:
        sent = []

        def emit(self, event):
            self.sent.append(event)

    written = path.read_bytes().decode("utf-8", "replace").split("\n")
    totals = spool.replay([str(folder)], config.Settings({}), transport=Collect())
    assert totals["failed"] == 0 and totals["sent"] + totals["corrupt"] == sum(1 for x in written if x.strip())


# -- whole jobs with hostile names and broken configuration ------------------------------------------


@pytest.mark.parametrize("namespace,job_name", [
    ("ünïcödé ns", "job\nwith newline"),
    ("x" * 2000, "../../../etc/passwd"),
    ("tabs\tand spaces", "名前/with/slashes"),
])
def test_odd_names_still_give_valid_events(tmp_path, plain, spec_checker, namespace, job_name):
    env = instrumented_env(tmp_path, OPENLINEAGE_NAMESPACE=namespace, OPENLINEAGE_JOB_NAME=job_name)
    result = run_job(tmp_path / "job", env)
    assert_same_as_plain(result, plain)
    files = list((tmp_path / "olmp-data" / "events").rglob("*.ndjson"))
    assert len(files) == 1 and files[0].resolve().is_relative_to((tmp_path / "olmp-data" / "events").resolve())
    events = read_events(files[0])
    assert types(events) == ["START", "RUNNING", "COMPLETE"]
    assert {e["job"]["name"] for e in events} == {job_name} and {e["job"]["namespace"] for e in events} == {namespace}
    assert_valid(events, spec_checker)


BROKEN_CONFIGS = {
    "yaml garbage": ("openlineage.yml", "transport: [unclosed\n  - : :\n"),
    "wrong structure": ("openlineage.yml", "transport: 42\n"),
    "unknown transport class": (None, {"OPENLINEAGE__TRANSPORT__TYPE": "no_such_module.NoSuchTransport"}),
    "bad url": (None, {"OPENLINEAGE_URL": "not a url at all"}),
    "bad json in env": (None, {"OPENLINEAGE__TRANSPORT__TYPE": "http", "OPENLINEAGE__TRANSPORT__URL": "http://127.0.0.1:9",
                               "OPENLINEAGE__TRANSPORT__AUTH": "{not json"}),
}


@pytest.mark.parametrize("case", list(BROKEN_CONFIGS))
def test_broken_client_configuration_leaves_the_job_alone(tmp_path, plain, case):
    filename, content = BROKEN_CONFIGS[case]
    extra = {}
    if filename:
        (tmp_path / "cfg").mkdir()
        (tmp_path / "cfg" / filename).write_text(content)
        extra["OPENLINEAGE_CONFIG"] = str(tmp_path / "cfg" / filename)
    else:
        extra.update(content)
    env = instrumented_env(tmp_path, OPENLINEAGE_MONKEYPATCH_BACKEND_RETRY_AFTER="60", **extra)
    result = run_job(tmp_path / "job", env)
    assert_same_as_plain(result, plain)
    warnings = our_log(tmp_path)
    assert len(warnings) == 1, warnings
    assert sorted(types(spool_events(tmp_path / "olmp-data"))) == ["COMPLETE", "RUNNING", "START"], "kept for replay"


def test_unwritable_log_target_and_odd_log_level(tmp_path, plain):
    env = instrumented_env(tmp_path, OPENLINEAGE_MONKEYPATCH_LOG=str(tmp_path / "no" / "such" / "dir" / "x.log"),
                           OPENLINEAGE_MONKEYPATCH_LOG_LEVEL="BASIC_FORMAT", OPENLINEAGE_URL="http://127.0.0.1:9")
    assert_same_as_plain(run_job(tmp_path / "job", env), plain)


def test_spool_files_are_private(tmp_path):
    env = instrumented_env(tmp_path, OPENLINEAGE_URL="http://127.0.0.1:9")
    run_job(tmp_path / "job", env)
    folder = tmp_path / "olmp-data" / "spool"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}
    json.loads(next(folder.iterdir()).read_text().splitlines()[0])


def _unused(path: Path) -> None:  # pragma: no cover - keeps Path imported for type hints above
    pass

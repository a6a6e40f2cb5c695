"""Nothing private leaves: the HTTP transport's credentials, secrets in exception messages and in the
environment, data values in error messages. The session-wide scanner (tests/fixtures/secrets.py)
checks every event, spool and log file the suite produced; here the targeted cases, and a check that
the scanner itself finds what it should."""

from __future__ import annotations

import json

import pytest

from integration.servers import FAKE_CREDENTIALS, SNOWFLAKE_PASSWORD
from tests.conftest import assert_valid, read_events
from tests.fixtures import secrets
from tests.fixtures.jobs import spool_events, types, without_ours
from tests.fixtures.receiver import Receiver
from tests.reliability.conftest import instrumented_env, our_log, run_job

PLANTED_ENV = {**FAKE_CREDENTIALS, "AWS_SESSION_TOKEN": secrets.AWS_SESSION_TOKEN,
               "SNOWFLAKE_PASSWORD": SNOWFLAKE_PASSWORD, "SNOWFLAKE_TOKEN": secrets.SNOWFLAKE_TOKEN,
               "SNOWFLAKE_PRIVATE_KEY": secrets.PRIVATE_KEY_PEM}


def everything_written(folder) -> str:
    texts = [p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file() and p.suffix != ".csv"
             and p.name not in ("job.py", "in.csv")]
    return "\n".join(texts)


def test_scanner_finds_what_it_is_meant_to_find():
    for value in secrets.PLANTED:
        assert secrets.scan_text(f"xx {value} yy"), value
    for text in ("AKIAIOSFODNN7EXAMPLE", "https://a.s3.amazonaws.com/k?X-Amz-Signature=abcdef0123456789",
                 "postgres://admin:hunter22@db:5432/x", "Authorization: Bearer abcdefghijklmnop",
                 "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890abcdef", "password=s3cr3tvalue",
                 'Authorization: Snowflake Token="ver:1-hint:1234-abcdef"'):
        assert secrets.scan_text(text), text
    for text in ("password=***", "https://***@host", "X-Amz-Signature=***", "snowflake://org-acct/DB.S.T",
                 "s3://bucket/key.csv", "Bearer ***"):
        assert not secrets.scan_text(text), text


@pytest.mark.parametrize("style", ["config api_key", "legacy OPENLINEAGE_API_KEY", "url userinfo"])
@pytest.mark.parametrize("backend", ["refuse", "500", "ok"])
def test_http_credentials_never_reach_logs_errors_or_the_spool(tmp_path, plain, style, backend):
    with Receiver(backend) as server:
        if style == "config api_key":
            transport = {"OPENLINEAGE__TRANSPORT__TYPE": "http", "OPENLINEAGE__TRANSPORT__URL": server.url,
                         "OPENLINEAGE__TRANSPORT__AUTH": json.dumps({"type": "api_key", "apiKey": secrets.API_KEY})}
        elif style == "legacy OPENLINEAGE_API_KEY":
            transport = {"OPENLINEAGE_URL": server.url, "OPENLINEAGE_API_KEY": secrets.API_KEY}
        else:
            transport = {"OPENLINEAGE_URL": server.url.replace("http://", f"http://bot:{secrets.URL_PASSWORD}@")}
        env = instrumented_env(tmp_path, **transport, **PLANTED_ENV)
        env["OPENLINEAGE_MONKEYPATCH_LOG"] = "stderr"  # our lines in the job's stderr, where a leak would show
        result = run_job(tmp_path / "job", env)
        assert result.returncode == 0 and without_ours(result.stderr) == plain.stderr
        if backend == "ok":
            assert types(server.wait_for(3)) == ["START", "RUNNING", "COMPLETE"]
            headers = {r["headers"].get("authorization", "") for r in server.requests}
            assert all(secrets.API_KEY in h or "Basic" in h for h in headers), "the credential was used"
        else:
            assert sorted(types(spool_events(tmp_path / "olmp-data"))) == ["COMPLETE", "RUNNING", "START"]
    leaked = secrets.scan_text(result.stdout + result.stderr + everything_written(tmp_path / "olmp-data"))
    assert not leaked, leaked


LEAKY_JOB = """\
import pandas as pd
df = pd.read_csv("in.csv")
df.to_csv("out.csv", index=False)
url = "https://bucket.s3.amazonaws.com/k.csv?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F2024&X-Amz-Signature={sig}"
raise RuntimeError(f"upload to postgres://etl:{pw}@db.internal:5432/x failed with password={pw}; signed {url}; "
                   f"could not convert 'Jane Doe, 42 Main St' to float")
"""


def test_secrets_and_values_in_an_exception_are_scrubbed_from_the_fail_event(tmp_path, spec_checker):
    job = LEAKY_JOB.replace("{sig}", secrets.PRESIGNED_SIGNATURE).replace("{pw}", secrets.URL_PASSWORD)
    env = instrumented_env(tmp_path, OPENLINEAGE__TRANSPORT__TYPE="file", OPENLINEAGE__TRANSPORT__APPEND="true",
                           OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(tmp_path / "events.ndjson"))
    with secrets.unscanned():  # the job's own traceback prints the secrets it raised; that is the job's output
        result = run_job(tmp_path / "job", env, job=job)
    assert result.returncode == 1 and "RuntimeError" in result.stderr
    assert not secrets.scan_text("\n".join(our_log(tmp_path, debug=True)))
    events = read_events(tmp_path / "events.ndjson")
    assert types(events) == ["START", "RUNNING", "FAIL"]
    facet = events[-1]["run"]["facets"]["errorMessage"]
    text = json.dumps(facet)
    assert "RuntimeError" in facet["message"] and "failed with password=***" in facet["message"]
    assert "Jane Doe" not in text, "data values in exception messages are redacted"
    assert not secrets.scan_text(text) and secrets.URL_PASSWORD not in text
    assert_valid(events, spec_checker)
    # the raw text stays available to those who opt in (and the scrubber still runs)
    env["OPENLINEAGE_MONKEYPATCH_ERROR_DETAIL"] = "full"
    (tmp_path / "events.ndjson").unlink()
    with secrets.unscanned():
        run_job(tmp_path / "job", env, job=job)
    full = read_events(tmp_path / "events.ndjson")[-1]["run"]["facets"]["errorMessage"]
    assert "Jane Doe" in full["message"] and not secrets.scan_text(json.dumps(full))


def test_environment_secrets_never_reach_events_or_logs(tmp_path, plain):
    env = instrumented_env(tmp_path, **PLANTED_ENV, OPENLINEAGE__TRANSPORT__TYPE="file",
                           OPENLINEAGE__TRANSPORT__APPEND="true",
                           OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(tmp_path / "events.ndjson"),
                           OPENLINEAGE_MONKEYPATCH_TEST_FAULT="raise")  # our error paths log too
    result = run_job(tmp_path / "job", env)
    assert result.returncode == plain.returncode
    text = (tmp_path / "events.ndjson").read_text() + "\n".join(our_log(tmp_path, debug=True))
    assert not secrets.scan_text(text)
    for value in PLANTED_ENV.values():
        assert value not in text

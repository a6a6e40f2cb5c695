"""Nothing secret leaves: no key, secret, session token, presigned signature or URL userinfo in any
event or log line of these tests (this module's job, which tries hard, and every job run before it
in this session: tests/s3 and tests/pandas_io keep their transcripts)."""

from __future__ import annotations

import json
import re

import pytest

from integration import servers
from tests.conftest import assert_valid
from tests.s3 import support

SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEsessionTOKENvalue0123456789abcdefSECRET"

JOB = """
import io, os, urllib.request, boto3, pandas as pd
key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
token = os.environ["AWS_SESSION_TOKEN"]
endpoint = os.environ["AWS_ENDPOINT_URL"]
s3 = boto3.client("s3", aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
s3.create_bucket(Bucket="bkt")
df = pd.DataFrame({"id": [1, 2], "email": ["a@example.com", "b@example.com"]})
s3.put_object(Bucket="bkt", Key="in/users.csv", Body=df.to_csv(index=False))

get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "in/users.csv"})
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "bkt", "Key": "in/put.csv"})
assert "Signature" in get_url or "X-Amz-Signature" in get_url
pd.read_csv(get_url).to_csv("from_presigned.csv", index=False)
request = urllib.request.Request(put_url, data=b"id\\n1\\n", method="PUT")
urllib.request.urlopen(request).read()

options = {"key": key, "secret": secret, "token": token, "client_kwargs": {"endpoint_url": endpoint}}
pd.read_csv("s3://bkt/in/users.csv", storage_options=options).to_parquet("s3://bkt/out/users.parquet",
                                                                         storage_options=options)
for url in (f"s3://{key}:{secret}@bkt/in/users.csv", f"s3://bkt/in/users.csv?X-Amz-Signature=deadbeef&token={token}"):
    try:
        pd.read_csv(url, storage_options=options)
    except Exception as error:
        pass
try:
    s3.get_object(Bucket="bkt", Key=f"missing?X-Amz-Credential={key}")
except Exception:
    pass
s3.download_file("bkt", "out/users.parquet", "users.parquet")
pd.read_parquet("users.parquet").to_csv(f"users-{len(secret)}.csv", index=False)
print("done")
"""

PATTERNS = [
    re.compile(r"(?i)x-amz-(signature|credential|security-token)=(?!\*\*\*)"),  # redacted values are fine
    re.compile(r"(?i)[?&](signature|awsaccesskeyid)=(?!\*\*\*)"),
    re.compile(r"AWS4-HMAC-SHA256"),
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"[a-z0-9]+://[^/\s\"@]+:[^/\s\"@]+@"),  # userinfo in a URL
]


@pytest.fixture(scope="module")
def job(s3_server, tmp_path_factory):
    s3_server.reset()
    workdir = tmp_path_factory.mktemp("secrets")
    result = support.run_job(JOB, workdir, s3_server, env={"AWS_SESSION_TOKEN": SESSION_TOKEN}, label="secrets")
    assert result.proc.returncode == 0, result.proc.stderr
    assert "done" in result.stdout
    return result


def secrets() -> list[str]:
    values = [servers.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"], servers.FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
              SESSION_TOKEN]
    # a secret may also appear URL-encoded (the secret key has a slash)
    return values + [v.replace("/", "%2F") for v in values]


def leaks(text: str) -> list[str]:
    found = [f"secret value ...{value[-6:]}" for value in secrets() if value in text]
    for pattern in PATTERNS:
        for match in pattern.finditer(text):
            found.append(f"{pattern.pattern!r}: ...{text[max(0, match.start() - 40):match.end() + 10]!r}")
    return found


def test_job_recorded_what_it_did(job, spec_checker):
    assert job.input("in/users.csv", "s3://bkt")
    assert job.output("out/users.parquet", "s3://bkt")
    assert job.dataset("inputs", "in/users.csv", "s3://bkt")
    names = json.dumps([d["namespace"] + "/" + d["name"] for e in job.events for d in e["inputs"] + e["outputs"]])
    assert "?" not in names and "@" not in names, names
    assert_valid(job.events, spec_checker)


def test_no_secret_in_any_event_or_log_line(job):
    assert len(support.TRANSCRIPT) >= 3
    problems = []
    for label, text in support.TRANSCRIPT:
        if label.endswith("stdout"):
            continue  # the jobs' own prints
        for leak in leaks(text):
            problems.append(f"{label}: {leak}")
    assert not problems, "\n".join(problems[:40])

"""Failing S3 calls raise exactly what they raise without us, and are failed accesses, never inputs.

AccessDenied comes from a second moto server that enforces IAM (INITIAL_NO_AUTH_ACTION_COUNT): the
job runs as a user whose policy allows listing and writing the bucket, but not reading from it.
"""

from __future__ import annotations

import json
import os

import pytest

from integration import servers
from tests.conftest import assert_valid
from tests.s3.support import run_job

JOB = """
import io, os, boto3, pandas as pd
s3 = boto3.client("s3")
cases = {
    "get_object": lambda: s3.get_object(Bucket="bkt", Key="missing.csv"),
    "head_object": lambda: s3.head_object(Bucket="bkt", Key="missing.csv"),
    "download_file": lambda: s3.download_file("bkt", "missing.parquet", "local.parquet"),
    "download_fileobj": lambda: s3.download_fileobj("bkt", "missing.bin", io.BytesIO()),
    "upload_file": lambda: s3.upload_file("no-such-local-file.csv", "bkt", "up.csv"),
    "copy_object": lambda: s3.copy_object(Bucket="bkt", Key="copy.csv", CopySource="bkt/missing-source.csv"),
    "no_bucket": lambda: s3.put_object(Bucket="no-such-bucket", Key="x", Body=b"1"),
    "read_csv": lambda: pd.read_csv("s3://bkt/missing.csv"),
    "read_parquet": lambda: pd.read_parquet("s3://bkt/missing.parquet"),
    "denied_get": lambda: locked.get_object(Bucket="locked", Key="secret.csv"),
    "denied_read_csv": lambda: pd.read_csv("s3://locked/secret.csv", storage_options=locked_options),
    "denied_download": lambda: locked.download_file("locked", "secret.csv", "secret.csv"),
}
locked = boto3.client("s3", endpoint_url=os.environ["LOCKED_ENDPOINT"], aws_access_key_id=os.environ["LOCKED_KEY"],
                      aws_secret_access_key=os.environ["LOCKED_SECRET"])
locked_options = {"key": os.environ["LOCKED_KEY"], "secret": os.environ["LOCKED_SECRET"],
                  "client_kwargs": {"endpoint_url": os.environ["LOCKED_ENDPOINT"]}}
s3.create_bucket(Bucket="bkt")
for name, call in cases.items():
    try:
        call()
        print(name, "no error")
    except Exception as error:
        print(name, type(error).__module__, type(error).__name__, str(error)[:300])
"""


@pytest.fixture(scope="module")
def locked_server():
    """A moto server enforcing IAM, with bucket `locked` readable by nobody but its creator."""
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "5"
    try:
        server = servers.start("s3")
    finally:
        del os.environ["INITIAL_NO_AUTH_ACTION_COUNT"]
    import boto3

    kw = dict(endpoint_url=server.endpoint_url, aws_access_key_id=servers.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
              aws_secret_access_key=servers.FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
    s3, iam = boto3.client("s3", **kw), boto3.client("iam", **kw)
    s3.create_bucket(Bucket="locked")
    s3.put_object(Bucket="locked", Key="secret.csv", Body=b"a,b\n1,2\n")
    iam.create_user(UserName="job")
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:PutObject"], "Resource": "*"}]}
    iam.put_user_policy(UserName="job", PolicyName="no-read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="job")["AccessKey"]
    yield server, key["AccessKeyId"], key["SecretAccessKey"]
    server.stop()


@pytest.fixture(scope="module")
def runs(s3_server, locked_server, tmp_path_factory):
    server, key, secret = locked_server
    env = {"LOCKED_ENDPOINT": server.endpoint_url, "LOCKED_KEY": key, "LOCKED_SECRET": secret}
    out = {}
    for mode in ("plain", "instrumented"):
        s3_server.reset()
        out[mode] = run_job(JOB, tmp_path_factory.mktemp(mode), s3_server, env=env, plain=mode == "plain",
                            label=f"failures-{mode}")
        assert out[mode].proc.returncode == 0, out[mode].proc.stderr
    return out


def test_exceptions_are_exactly_those_of_the_plain_run(runs):
    plain, instrumented = runs["plain"].stdout.splitlines(), runs["instrumented"].stdout.splitlines()
    assert len(plain) == 12 and not [line for line in plain if line.endswith("no error")]
    assert instrumented == plain


def test_failures_are_recorded_and_never_inputs(runs):
    job = runs["instrumented"]
    failed = {(ns, name, action, error) for ns, name, action, error in job.failed()}
    assert failed == {
        ("s3://bkt", "missing.csv", "s3:GetObject", "NoSuchKey"),
        ("s3://bkt", "missing.csv", "s3:GetObject", "404"),
        ("s3://bkt", "missing.parquet", "s3:GetObject", "404"),
        ("s3://bkt", "missing.parquet", "s3:GetObject", "FileNotFoundError"),
        ("s3://bkt", "missing.bin", "s3:GetObject", "404"),
        ("file", job.path("no-such-local-file.csv"), "read", "FileNotFoundError"),
        ("s3://bkt", "missing-source.csv", "s3:GetObject", "NoSuchKey"),
        ("s3://no-such-bucket", "x", "s3:PutObject", "NoSuchBucket"),
        ("s3://locked", "secret.csv", "s3:GetObject", "AccessDenied"),
        ("s3://locked", "secret.csv", "s3:GetObject", "403"),
    }
    names = {d["name"] for d in job.final["inputs"] + job.final["outputs"]}
    assert names == set(), names  # nothing that failed is an input or output
    assert job.metadata("/") == {("s3:CreateBucket", "boto3 create_bucket", "BUCKET"): 1}  # metadata access
    assert job.internal_errors() == {}


def test_events_valid(runs, spec_checker):
    assert_valid(runs["instrumented"].events, spec_checker)

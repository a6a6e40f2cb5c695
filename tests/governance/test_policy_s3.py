"""An IAM policy drafted from the events of a real boto3 / s3fs / pandas job against a local S3."""

from __future__ import annotations

import json
import textwrap

from integration import servers
from openlineage_monkeypatch.cli import main
from tests.conftest import clean_env, run_python

JOB = textwrap.dedent("""
    import os, boto3, s3fs, pandas as pd
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="raw")
    s3.create_bucket(Bucket="lake")
    s3.put_object(Bucket="raw", Key="landing/customers.csv", Body=b"id,email,country\\n1,a@x,FR\\n2,b@x,DE\\n")
    s3.head_object(Bucket="raw", Key="landing/customers.csv")
    s3.list_objects_v2(Bucket="raw", Prefix="landing/")
    frame = pd.read_csv(s3.get_object(Bucket="raw", Key="landing/customers.csv")["Body"])
    frame[frame.country == "FR"][["id"]].to_parquet("s3://lake/out/fr.parquet", index=False)
    s3fs.S3FileSystem(client_kwargs={"endpoint_url": os.environ["AWS_ENDPOINT_URL"]}).ls("lake/out")
    try:
        s3.get_object(Bucket="raw", Key="missing.csv")
    except Exception:
        pass
    s3.delete_object(Bucket="raw", Key="landing/customers.csv")
""")


def test_policy_from_a_real_s3_job(s3, tmp_path, capsys):
    (tmp_path / "job.py").write_text(JOB)
    events = tmp_path / "events.ndjson"
    env = clean_env(OPENLINEAGE_MONKEYPATCH_ENABLED="1", OPENLINEAGE_NAMESPACE="tests",
                    OPENLINEAGE__TRANSPORT__TYPE="file", OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(events),
                    OPENLINEAGE__TRANSPORT__APPEND="true", OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "d"),
                    AWS_ENDPOINT_URL=s3.endpoint_url, **servers.FAKE_CREDENTIALS)
    done = run_python(["job.py"], env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "aws"
    assert main(["policy", "aws", str(events), "--out", str(out)]) == 0
    document = json.loads((out / "tests__job.py.policy.json").read_text())
    granted = {(a, r) for st in document["Statement"]
               for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
               for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])}
    assert granted == {
        ("s3:CreateBucket", "arn:aws:s3:::raw"), ("s3:CreateBucket", "arn:aws:s3:::lake"),
        ("s3:PutObject", "arn:aws:s3:::raw/landing/customers.csv"),
        ("s3:GetObject", "arn:aws:s3:::raw/landing/customers.csv"),  # get_object and head_object
        ("s3:DeleteObject", "arn:aws:s3:::raw/landing/customers.csv"),
        ("s3:PutObject", "arn:aws:s3:::lake/out/fr.parquet"),
        ("s3:ListBucket", "arn:aws:s3:::raw"), ("s3:ListBucket", "arn:aws:s3:::lake"),
    }
    prefixes = {st["Resource"]: st["Condition"]["StringLike"]["s3:prefix"] for st in document["Statement"]
                if st["Action"] == "s3:ListBucket"}
    assert prefixes == {"arn:aws:s3:::raw": ["landing", "landing/*"], "arn:aws:s3:::lake": ["out", "out/*"]}
    why = (out / "tests__job.py.justification.md").read_text()
    assert "via boto3 get_object, boto3 head_object" in why
    assert "s3:GetObject on s3://raw/missing.csv: NoSuchKey" in why

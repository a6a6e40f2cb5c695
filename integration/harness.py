"""Run the demo pipeline against the local servers: environment, seeding, the run, its outputs.

Shared by `make demo` (integration/demo.py) and the integration tests. The pipeline itself
(integration/pipeline/) knows nothing of this: it reads its deployment settings from the
environment like any job, and instrumentation is switched on by the environment alone.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from integration import seed as seed_module
from integration import servers

REPO = Path(__file__).resolve().parents[1]
SNOWFLAKE_ACCOUNT = "acme-analytics"
# A password the tests can look for: it must never appear in an event or a log line.
SNOWFLAKE_PASSWORD = "demo-Sn0wflake-p4ss"
PIPELINE = ["-m", "integration.pipeline", "--as-of", "2025-05-31"]


def base_env(**extra: str) -> dict:
    """The current environment without OpenLineage settings, with PYTHONPATH at the repo."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    env.update(extra)
    return env


def pipeline_env(s3: servers.LocalServer, snowflake: servers.LocalServer, **extra: str) -> dict:
    """What the job's deployment would set, pointed at the local servers (no OpenLineage yet)."""
    env = base_env()
    env.update(servers.FAKE_CREDENTIALS)
    env.update(
        AWS_ENDPOINT_URL=s3.endpoint_url,
        SNOWFLAKE_DISABLE_PLATFORM_DETECTION="true",
        SNOWFLAKE_ACCOUNT=SNOWFLAKE_ACCOUNT,
        SNOWFLAKE_USER="FEATURES_JOB",
        SNOWFLAKE_PASSWORD=SNOWFLAKE_PASSWORD,
        SNOWFLAKE_HOST="127.0.0.1",
        SNOWFLAKE_PORT=str(snowflake.port),
        SNOWFLAKE_PROTOCOL="http",
    )
    env.update(extra)
    return env


def seed(s3: servers.LocalServer, snowflake: servers.LocalServer, python: str | None = None) -> None:
    """Reset and seed both servers, in a fresh interpreter with instrumentation off."""
    proc = subprocess.run([python or sys.executable, "-m", "integration.seed", s3.endpoint_url, str(snowflake.port)],
                          cwd=REPO, env=base_env(), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{proc.stderr[-3000:]}")


def run_pipeline(env: dict, python: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([python or sys.executable, *PIPELINE], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def outputs(s3: servers.LocalServer, snowflake: servers.LocalServer) -> dict:
    """Everything the pipeline wrote: S3 objects of the feature bucket (bytes) and the Snowflake tables (rows)."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1",
                          aws_access_key_id=servers.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=servers.FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    result: dict = {}
    listing = client.list_objects_v2(Bucket=seed_module.FEATURE_BUCKET)
    for item in listing.get("Contents", []):
        body = client.get_object(Bucket=seed_module.FEATURE_BUCKET, Key=item["Key"])["Body"].read()
        result[f"s3://{seed_module.FEATURE_BUCKET}/{item['Key']}"] = body
    kwargs = snowflake.snowflake_kwargs(account=SNOWFLAKE_ACCOUNT, password=SNOWFLAKE_PASSWORD)
    with snowflake_connector_connect(kwargs) as conn, conn.cursor() as cur:
        for table in ("ANALYTICS.FEATURES.CUSTOMER_FEATURES_LOAD", "ANALYTICS.FEATURES.CUSTOMER_FEATURES"):
            cur.execute(f"SELECT * FROM {table} ORDER BY CUSTOMER_ID")
            result[table] = cur.fetchall()
    return result


def snowflake_connector_connect(kwargs: dict):
    import snowflake.connector

    os.environ.setdefault("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
    return snowflake.connector.connect(**kwargs)

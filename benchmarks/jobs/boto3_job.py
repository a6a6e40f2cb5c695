"""Benchmark 7 job: boto3 calls against the local S3 server (moto on 127.0.0.1).

    python boto3_job.py ENDPOINT ITERATIONS BUCKET [warm]
Each iteration: put_object, get_object (+ read), head_object, list_objects_v2 = 4 calls. Each
put_object is an output, hence a RUNNING event. With `warm`, an instrumented job first waits for
its emitter to deliver the warm-up's events (the one-time import of the OpenLineage client).
"""

import os
import sys

from _common import Timer, report

import boto3

endpoint, iterations, bucket = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
body = b"id,value\n" + b"".join(b"%d,%d\n" % (i, i * 3) for i in range(50))
for i in range(5):  # warm-up: connection pool, endpoint resolution, first-call caches
    s3.put_object(Bucket=bucket, Key=f"warm/{i}.csv", Body=body)
    s3.get_object(Bucket=bucket, Key=f"warm/{i}.csv")["Body"].read()
if len(sys.argv) > 4 and sys.argv[4] == "warm" and os.environ.get("OPENLINEAGE_MONKEYPATCH_ENABLED"):
    import openlineage_monkeypatch  # steady state: the emitter has started (the client's import is behind us)

    openlineage_monkeypatch.flush(30)

with Timer() as t:
    for i in range(iterations):
        key = f"data/part-{i % 20}.csv"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.head_object(Bucket=bucket, Key=key)
        s3.list_objects_v2(Bucket=bucket, Prefix="data/", MaxKeys=5)

report(**t.data(), calls=iterations * 4)

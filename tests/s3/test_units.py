"""In-process checks of the pieces the S3 and pandas I/O seams are built from (no server, no job)."""

from __future__ import annotations

import io

import pytest

from openlineage_monkeypatch import naming
from openlineage_monkeypatch.integrations.boto3 import operations
from openlineage_monkeypatch.lineage import seam, table
from openlineage_monkeypatch.redact import scrub_text, strip_userinfo


@pytest.mark.parametrize("text", ["a,b\n1,2\n", "x" * 10_000, "naïve,ünïcode\n" * 1000])
def test_text_and_its_bytes_have_one_fingerprint(text):
    raw = text.encode()
    assert table.fingerprint(text) == table.fingerprint(raw) == table.fingerprint(bytearray(raw))
    assert table.fingerprint(memoryview(raw)) == table.fingerprint(raw)
    with io.BytesIO(raw).getbuffer() as view:
        assert table.fingerprint(view) == table.fingerprint(raw)
    assert table.fingerprint(text + "!") != table.fingerprint(text)


def test_empty_and_unknown_content_has_no_fingerprint():
    assert table.fingerprint(b"") is None and table.fingerprint(42) is None


def test_buffers_resolve_by_identity_then_content():
    carried = table.Carried(naming.s3("bkt", "k.csv"))
    table.remember_content(b"id,name\n1,a\n", carried)
    assert seam.resolve(io.BytesIO(b"id,name\n1,a\n")) is carried
    assert seam.resolve(io.StringIO("id,name\n1,a\n")) is carried
    assert seam.resolve(io.BytesIO(b"something else")) is None
    buffer = io.BytesIO()
    other = table.Carried(naming.s3("bkt", "other.csv"))
    table.objects.set(buffer, other)
    assert seam.resolve(buffer) is other


def test_claims_cover_their_dataset_and_what_is_under_it():
    held = table.claim(naming.s3("bkt", "dir"), "test", prefix=True)
    try:
        assert table.claimed(naming.s3("bkt", "dir")) is held
        assert table.claimed(naming.s3("bkt", "dir/part=1/x.parquet")) is held
        assert table.claimed(naming.s3("bkt", "directory")) is None
        assert table.claimed(naming.DatasetId("s3://bkt", "/"), bucket_level=True) is held
        assert table.claimed(naming.s3("other", "dir")) is None
    finally:
        table.release(held)
    assert table.claimed(naming.s3("bkt", "dir")) is None


@pytest.mark.parametrize("url, expected", [
    ("https://bkt.s3.amazonaws.com/a/b.csv?X-Amz-Signature=abc", ("s3://bkt", "a/b.csv")),
    ("https://bkt.s3.eu-west-1.amazonaws.com/k.csv", ("s3://bkt", "k.csv")),
    ("https://s3.us-east-2.amazonaws.com/bkt/k.csv", ("s3://bkt", "k.csv")),
    ("http://127.0.0.1:9000/bkt/k.csv?X-Amz-Algorithm=A&X-Amz-Credential=C&X-Amz-Signature=S", ("s3://bkt", "k.csv")),
    ("http://127.0.0.1:9000/bkt/k.csv?AWSAccessKeyId=A&Signature=S&Expires=1", ("s3://bkt", "k.csv")),
    ("https://example.com/data/k.csv?token=t", ("https://example.com", "data/k.csv")),
    ("s3://AKIAIOSFODNN7EXAMPLE:wJalr/XUtn+FEMI@bkt/k.csv", ("s3://bkt", "k.csv")),
    ("s3a://bkt/dir/k.csv", ("s3://bkt", "dir/k.csv")),
])
def test_dataset_names(url, expected):
    assert tuple(naming.from_url(url)) == expected


def test_userinfo_is_stripped_but_ports_and_at_signs_in_keys_stay():
    assert strip_userinfo("gs://k:se/cr+et@bkt/x") == "gs://bkt/x"
    assert strip_userinfo("https://host:8080/p@x") == "https://host:8080/p@x"
    assert strip_userinfo("s3://bkt/users/a@b.com.csv") == "s3://bkt/users/a@b.com.csv"
    assert "wJalr" not in scrub_text("failed: s3://AKIAIOSFODNN7EXAMPLE:wJalr/XUtn@bkt/k")


ARN = "arn:aws:s3:us-east-1:123456789012:accesspoint/ap"


@pytest.mark.parametrize("bucket, key, expected", [
    ("bkt", "a/b.csv", ("s3://bkt", "a/b.csv")),
    ("bkt", "", ("s3://bkt", "/")),
    ("AKIAIOSFODNN7EXAMPLE:wJalr", "XUtn@bkt/a.csv", ("s3://bkt", "a.csv")),
    ("bkt", "k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE", ("s3://bkt", "k?X-Amz-Credential=***")),
    (ARN, "k", (f"s3://{ARN}", "k")),
])
def test_object_datasets(bucket, key, expected):
    assert tuple(operations.object_dataset(bucket, key)) == expected


def test_listing_datasets_are_prefixes():
    assert tuple(operations.prefix_dataset("bkt", "raw/2024/")) == ("s3://bkt", "raw/2024")
    assert tuple(operations.prefix_dataset("bkt", None)) == ("s3://bkt", "/")


@pytest.mark.parametrize("source, expected", [
    ("bkt/a/b.csv", ("bkt", "a/b.csv", None)),
    ("/bkt/a%20b.csv?versionId=v1", ("bkt", "a b.csv", "v1")),
    ({"Bucket": "bkt", "Key": "k", "VersionId": "v"}, ("bkt", "k", "v")),
    ("arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/k.csv",
     ("arn:aws:s3:us-east-1:123456789012:accesspoint/ap", "k.csv", None)),
    (42, None),
])
def test_copy_sources(source, expected):
    assert operations.copy_source(source) == expected


@pytest.mark.parametrize("operation, params, action, object_type, kind", [
    ("GetObject", {"Bucket": "b", "Key": "k"}, "s3:GetObject", "OBJECT", "read"),
    ("GetObject", {"Bucket": "b", "Key": "k", "VersionId": "v"}, "s3:GetObjectVersion", "OBJECT", "read"),
    ("HeadObject", {"Bucket": "b", "Key": "k"}, "s3:GetObject", "OBJECT", "object"),
    ("PutObject", {"Bucket": "b", "Key": "k"}, "s3:PutObject", "OBJECT", "write"),
    ("UploadPart", {"Bucket": "b", "Key": "k"}, "s3:PutObject", "OBJECT", "mpu_part"),
    ("AbortMultipartUpload", {"Bucket": "b", "Key": "k"}, "s3:AbortMultipartUpload", "OBJECT", "mpu_abort"),
    ("DeleteObject", {"Bucket": "b", "Key": "k", "VersionId": "v"}, "s3:DeleteObjectVersion", "OBJECT", "delete"),
    ("ListObjectsV2", {"Bucket": "b", "Prefix": "p/"}, "s3:ListBucket", "BUCKET", "list"),
    ("HeadBucket", {"Bucket": "b"}, "s3:ListBucket", "BUCKET", "bucket"),
    ("GetObjectTagging", {"Bucket": "b", "Key": "k"}, "s3:GetObjectTagging", "OBJECT", "object"),
    ("GetBucketPolicy", {"Bucket": "b"}, "s3:GetBucketPolicy", "BUCKET", "bucket"),
])
def test_requests_and_the_actions_they_need(operation, params, action, object_type, kind):
    request = operations.begin("boto3", operation, params)
    assert (request.action, request.object_type, request.kind) == (action, object_type, kind)
    assert request.api == f"boto3 {operations.snake(operation)}"


def test_requests_without_a_bucket_are_not_datasets():
    assert operations.begin("boto3", "ListBuckets", {}) is None


def test_error_codes_carry_no_message():
    class Failure(Exception):
        response = {"Error": {"Code": "AccessDenied", "Message": "secret stuff"}}

    assert operations.error_code(Failure("x")) == "AccessDenied"
    assert operations.error_code(FileNotFoundError("/secret/path")) == "FileNotFoundError"

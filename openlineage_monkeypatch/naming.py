"""OpenLineage dataset names (spec/Naming.md), computed without importing the OpenLineage client.

The rules match `openlineage.client.naming.dataset` (LocalFileSystem, S3, Snowflake, Postgres, ...);
the tests check them against those classes. Every name passes through the secret scrubber: URL
userinfo and query strings (presigned signatures) never reach a dataset name.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from .redact import strip_query, strip_userinfo


class DatasetId(NamedTuple):
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if "://" in self.namespace else f"{self.namespace}:{self.name}"


def local_file(path: str | os.PathLike) -> DatasetId:
    """A local path: namespace `file`, name the absolute, normalized path."""
    return DatasetId("file", os.path.abspath(os.fspath(path)))


def s3(bucket: str, key: str) -> DatasetId:
    return DatasetId(f"s3://{bucket}", key.lstrip("/"))


_SCHEME_NAMESPACES = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gs", "gcs": "gs", "abfss": "abfss",
                      "hdfs": "hdfs", "dbfs": "dbfs", "wasbs": "wasbs"}


_S3_HOST = re.compile(r"^(?:(?P<bucket>.+)\.)?s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")
_PRESIGNED = re.compile(r"(?i)[?&](?:x-amz-signature|x-amz-credential|awsaccesskeyid)=")


def s3_from_http(url: str) -> DatasetId | None:
    """The S3 object an http(s) URL points at: AWS virtual-hosted or path-style hosts, or any host
    when the URL is presigned (X-Amz-Signature ...: path style, as custom endpoints use it)."""
    presigned = bool(_PRESIGNED.search(url))
    parts = urlsplit(strip_query(strip_userinfo(url)))
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    match = _S3_HOST.match(host)
    path = unquote(parts.path).lstrip("/")
    if match and match.group("bucket"):
        return s3(match.group("bucket"), path) if path else None
    if match or presigned:
        bucket, _, key = path.partition("/")
        return s3(bucket, key) if bucket and key else None
    return None


def from_url(url: str) -> DatasetId | None:
    """A dataset for a path or URL as pandas/fsspec accept it (S3 objects behind http(s) URLs too)."""
    if url[:4].lower() == "http":
        found = s3_from_http(url)
        if found is not None:
            return found
    url = strip_query(strip_userinfo(url))
    if "://" not in url:
        return local_file(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        host = parts.netloc
        path = unquote(parts.path)
        if host and host != "localhost":
            return DatasetId(f"file://{host}", path)
        return local_file(path)
    if scheme in _SCHEME_NAMESPACES:
        bucket = parts.netloc
        key = unquote(parts.path).lstrip("/")
        if scheme in ("s3", "s3a", "s3n"):
            return s3(bucket, key)
        return DatasetId(f"{_SCHEME_NAMESPACES[scheme]}://{bucket}", key)
    if scheme in ("http", "https", "ftp"):
        return DatasetId(f"{scheme}://{parts.netloc}", parts.path.lstrip("/") or "/")
    return DatasetId(f"{scheme}://{parts.netloc}", unquote(parts.path).lstrip("/") or "/")


def postgres(host: str, port: int | str | None, database: str, schema: str, table: str) -> DatasetId:
    return DatasetId(f"postgres://{host}:{port or 5432}", f"{database}.{schema}.{table}")


def mysql(host: str, port: int | str | None, database: str, table: str) -> DatasetId:
    return DatasetId(f"mysql://{host}:{port or 3306}", f"{database}.{table}")


def sqlite(database_path: str | None, table: str) -> DatasetId:
    """SQLite has no entry in the naming spec; we follow the file convention: the database file's path."""
    if not database_path or database_path in (":memory:", ""):
        return DatasetId("sqlite://memory", table)
    return DatasetId(f"sqlite://{os.path.abspath(database_path)}", table)

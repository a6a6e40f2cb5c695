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


# -- Snowflake ------------------------------------------------------------------------------------

def snowflake_account(account: str) -> str:
    """The account part of a Snowflake namespace, normalized as OpenLineage's own providers do.

    Follows `fix_account_name` of the Apache Airflow Snowflake provider
    (airflow/providers/snowflake/utils/openlineage.py, which builds the namespace for Snowflake
    hooks and operators) and openlineage-python's `openlineage.common.provider.snowflake`:
    `orgname-accountname` is kept as is; a legacy account locator gets its region and cloud,
    defaulting to AWS us-west-1 (`xy12345` -> `xy12345.us-west-1.aws`, `xy12345.us-east-2` ->
    `xy12345.us-east-2.aws`); `locator_region_cloud` spellings become `locator.region.cloud`.
    Lower-cased, as the provider reads it back with urlparse(...).hostname.
    """
    name = account.strip().lower()
    if not any(ch in name for ch in "-_"):
        return f"{name}.us-west-1.aws" if "." not in name else _with_cloud(name)
    if "." in name:
        return _with_cloud(name)
    # The provider splits at the first "aws"/"gcp"/"azure" substring, which also fires inside words
    # ("myorg-laws"); we split only at a cloud name standing between separators.
    match = re.search(r"(?:^|[-_])(aws|gcp|azure)(?=$|[-_])", name)
    if match:
        locator = name[:match.start()].strip("-_.")
        region = name[match.end():].strip("-_.").replace("_", "-")
        return f"{locator}.{region}.{match.group(1)}" if region and locator else name
    return name


def _with_cloud(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return f"{parts[0]}.us-west-1.aws"
    if len(parts) == 2:
        return f"{parts[0]}.{parts[1]}.aws"
    account, region, cloud, *rest = parts
    return f"{account}.{region}.{cloud}"


def snowflake_namespace(account: str, region: str | None = None, host: str | None = None) -> str:
    """`snowflake://{organization}-{account}` (or the normalized locator) from connection parameters.

    The host, when it is a Snowflake host (`<account identifier>[.privatelink].snowflakecomputing.com`),
    carries the full identifier (the connector drops the region from `account`); otherwise the
    account parameter, completed with a separately given region, is used.
    """
    identifier = None
    if host:
        lowered = host.strip().lower()
        marker = ".snowflakecomputing."
        if marker in lowered:
            identifier = lowered.split(marker, 1)[0].replace(".privatelink", "").replace(".global", "")
    if identifier is None:
        identifier = (account or "").strip()
        if region and "." not in identifier:
            identifier = f"{identifier}.{region}"
    return f"snowflake://{snowflake_account(identifier)}"


def snowflake(namespace: str, database: str, schema: str, table: str) -> DatasetId:
    return DatasetId(namespace, f"{database}.{schema}.{table}")


def from_sqlalchemy_url(url) -> tuple[str, str, str | None, str | None] | None:
    """(dialect, namespace, default database, default schema) for a SQLAlchemy URL, without connecting.

    sqlite -> `sqlite://<absolute file path>` (the file convention; SQLite has no entry in the spec),
    postgresql -> `postgres://host:port`, snowflake -> `snowflake://<account>`, mysql -> `mysql://host:port`.
    """
    try:
        driver = str(url.drivername).split("+", 1)[0].lower()
    except AttributeError:
        return None
    host = url.host
    port = url.port
    database = url.database
    query = dict(getattr(url, "query", {}) or {})
    if driver == "sqlite":
        return "sqlite", sqlite(database, "x").namespace, None, None
    if driver in ("postgresql", "postgres", "psycopg2", "redshift"):
        schema = "public"
        options = query.get("options")
        if isinstance(options, str) and "search_path=" in options:
            schema = options.split("search_path=", 1)[1].split(",")[0].split()[0]
        dialect = "redshift" if driver == "redshift" else "postgres"
        scheme = "redshift" if driver == "redshift" else "postgres"
        return dialect, f"{scheme}://{host or 'localhost'}:{port or (5439 if dialect == 'redshift' else 5432)}", \
            database, schema
    if driver == "snowflake":
        database_name, schema = None, None
        if database:
            parts = str(database).split("/")
            database_name = parts[0] or None
            schema = parts[1] if len(parts) > 1 and parts[1] else None
        database_name = query.get("database", database_name)
        schema = query.get("schema", schema)
        return "snowflake", snowflake_namespace(host or query.get("account", ""), query.get("region")), \
            database_name, schema
    if driver in ("mysql", "mariadb"):
        return "mysql", f"mysql://{host or 'localhost'}:{port or 3306}", database, None
    return "generic", f"{driver}://{host or 'localhost'}" + (f":{port}" if port else ""), database, None

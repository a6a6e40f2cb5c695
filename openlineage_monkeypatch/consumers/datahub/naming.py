"""DataHub's own conventions for OpenLineage names (the URNs themselves are built with DataHub's builders).

Datasets follow `datahub_airflow_plugin._datahub_ol_adapter.translate_ol_to_datahub_urn` and the
Java OpenLineage converter it mirrors (metadata-integration/java/openlineage-converter,
OpenLineageToDataHub.getDatasetUrnFromOlDataset and HdfsPathDataset):
  - `scheme://authority` namespaces of file systems and object stores (s3, s3a, s3n -> s3; gs,
    gcs -> gcs; abfs, abfss, wasb, wasbs -> abs; dbfs; file) become that platform, and the name is
    `authority/key` (S3: `bucket/key`, as DataHub's own S3 source names objects); local files keep
    their absolute path;
  - other `scheme://...` namespaces become the platform `scheme` (sqlserver -> mssql,
    awsathena -> athena) with the dataset name unchanged (Snowflake: `DB.SCHEMA.TABLE`);
  - a bare namespace (`hive`, `bigquery`) is the platform itself;
  - names with `None`/empty dotted segments (an unset field interpolated by a producer) are cleaned.
Flows and jobs follow OpenLineageToDataHub.getFlowUrn / convertJobToDataJob: the orchestrator is the
processing_engine run facet's name (lower case), else taken from the producer URI; the flow is the job
name up to its first dot (or `pipeline_name`), its cluster the job namespace; the data job id is the
full job name and its display name the part after the first dot.
"""
from __future__ import annotations

import re

DEFAULT_ENV = "PROD"
FILE_PLATFORM = "file"
FS_SCHEME_TO_PLATFORM = {
    "s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gcs", "gcs": "gcs", "abfs": "abs", "abfss": "abs",
    "wasb": "abs", "wasbs": "abs", "dbfs": "dbfs", "file": FILE_PLATFORM,
}
SCHEME_TWEAKS = {"sqlserver": "mssql", "awsathena": "athena"}


def _sanitize_name(name: str) -> str:
    if "." not in name:
        return name
    parts = name.split(".")
    cleaned = [p for p in parts if p and p != "None"]
    return ".".join(cleaned) if cleaned and len(cleaned) != len(parts) else name


def dataset_platform_and_name(namespace: str, name: str, lowercase: bool = False) -> tuple[str, str]:
    """(DataHub platform, dataset name) for an OpenLineage dataset."""
    if lowercase:
        namespace, name = namespace.lower(), name.lower()
    name = _sanitize_name(name)
    scheme, sep, rest = namespace.partition("://")
    if not sep:
        return namespace, name
    fs_platform = FS_SCHEME_TO_PLATFORM.get(scheme.lower())
    if fs_platform:
        path = f"{rest.rstrip('/')}/{name.lstrip('/')}".rstrip("/")
        return fs_platform, (path or "/") if fs_platform == FILE_PLATFORM else path.lstrip("/")
    return SCHEME_TWEAKS.get(scheme, scheme), name


_OPENLINEAGE_PRODUCER = re.compile(r"https://github.com/OpenLineage/OpenLineage/.*/(.*)$")


def orchestrator(processing_engine: str | None, producer: str | None, configured: str | None = None) -> str:
    """OpenLineageToDataHub.getOrchestrator."""
    if configured:
        return configured
    if processing_engine:
        return processing_engine.lower()
    if producer:
        match = _OPENLINEAGE_PRODUCER.match(producer)
        if match:
            return match.group(1)
        if producer.startswith("https://github.com/apache/airflow/"):
            return "airflow"
        if producer.startswith("https://github.com/trinodb/trino/"):
            return "trino"
        segments = [s for s in re.sub(r"^[a-z]+://[^/]*", "", producer).split("?")[0].split("/") if s]
        if segments:
            return segments[-1].lower()
    raise ValueError("unable to determine the orchestrator (no processing_engine facet, no producer)")


def flow_name(job_name: str, pipeline_name: str | None = None) -> str:
    return pipeline_name or job_name.split(".")[0]


def job_display_name(job_name: str) -> str:
    return job_name.split(".", 1)[1] if "." in job_name else job_name

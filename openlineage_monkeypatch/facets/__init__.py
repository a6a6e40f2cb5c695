"""Our custom facets: what the OpenLineage spec has no standard facet for.

Each facet has a key with our `monkeypatch_` prefix and a JSON schema shipped in `schemas/` (its `$id`
is the versioned `_schemaURL` the facet carries). Events are built as plain dicts (events.py, where
the keys, schema URLs and allowed fields are listed); the attrs classes here are the typed view of the
same facets, for code that works with the OpenLineage client's classes (`CUSTOM[key](data)`).
Bump the version folder in SCHEMA_BASE (events.py) when a schema changes.
"""

from __future__ import annotations

import os
from typing import Any

import attr
from openlineage.client.generated.base import DatasetFacet, RunFacet

from ..events import SCHEMA_BASE

SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "schemas")


def _producer() -> str:
    from ..events import PRODUCER

    return PRODUCER


@attr.define
class ColumnOperationsDatasetFacet(DatasetFacet):
    """Per output column, the pandas/SQL operations that produced it, each with the user's file:line."""

    fields: dict[str, Any] = attr.field(factory=dict)
    rows: list[dict] | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "ColumnOperationsDatasetFacet.json#/$defs/ColumnOperationsDatasetFacet"


@attr.define
class AccessDatasetFacet(DatasetFacet):
    """The API actions and privileges the run used on a dataset, for surveys and policy drafts."""

    actions: list[dict] = attr.field(factory=list)
    system: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "AccessDatasetFacet.json#/$defs/AccessDatasetFacet"


@attr.define
class InstrumentationRunFacet(RunFacet):
    """Package version, integrations, and our own internal errors (all caught)."""

    version: str = attr.field()
    integrations: dict[str, Any] | None = attr.field(default=None)
    internalErrors: dict[str, int] | None = attr.field(default=None)  # noqa: N815
    events: dict[str, int] | None = attr.field(default=None)
    approximateColumns: int | None = attr.field(default=None)  # noqa: N815
    opaqueOperations: list[str] | None = attr.field(default=None)  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "InstrumentationRunFacet.json#/$defs/InstrumentationRunFacet"


@attr.define
class FailedAccessRunFacet(RunFacet):
    """Dataset accesses that failed; such datasets are never reported as inputs or outputs."""

    accesses: list[dict] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "FailedAccessRunFacet.json#/$defs/FailedAccessRunFacet"


@attr.define
class MetadataAccessRunFacet(RunFacet):
    """Metadata accesses (head, list, presigned URLs, aborts, USAGE on schemas and warehouses ...) on
    datasets the run neither read nor wrote: never inputs or outputs, kept here for access surveys."""

    accesses: list[dict] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_BASE + "MetadataAccessRunFacet.json#/$defs/MetadataAccessRunFacet"


def _build(cls):
    def build(data: dict):
        return cls(**data, producer=_producer())

    return build


CUSTOM = {
    "monkeypatch_columnOperations": _build(ColumnOperationsDatasetFacet),
    "monkeypatch_access": _build(AccessDatasetFacet),
    "monkeypatch_instrumentation": _build(InstrumentationRunFacet),
    "monkeypatch_failedAccess": _build(FailedAccessRunFacet),
    "monkeypatch_metadataAccess": _build(MetadataAccessRunFacet),
}

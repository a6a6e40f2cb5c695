"""Readers of OpenLineage event files for lineage tools that have none (optional extras).

Nothing here is imported by the instrumentation: each module is loaded by its tool (DataHub's
ingestion framework loads `consumers.datahub.source` through its plugin entry point).
"""

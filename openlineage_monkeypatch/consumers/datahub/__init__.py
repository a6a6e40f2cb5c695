"""DataHub ingestion source for OpenLineage event files (`pip install openlineage-monkeypatch[datahub]`).

    source:
      type: openlineage-events        # entry point datahub.ingestion.source.plugins
      config:
        path: /var/lib/lineage/events  # NDJSON files (.ndjson, .jsonl, .json, .gz), or one file

See `source.OpenLineageEventsSource` for the configuration and `naming` for the URN conventions.
"""

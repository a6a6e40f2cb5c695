"""Amundsen: load table lineage from an OpenLineage NDJSON event file with amundsen-databuilder.

Runs inside the Amundsen virtualenv (integration/consumer_venvs.py), not the project's:

    python amundsen_table_lineage.py EVENTS.ndjson OUT_DIR [CLUSTER]

A DefaultJob with amundsen-databuilder's own OpenLineageTableLineageExtractor and
FsNeo4jCSVLoader, configured so the dataset names of openlineage-monkeypatch's events become
readable, unique Amundsen table keys:

    extractor.openlineage_tablelineage.table_lineage_file_location = EVENTS.ndjson
    extractor.openlineage_tablelineage.cluster_name = CLUSTER          (e.g. your environment)
    extractor.openlineage_tablelineage.namespace_override = openlineage
    extractor.openlineage_tablelineage.database_key = namespace

The extractor builds `{namespace_override}://{cluster_name}.{dataset[database_key]}/{last path
segment of dataset name}`, so a Snowflake table becomes
`openlineage://prod.snowflake://acme-analytics/SHOP.CRM.CUSTOMERS` and an S3 object
`openlineage://prod.s3://acme-features/customers.parquet`. Without `database_key` it fails on the
`database` key that standard events do not have; without `namespace_override` the key starts with
the dataset namespace's own `scheme://`. The CSV files of nodes and relationships (the
`UPSTREAM`/`DOWNSTREAM` table lineage relations) land in OUT_DIR/nodes and OUT_DIR/relationships,
ready for Neo4jCsvPublisher. Prints one JSON line: {"relations": [[upstream key, downstream key], ...]}.
"""
import csv
import glob
import json
import os
import sys

from pyhocon import ConfigFactory

from databuilder.extractor.openlineage_extractor import OpenLineageTableLineageExtractor
from databuilder.job.job import DefaultJob
from databuilder.loader.file_system_neo4j_csv_loader import FsNeo4jCSVLoader
from databuilder.task.task import DefaultTask


def main(events: str, out_dir: str, cluster: str = "prod") -> int:
    nodes, relations = os.path.join(out_dir, "nodes"), os.path.join(out_dir, "relationships")
    conf = ConfigFactory.from_dict({
        "extractor.openlineage_tablelineage.table_lineage_file_location": events,
        "extractor.openlineage_tablelineage.cluster_name": cluster,
        "extractor.openlineage_tablelineage.namespace_override": "openlineage",
        "extractor.openlineage_tablelineage.database_key": "namespace",
        "loader.filesystem_csv_neo4j.node_dir_path": nodes,
        "loader.filesystem_csv_neo4j.relationship_dir_path": relations,
        "loader.filesystem_csv_neo4j.delete_created_directories": False,
    })
    task = DefaultTask(extractor=OpenLineageTableLineageExtractor(), loader=FsNeo4jCSVLoader())
    DefaultJob(conf=conf, task=task).launch()
    pairs = set()
    for path in glob.glob(os.path.join(relations, "*.csv")):
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                if row["TYPE"] == "HAS_DOWNSTREAM":  # (upstream table)-[:HAS_DOWNSTREAM]->(downstream table)
                    pairs.add((row["START_KEY"], row["END_KEY"]))
    print(json.dumps({"relations": sorted(pairs)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

"""pandas read_sql*/to_sql: datasets and column lineage from the SQL text and the connection."""

from __future__ import annotations


def instrument(integration, pd) -> None:
    pass

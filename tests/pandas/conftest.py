"""In-process helpers for the pandas engine tests: instrument pandas once, give test frames a
source dataset, and read their provenance back in the form the columnLineage facet would carry."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OPENLINEAGE_MONKEYPATCH_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "..",
                                                                        ".cache", "test-data"))

CODES = {"IDENTITY": "I", "TRANSFORMATION": "T", "AGGREGATION": "A", "FILTER": "F", "JOIN": "J",
         "GROUP_BY": "G", "SORT": "S", "WINDOW": "W", "CONDITIONAL": "C"}


@pytest.fixture(scope="session")
def pd():
    import pandas

    from openlineage_monkeypatch.integrations.pandas import integration

    integration.instrument(pandas)
    yield pandas
    integration.uninstrument()


@pytest.fixture(scope="session")
def np(pd):
    import numpy

    return numpy


def source(df, name: str = "t"):
    """Give df the provenance of a frame just read from dataset `name` (columns by label)."""
    from openlineage_monkeypatch.lineage import model, table

    table.provenance.set(df, model.frame_from_dataset("file", f"/data/{name}", df.columns))
    return df


def _codes(edges) -> set[str]:
    from openlineage_monkeypatch.lineage import facets

    out = set()
    for field, transformations in facets.normalize(edges).items():
        dataset = field.name.rsplit("/", 1)[-1]
        prefix = "" if dataset == "t" else f"{dataset}."
        for t in transformations:
            out.add(f"{prefix}{field.field}:{CODES[t['subtype']]}{'*' if t['masking'] else ''}")
    return out


def cols(obj) -> dict:
    """{output column: {'a:I', 'b:T', 'c:C', ...}} of a DataFrame, or the set of a Series/array."""
    from openlineage_monkeypatch.lineage import model, table

    found = table.provenance.get(obj)
    assert found is not None, f"no provenance for {type(obj).__name__}"
    if isinstance(found, model.Values):
        return _codes(found.col.edges)
    return {str(label): _codes(found.columns.get(label, model.EMPTY).edges) for label in obj.columns}


def rows(obj) -> set:
    from openlineage_monkeypatch.lineage import table

    found = table.provenance.get(obj)
    assert found is not None
    return _codes(found.rows)


def approx(obj, label=None) -> bool:
    from openlineage_monkeypatch.lineage import model, table

    found = table.provenance.get(obj)
    if isinstance(found, model.Values):
        return found.col.approximate
    return found.columns[label].approximate


def tracked(obj) -> bool:
    from openlineage_monkeypatch.lineage import table

    return table.provenance.get(obj) is not None

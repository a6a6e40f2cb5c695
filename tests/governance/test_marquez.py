"""The Marquez source against a local server that answers like Marquez's API."""

from __future__ import annotations

import json

import pytest

from openlineage_monkeypatch.cli import main
from openlineage_monkeypatch.governance.sources import Marquez

from .marquez_stub import MarquezStub
from .scenarios import RAW, REPORT, STAGE, TABLE, three_jobs


@pytest.fixture
def marquez():
    stubs = []

    def start(**kwargs):
        stub = MarquezStub(three_jobs().events, **kwargs)
        url = stub.start()
        stubs.append(stub)
        return stub, url

    yield start
    for stub in stubs:
        stub.stop()


def _label(ds, field):
    from openlineage_monkeypatch.governance.survey import col_label

    return col_label(ds.namespace, ds.name, field)


def test_events_endpoint_is_paged_into_a_file(marquez, tmp_path):
    stub, url = marquez()
    client = Marquez(url, page_size=4)
    count = client.events_to_file(str(tmp_path / "m.ndjson"))
    assert count == len(stub.events) == 14
    pages = [q for path, q in stub.requests if path == "/api/v1/events/lineage"]
    assert [int(q["offset"]) for q in pages] == [0, 4, 8, 12]
    assert all(q["sortDirection"] == "asc" for q in pages)
    lines = (tmp_path / "m.ndjson").read_text().splitlines()
    assert [json.loads(line)["eventTime"] for line in lines] == [e["eventTime"] for e in stub.events]


def test_survey_from_marquez_with_field_tags_and_window(marquez, tmp_path, capsys):
    stub, url = marquez(field_tags={(RAW.namespace, RAW.name, "email"): ["PII"]})
    out = tmp_path / "survey.json"
    assert main(["survey", "--marquez", url, "--since", "2026-03-01T00:00:00Z", "--format", "json",
                 "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["overview"]["runs"] == 5 and data["input"]["events"] == 14
    assert any("14 event(s) from /events/lineage" in n for n in data["input"]["notes"])
    first = [q for path, q in stub.requests if path == "/api/v1/events/lineage"][0]
    assert first["after"] == "2026-03-01T00:00:00Z" and "before" not in first
    classified = {c["label"]: c["sources"] for c in data["sensitive"]["classified"]}
    assert classified[_label(RAW, "email")] == ["marquez tags"]
    assert classified[_label(RAW, "name")] == ["tags facet"]
    derived = {d["label"] for d in data["sensitive"]["derived"]}
    assert {_label(STAGE, "email_norm"), _label(TABLE, "EMAIL_NORM")} <= derived
    assert _label(REPORT, "email_hash") not in derived
    # one lineage call covers the connected graph
    assert len([1 for path, _ in stub.requests if path == "/api/v1/lineage"]) == 1


def test_marquez_without_events_endpoint_is_read_from_its_graph(marquez, tmp_path):
    stub, url = marquez(events_endpoint=False)
    out = tmp_path / "survey.json"
    assert main(["survey", "--marquez", url, "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert any("no /events/lineage endpoint; 4 job(s) read from the lineage graph" in n
               for n in data["input"]["notes"])
    assert sorted(j["name"] for j in data["jobs"]) == ["audit", "extract", "load", "report"]
    deps = {d["label"]: [x["label"] for x in d["downstream"]] for d in data["dependencies"]}
    assert deps[_label(RAW, "email")] == [_label(STAGE, "email_norm"), _label(TABLE, "EMAIL_NORM"),
                                          _label(REPORT, "email_hash")]
    assert any(path == "/api/v1/column-lineage" for path, _ in stub.requests)


def test_a_dead_marquez_is_reported_not_fatal(tmp_path, capsys):
    out = tmp_path / "survey.json"
    assert main(["survey", "--marquez", "http://127.0.0.1:9", "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert any(n.startswith("marquez http://127.0.0.1:9") for n in data["input"]["notes"])
    assert data["overview"]["events"] == 0

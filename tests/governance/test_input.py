"""Bad and varied input: counted and skipped with a summary, never a crash; many files, gzip."""

from __future__ import annotations

import gzip
import json
import os

from openlineage_monkeypatch.governance import store as store_module
from openlineage_monkeypatch.governance.synthetic import OTHER_PRODUCER, EventSet, generate

from .scenarios import three_jobs


def _bad_lines(events: list[dict]) -> list[str]:
    first = events[0]
    missing_run = json.loads(json.dumps(first))
    del missing_run["run"]["runId"]
    bad_time = json.loads(json.dumps(first))
    bad_time["eventTime"] = "yesterday"
    other = json.loads(json.dumps(first))
    other["producer"] = OTHER_PRODUCER
    other["run"]["runId"] = "0192f0f0-0000-7000-8000-000000000001"
    unknown = json.loads(json.dumps(events[1]))
    unknown["eventTime"] = "2026-03-01T00:00:01.500000+00:00"
    unknown["run"]["facets"]["vendor_runThing"] = {"x": 1}
    unknown["outputs"][0]["facets"]["vendor_datasetThing"] = {"y": [1, 2]}
    unknown["eventType"] = "RUNNING"
    return [
        "",                                   # blank: ignored, not an error
        "not json at all",                    # malformed
        json.dumps(first)[:50],               # truncated: malformed
        "[1, 2, 3]",                          # valid JSON, not an event: malformed
        json.dumps(missing_run),              # invalid
        json.dumps(bad_time),                 # invalid
        json.dumps(first),                    # duplicate (runId + eventType + eventTime)
        json.dumps(first).replace(": ", ":"),  # duplicate too, formatted differently
        json.dumps(other),                    # another producer
        json.dumps(unknown),                  # unknown facets: counted, ignored, the event is used
        "\x00\x01binary\xff",                 # malformed
    ]


def test_bad_input_is_counted_and_skipped(survey_of, tmp_path):
    events = three_jobs()
    good = len(events.events)
    surveyed = survey_of(events, extra_lines=_bad_lines(events.events))
    s = surveyed.summary
    assert (s.malformed, s.invalid, s.duplicates, s.other_producer) == (4, 2, 2, 1)
    assert s.lines == good + len(_bad_lines(events.events)) - 1  # the blank line is not counted
    assert s.events == good + 1
    assert s.unknown_facets == {"vendor_datasetThing": 1, "vendor_runThing": 1}
    assert s.other_producers == {OTHER_PRODUCER: 1}
    data = surveyed.survey.to_dict()
    assert data["overview"]["runs"] == 5
    # with --all-producers the other producer's event is used
    assert survey_of(events, all_producers=True, extra_lines=_bad_lines(events.events)).summary.events == good + 2


def test_unreadable_empty_and_missing_files(survey_of, tmp_path):
    events = three_jobs()
    good = events.write(tmp_path / "good.ndjson")
    empty = tmp_path / "empty.ndjson"
    empty.write_text("")
    garbage = tmp_path / "garbage.ndjson.gz"
    garbage.write_bytes(b"this is not gzip data at all")
    surveyed = survey_of([good, empty, garbage])
    s = surveyed.summary
    assert s.events == len(events.events)
    assert [os.path.basename(f["path"]) for f in s.unreadable_files] == ["garbage.ndjson.gz"]


def test_gzip_and_many_small_files_give_the_same_answer(survey_of, tmp_path, monkeypatch):
    events = three_jobs()
    plain = survey_of(events).survey.to_dict()
    folder = tmp_path / "many"
    folder.mkdir()
    for i, event in enumerate(events.events):
        name = folder / (f"e{i:03d}.ndjson.gz" if i % 2 else f"e{i:03d}.ndjson")
        opener = gzip.open if i % 2 else open
        with opener(name, "wt", encoding="utf-8") as handle:
            handle.write(json.dumps(event))  # no trailing newline on purpose
    monkeypatch.setattr(store_module, "SMALL_FILE_BATCH", 2)
    monkeypatch.setattr(store_module, "CHUNK_BYTES", 4096)  # several chunks
    paths = store_module.expand_paths([str(folder)])
    chunked = survey_of(paths)
    assert chunked.summary.files == len(events.events)
    assert chunked.summary.events == len(events.events)
    many = chunked.survey.to_dict()
    for key in ("datasets", "columnUsage", "dependencies", "jobs"):
        assert many[key] == plain[key], key


def test_synthetic_20k_events_exact_counts(survey_of, tmp_path):
    counts = generate(str(tmp_path / "syn"), events=20_000, files=3, seed=11, gzip_files=True)
    surveyed = survey_of(counts["paths"])
    s = surveyed.summary
    assert s.lines == counts["lines"]
    assert s.malformed == counts["malformed"]
    assert s.duplicates == counts["duplicates"]
    assert s.other_producer == counts["other_producer"]
    assert s.events == counts["events"]
    assert sum(s.unknown_facets.values()) == counts["unknown_facets"]
    data = surveyed.survey.to_dict()
    assert data["overview"]["runs"] == counts["runs"]
    assert data["gaps"]["unfinishedRuns"]["total"] == counts["incomplete"]
    assert sum(r["runs"] for r in data["gaps"]["failedRuns"]) == counts["failed_runs"]
    assert sum(g["runs"] for g in data["gaps"]["unparsedStatements"]) == counts["extraction_errors"]
    assert sum(g["count"] for g in data["gaps"]["failedAccesses"]) == counts["failed_accesses"]
    # every pipeline: email is masked into email_hash, which nothing downstream returns
    usage = [u for u in data["columnUsage"] if u["column"] == "email"]
    assert usage and all(u["how"] == "masked" for u in usage)


def test_event_set_builder_events_are_valid_openlineage(spec_checker):
    from tests.conftest import assert_valid

    assert_valid(three_jobs().events, spec_checker)


def test_an_event_over_16_mb_is_read(survey_of, tmp_path):
    events = three_jobs()
    big = json.loads(json.dumps(events.events[2]))
    big["outputs"][0]["facets"]["schema"]["fields"][0]["description"] = "x" * 40_000_000
    big["eventTime"] = "2026-03-01T00:00:02.500000+00:00"
    events.events.append(big)
    surveyed = survey_of(events)
    assert surveyed.summary.unreadable_files == []
    assert surveyed.summary.events == len(events.events)

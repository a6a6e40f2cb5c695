"""Shared test helpers: instrumented subprocesses, event files, spec validation.

Everything here uses real parts: jobs run in fresh interpreters with only the environment switched
on, events come from the OpenLineage client's own file transport, and validation uses the official
schemas in ../shared/openlineage-spec.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    """../shared beside the checkout (worktrees live one level deeper: ../../shared), or $OLMP_SHARED_DIR."""
    for candidate in (os.environ.get("OLMP_SHARED_DIR"), REPO.parent / "shared", REPO.parent.parent / "shared"):
        if candidate and (Path(candidate) / "openlineage-spec").is_dir():
            return Path(candidate)
    return REPO.parent / "shared"


SHARED = _shared_dir()
SPEC_DIR = SHARED / "openlineage-spec"
CONFORMANCE_DIR = SHARED / "conformance"
FACET_SCHEMAS = REPO / "openlineage_monkeypatch" / "facets" / "schemas"

pytest_plugins = ["tests.fixtures.servers", "tests.fixtures.secrets"]


def clean_env(**extra: str) -> dict:
    """The current environment without any OpenLineage variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    env.setdefault("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    env.update(extra)
    return env


@pytest.fixture
def events_file(tmp_path) -> Path:
    return tmp_path / "events.ndjson"


@pytest.fixture
def ol_env(tmp_path, events_file) -> dict:
    """Environment of an instrumented job: enabled, file transport to events_file, private data dir."""
    return clean_env(
        OPENLINEAGE_MONKEYPATCH_ENABLED="1",
        OPENLINEAGE_NAMESPACE="tests",
        OPENLINEAGE__TRANSPORT__TYPE="file",
        OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(events_file),
        OPENLINEAGE__TRANSPORT__APPEND="true",
        OPENLINEAGE_MONKEYPATCH_DATA_DIR=str(tmp_path / "olmp-data"),
    )


def run_python(args, env: dict, cwd: Path | str | None = None, timeout: float = 120, input: str | None = None,
               python: str | None = None) -> subprocess.CompletedProcess:
    """Run `python ARGS` (a list, or a code string for -c) in a fresh interpreter."""
    argv = [python or sys.executable] + (["-c", args] if isinstance(args, str) else list(args))
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, input=input)
    from tests.fixtures import secrets

    secrets.record_output(argv, proc.stdout, proc.stderr)  # the secret scanner reads every job's output
    return proc


def read_events(path: Path | str) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_event_dir(folder: Path | str) -> list[dict]:
    events = []
    for file in sorted(Path(folder).rglob("*.ndjson")):
        events.extend(read_events(file))
    return events


@pytest.fixture(scope="session")
def spec_checker():
    """The official-schema validator from ../shared/openlineage-spec, with our facet schemas."""
    if not (SPEC_DIR / "validate.py").exists():
        pytest.skip(f"OpenLineage spec validator not found at {SPEC_DIR}")
    sys.path.insert(0, str(SPEC_DIR))
    try:
        import validate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SPEC_DIR))
    return validate.Checker([FACET_SCHEMAS])


def assert_valid(events: list[dict], checker) -> None:
    problems = []
    for index, event in enumerate(events):
        for where, at, message in checker.errors(event):
            problems.append(f"event {index} ({event.get('eventType')}): {where}{'/' + at if at else ''}: {message}")
    assert not problems, "\n".join(problems[:50])


def marquez_gaps(event: dict) -> list[str]:
    """Column lineage Marquez would silently drop (input field not in an input schema facet)."""
    known = set()
    for ds in event.get("inputs") or []:
        for f in ((ds.get("facets") or {}).get("schema") or {}).get("fields") or []:
            known.add((ds["namespace"], ds["name"], f["name"]))
    gaps = []
    for ds in event.get("outputs") or []:
        facets = ds.get("facets") or {}
        out_fields = {f["name"] for f in (facets.get("schema") or {}).get("fields") or []}
        cl = facets.get("columnLineage") or {}
        for name, spec in (cl.get("fields") or {}).items():
            if name not in out_fields:
                gaps.append(f"{ds['name']}.{name} is not in the output schema facet")
            for inp in spec.get("inputFields") or []:
                if (inp["namespace"], inp["name"], inp["field"]) not in known:
                    gaps.append(f"{ds['name']}.{name} <- {inp['name']}.{inp['field']} has no input schema")
        for inp in cl.get("dataset") or []:
            if (inp["namespace"], inp["name"], inp["field"]) not in known:
                gaps.append(f"{ds['name']} (dataset) <- {inp['name']}.{inp['field']} has no input schema")
    return gaps


def edges_of(event_or_events, output_suffix: str) -> set[tuple]:
    """{(out_field, input_name_basename, input_field, type, subtype)} for outputs whose name ends so."""
    events = event_or_events if isinstance(event_or_events, list) else [event_or_events]
    edges = set()
    for event in events:
        for ds in event.get("outputs") or []:
            if not ds["name"].endswith(output_suffix):
                continue
            cl = (ds.get("facets") or {}).get("columnLineage") or {}
            for name, spec in (cl.get("fields") or {}).items():
                for inp in spec.get("inputFields") or []:
                    for t in inp.get("transformations") or []:
                        edges.add((name, inp["name"].rsplit("/", 1)[-1], inp["field"], t["type"], t.get("subtype")))
            for inp in cl.get("dataset") or []:
                for t in inp.get("transformations") or []:
                    edges.add(("*", inp["name"].rsplit("/", 1)[-1], inp["field"], t["type"], t.get("subtype")))
    return edges

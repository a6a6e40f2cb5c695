"""Every conformance case, run as the user runs it: plain and instrumented (environment only), in
fresh interpreters. The outputs must be byte-identical, the events valid and Marquez-complete, and the
column lineage exactly what the case expects."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import CONFORMANCE_DIR, assert_valid, clean_env, marquez_gaps, read_events, run_python

CASES = sorted(p for p in (CONFORMANCE_DIR / "cases").iterdir() if (p / "expected.json").exists()) \
    if (CONFORMANCE_DIR / "cases").exists() else []


def _checker():
    sys.path.insert(0, str(CONFORMANCE_DIR))
    try:
        import check  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(CONFORMANCE_DIR))
    return check


@pytest.mark.skipif(not CASES, reason="conformance cases not found")
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_exact_and_outputs_identical(case, tmp_path, ol_env, events_file, spec_checker):
    data = CONFORMANCE_DIR / "data"
    plain_out, instr_out = tmp_path / "plain", tmp_path / "instr"
    plain_out.mkdir()
    instr_out.mkdir()
    plain = run_python([str(case / "pipeline.py"), str(data), str(plain_out)], env=clean_env(), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    instr = run_python([str(case / "pipeline.py"), str(data), str(instr_out)], env=ol_env, cwd=tmp_path)
    assert instr.returncode == 0, instr.stderr
    assert "internal error" not in instr.stderr, instr.stderr
    plain_files = sorted(p.name for p in plain_out.iterdir())
    assert plain_files == sorted(p.name for p in instr_out.iterdir())
    for name in plain_files:
        assert (plain_out / name).read_bytes() == (instr_out / name).read_bytes(), name

    events = read_events(events_file)
    assert_valid(events, spec_checker)
    for event in events:
        assert not marquez_gaps(event)
    check = _checker()
    expected = json.loads((case / "expected.json").read_text())
    _, outputs = check.collect(events)
    for name, exp in expected["outputs"].items():
        assert name in outputs, f"{name} not reported"
        matched, missing, extra, problems = check.score_output(exp, outputs[name])
        assert not missing and not extra and not problems, (missing, extra, problems)
    final = [e for e in events if e["eventType"] == "COMPLETE"][-1]
    instrumentation = final["run"]["facets"]["monkeypatch_instrumentation"]
    assert not instrumentation.get("internalErrors"), instrumentation


def test_operations_facet_points_at_the_users_lines(tmp_path, ol_env, events_file, spec_checker):
    (tmp_path / "in.csv").write_text("id,email,qty\n1,A@x.com,3\n2,b@y.org,5\n")
    job = tmp_path / "job.py"
    job.write_text(
        "import pandas as pd\n"
        "df = pd.read_csv('in.csv')\n"
        "df = df[df.qty > 1]\n"
        "df['domain'] = df.email.str.split('@').str[1]\n"
        "df['domain'] = df['domain'].str.upper()\n"
        "df.sort_values('qty').to_csv('out.csv', index=False)\n")
    proc = run_python([str(job)], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = read_events(events_file)
    assert_valid(events, spec_checker)
    output = next(o for e in events if e["eventType"] == "COMPLETE" for o in e["outputs"])
    ops = output["facets"]["monkeypatch_columnOperations"]
    steps = [(s["operation"], s["location"].rsplit(":", 1)[1]) for s in ops["fields"]["domain"]["operations"]]
    assert steps == [("pandas.read_csv", "2"), ("Series.str.split", "4"), ("Series.str.__getitem__", "4"),
                     ("Series.str.upper", "5")]
    assert all(s["location"].startswith(str(job)) for s in ops["fields"]["domain"]["operations"])
    rows = [(s["operation"], s["location"].rsplit(":", 1)[1]) for s in ops["rows"]]
    assert rows == [("DataFrame.__getitem__", "3"), ("DataFrame.sort_values", "6")]
    lineage = output["facets"]["columnLineage"]
    assert {i["field"] for i in lineage["dataset"]} == {"qty"}


def test_a_file_written_and_read_back_starts_from_that_file(tmp_path, ol_env, events_file):
    (tmp_path / "in.csv").write_text("a,b\n1,2\n")
    (tmp_path / "job.py").write_text(
        "import pandas as pd\n"
        "df = pd.read_csv('in.csv')\n"
        "df['c'] = df.a + df.b\n"
        "df.to_parquet('mid.parquet')\n"
        "back = pd.read_parquet('mid.parquet')\n"
        "back[['c']].to_csv('out.csv', index=False)\n")
    proc = run_python(["job.py"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    from tests.conftest import edges_of

    assert edges_of(read_events(events_file), "out.csv") == {("c", "mid.parquet", "c", "DIRECT", "IDENTITY")}


@pytest.mark.skipif(not CASES, reason="conformance cases not found")
@pytest.mark.parametrize("fault", ["raise", "garbage"])
def test_faults_in_our_handlers_never_change_the_job(fault, tmp_path, ol_env):
    """Every guarded handler failing (or returning garbage): same outputs, exit code 0, for every case."""
    data = CONFORMANCE_DIR / "data"
    script = tmp_path / "all_cases.py"
    script.write_text(
        "import runpy, sys\n"
        "for case, out in zip(sys.argv[2::2], sys.argv[3::2]):\n"
        "    sys.argv = [case, sys.argv[1], out]\n"
        "    runpy.run_path(case, run_name='__main__')\n")
    argv_plain, argv_fault = [str(script), str(data)], [str(script), str(data)]
    for case in CASES:
        for argv, kind in ((argv_plain, "plain"), (argv_fault, "fault")):
            out = tmp_path / kind / case.name
            out.mkdir(parents=True)
            argv += [str(case / "pipeline.py"), str(out)]
    plain = run_python(argv_plain, env=clean_env(), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    env = dict(ol_env, OPENLINEAGE_MONKEYPATCH_TEST_FAULT=fault)
    faulty = run_python(argv_fault, env=env, cwd=tmp_path)
    assert faulty.returncode == 0, faulty.stderr
    for case in CASES:
        for file in sorted((tmp_path / "plain" / case.name).iterdir()):
            assert file.read_bytes() == (tmp_path / "fault" / case.name / file.name).read_bytes(), file

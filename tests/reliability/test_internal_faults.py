"""Our own code failing (OPENLINEAGE_MONKEYPATCH_TEST_FAULT): every patch handler raises, returns garbage
or runs slowly. The job gets exactly the original result; we warn once per integration; the final
event records the internal error in the monkeypatch_instrumentation facet."""

from __future__ import annotations

import pytest

from tests.conftest import assert_valid, read_events
from tests.fixtures.jobs import by_run, names, types
from tests.reliability.conftest import assert_same_as_plain, instrumented_env, our_log, run_job

# fault -> (integrations that warn, whether a final event can report it)
FAULTS = {
    "raise": ({"pandas"}, True),                  # every pandas handler raises
    "garbage": ({"pandas"}, True),                # every pandas handler returns an unexpected object
    "slow": (set(), True),                        # every pandas handler takes 20 ms longer
    "raise:process": ({"process"}, True),         # our process hooks (subprocess, exit, signals) raise
    "garbage:run,process,emitter": ({"run", "process"}, True),
    "raise:run": ({"run"}, False),                # the run itself cannot record anything: nothing is emitted
}


def instrumented(tmp_path, **extra):
    return instrumented_env(tmp_path, OPENLINEAGE__TRANSPORT__TYPE="file",
                            OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=str(tmp_path / "events.ndjson"),
                            OPENLINEAGE__TRANSPORT__APPEND="true", **extra)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_failing_handlers_leave_the_job_alone(tmp_path, plain, spec_checker, fault):
    expected, reported = FAULTS[fault]
    env = instrumented(tmp_path, OPENLINEAGE_MONKEYPATCH_TEST_FAULT=fault)
    result = run_job(tmp_path / "job", env)
    assert_same_as_plain(result, plain)
    warnings = our_log(tmp_path)
    assert all("internal error in the" in line and "job unaffected" in line for line in warnings), warnings
    warned = [line.split("internal error in the ")[1].split(" integration")[0] for line in warnings]
    assert sorted(warned) == sorted(expected), "exactly one warning per failing integration"
    events = read_events(tmp_path / "events.ndjson")
    if not reported:
        assert events == []
        return
    runs = list(by_run(events).values())
    assert len(runs) == 1 and types(runs[0])[0] == "START" and types(runs[0])[-1] == "COMPLETE"
    errors = runs[0][-1]["run"]["facets"]["monkeypatch_instrumentation"].get("internalErrors") or {}
    assert set(errors) == expected and all(count >= 1 for count in errors.values()), errors
    if not expected & {"pandas"}:
        assert names(runs[0][-1]["outputs"]) == ["out.csv"], "lineage intact when only other parts fail"
    assert_valid(events, spec_checker)


def test_fault_in_our_log_file_does_not_reach_the_job(tmp_path, plain):
    """The log file itself cannot be written (a folder of that name): lines are dropped silently."""
    (tmp_path / "olmp.log").mkdir()
    env = instrumented(tmp_path, OPENLINEAGE_MONKEYPATCH_TEST_FAULT="raise")
    assert_same_as_plain(run_job(tmp_path / "job", env), plain)

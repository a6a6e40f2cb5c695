from tests.conftest import assert_valid, read_events, run_python

JOB = """
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
df.to_csv(sys.argv[2], index=False)
"""


def test_instrumented_job_emits_valid_lifecycle(tmp_path, ol_env, events_file, spec_checker):
    (tmp_path / "in.csv").write_text("id,name\n1,a\n")
    (tmp_path / "job.py").write_text(JOB)
    proc = run_python(["job.py", "in.csv", "out.csv"], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = read_events(events_file)
    assert [e["eventType"] for e in events] == ["START", "RUNNING", "COMPLETE"]
    assert {e["run"]["runId"] for e in events} == {events[0]["run"]["runId"]}
    assert events[0]["job"] == {"namespace": "tests", "name": "job.py", "facets": events[0]["job"]["facets"]}
    assert_valid(events, spec_checker)

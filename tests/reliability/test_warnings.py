"""Warnings of the libraries we patch name the user's line and obey the default filters as without us.

Our wrappers add a frame between the job and pandas; a warning attributed by stack level would land on
it (and a DeprecationWarning attributed to our module instead of `__main__` would vanish)."""

from __future__ import annotations

import warnings

from tests.conftest import clean_env
from tests.fixtures.jobs import timed, write_job
from tests.reliability.conftest import instrumented_env

WARNING_JOB = """\
import warnings
import pandas as pd

df = pd.read_csv("in.csv")
df.sort_values("a", inplace=True)                     # pandas 3.1: deprecated (find_stack_level)
df.groupby("name").a.apply(lambda s: s.sum())         # may warn about include_groups, by version
pd.concat([df, pd.DataFrame({"a": []})])              # empty-entry concat: a FutureWarning in some versions
warnings.warn("the job's own warning", UserWarning)
warnings.warn("the job's own deprecation", DeprecationWarning)
df.to_csv("out.csv", index=False)
"""


def test_library_warnings_are_those_of_the_plain_run(tmp_path):
    write_job(tmp_path / "plain", text=WARNING_JOB)
    plain, _ = timed(["job.py"], clean_env(), tmp_path / "plain")
    assert plain.returncode == 0, plain.stderr
    assert "job.py:8: UserWarning" in plain.stderr

    write_job(tmp_path / "instr", text=WARNING_JOB)
    env = instrumented_env(tmp_path / "instr")
    ours, _ = timed(["job.py"], env, tmp_path / "instr")
    assert ours.returncode == 0, ours.stderr
    assert ours.stderr.replace("/instr/", "/") == plain.stderr.replace("/plain/", "/")
    assert "openlineage_monkeypatch" not in ours.stderr
    assert (tmp_path / "instr" / "out.csv").read_bytes() == (tmp_path / "plain" / "out.csv").read_bytes()


def test_warn_skips_only_our_frames_and_is_restored():
    from openlineage_monkeypatch import _warnings

    def library_call():  # stands for a library function warning at its caller (stacklevel=2)
        warnings.warn("from the library", FutureWarning, stacklevel=2)

    _warnings.install()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            library_call()
            warnings.warn("no stack level", UserWarning)
            warnings.warn("huge stack level", UserWarning, stacklevel=10_000)
        assert [w.filename for w in caught[:2]] == [__file__, __file__]
        assert caught[2].filename in ("sys", "<sys>")  # as warnings.warn itself does past the top of the stack
    finally:
        _warnings.uninstall()
    assert warnings.warn is _warnings._original

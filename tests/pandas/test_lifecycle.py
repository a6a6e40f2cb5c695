"""instrument()/uninstrument() leave pandas, numpy and hashlib exactly as they were; threads work."""

import threading

from tests.conftest import clean_env, run_python

from .conftest import cols, source

SNAPSHOT = """
import hashlib, hmac, inspect, numpy, pandas
from pandas.util import _exceptions
def snap():
    out = {}
    for owner in (pandas.DataFrame, pandas.Series, pandas.core.groupby.generic.DataFrameGroupBy,
                  pandas.core.indexing._LocIndexer, pandas.core.strings.accessor.StringMethods):
        for klass in owner.__mro__:
            for name, value in vars(klass).items():
                out[(klass.__qualname__, name)] = id(value)
    for module in (pandas, numpy, hashlib, hmac):
        for name, value in vars(module).items():
            out[(module.__name__, name)] = id(value)
    out["find_stack_level"] = id(_exceptions.find_stack_level.__code__)
    return out
before = snap()
from openlineage_monkeypatch.integrations.pandas import integration
integration.instrument(pandas)
assert snap() != before
integration.uninstrument()
after = snap()
changed = sorted(str(k) for k in set(before) | set(after) if before.get(k) != after.get(k))
print(changed)
"""


def test_uninstrument_restores_everything():
    proc = run_python(SNAPSHOT, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    changed = eval(proc.stdout.strip().splitlines()[-1])
    # attributes that did not exist before (our markers) are the only acceptable leftovers
    assert all("_olmp" in k for k in changed), changed


def test_threads_track_independently(pd, np):
    df = source(pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0)}))
    results, errors = {}, []

    def work(name, column):
        try:
            out = None
            for _ in range(200):
                out = df[df[column] > 3][[column]].assign(x=lambda d: d[column] * 2)
            results[name] = cols(out)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}", "ab"[i % 2])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results["t0"] == {"a": {"a:I"}, "x": {"a:T"}}
    assert results["t1"] == {"b": {"b:I"}, "x": {"b:T"}}

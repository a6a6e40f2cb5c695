"""Provenance never keeps a pandas object alive, and our tables return to their baseline."""

import gc
import weakref

from .conftest import cols, source


def _sizes():
    from openlineage_monkeypatch.integrations.pandas import core
    from openlineage_monkeypatch.lineage import table

    gc.collect()
    return len(table.provenance), len(core._LABELS)


def test_a_loop_of_intermediate_series_ends_at_baseline(pd, np):
    from openlineage_monkeypatch.integrations.pandas import core

    df = source(pd.DataFrame({"a": np.arange(50), "b": np.arange(50.0)}))
    warm = df["a"] * 2 + df.b  # pandas 2.x caches column Series on the frame: warm that cache first
    del warm
    base = _sizes()
    total = 0.0
    for i in range(100_000):
        s = df["a"] * 2 + df.b  # three intermediate Series per iteration
        if i % 10_000 == 0:
            total += float(s.iloc[0])
    assert cols(s) == {"a:T", "b:T"}
    del s
    assert _sizes() == base
    assert len(core._SCALARS) <= core.MAX_SCALARS


def test_written_and_intermediate_frames_die(pd, np, tmp_path):
    (tmp_path / "in.csv").write_text("a,b\n1,x\n2,y\n3,z\n")
    df = pd.read_csv(tmp_path / "in.csv")
    out = df[df.a > 1].copy()
    out["c"] = out.a.astype(str) + out.b
    grouped = out.groupby("b")
    agg = grouped.a.sum().reset_index()
    out.to_csv(tmp_path / "out.csv", index=False)
    agg.to_parquet(tmp_path / "agg.parquet")
    refs = [weakref.ref(o) for o in (df, out, grouped, agg)]
    del df, out, grouped, agg
    gc.collect()
    assert [r() for r in refs] == [None] * 4


def test_user_functions_do_not_keep_frames(pd, np):
    df = source(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "x"]}))
    applied = df.apply(lambda row: row["a"] * 2, axis=1)
    grouped = df.groupby("b").apply(lambda g: g.a.sum())
    assigned = df.assign(c=lambda d: d.a + 1)
    refs = [weakref.ref(o) for o in (df, applied, grouped, assigned)]
    del df, applied, grouped, assigned
    gc.collect()
    assert [r() for r in refs] == [None] * 4

"""Property-based: random chains of selections, renames, arithmetic, assignments, filters and sorts,
written in randomly chosen spellings. Every output column's DIRECT sources must be exactly the source
columns it was computed from, and the dataset-level edges exactly the filters and sorts applied."""

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from .conftest import source

SOURCE = ["a", "b", "c", "d", "e"]

step = st.tuples(st.sampled_from(["select", "rename", "binary", "unary", "drop", "filter", "sort", "copy",
                                  "concat", "index_roundtrip", "assign_lambda", "loc_assign", "eval"]),
                 st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 6))


def _direct_and_rows(obj):
    from openlineage_monkeypatch.lineage import table

    frame = table.provenance.get(obj)
    out = {}
    for label in obj.columns:
        col = frame.columns.get(label)
        out[label] = {e[0].field for e in col.edges if e[1] == "DIRECT"} if col is not None else set()
    rows = {(e[0].field, e[2]) for e in frame.rows}
    return out, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_random_chains_keep_exact_direct_sources(pd, np, steps):
    df = source(pd.DataFrame({name: np.arange(1.0, 7.0) * (i + 1) for i, name in enumerate(SOURCE)}))
    truth = {name: {name} for name in SOURCE}
    rows: set = set()
    fresh = iter(range(10_000))
    for kind, x, y, spelling in steps:
        names = list(df.columns)
        a = names[x % len(names)]
        b = names[y % len(names)]
        if kind == "select":
            keep = [n for i, n in enumerate(names) if (x >> (i % 10)) & 1] or [a]
            df = [lambda: df[keep], lambda: df.loc[:, keep], lambda: df.filter(items=keep),
                  lambda: df.reindex(columns=keep)][spelling % 4]()
            truth = {n: truth[n] for n in keep}
        elif kind == "rename":
            new = f"r{next(fresh)}"
            df = [lambda: df.rename(columns={a: new}), lambda: df.rename({a: new}, axis=1),
                  lambda: df.set_axis([new if n == a else n for n in names], axis=1)][spelling % 3]()
            truth = {(new if n == a else n): v for n, v in truth.items()}
        elif kind == "binary":
            new = f"n{next(fresh)}"
            values = [lambda: df[a] + df[b], lambda: df[a].mul(df[b]), lambda: np.maximum(df[a], df[b]),
                      lambda: df.eval(f"`{a}` - `{b}`"), lambda: df[a].where(df[a] > 0, df[b]),
                      lambda: (df[a] / df[b]).fillna(0), lambda: df[[a, b]].sum(axis=1)][spelling]()
            df = df.copy()
            df[new] = values
            truth[new] = truth[a] | truth[b]
        elif kind == "unary":
            new = f"u{next(fresh)}"
            values = [lambda: df[a] * 2, lambda: df[a].abs(), lambda: np.sqrt(df[a].abs()),
                      lambda: df[a].fillna(0).round(1), lambda: df[a].astype("float32"), lambda: -df[a],
                      lambda: df[a].clip(0, 3)][spelling]()
            df = df.assign(**{new: values})
            truth[new] = set(truth[a])
        elif kind == "drop" and len(names) > 1:
            df = [lambda: df.drop(columns=[a]), lambda: df.drop(a, axis=1)][spelling % 2]()
            del truth[a]
        elif kind == "filter":
            df = [lambda: df[df[a] > 2], lambda: df.loc[df[a] > 2], lambda: df.query(f"`{a}` > 2"),
                  lambda: df[lambda d: d[a] > 2]][spelling % 4]()
            rows |= {(s, "FILTER") for s in truth[a]}
        elif kind == "sort":
            df = [lambda: df.sort_values(a), lambda: df.sort_values(by=[a], ascending=False)][spelling % 2]()
            rows |= {(s, "SORT") for s in truth[a]}
        elif kind == "copy":
            df = df.copy()
        elif kind == "concat":
            df = pd.concat([df, df], ignore_index=True)
        elif kind == "index_roundtrip":
            df = df.set_index(a).reset_index()
            df = df[names]
        elif kind == "assign_lambda":
            new = f"l{next(fresh)}"
            df = df.assign(**{new: lambda d: d[a] * d[b]})
            truth[new] = truth[a] | truth[b]
        elif kind == "loc_assign":
            new = f"o{next(fresh)}"
            df = df.copy()
            df.loc[:, new] = df[b] + 1
            truth[new] = set(truth[b])
        elif kind == "eval":
            new = f"e{next(fresh)}"
            df = df.eval(f"{new} = `{a}` + 1")
            truth[new] = set(truth[a])
    direct, found_rows = _direct_and_rows(df)
    assert direct == {n: truth[n] for n in df.columns}
    assert found_rows == rows

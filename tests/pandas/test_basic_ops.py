"""Selection, assignment, arithmetic, element-wise steps, filters, sorts: one spelling per test,
several spellings of the same operation where pandas has them."""

import pytest

from .conftest import cols, rows, source, tracked


@pytest.fixture
def df(pd):
    return source(pd.DataFrame({"a": [1, 2, 3, 4], "b": [10.0, 20.0, 30.0, 40.0], "c": ["x", "y", "x", "z"],
                                "d": ["p@q.com", "r@s.com", "t@u.com", "v@w.com"]}))


def test_column_selection_spellings(pd, df):
    assert cols(df[["a", "c"]]) == {"a": {"a:I"}, "c": {"c:I"}}
    assert cols(df.a) == {"a:I"}
    assert cols(df["a"]) == {"a:I"}
    assert cols(df.loc[:, ["b"]]) == {"b": {"b:I"}}
    assert cols(df.iloc[:, [0, 2]]) == {"a": {"a:I"}, "c": {"c:I"}}
    assert cols(df.get("b")) == {"b:I"}
    assert cols(df.filter(items=["a"])) == {"a": {"a:I"}}
    assert cols(df.select_dtypes("number")) == {"a": {"a:I"}, "b": {"b:I"}}
    assert cols(df.copy()) == cols(df)
    assert cols(df.head(2))["c"] == {"c:I"}


def test_rename_spellings(pd, df):
    expected = {"A": {"a:I"}, "b": {"b:I"}, "c": {"c:I"}, "d": {"d:I"}}
    assert cols(df.rename(columns={"a": "A"})) == expected
    assert cols(df.rename({"a": "A"}, axis=1)) == expected
    assert cols(df.rename(columns=lambda s: s.upper() if s == "a" else s)) == expected
    assert cols(df.set_axis(["A", "b", "c", "d"], axis=1)) == expected
    assert cols(df.add_prefix("p_"))["p_a"] == {"a:I"}
    other = df.copy()
    other.columns = ["A", "b", "c", "d"]
    assert cols(other) == expected
    other2 = df.copy()
    other2.rename(columns={"a": "A"}, inplace=True)
    assert cols(other2) == expected


def test_drop_spellings(pd, df):
    expected = {"a": {"a:I"}, "b": {"b:I"}, "d": {"d:I"}}
    assert cols(df.drop(columns=["c"])) == expected
    assert cols(df.drop("c", axis=1)) == expected
    assert cols(df.drop(columns="c")) == expected
    other = df.copy()
    del other["c"]
    assert cols(other) == expected
    other = df.copy()
    popped = other.pop("c")
    assert cols(other) == expected
    assert cols(popped) == {"c:I"}
    other = df.copy()
    other.drop(columns=["c"], inplace=True)
    assert cols(other) == expected


def test_arithmetic_spellings(pd, df, np):
    for total in (df.a * df.b, df["a"].mul(df["b"]), df.a.multiply(df.b), np.multiply(df.a, df.b),
                  df.eval("a * b"), df["a"] * df["b"] + 1, 2 * df.a * df.b):
        assert cols(total) == {"a:T", "b:T"}, total
    assert cols(df.a + 1) == {"a:T"}
    assert cols(-df.a) == {"a:T"}
    assert cols(abs(df.b)) == {"b:T"}
    assert cols(np.log(df.b)) == {"b:T"}
    assert cols(df.a.values * 2 + df.b) == {"b:T"}  # the raw array's arithmetic is not seen
    assert cols(np.asarray([1, 2, 3, 4]) + df.a) == {"a:T"}


def test_assignment_spellings(pd, df):
    out = df.copy()
    out["t"] = out.a * out.b
    out.loc[:, "u"] = out.b + 1
    out = out.assign(v=lambda d: d.t - d.a, w=out.b)
    out.insert(0, "x", out.b.round())
    out.eval("y = a + b", inplace=True)
    out = out.eval("z = c")
    e = cols(out)
    assert e["t"] == {"a:T", "b:T"}
    assert e["u"] == {"b:T"}
    assert e["v"] == {"a:T", "b:T"}
    assert e["w"] == {"b:I"}
    assert e["x"] == {"b:T"}
    assert e["y"] == {"a:T", "b:T"}
    assert e["z"] == {"c:T"}
    assert e["a"] == {"a:I"}


def test_assign_sees_earlier_assignments(pd, df):
    out = df.assign(t=lambda d: d.a * 2, u=lambda d: d.t + d.b)
    assert cols(out)["u"] == {"a:T", "b:T"}


def test_constant_column_has_no_edges(pd, df):
    out = df.copy()
    out["k"] = 1
    out["s"] = "text"
    assert cols(out)["k"] == set()
    assert cols(out)["s"] == set()


def test_elementwise_steps(pd, df):
    for s in (df.b.fillna(0), df.b.clip(0, 25), df.b.round(1), df.c.replace("x", "X"), df.c.map({"x": 1}),
              df.c.map(str.upper), df.c.apply(len), df.c.apply(lambda v: v * 2), df.b.isna(), df.c.isin(["x"]),
              df.a.between(1, 2), df.b.abs(), pd.to_numeric(df.a), pd.cut(df.b, 2)):
        src = {"a", "b", "c"} & {e.split(":")[0] for e in cols(s)}
        assert len(src) == 1 and all(e.endswith(":T") for e in cols(s)), (s, cols(s))
    assert cols(df.b.astype(int)) == {"b:I"}
    assert cols(df.astype({"a": "float64"})) == {"a": {"a:I"}, "b": {"b:I"}, "c": {"c:I"}, "d": {"d:I"}}
    assert cols(df[["a", "b"]].fillna(0)) == {"a": {"a:T"}, "b": {"b:T"}}
    assert cols(df.b.fillna(df.a)) == {"a:T", "b:T"}


def test_string_and_datetime_accessors(pd, df):
    assert cols(df.d.str.split("@").str[1]) == {"d:T"}
    assert cols(df.c.str.upper()) == {"c:T"}
    assert cols(df.c.str.cat(df.d, sep="-")) == {"c:T", "d:T"}
    parts = df.d.str.split("@", expand=True)
    assert cols(parts) == {"0": {"d:T"}, "1": {"d:T"}}
    ts = source(pd.DataFrame({"ts": pd.to_datetime(["2024-01-01", "2024-02-03"]), "v": [1, 2]}))
    assert cols(ts.ts.dt.year) == {"ts:T"}
    assert cols(ts.ts.dt.strftime("%Y")) == {"ts:T"}
    assert cols(ts.ts.dt.floor("D")) == {"ts:T"}
    cat = ts.v.astype("category")
    assert cols(cat.cat.codes) == {"v:T"}


def test_filters(pd, df):
    for filtered in (df[df.c == "x"], df.loc[df.c == "x"], df.query("c == 'x'"), df[lambda d: d.c == "x"],
                     df.loc[lambda d: d["c"] == "x", :], df[df.c.isin(["x"])], df.loc[df["c"].eq("x"), ["a", "b"]]):
        assert rows(filtered) == {"c:F"}, filtered
        assert cols(filtered)["a"] == {"a:I"}
    assert rows(df[(df.a > 1) & (df.b < 40)]) == {"a:F", "b:F"}
    assert rows(df.dropna(subset=["b"])) == {"b:F"}
    assert rows(df.head(2)) == set()
    assert rows(df.iloc[1:3]) == set()
    limit = 2  # noqa: F841 - read by the query below
    assert rows(df.query("a > @limit")) == {"a:F"}


def test_filter_then_series_keeps_row_edges(pd, df):
    s = df[df.c == "x"]["a"]
    assert cols(s) == {"a:I"}
    assert rows(s) == {"c:F"}


def test_series_assigned_brings_missing_row_edges(pd, df):
    out = df.copy()
    out["big"] = out[out.a > 2]["b"]
    assert cols(out)["big"] == {"b:I", "a:F"}
    assert rows(out) == set()


def test_sort_and_dedup(pd, df):
    assert rows(df.sort_values("b")) == {"b:S"}
    assert rows(df.sort_values(["a", "b"], ascending=False)) == {"a:S", "b:S"}
    assert rows(df.b.sort_values()) == {"b:S"}
    assert rows(df.drop_duplicates("c")) == {"c:F"}
    assert rows(df.drop_duplicates(subset=["c", "a"])) == {"c:F", "a:F"}
    assert rows(df.sort_values("b").drop_duplicates("c", keep="last")) == {"b:S", "b:F", "c:F"}
    assert rows(df.nlargest(2, "b")) == {"b:S", "b:F"}
    other = df.copy()
    other.sort_values("a", inplace=True)
    assert rows(other) == {"a:S"}


def test_where_mask_and_numpy(pd, df, np):
    assert cols(np.where(df.a > 2, "hi", "lo")) == {"a:C"}
    assert cols(np.where(df.a > 2, df.b, 0)) == {"a:C", "b:I"}
    assert cols(df.b.where(df.a > 1, df.b * 2)) == {"a:C", "b:T"}
    assert cols(df.b.mask(df.c == "x")) == {"b:I", "c:C"}
    assert cols(np.select([df.a > 2, df.a > 1], [df.b, df.b * 2], default=0)) == {"a:C", "b:T"}
    out = df.copy()
    out.loc[out.a > 2, "b"] = 0
    assert cols(out)["b"] == {"b:I", "a:C"}
    out["flag"] = np.where(out.c == "x", 1, 0)
    assert cols(out)["flag"] == {"c:C"}
    cw = df.c.case_when([(df.a > 2, "big"), (df.b > 10, df.d)])
    assert cols(cw) == {"a:C", "b:C", "c:I", "d:I"}


def test_reductions(pd, df):
    total = df.b.sum()
    out = df.copy()
    out["share"] = out.a / total
    assert cols(out)["share"] == {"a:T", "b:A"}
    assert cols(df[["a", "b"]].sum()) == {"a:A", "b:A"}
    assert cols(df[["a", "b"]].sum(axis=1)) == {"a:T", "b:T"}
    assert cols(df[["a", "b"]].describe()) == {"a": {"a:A"}, "b": {"b:A"}}


def test_untracked_frames_stay_untracked(pd):
    plain = pd.DataFrame({"a": [1, 2]})
    assert not tracked(plain.a * 2)
    assert not tracked(plain[plain.a > 1])


def test_unknown_method_over_approximates(pd, df):
    # DataFrame.xs is not modelled: every source, marked approximate
    s = df.set_index("c").xs("x")
    assert tracked(s)


def test_top_n_after_a_sort(pd, df):
    assert rows(df.sort_values("b", ascending=False).head(2)) == {"b:S", "b:F"}
    assert rows(df.head(2)) == set()
    assert rows(df.a.sort_values().tail(1)) == {"a:S", "a:F"}


def test_selection_keys_that_are_not_masks(pd, df):
    names = source(pd.DataFrame({"name": ["a", "b"]}), "names")
    picked = df[names["name"]]
    assert cols(picked) == {"a": {"a:I"}, "b": {"b:I"}}
    assert rows(picked) == set()
    assert rows(df.b[lambda s: s > 15]) == {"b:F"}
    left, right = df[["a"]].align(source(pd.DataFrame({"a": [1.0]}), "other"), join="left")
    assert cols(left) == {"a": {"a:I"}} and cols(right) == {"a": {"other.a:I"}}

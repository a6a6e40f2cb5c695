"""More spellings: groupby variants, resample, windows on frames, reshaping, string extraction,
value_counts, iteration-free loops over columns, apply result shapes."""

import pytest

from .conftest import approx, cols, rows, source, tracked


@pytest.fixture
def sales(pd):
    return source(pd.DataFrame({
        "region": ["n", "s", "n", "s", "n"], "shop": ["a", "a", "b", "b", "a"], "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        "units": [1, 2, 3, 4, 5], "day": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03",
                                                          "2024-01-03"]), "note": ["x y", "y z", "z", "x", "y"]}),
        "sales")


def test_groupby_multi_key_as_columns(pd, sales):
    out = sales.groupby(["region", "shop"], as_index=False).agg({"amount": "sum", "units": "mean"})
    assert cols(out) == {"region": {"sales.region:I"}, "shop": {"sales.shop:I"}, "amount": {"sales.amount:A"},
                         "units": {"sales.units:A"}}
    assert rows(out) == {"sales.region:G", "sales.shop:G"}


def test_groupby_named_aggs_over_several_columns(pd, sales):
    out = sales.groupby("region").agg(total=("amount", "sum"), n=("units", "count"), first_day=("day", "min"))
    flat = out.reset_index()
    assert cols(flat) == {"region": {"sales.region:I"}, "total": {"sales.amount:A"}, "n": {"sales.units:A"},
                          "first_day": {"sales.day:A"}}


def test_groupby_by_series_and_level(pd, sales):
    by_series = sales.groupby(sales.region.str.upper())["amount"].sum()
    assert rows(by_series) == {"sales.region:G"}
    by_level = sales.set_index("shop").groupby(level=0)["units"].max()
    assert rows(by_level) == {"sales.shop:G"}
    assert cols(by_level.reset_index())["shop"] == {"sales.shop:I"}


def test_resample_and_grouper(pd, sales):
    daily = sales.set_index("day").resample("D")["amount"].sum()
    assert cols(daily) == {"sales.amount:A"}
    assert rows(daily) == {"sales.day:G"}
    on_column = sales.resample("D", on="day").units.sum()
    assert rows(on_column) == {"sales.day:G"}
    grouped = sales.groupby(pd.Grouper(key="day", freq="D")).amount.sum()
    assert rows(grouped) == {"sales.day:G"}


def test_frame_windows(pd, sales):
    rolled = sales[["amount", "units"]].rolling(2).mean()
    assert cols(rolled) == {"amount": {"sales.amount:A"}, "units": {"sales.units:A"}}
    expanding = sales.amount.expanding().max()
    assert cols(expanding) == {"sales.amount:A"}
    ewm = sales.amount.ewm(span=2).mean()
    assert cols(ewm) == {"sales.amount:A"}
    cum = sales.sort_values("day").amount.cumsum()
    assert cols(cum) == {"sales.amount:A", "sales.day:W"}
    assert rows(cum) == {"sales.day:S"}


def test_pivot_and_unstack(pd, sales):
    wide = sales.pivot_table(index="region", columns="shop", values="amount", aggfunc="sum").reset_index()
    assert cols(wide)["region"] == {"sales.region:I"}
    assert cols(wide)["a"] == {"sales.amount:A"}
    unstacked = sales.groupby(["region", "shop"]).amount.sum().unstack()
    assert all(v == {"sales.amount:A"} for v in cols(unstacked).values())
    stacked = sales[["amount", "units"]].stack()
    assert cols(stacked) == {"sales.amount:I", "sales.units:I"} and approx(stacked)


def test_explode_and_string_extract(pd, sales):
    words = sales.note.str.split()
    exploded = sales.assign(word=words).explode("word")
    assert cols(exploded)["word"] == {"sales.note:T"}
    assert cols(exploded)["amount"] == {"sales.amount:I"}
    extracted = sales.note.str.extract(r"(?P<first>\w)\s?(?P<second>\w)?")
    assert cols(extracted) == {"first": {"sales.note:T"}, "second": {"sales.note:T"}}
    dummies = sales.note.str.get_dummies(sep=" ")
    assert all(v == {"sales.note:T"} for v in cols(dummies).values())


def test_value_counts_and_unique(pd, sales):
    counts = sales.region.value_counts().reset_index()
    assert cols(counts)["region"] == {"sales.region:I"}
    assert cols(counts)["count"] == set()
    assert rows(counts) == {"sales.region:G"}
    assert cols(sales.shop.unique()) == {"sales.shop:I"}


def test_loop_over_columns(pd, sales):
    out = sales.copy()
    for name in ["amount", "units"]:
        out[f"{name}_z"] = (out[name] - out[name].mean()) / out[name].std()
    assert cols(out)["amount_z"] == {"sales.amount:T", "sales.amount:A"} - {"sales.amount:T"} | {"sales.amount:A"}


def test_apply_shapes(pd, sales):
    expanded = sales.apply(lambda r: pd.Series({"x": r["amount"] * 2, "y": r["units"]}), axis=1)
    assert cols(expanded) == {"x": {"sales.amount:T", "sales.units:T"}, "y": {"sales.amount:T", "sales.units:T"}}
    per_column = sales[["amount", "units"]].apply(lambda s: s.max() - s.min())
    assert cols(per_column) == {"sales.amount:A", "sales.units:A"}
    mapped = sales[["amount", "units"]].map(lambda v: v * 2)
    assert cols(mapped) == {"amount": {"sales.amount:T"}, "units": {"sales.units:T"}}
    agg = sales.agg({"amount": "sum", "units": "max"})
    assert cols(agg) == {"sales.amount:A", "sales.units:A"}


def test_merge_variants(pd, sales):
    shops = source(pd.DataFrame({"shop": ["a", "b"], "city": ["p", "q"], "amount": [0.0, 0.0]}), "shops")
    merged = sales.merge(shops, on="shop", how="left", suffixes=("", "_shop"))
    assert cols(merged)["amount"] == {"sales.amount:I"}
    assert cols(merged)["amount_shop"] == {"shops.amount:I"}
    assert cols(merged)["shop"] == {"sales.shop:I"}
    assert rows(merged) == {"sales.shop:J", "shops.shop:J"}
    right_index = sales.merge(shops.set_index("shop"), left_on="shop", right_index=True)
    assert cols(right_index)["city"] == {"shops.city:I"}
    assert rows(right_index) == {"sales.shop:J", "shops.shop:J"}
    asof = pd.merge_asof(sales.sort_values("day"), sales[["day", "units"]].sort_values("day"), on="day")
    assert tracked(asof)


def test_concat_with_keys_and_series(pd, sales):
    stacked = pd.concat({"first": sales[["amount"]], "second": sales[["amount"]]})
    assert cols(stacked) == {"amount": {"sales.amount:I"}}
    together = pd.concat([sales.amount, sales.units])
    assert cols(together) == {"sales.amount:I", "sales.units:I"}
    side = pd.concat([sales.amount.rename("x"), sales.units.rename("y")], axis=1, keys=["k1", "k2"])
    assert cols(side) == {"k1": {"sales.amount:I"}, "k2": {"sales.units:I"}}


def test_crosstab_and_cut(pd, sales):
    table = pd.crosstab(sales.region, sales.shop)
    assert rows(table) == {"sales.region:G", "sales.shop:G"}
    binned = pd.cut(sales.amount, bins=[0, 2, 10], labels=["lo", "hi"])
    assert cols(binned) == {"sales.amount:T"}
    q = pd.qcut(sales.units, 2)
    assert cols(q) == {"sales.units:T"}


def test_items_values_update(pd, sales):
    seen = {name: cols(series) for name, series in sales[["amount", "units"]].items()}
    assert seen == {"amount": {"sales.amount:I"}, "units": {"sales.units:I"}}
    out = sales[["amount", "units"]].copy()
    out.update(sales[["units"]].rename(columns={"units": "amount"}))
    assert cols(out)["amount"] == {"sales.amount:I", "sales.units:I"}
    s = sales.amount.copy()
    s.update(sales.units)
    assert cols(s) == {"sales.amount:I", "sales.units:I"}
    rebuilt = pd.DataFrame({"x": sales.amount.values, "y": sales.units.to_numpy()})
    assert cols(rebuilt) == {"x": {"sales.amount:I"}, "y": {"sales.units:I"}}


def test_pairwise_duplicated_combine_first(pd, sales):
    corr = sales[["amount", "units"]].corr()
    assert cols(corr) == {"amount": {"sales.amount:A", "sales.units:A"}, "units": {"sales.amount:A", "sales.units:A"}}
    assert cols(sales.duplicated(subset=["region"])) == {"sales.region:T"}
    filled = sales.amount.where(sales.units > 2).combine_first(sales.units)
    assert cols(filled) == {"sales.amount:I", "sales.units:I", "sales.units:C"}


def test_iterating_groups(pd, sales):
    parts = []
    for region, group in sales.groupby("region"):
        assert cols(group)["amount"] == {"sales.amount:I"}
        assert rows(group) == {"sales.region:F"}
        parts.append(group.assign(share=group.amount / group.amount.sum()))
    combined = pd.concat(parts)
    assert cols(combined)["share"] == {"sales.amount:T", "sales.amount:A"} - {"sales.amount:T"} | {"sales.amount:A"}
    for shop, amounts in sales.groupby("shop").amount:
        assert cols(amounts) == {"sales.amount:I"}

"""merge / join / concat, groupby, windows, reshaping, index <-> columns, user functions."""

import hashlib

import pytest

from .conftest import approx, cols, rows, source


@pytest.fixture
def orders(pd):
    return source(pd.DataFrame({"order_id": [1, 2, 3, 4], "customer_id": [10, 10, 20, 30], "qty": [1, 5, 2, 7],
                                "price": [9.5, 3.0, 4.0, 1.0], "ts": [4, 3, 2, 1]}), "orders")


@pytest.fixture
def customers(pd):
    return source(pd.DataFrame({"id": [10, 20, 30], "name": ["a", "b", "c"], "qty": [0, 0, 0]}), "customers")


def test_merge_spellings(pd, orders, customers):
    expected_rows = {"orders.customer_id:J", "customers.id:J"}
    for merged in (orders.merge(customers, left_on="customer_id", right_on="id"),
                   pd.merge(orders, customers, left_on="customer_id", right_on="id", how="left"),
                   orders.merge(customers.rename(columns={"id": "customer_id"}), on="customer_id")):
        e = cols(merged)
        assert e["order_id"] == {"orders.order_id:I"}
        assert e["name"] == {"customers.name:I"}
        assert e["qty_x"] == {"orders.qty:I"} and e["qty_y"] == {"customers.qty:I"}
        assert rows(merged) == expected_rows
    joined = orders.join(customers.set_index("id"), on="customer_id", rsuffix="_c")
    assert cols(joined)["name"] == {"customers.name:I"}
    assert cols(joined)["qty_c"] == {"customers.qty:I"}
    assert rows(joined) == expected_rows
    by_index = orders.set_index("customer_id").join(customers.set_index("id"), lsuffix="_o", rsuffix="_c")
    assert rows(by_index) == expected_rows
    back = by_index.reset_index()
    assert cols(back)[str(back.columns[0])] == {"orders.customer_id:I"}


def test_merge_outer_key_from_both_sides(pd, orders, customers):
    right = customers.rename(columns={"id": "customer_id"})
    merged = orders.merge(right, on="customer_id", how="outer", indicator=True)
    e = cols(merged)
    assert e["customer_id"] == {"orders.customer_id:I", "customers.id:I"}
    assert e["_merge"] == {"orders.customer_id:T", "customers.id:T"}


def test_concat(pd, orders, customers):
    both = pd.concat([orders[["order_id", "qty"]], customers[["qty"]]], ignore_index=True)
    assert cols(both) == {"order_id": {"orders.order_id:I"}, "qty": {"orders.qty:I", "customers.qty:I"}}
    side = pd.concat([orders[["order_id"]], customers["name"]], axis=1)
    assert cols(side) == {"order_id": {"orders.order_id:I"}, "name": {"customers.name:I"}}
    filtered = pd.concat([orders[orders.qty > 1], orders])
    assert rows(filtered) == {"orders.qty:F"}


def test_groupby_aggregation_spellings(pd, orders):
    for agg in (orders.groupby("customer_id", as_index=False).agg(total=("qty", "sum")),
                orders.groupby("customer_id", as_index=False).agg(total=pd.NamedAgg("qty", "sum")),
                orders.groupby("customer_id", as_index=False)["qty"].sum().rename(columns={"qty": "total"}),
                orders.groupby("customer_id").qty.sum().rename("total").reset_index(),
                orders.groupby(["customer_id"]).agg({"qty": "sum"}).reset_index().rename(columns={"qty": "total"}),
                orders.groupby("customer_id").agg(total=("qty", lambda s: s.sum())).reset_index(),
                orders.groupby(orders.customer_id)["qty"].agg("sum").reset_index(name="total")):
        e = cols(agg)
        assert e == {"customer_id": {"orders.customer_id:I"}, "total": {"orders.qty:A"}}, agg
        assert rows(agg) == {"orders.customer_id:G"}


def test_groupby_multi_funcs_and_size(pd, orders):
    multi = orders.groupby("customer_id")[["qty", "price"]].agg(["sum", "max"])
    e = cols(multi)
    assert e["('qty', 'sum')"] == {"orders.qty:A"}
    assert e["('price', 'max')"] == {"orders.price:A"}
    size = orders.groupby("customer_id").size().reset_index(name="n")
    assert cols(size) == {"customer_id": {"orders.customer_id:I"}, "n": set()}
    assert rows(size) == {"orders.customer_id:G"}
    counted = orders.groupby("customer_id").count()
    assert cols(counted)["qty"] == {"orders.qty:A"}


def test_groupby_window_ops(pd, orders):
    s = orders.sort_values("ts")
    for running in (s.groupby("customer_id")["qty"].cumsum(), s.groupby("customer_id").qty.transform("cumsum"),
                    s.groupby("customer_id")["qty"].transform(lambda x: x.cumsum()),
                    s.groupby("customer_id")["qty"].rank()):
        assert {"orders.qty:A", "orders.customer_id:W"} <= cols(running) or \
            {"orders.qty:T", "orders.customer_id:W"} <= cols(running), running
        assert not {e for e in cols(running) if e.endswith(":G")}
    shifted = s.groupby("customer_id")["qty"].shift(1)
    assert cols(shifted) == {"orders.qty:T", "orders.customer_id:W", "orders.ts:W"}
    rolled = orders.groupby("customer_id")["qty"].rolling(2).mean()
    assert {"orders.qty:A", "orders.customer_id:W"} <= cols(rolled)
    plain_roll = orders.qty.rolling(2).sum()
    assert cols(plain_roll) == {"orders.qty:A"}


def test_groupby_transform_broadcast(pd, orders):
    out = orders.copy()
    out["share"] = out.qty / out.groupby("customer_id").qty.transform("sum")
    assert cols(out)["share"] == {"orders.qty:A", "orders.customer_id:W"}


def test_groupby_apply_and_filter(pd, orders):
    applied = orders.groupby("customer_id").apply(lambda g: g.qty.sum() * 2)
    assert "orders.qty:A" in cols(applied)
    kept = orders.groupby("customer_id").filter(lambda g: len(g) > 1)
    assert "orders.customer_id:F" in rows(kept)


def test_pivot_melt_dummies(pd, orders):
    table = orders.pivot_table(index="customer_id", columns="order_id", values="qty", aggfunc="sum")
    assert all(v == {"orders.qty:A"} for v in cols(table).values())
    assert rows(table) == {"orders.customer_id:G", "orders.order_id:G"}
    long = orders.melt(id_vars=["order_id"], value_vars=["qty", "price"])
    assert cols(long) == {"order_id": {"orders.order_id:I"}, "variable": set(),
                          "value": {"orders.qty:I", "orders.price:I"}}
    dummies = pd.get_dummies(orders[["order_id"]].assign(kind=["a", "b", "a", "c"]), columns=["kind"])
    assert cols(dummies)["order_id"] == {"orders.order_id:I"}
    assert cols(dummies)["kind_a"] == set()  # a constant column's dummies


def test_set_and_reset_index(pd, orders):
    indexed = orders.set_index("customer_id")
    assert "customer_id" not in cols(indexed)
    back = indexed.reset_index()
    assert cols(back)["customer_id"] == {"orders.customer_id:I"}
    two = orders.set_index(["customer_id", "order_id"]).reset_index(level="order_id")
    assert cols(two)["order_id"] == {"orders.order_id:I"}
    assert cols(two.reset_index())["customer_id"] == {"orders.customer_id:I"}
    s = orders.set_index("order_id").qty
    assert cols(s.reset_index()) == {"order_id": {"orders.order_id:I"}, "qty": {"orders.qty:I"}}


def test_row_apply_reads_only_what_it_reads(pd, orders):
    def line(row):
        return f"{row['order_id']}-{row.qty}"

    assert cols(orders.apply(line, axis=1)) == {"orders.order_id:T", "orders.qty:T"}
    assert cols(orders.apply(lambda r: r.get("price"), axis=1)) == {"orders.price:T"}
    assert cols(orders.apply(lambda r: r.iloc[0], axis=1)) == {"orders.order_id:T"}
    everything = orders.apply(lambda r: r.sum(), axis=1)
    assert len(cols(everything)) == 5 and approx(everything)
    blind = orders.apply(lambda r: 1, axis=1)
    assert approx(blind)


def test_column_apply_and_agg(pd, orders):
    scaled = orders[["qty", "price"]].apply(lambda s: s / s.max())
    assert cols(scaled) == {"qty": {"orders.qty:T", "orders.qty:A"} - {"orders.qty:T"} | {"orders.qty:A"},
                            "price": {"orders.price:A"}}
    assert cols(orders[["qty", "price"]].agg("sum")) == {"orders.qty:A", "orders.price:A"}
    assert cols(orders[["qty", "price"]].transform(lambda s: s + 1)) == {"qty": {"orders.qty:T"},
                                                                        "price": {"orders.price:T"}}
    assert cols(orders.pipe(lambda d: d.qty * 2)) == {"orders.qty:T"}


def test_hashing_is_masking(pd, orders):
    hashed = orders.order_id.astype(str).map(lambda v: hashlib.sha256(v.encode()).hexdigest())
    assert cols(hashed) == {"orders.order_id:T*"}
    via_apply = orders.apply(lambda r: hashlib.md5(str(r["qty"]).encode()).hexdigest(), axis=1)
    assert cols(via_apply) == {"orders.qty:T*"}
    assert cols(pd.util.hash_pandas_object(orders.qty, index=False)) == {"orders.qty:T*"}
    plain = orders.order_id.map(lambda v: v + 1)
    assert cols(plain) == {"orders.order_id:T"}


def test_constructor_from_tracked(pd, orders, np):
    built = pd.DataFrame({"a": orders.qty * 2, "b": orders["price"], "c": [1, 2, 3, 4]})
    assert cols(built) == {"a": {"orders.qty:T"}, "b": {"orders.price:I"}, "c": set()}
    arr = np.where(orders.qty > 2, orders.price, 0)
    s = pd.Series(arr, index=orders.index)
    assert cols(s) == {"orders.qty:C", "orders.price:I"}
    assert cols(orders.qty.to_frame("q")) == {"q": {"orders.qty:I"}}
    assert cols(orders.qty.to_numpy()) == {"orders.qty:I"}


def test_sort_before_aggregation_only_matters_when_order_does(pd, orders):
    s = orders.sort_values("ts")
    assert rows(s.groupby("customer_id").qty.sum()) == {"orders.customer_id:G"}
    assert rows(s.groupby("customer_id").qty.last()) == {"orders.customer_id:G", "orders.ts:S"}
    assert rows(s.groupby("customer_id").agg(q=("qty", "first"))) == {"orders.customer_id:G", "orders.ts:S"}

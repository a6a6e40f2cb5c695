"""A realistic feature pipeline (cleaning, hashing, windows, named aggregations, left merges,
fills, nested numpy.where): every output column gets exactly the sources it was built from."""

import numpy as np

from .conftest import cols, rows, source


def test_feature_pipeline(pd):
    customers = source(pd.DataFrame({"customer_id": [1, 2, 3], "email": [" A@x.com", "b@y.org ", "c@z.net"],
                                     "signup_date": ["2024-01-01", "2024-02-01", "2024-03-01"],
                                     "region": ["n", "s", "n"]}), "customers")
    orders = source(pd.DataFrame({"order_id": [10, 11, 12, 13], "customer_id": [1, 1, 2, 3],
                                  "order_date": ["2024-04-01", "2024-05-01", "2024-04-03", "2024-06-01"],
                                  "amount": [100.0, 300.0, 50.0, 2000.0]}), "orders")
    events = source(pd.DataFrame({"event_id": [1, 2, 3], "customer_id": [1, 1, 2], "session_id": [5, 5, 6],
                                  "event_type": ["page_view", "click", "page_view"]}), "events")
    as_of = "2024-07-01"

    c = customers.copy()
    c["email"] = c["email"].str.strip().str.lower()
    c["email_hash"] = pd.util.hash_pandas_object(c["email"], index=False).astype(str)
    c["tenure_days"] = (pd.Timestamp(as_of) - pd.to_datetime(c["signup_date"])).dt.days

    o = orders.sort_values(["customer_id", "order_date"])
    o["order_date"] = pd.to_datetime(o["order_date"])
    o["gap"] = o.groupby("customer_id")["order_date"].diff().dt.days
    per = o.groupby("customer_id", as_index=False).agg(order_count=("order_id", "count"),
                                                       total_spend=("amount", "sum"),
                                                       last=("order_date", "max"), avg_gap=("gap", "mean"))
    per["recency_days"] = (pd.Timestamp(as_of) - per["last"]).dt.days

    views = events[events["event_type"] == "page_view"]
    web = views.groupby("customer_id", as_index=False).agg(page_views=("event_id", "count"))

    f = c.merge(per, on="customer_id", how="left").merge(web, on="customer_id", how="left")
    counts = ["order_count", "page_views"]
    f[counts] = f[counts].fillna(0).astype("int64")
    f["total_spend"] = f["total_spend"].fillna(0.0).round(2)
    f["segment"] = np.where(f["total_spend"] >= 1000, "high", np.where(f["total_spend"] >= 250, "mid", "low"))
    out = f[["customer_id", "email_hash", "tenure_days", "order_count", "total_spend", "avg_gap",
             "recency_days", "page_views", "segment"]].sort_values("customer_id").reset_index(drop=True)

    e = cols(out)
    assert e["customer_id"] == {"customers.customer_id:I"}
    assert e["email_hash"] == {"customers.email:T*"}
    assert e["tenure_days"] == {"customers.signup_date:T"}
    assert e["order_count"] == {"orders.order_id:A"}
    assert e["total_spend"] == {"orders.amount:A"}
    assert {"orders.order_date:A", "orders.customer_id:W"} <= e["avg_gap"]
    assert e["recency_days"] == {"orders.order_date:A"}
    assert e["page_views"] == {"events.event_id:A"}
    assert e["segment"] == {"orders.amount:C"}
    assert rows(out) == {"customers.customer_id:J", "orders.customer_id:J", "events.customer_id:J",
                         "orders.customer_id:G", "events.customer_id:G", "events.event_type:F",
                         "customers.customer_id:S"}

"""Benchmark 2 job: a realistic pandas ETL on 1M order rows (about 20 operations).

    python etl_job.py DATA_DIR OUT_DIR
DATA_DIR holds orders.parquet, customers.parquet, products.parquet (made by bench_etl.make_data).
"""

import sys
from pathlib import Path

from _common import Timer, report

data, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

with Timer() as total:
    import pandas as pd

    with Timer() as body:
        orders = pd.read_parquet(data / "orders.parquet")                                  # 1 read
        customers = pd.read_parquet(data / "customers.parquet")                            # 2 read
        products = pd.read_parquet(data / "products.parquet")                              # 3 read
        orders = orders[orders["status"] != "cancelled"]                                   # 4 filter
        orders["amount"] = orders["qty"] * orders["price"]                                 # 5 derive
        orders["day"] = orders["ts"].dt.floor("D")                                         # 6 derive
        enriched = orders.merge(customers, on="customer_id", how="inner")                  # 7 join
        enriched = enriched.merge(products, on="product_id", how="left")                   # 8 join
        enriched["margin"] = enriched["amount"] - enriched["qty"] * enriched["cost"]       # 9 derive
        enriched["vip"] = enriched["segment"].isin(["gold", "platinum"])                   # 10 derive
        enriched = enriched[enriched["country"].isin(["US", "DE", "FR", "GB", "JP"])]      # 11 filter
        enriched = enriched.fillna({"cost": 0.0})                                          # 12 fillna
        summary = (enriched.groupby(["region", "segment", "category"], observed=True)     # 13 group-by
                   .agg(revenue=("amount", "sum"), margin=("margin", "sum"), orders=("order_id", "count"))
                   .reset_index())                                                         # 14 reset_index
        summary["margin_pct"] = summary["margin"] / summary["revenue"]                     # 15 derive
        summary = summary.sort_values("revenue", ascending=False)                          # 16 sort
        summary.to_parquet(out / "summary.parquet", index=False)                           # 17 write
        daily = enriched.groupby("day").agg(revenue=("amount", "sum")).reset_index()       # 18 group-by
        daily["revenue_7d"] = daily["revenue"].rolling(7, min_periods=1).mean()            # 19 window
        daily.to_parquet(out / "daily.parquet", index=False)                               # 20 write
        top = enriched.nlargest(1000, "amount")[["order_id", "name", "country", "amount"]]  # 21 top-n + select
        top = top.rename(columns={"name": "customer"})                                     # 22 rename
        top.to_parquet(out / "top_orders.parquet", index=False)                            # 23 write

report(**body.data(), total=total.seconds, rows=len(enriched))

"""Benchmark 2 (realistic ETL, 1M rows) and 6a (its peak RSS), plain vs instrumented.

The job (jobs/etl_job.py) reads three parquet files (1M orders, 100k customers, 10k products), runs
about 20 pandas operations (filters, derived columns, two merges, group-bys, a window, a sort) and
writes three parquet outputs. Both sides run in fresh interpreters, alternating; the table reports
the ratio of the job's body time (read to last write), of the whole process (start-up, import,
exit flush included) and of the peak RSS.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402


def make_data(rows: int) -> Path:
    folder = h.data_dir() / f"etl-{rows}"
    if (folder / "done").exists():
        return folder
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(42)
    n_customers, n_products = max(rows // 10, 100), max(rows // 100, 10)
    orders = pd.DataFrame({
        "order_id": np.arange(rows, dtype="int64"),
        "customer_id": rng.integers(0, n_customers, rows),
        "product_id": rng.integers(0, n_products, rows),
        "qty": rng.integers(1, 20, rows),
        "price": rng.uniform(1, 500, rows).round(2),
        "ts": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, rows), unit="s"),
        "status": rng.choice(["new", "paid", "shipped", "cancelled"], rows),
        "region": rng.choice(["emea", "amer", "apac"], rows),
    })
    customers = pd.DataFrame({
        "customer_id": np.arange(n_customers),
        "name": [f"customer-{i}" for i in range(n_customers)],
        "segment": rng.choice(["basic", "silver", "gold", "platinum"], n_customers),
        "country": rng.choice(["US", "DE", "FR", "GB", "JP", "BR", "IN"], n_customers),
        "email": [f"c{i}@example.com" for i in range(n_customers)],
    })
    products = pd.DataFrame({
        "product_id": np.arange(n_products),
        "category": rng.choice(["books", "games", "tools", "food"], n_products),
        "cost": rng.uniform(1, 300, n_products).round(2),
    })
    orders.to_parquet(folder / "orders.parquet", index=False)
    customers.to_parquet(folder / "customers.parquet", index=False)
    products.to_parquet(folder / "products.parquet", index=False)
    (folder / "done").write_text("ok")
    return folder


def run(quick: bool = False, reps: int | None = None) -> list[dict]:
    rows_n = 1_000_000
    reps = reps or (3 if quick else 7)
    data = make_data(rows_n)
    work = h.workdir("etl")
    try:
        plain_env = h.plain_env()

        def plain():
            return h.run_child(h.python_job("etl_job.py", data, work / "plain-out"), env=plain_env)

        def instrumented(transport="file"):
            sub = work / "instr"
            shutil.rmtree(sub, ignore_errors=True)
            sub.mkdir()
            return h.run_child(h.python_job("etl_job.py", data, sub / "out"),
                               env=h.instrumented_env(sub, transport=transport))

        p, i = h.alternate(plain, instrumented, reps=reps, warmup=1, progress="etl")
        # the embedded default (nothing configured): no delivery process, events written by our thread
        pe, ie = h.alternate(plain, lambda: instrumented("embedded"), reps=reps, warmup=0, progress="etl embedded")
        embedded_ratio = h.ratio_stats([r["body"] for r in pe], [r["body"] for r in ie])
        body_p, body_i = [r["body"] for r in p], [r["body"] for r in i]
        wall_p, wall_i = [r.wall for r in p], [r.wall for r in i]
        rss_p, rss_i = [r.maxrss_kb / 1024 for r in p], [r.maxrss_kb / 1024 for r in i]
        body_ratio = h.ratio_stats(body_p, body_i)
        rss_ratio = h.ratio_stats(rss_p, rss_i)
        return [
            h.result("2 ETL 1M rows", "job body time (read .. last write), OpenLineage file transport", unit="s", plain=body_p,
                     instrumented=body_i, ratio=body_ratio, target="<= 1.05", ok=body_ratio["median"] <= 1.05, key=True,
                     note=f"~23 pandas operations, {p[0]['rows']:,} rows after joins"),
            h.result("2 ETL 1M rows", "job body time, embedded default (no transport configured)", unit="s",
                     plain=[r["body"] for r in pe], instrumented=[r["body"] for r in ie], ratio=embedded_ratio,
                     target="<= 1.05", ok=embedded_ratio["median"] <= 1.05, key=True),
            h.result("2 ETL 1M rows", "job body CPU time (all threads)", unit="s", plain=[r["cpu"] for r in p],
                     instrumented=[r["cpu"] for r in i], ratio=h.ratio_stats([r["cpu"] for r in p],
                                                                             [r["cpu"] for r in i])),
            h.result("2 ETL 1M rows", "whole process (start-up, imports, exit flush)", unit="s", plain=wall_p,
                     instrumented=wall_i, ratio=h.ratio_stats(wall_p, wall_i)),
            h.result("6 memory", "peak RSS of the ETL job", unit="MiB", plain=rss_p, instrumented=rss_i,
                     ratio=rss_ratio, target="<= 1.10", ok=rss_ratio["median"] <= 1.10, key=True),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    args = h.main_args(__doc__.splitlines()[0])
    h.finish(run(args.quick, args.reps), args)

"""The conformance cases written differently: the same expected lineage must come out."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from tests.conftest import CONFORMANCE_DIR, assert_valid, marquez_gaps, read_events, run_python

VARIANTS = {
    "01_select_rename": """
        customers = pd.read_csv(f"{data}/customers.csv")
        contacts = customers.loc[:, ["id", "name", "email"]]
        contacts.columns = ["id", "customer_name", "email"]
        contacts.to_csv(f"{out}/contacts.csv", index=False)
    """,
    "02_derived_arithmetic": """
        orders = pd.read_csv(f"{data}/orders.csv")
        totals = orders.assign(total=orders.eval("qty * unit_price"))
        totals.filter(items=["order_id", "total"]).to_parquet(f"{out}/order_totals.parquet", index=False)
    """,
    "03_filter": """
        customers = pd.read_csv(f"{data}/customers.csv")
        active = customers.query("status == 'active'")
        active.loc[:, ["id", "region"]].to_csv(f"{out}/active_customers.csv", index=False)
    """,
    "04_merge": """
        orders = pd.read_csv(f"{data}/orders.csv")
        customers = pd.read_csv(f"{data}/customers.csv").set_index("id")
        enriched = orders.join(customers, on="customer_id", how="inner", rsuffix="_c")
        enriched[["order_id", "name", "qty"]].to_csv(f"{out}/enriched_orders.csv", index=False)
    """,
    "05_groupby_agg": """
        orders = pd.read_csv(f"{data}/orders.csv")
        g = orders.groupby("customer_id")
        per_customer = pd.DataFrame({"n_orders": g["order_id"].count(), "qty_total": g.qty.sum()}).reset_index()
        per_customer.to_csv(f"{out}/per_customer.csv", index=False)
    """,
    "06_concat": """
        frames = [pd.read_csv(f"{data}/orders_2025q{i}.csv") for i in (1, 2)]
        pd.concat(frames).reset_index(drop=True).to_csv(f"{out}/orders_2025h1.csv", index=False)
    """,
    "07_string_ops": """
        customers = pd.read_csv(f"{data}/customers.csv")
        out_frame = customers[["id"]].copy()
        out_frame["domain"] = customers.email.str.extract(r"@(.+)$", expand=False)
        out_frame["name_upper"] = customers["name"].map(str.upper)
        out_frame.to_json(f"{out}/domains.json", orient="records")
    """,
    "08_assign_lambda": """
        orders = pd.read_csv(f"{data}/orders.csv")
        result = orders.copy()
        result["total"] = result.apply(lambda r: r["qty"] * r["unit_price"], axis=1)
        result["bulk"] = result["qty"].gt(10)
        result[["order_id", "total", "bulk"]].to_csv(f"{out}/order_flags.csv", index=False)
    """,
    "09_sort_dedup": """
        events = pd.read_csv(f"{data}/events.csv")
        last_event = events.sort_values(by=["ts"]).groupby("user_id").tail(1)
        last_event.loc[:, ["user_id", "event"]].to_csv(f"{out}/last_event.csv", index=False)
    """,
    "10_conditional": """
        orders = pd.read_csv(f"{data}/orders.csv")
        orders["size"] = "single"
        orders.loc[orders.qty >= 10, "size"] = "bulk"
        orders["price_paid"] = np.select([orders.qty < 10], [orders.unit_price], orders.unit_price * 0.9)
        orders[["order_id", "size", "price_paid"]].to_csv(f"{out}/pricing.csv", index=False)
    """,
    "12_drop_rename_cast": """
        products = pd.read_csv(f"{data}/products.csv")
        del products["title"]
        products = products.rename(columns=lambda c: "list_price" if c == "price" else c)
        products["list_price"] = products["list_price"].astype("float32")
        products.to_parquet(f"{out}/catalog.parquet", index=False)
    """,
    "13_apply_rowwise": """
        customers = pd.read_csv(f"{data}/customers.csv")
        customers["contact"] = customers.apply(lambda row: f"{row.get('name')} <{row.email}>", axis=1)
        customers[["id", "contact"]].to_csv(f"{out}/contact_lines.csv", index=False)
    """,
    "14_window": """
        events = pd.read_csv(f"{data}/events.csv").sort_values("ts")
        events = events.assign(running_value=events.groupby("user_id")["value"].transform("cumsum"))
        events[["user_id", "ts", "running_value"]].to_csv(f"{out}/running_value.csv", index=False)
    """,
    "15_masking_hash": """
        import hashlib
        customers = pd.read_csv(f"{data}/customers.csv")
        customers["email_hash"] = customers["email"].apply(lambda e: hashlib.sha256(e.encode()).hexdigest())
        customers[["id", "region", "email_hash"]].to_csv(f"{out}/customers_masked.csv", index=False)
    """,
}


def _check():
    sys.path.insert(0, str(CONFORMANCE_DIR))
    try:
        import check  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(CONFORMANCE_DIR))
    return check


@pytest.mark.skipif(not (CONFORMANCE_DIR / "cases").exists(), reason="conformance cases not found")
@pytest.mark.parametrize("case", sorted(VARIANTS))
def test_variant(case, tmp_path, ol_env, events_file, spec_checker):
    body = textwrap.dedent(VARIANTS[case])
    script = tmp_path / "variant.py"
    script.write_text("import sys\nimport numpy as np\nimport pandas as pd\n\ndata, out = sys.argv[1], sys.argv[2]\n"
                      + body)
    out = tmp_path / "out"
    out.mkdir()
    proc = run_python([str(script), str(CONFORMANCE_DIR / "data"), str(out)], env=ol_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = read_events(events_file)
    assert_valid(events, spec_checker)
    assert not [g for e in events for g in marquez_gaps(e)]
    check = _check()
    expected = json.loads((CONFORMANCE_DIR / "cases" / case / "expected.json").read_text())
    _, outputs = check.collect(events)
    for name, exp in expected["outputs"].items():
        matched, missing, extra, problems = check.score_output(exp, outputs[name])
        assert not missing and not extra and not problems, (missing, extra, problems)

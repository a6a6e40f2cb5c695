"""The lineage the demo pipeline (integration/pipeline/) must produce, written down as a whole.

Worked out by hand from what the pipeline does, with the semantics of the conformance cases
(../shared/conformance) and issues 3-5: DIRECT IDENTITY / TRANSFORMATION / AGGREGATION per output
column, INDIRECT JOIN / GROUP_BY / FILTER / SORT / WINDOW / CONDITIONAL; edges that shape the whole
output (joins, filters, sorts, group keys) at dataset level (or, equivalently, repeated on every
column); masking on the hashed e-mail. Reading a file this run wrote starts from that file.

Compared with the COMPLETE event of the instrumented run: the inputs and outputs exactly, each
output's schema fields exactly, and its column lineage edge for edge (no missing, no extra edge,
except those listed as optional). Where the semantics allow two subtypes (a cast may be IDENTITY or
TRANSFORMATION), a set of subtypes is given.

The chain, end to end:
  Snowflake SHOP.* --(SQL, fetch_pandas_all)--> pandas --(to_parquet s3://)--> S3 staging/*.parquet
  S3 staging/*.parquet + raw CSV (boto3) + raw JSON lines (s3://) --(pandas)--> features frame
  features frame --(to_parquet buffer, boto3 put_object)--> S3 customer_features/.../features.parquet
  features frame --(executemany INSERT)--> Snowflake ANALYTICS.FEATURES.CUSTOMER_FEATURES_LOAD
  CUSTOMER_FEATURES_LOAD --(INSERT ... SELECT)--> ANALYTICS.FEATURES.CUSTOMER_FEATURES
"""
from __future__ import annotations

SF = "snowflake://acme-analytics"
RAW = "s3://acme-raw"
FEAT = "s3://acme-features"

CUSTOMERS = (SF, "SHOP.CRM.CUSTOMERS")
REGIONS = (SF, "SHOP.CRM.REGIONS")
ORDERS = (SF, "SHOP.SALES.ORDERS")
PRODUCTS = (SF, "SHOP.SALES.PRODUCTS")
CONTACTS = (RAW, "crm/2025-05-31/contact_preferences.csv")
WEB = (RAW, "web/2025-05-31/events.jsonl")
STG_CUSTOMERS = (FEAT, "staging/2025-05-31/customers.parquet")
STG_ORDERS = (FEAT, "staging/2025-05-31/orders.parquet")
FEATURES = (FEAT, "customer_features/as_of=2025-05-31/features.parquet")
LOAD = (SF, "ANALYTICS.FEATURES.CUSTOMER_FEATURES_LOAD")
FINAL = (SF, "ANALYTICS.FEATURES.CUSTOMER_FEATURES")

D, I = "DIRECT", "INDIRECT"
IDENTITY, TRANSFORMATION, AGGREGATION = "IDENTITY", "TRANSFORMATION", "AGGREGATION"
CAST = frozenset({IDENTITY, TRANSFORMATION})  # fillna/astype: either is right
MASKED = "masked"  # marker: the DIRECT edge must carry masking=true

FEATURE_COLUMNS = [
    "customer_id", "email_hash", "region_code", "tenure_days",
    "order_count", "total_spend", "avg_order_value", "avg_days_between_orders", "recency_days",
    "page_views", "web_sessions", "email_opt_in", "sms_reachable", "value_segment",
]

# The features frame, column by column (features.build): what both the parquet and the load table get.
_FEATURE_FIELDS = {
    "customer_id": [(STG_CUSTOMERS, "customer_id", D, IDENTITY)],
    # str.strip().str.lower() then pd.util.hash_pandas_object: a masking transformation
    "email_hash": [(STG_CUSTOMERS, "email", D, TRANSFORMATION, MASKED)],
    "region_code": [(STG_CUSTOMERS, "region_code", D, IDENTITY)],
    "tenure_days": [(STG_CUSTOMERS, "signup_date", D, TRANSFORMATION)],
    # groupby("customer_id").agg(...) over orders sorted by customer and date
    "order_count": [(STG_ORDERS, "order_id", D, AGGREGATION)],
    "total_spend": [(STG_ORDERS, "amount", D, AGGREGATION)],
    "avg_order_value": [(STG_ORDERS, "amount", D, AGGREGATION)],
    # mean of groupby("customer_id")["order_date"].diff(): a window partitioned by customer
    "avg_days_between_orders": [(STG_ORDERS, "order_date", D, AGGREGATION),
                                (STG_ORDERS, "customer_id", I, "WINDOW")],
    "recency_days": [(STG_ORDERS, "order_date", D, AGGREGATION)],
    # web events filtered to page views, grouped per customer
    "page_views": [(WEB, "event_id", D, AGGREGATION)],
    "web_sessions": [(WEB, "session_id", D, AGGREGATION)],
    "email_opt_in": [(CONTACTS, "email_opt_in", D, CAST)],
    # sms_opt_in & phone.notna(): derived from a PII column, not masked
    "sms_reachable": [(CONTACTS, "sms_opt_in", D, TRANSFORMATION), (CONTACTS, "phone", D, TRANSFORMATION)],
    # np.where(total_spend >= ...): only a condition, like conformance case 10
    "value_segment": [(STG_ORDERS, "amount", I, "CONDITIONAL")],
}
_FEATURE_DATASET = [
    # the three left merges on customer_id
    (STG_CUSTOMERS, "customer_id", I, "JOIN"),
    (STG_ORDERS, "customer_id", I, "JOIN"),
    (WEB, "customer_id", I, "JOIN"),
    (CONTACTS, "customer_id", I, "JOIN"),
    # order_features: groupby("customer_id"); the sort_values(["customer_id", "order_date"]) before it
    # orders only the diff() window (an edge of avg_days_between_orders), not the aggregated rows
    (STG_ORDERS, "customer_id", I, "GROUP_BY"),
    # web_features: events[events["event_type"] == "page_view"] then groupby("customer_id")
    (WEB, "event_type", I, "FILTER"),
    (WEB, "customer_id", I, "GROUP_BY"),
    # the final sort_values("customer_id")
    (STG_CUSTOMERS, "customer_id", I, "SORT"),
]
# May appear without counting as extra: the sort also orders the window (conformance case 14).
_FEATURE_OPTIONAL = [
    ("avg_days_between_orders", STG_ORDERS, "order_date", I, frozenset({"WINDOW", "SORT"})),
]

EXPECTED = {
    # FINAL is read too: DELETE FROM ... WHERE AS_OF_DATE = ? evaluates its WHERE on the table itself.
    "inputs": {CUSTOMERS, REGIONS, ORDERS, PRODUCTS, STG_CUSTOMERS, STG_ORDERS, CONTACTS, WEB, LOAD, FINAL},
    "outputs": {
        # SELECT c.CUSTOMER_ID, c.FULL_NAME, c.EMAIL, c.SIGNUP_DATE, r.REGION_CODE FROM CUSTOMERS c
        # JOIN REGIONS r ON r.REGION_ID = c.REGION_ID WHERE c.IS_ACTIVE; columns renamed to lower case
        STG_CUSTOMERS: {
            "fields": {
                "customer_id": [(CUSTOMERS, "CUSTOMER_ID", D, IDENTITY)],
                "full_name": [(CUSTOMERS, "FULL_NAME", D, IDENTITY)],
                "email": [(CUSTOMERS, "EMAIL", D, IDENTITY)],
                "signup_date": [(CUSTOMERS, "SIGNUP_DATE", D, IDENTITY)],
                "region_code": [(REGIONS, "REGION_CODE", D, IDENTITY)],
            },
            "dataset": [
                (CUSTOMERS, "REGION_ID", I, "JOIN"),
                (REGIONS, "REGION_ID", I, "JOIN"),
                (CUSTOMERS, "IS_ACTIVE", I, "FILTER"),
            ],
        },
        # SELECT o.ORDER_ID, o.CUSTOMER_ID, o.ORDER_DATE, o.QUANTITY * p.UNIT_PRICE AS AMOUNT, p.CATEGORY
        # FROM ORDERS o JOIN PRODUCTS p ON p.PRODUCT_ID = o.PRODUCT_ID
        # WHERE o.STATUS <> 'CANCELLED' AND o.ORDER_DATE <= ?
        STG_ORDERS: {
            "fields": {
                "order_id": [(ORDERS, "ORDER_ID", D, IDENTITY)],
                "customer_id": [(ORDERS, "CUSTOMER_ID", D, IDENTITY)],
                "order_date": [(ORDERS, "ORDER_DATE", D, IDENTITY)],
                "amount": [(ORDERS, "QUANTITY", D, TRANSFORMATION), (PRODUCTS, "UNIT_PRICE", D, TRANSFORMATION)],
                "category": [(PRODUCTS, "CATEGORY", D, IDENTITY)],
            },
            "dataset": [
                (ORDERS, "PRODUCT_ID", I, "JOIN"),
                (PRODUCTS, "PRODUCT_ID", I, "JOIN"),
                (ORDERS, "STATUS", I, "FILTER"),
                (ORDERS, "ORDER_DATE", I, "FILTER"),
            ],
        },
        FEATURES: {
            "fields": _FEATURE_FIELDS,
            "dataset": _FEATURE_DATASET,
            "optional": _FEATURE_OPTIONAL,
        },
        # cursor.executemany("INSERT INTO ..._LOAD (CUSTOMER_ID, ...) VALUES (%s, ...)", rows of the frame):
        # the frame's lineage, mapped onto the INSERT's column list by position
        LOAD: {
            "fields": {name.upper(): edges for name, edges in _FEATURE_FIELDS.items()},
            "dataset": _FEATURE_DATASET,
            "optional": [(f.upper(), *rest) for f, *rest in _FEATURE_OPTIONAL],
        },
        # DELETE FROM CUSTOMER_FEATURES WHERE AS_OF_DATE = ?  (the rows that remain are filtered on AS_OF_DATE)
        # INSERT INTO CUSTOMER_FEATURES (<14 columns>, AS_OF_DATE) SELECT <14 columns>, ? FROM ..._LOAD
        # WHERE CUSTOMER_ID IS NOT NULL
        FINAL: {
            "fields": {**{name.upper(): [(LOAD, name.upper(), D, IDENTITY)] for name in FEATURE_COLUMNS},
                       "AS_OF_DATE": []},
            "dataset": [(LOAD, "CUSTOMER_ID", I, "FILTER"), (FINAL, "AS_OF_DATE", I, "FILTER")],
        },
    },
}

# Table-level lineage (what Amundsen's OpenLineage extractor derives: every input of an event to
# every output of that event). The COMPLETE event lists all inputs and outputs of the run, so at
# table level every input of the run reaches every output of the run.
TABLE_INPUTS = sorted(EXPECTED["inputs"])
TABLE_OUTPUTS = sorted(EXPECTED["outputs"])

# PII in the sources and where it must be followed.
PII = {(CUSTOMERS, "FULL_NAME"), (CUSTOMERS, "EMAIL"), (CONTACTS, "phone")}


def _as_set(subtype) -> frozenset:
    return subtype if isinstance(subtype, frozenset) else frozenset({subtype})


def collect_output(ds: dict) -> dict:
    """Schema fields, field edges, dataset edges and masked edges of one output dataset of an event."""
    facets = ds.get("facets") or {}
    schema = facets.get("schema")
    fields, dataset, masked = set(), set(), set()
    cl = facets.get("columnLineage") or {}
    for name, spec in (cl.get("fields") or {}).items():
        for inp in spec.get("inputFields") or []:
            for t in inp.get("transformations") or [{}]:
                edge = (name, (inp["namespace"], inp["name"]), inp["field"], t.get("type"), t.get("subtype"))
                fields.add(edge)
                if t.get("masking"):
                    masked.add(edge)
    for inp in cl.get("dataset") or []:
        for t in inp.get("transformations") or [{}]:
            dataset.add(((inp["namespace"], inp["name"]), inp["field"], t.get("type"), t.get("subtype")))
    return {"schema": None if schema is None else [f["name"] for f in schema.get("fields") or []],
            "fields": fields, "dataset": dataset, "masked": masked}


def _fmt_ds(ds) -> str:
    return f"{ds[0]}/{ds[1]}"


def compare_output(expected: dict, actual: dict) -> list[str]:
    """Differences between one expected output and what the event says, one line each."""
    diffs: list[str] = []
    out_fields = list(expected["fields"])
    if actual["schema"] is None:
        diffs.append("schema facet: missing")
    elif sorted(actual["schema"]) != sorted(out_fields):
        missing = sorted(set(out_fields) - set(actual["schema"]))
        extra = sorted(set(actual["schema"]) - set(out_fields))
        diffs.append(f"schema facet: missing fields {missing}, extra fields {extra}")
    used_fields, used_dataset = set(), set()
    for field, edges in expected["fields"].items():
        for ds, col, typ, sub, *flags in edges:
            hits = [e for e in actual["fields"] if e[:4] == (field, ds, col, typ) and e[4] in _as_set(sub)]
            used_fields.update(hits)
            if not hits:
                diffs.append(f"missing: {field} <- {_fmt_ds(ds)}.{col} {typ}/{'|'.join(sorted(_as_set(sub)))}")
            elif MASKED in flags and not all(e in actual["masked"] for e in hits):
                diffs.append(f"not masked: {field} <- {_fmt_ds(ds)}.{col} {typ}")
            elif MASKED not in flags and typ == D and any(e in actual["masked"] for e in hits):
                diffs.append(f"masked but should not be: {field} <- {_fmt_ds(ds)}.{col} {typ}")
    for ds, col, typ, sub in expected.get("dataset", []):
        hits = [e for e in actual["dataset"] if e[:3] == (ds, col, typ) and e[3] in _as_set(sub)]
        if hits:
            used_dataset.update(hits)
            continue
        spread = [[e for e in actual["fields"] if e[0] == f and e[1:4] == (ds, col, typ) and e[4] in _as_set(sub)]
                  for f in out_fields if expected["fields"][f] or any(x[0] == f for x in actual["fields"])]
        if spread and all(spread):
            for hits in spread:
                used_fields.update(hits)
        else:
            diffs.append(f"missing: * <- {_fmt_ds(ds)}.{col} {typ}/{sub}")
    for field, ds, col, typ, sub in expected.get("optional", []):
        used_fields.update(e for e in actual["fields"] if e[:4] == (field, ds, col, typ) and e[4] in _as_set(sub))
        used_dataset.update(e for e in actual["dataset"]
                            if field == "*" and e[:3] == (ds, col, typ) and e[3] in _as_set(sub))
    for f, ds, col, typ, sub in sorted(actual["fields"] - used_fields, key=str):
        diffs.append(f"extra: {f} <- {_fmt_ds(ds)}.{col} {typ}/{sub}")
    for ds, col, typ, sub in sorted(actual["dataset"] - used_dataset, key=str):
        diffs.append(f"extra: * <- {_fmt_ds(ds)}.{col} {typ}/{sub}")
    return diffs


def compare(complete_event: dict) -> list[str]:
    """Every difference between EXPECTED and the run's COMPLETE event, as readable lines."""
    diffs: list[str] = []
    inputs = {(d["namespace"], d["name"]) for d in complete_event.get("inputs") or []}
    outputs = {(d["namespace"], d["name"]): d for d in complete_event.get("outputs") or []}
    for ds in sorted(EXPECTED["inputs"] - inputs):
        diffs.append(f"inputs: missing {_fmt_ds(ds)}")
    for ds in sorted(inputs - EXPECTED["inputs"]):
        diffs.append(f"inputs: extra {_fmt_ds(ds)}")
    for ds in sorted(set(outputs) - set(EXPECTED["outputs"])):
        diffs.append(f"outputs: extra {_fmt_ds(ds)}")
    for ds, expected in EXPECTED["outputs"].items():
        if ds not in outputs:
            diffs.append(f"outputs: missing {_fmt_ds(ds)}")
            continue
        diffs += [f"{_fmt_ds(ds)}: {d}" for d in compare_output(expected, collect_output(outputs[ds]))]
    return diffs

"""Transform: clean the sources and derive one row of features per active customer."""
from __future__ import annotations

import numpy as np
import pandas as pd

FEATURE_COLUMNS = [
    "customer_id", "email_hash", "region_code", "tenure_days",
    "order_count", "total_spend", "avg_order_value", "avg_days_between_orders", "recency_days",
    "page_views", "web_sessions", "email_opt_in", "sms_reachable", "value_segment",
]


def clean_customers(customers: pd.DataFrame, as_of) -> pd.DataFrame:
    customers = customers.copy()
    customers["email"] = customers["email"].str.strip().str.lower()
    # A stable pseudonymous key: the models never see the address itself.
    customers["email_hash"] = pd.util.hash_pandas_object(customers["email"], index=False).astype(str)
    signup = pd.to_datetime(customers["signup_date"])
    customers["tenure_days"] = (pd.Timestamp(as_of) - signup).dt.days
    return customers


def order_features(orders: pd.DataFrame, as_of) -> pd.DataFrame:
    orders = orders.sort_values(["customer_id", "order_date"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["days_since_previous"] = orders.groupby("customer_id")["order_date"].diff().dt.days
    per_customer = orders.groupby("customer_id", as_index=False).agg(
        order_count=("order_id", "count"),
        total_spend=("amount", "sum"),
        avg_order_value=("amount", "mean"),
        last_order_date=("order_date", "max"),
        avg_days_between_orders=("days_since_previous", "mean"),
    )
    per_customer["recency_days"] = (pd.Timestamp(as_of) - per_customer["last_order_date"]).dt.days
    return per_customer


def web_features(events: pd.DataFrame) -> pd.DataFrame:
    views = events[events["event_type"] == "page_view"]
    return views.groupby("customer_id", as_index=False).agg(
        page_views=("event_id", "count"),
        web_sessions=("session_id", "nunique"),
    )


def contact_features(contacts: pd.DataFrame) -> pd.DataFrame:
    contacts = contacts.copy()
    contacts["sms_reachable"] = contacts["sms_opt_in"] & contacts["phone"].notna()
    return contacts[["customer_id", "email_opt_in", "sms_reachable"]]


def build(customers: pd.DataFrame, orders: pd.DataFrame, events: pd.DataFrame, contacts: pd.DataFrame,
          as_of) -> pd.DataFrame:
    features = (
        clean_customers(customers, as_of)
        .merge(order_features(orders, as_of), on="customer_id", how="left")
        .merge(web_features(events), on="customer_id", how="left")
        .merge(contact_features(contacts), on="customer_id", how="left")
    )
    counts = ["order_count", "page_views", "web_sessions"]
    features[counts] = features[counts].fillna(0).astype("int64")
    features["total_spend"] = features["total_spend"].fillna(0.0).round(2)
    features["avg_order_value"] = features["avg_order_value"].round(2)
    flags = ["email_opt_in", "sms_reachable"]
    features[flags] = features[flags].fillna(False).astype(bool)
    features["value_segment"] = np.where(features["total_spend"] >= 1000, "high",
                                         np.where(features["total_spend"] >= 250, "mid", "low"))
    return features[FEATURE_COLUMNS].sort_values("customer_id").reset_index(drop=True)

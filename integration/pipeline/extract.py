"""Extract: Snowflake tables and the raw files that land in S3."""
from __future__ import annotations

import boto3
import pandas as pd
import snowflake.connector

ACTIVE_CUSTOMERS = """
SELECT c.CUSTOMER_ID, c.FULL_NAME, c.EMAIL, c.SIGNUP_DATE, r.REGION_CODE
FROM SHOP.CRM.CUSTOMERS c
JOIN SHOP.CRM.REGIONS r ON r.REGION_ID = c.REGION_ID
WHERE c.IS_ACTIVE
"""

COMPLETED_ORDERS = """
SELECT o.ORDER_ID, o.CUSTOMER_ID, o.ORDER_DATE, o.QUANTITY * p.UNIT_PRICE AS AMOUNT, p.CATEGORY
FROM SHOP.SALES.ORDERS o
JOIN SHOP.SALES.PRODUCTS p ON p.PRODUCT_ID = o.PRODUCT_ID
WHERE o.STATUS <> 'CANCELLED' AND o.ORDER_DATE <= %(as_of)s
"""


def connect(params: dict):
    return snowflake.connector.connect(**params)


def query(conn, sql: str, params: dict | None = None) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        frame = cur.fetch_pandas_all()
    return frame.rename(columns=str.lower)


def active_customers(conn) -> pd.DataFrame:
    return query(conn, ACTIVE_CUSTOMERS)


def completed_orders(conn, as_of) -> pd.DataFrame:
    return query(conn, COMPLETED_ORDERS, {"as_of": as_of.isoformat()})


def contact_preferences(bucket: str, key: str) -> pd.DataFrame:
    """The CRM vendor's nightly export (CSV) of phone numbers and opt-ins."""
    s3 = boto3.client("s3")
    response = s3.get_object(Bucket=bucket, Key=key)
    return pd.read_csv(response["Body"], dtype={"phone": "string"})


def web_events(url: str) -> pd.DataFrame:
    """A day of clickstream events as JSON lines."""
    return pd.read_json(url, lines=True)


def stage(frame: pd.DataFrame, url: str) -> None:
    frame.to_parquet(url, index=False)


def read_staged(url: str) -> pd.DataFrame:
    return pd.read_parquet(url)

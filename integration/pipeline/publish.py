"""Load: the feature set to the feature bucket (parquet) and to the Snowflake feature table."""
from __future__ import annotations

import io
import math

import boto3
import pandas as pd

LOAD_TABLE = "ANALYTICS.FEATURES.CUSTOMER_FEATURES_LOAD"
FEATURE_TABLE = "ANALYTICS.FEATURES.CUSTOMER_FEATURES"

COLUMNS_DDL = """
    CUSTOMER_ID INTEGER, EMAIL_HASH VARCHAR, REGION_CODE VARCHAR, TENURE_DAYS INTEGER,
    ORDER_COUNT INTEGER, TOTAL_SPEND FLOAT, AVG_ORDER_VALUE FLOAT, AVG_DAYS_BETWEEN_ORDERS FLOAT,
    RECENCY_DAYS INTEGER, PAGE_VIEWS INTEGER, WEB_SESSIONS INTEGER, EMAIL_OPT_IN BOOLEAN,
    SMS_REACHABLE BOOLEAN, VALUE_SEGMENT VARCHAR"""


def write_parquet(features: pd.DataFrame, bucket: str, key: str) -> None:
    buffer = io.BytesIO()
    features.to_parquet(buffer, index=False)
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())


def records(frame: pd.DataFrame) -> list[tuple]:
    """Rows as Python values for the connector; NaN becomes NULL."""
    return [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
            for row in frame.itertuples(index=False, name=None)]


def load_snowflake(features: pd.DataFrame, conn, as_of) -> int:
    """Bulk-insert into a load table, then replace the day's rows of the feature table from it."""
    columns = [c.upper() for c in features.columns]
    rows = records(features)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {LOAD_TABLE} ({COLUMNS_DDL})")
        cur.execute(f"TRUNCATE TABLE {LOAD_TABLE}")
        cur.executemany(
            f"INSERT INTO {LOAD_TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", rows)
        cur.execute(f"CREATE TABLE IF NOT EXISTS {FEATURE_TABLE} ({COLUMNS_DDL}, AS_OF_DATE DATE)")
        cur.execute(f"DELETE FROM {FEATURE_TABLE} WHERE AS_OF_DATE = %s", (as_of.isoformat(),))
        cur.execute(
            f"INSERT INTO {FEATURE_TABLE} ({', '.join(columns)}, AS_OF_DATE) "
            f"SELECT {', '.join(columns)}, %s FROM {LOAD_TABLE} WHERE CUSTOMER_ID IS NOT NULL",
            (as_of.isoformat(),))
        return cur.rowcount

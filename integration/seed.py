"""Seed the local S3 and Snowflake servers with the demo pipeline's source data.

    python -m integration.seed S3_ENDPOINT_URL SNOWFLAKE_PORT

Idempotent: S3 is reset (moto's reset endpoint) and the Snowflake tables are created afresh (fakesnow has no
DROP DATABASE), so every pipeline run starts from the same bytes. The data is generated from a fixed seed:
customers with names, e-mails and phone numbers (the PII the lineage must follow), orders of
products, a CRM export of contact preferences (CSV) and a day of web events (JSON lines).
Run without instrumentation: seeding is set-up, not part of the job.
"""
from __future__ import annotations

import io
import json
import random
import sys
import urllib.request
from datetime import date, datetime, timedelta

RAW_BUCKET = "acme-raw"
FEATURE_BUCKET = "acme-features"
CONTACTS_KEY = "crm/2025-05-31/contact_preferences.csv"
WEB_EVENTS_KEY = "web/2025-05-31/events.jsonl"
AS_OF = date(2025, 5, 31)

N_CUSTOMERS = 120
N_PRODUCTS = 12
N_ORDERS = 900
N_WEB_EVENTS = 1500

FIRST = ["Asha", "Bo", "Carla", "Dev", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kemal", "Lena", "Mateo",
         "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara"]
LAST = ["Rao", "Chen", "Diaz", "Patel", "Novak", "Haddad", "Ito", "Kowalski", "Mensah", "Okafor", "Larsen", "Silva"]
REGIONS = [(1, "EMEA", "Europe, Middle East and Africa"), (2, "AMER", "Americas"), (3, "APAC", "Asia Pacific")]
CATEGORIES = ["stationery", "books", "gifts", "electronics"]
PAGES = ["/", "/search", "/product", "/cart", "/checkout", "/account"]


def generate(seed: int = 7) -> dict:
    rng = random.Random(seed)
    customers = []
    for cid in range(1, N_CUSTOMERS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{cid}@example.com"
        if rng.random() < 0.2:
            email = f"  {email.upper()} "  # CRM entry noise the pipeline cleans
        signup = date(2022, 1, 1) + timedelta(days=rng.randrange(1200))
        customers.append((cid, f"{first} {last}", email, rng.choice(REGIONS)[0], signup.isoformat(),
                          rng.random() > 0.1))
    products = [(pid, f"Product {pid}", CATEGORIES[pid % len(CATEGORIES)], round(rng.uniform(2, 120), 2))
                for pid in range(1, N_PRODUCTS + 1)]
    orders = []
    for oid in range(100_001, 100_001 + N_ORDERS):
        day = AS_OF - timedelta(days=rng.randrange(365))
        status = rng.choices(["SHIPPED", "DELIVERED", "CANCELLED"], [4, 5, 1])[0]
        orders.append((oid, rng.randrange(1, N_CUSTOMERS + 1), rng.randrange(1, N_PRODUCTS + 1),
                       rng.randrange(1, 6), day.isoformat(), status))
    contacts = ["customer_id,phone,email_opt_in,sms_opt_in,updated_at"]
    for cid in range(1, N_CUSTOMERS + 1):
        phone = "" if rng.random() < 0.25 else f"+1 ({rng.randrange(200, 999)}) 555-{rng.randrange(10000):04d}"
        contacts.append(f"{cid},{phone},{rng.random() < 0.6},{rng.random() < 0.4},2025-05-{rng.randrange(1, 31):02d}")
    web = []
    start = datetime(2025, 5, 31)
    for n in range(N_WEB_EVENTS):
        cid = rng.randrange(1, N_CUSTOMERS + 1)
        ts = start + timedelta(seconds=rng.randrange(86_400))
        web.append({"event_id": n + 1, "customer_id": cid, "session_id": f"s{cid}-{rng.randrange(3)}",
                    "ts": ts.isoformat(), "event_type": rng.choices(["page_view", "add_to_cart", "search"], [6, 1, 2])[0],
                    "page": rng.choice(PAGES)})
    web.sort(key=lambda e: e["ts"])
    return {
        "customers": customers,
        "regions": REGIONS,
        "products": products,
        "orders": orders,
        "contacts_csv": ("\n".join(contacts) + "\n").encode(),
        "web_jsonl": "".join(json.dumps(e) + "\n" for e in web).encode(),
    }


SNOWFLAKE_DDL = [
    "CREATE DATABASE IF NOT EXISTS SHOP",
    "CREATE SCHEMA IF NOT EXISTS SHOP.CRM",
    "CREATE SCHEMA IF NOT EXISTS SHOP.SALES",
    "CREATE DATABASE IF NOT EXISTS ANALYTICS",
    "CREATE SCHEMA IF NOT EXISTS ANALYTICS.FEATURES",
    "DROP TABLE IF EXISTS ANALYTICS.FEATURES.CUSTOMER_FEATURES_LOAD",
    "DROP TABLE IF EXISTS ANALYTICS.FEATURES.CUSTOMER_FEATURES",
    "CREATE OR REPLACE TABLE SHOP.CRM.REGIONS (REGION_ID INTEGER, REGION_CODE VARCHAR, REGION_NAME VARCHAR)",
    "CREATE OR REPLACE TABLE SHOP.CRM.CUSTOMERS (CUSTOMER_ID INTEGER, FULL_NAME VARCHAR, EMAIL VARCHAR, REGION_ID INTEGER, "
    "SIGNUP_DATE DATE, IS_ACTIVE BOOLEAN)",
    "CREATE OR REPLACE TABLE SHOP.SALES.PRODUCTS (PRODUCT_ID INTEGER, TITLE VARCHAR, CATEGORY VARCHAR, UNIT_PRICE FLOAT)",
    "CREATE OR REPLACE TABLE SHOP.SALES.ORDERS (ORDER_ID INTEGER, CUSTOMER_ID INTEGER, PRODUCT_ID INTEGER, QUANTITY INTEGER, "
    "ORDER_DATE DATE, STATUS VARCHAR)",
]


def seed_s3(endpoint_url: str, data: dict) -> None:
    import boto3

    urllib.request.urlopen(urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST"), timeout=10).read()
    client = boto3.client("s3", endpoint_url=endpoint_url)
    for bucket in (RAW_BUCKET, FEATURE_BUCKET):
        client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=RAW_BUCKET, Key=CONTACTS_KEY, Body=data["contacts_csv"], ContentType="text/csv")
    client.put_object(Bucket=RAW_BUCKET, Key=WEB_EVENTS_KEY, Body=data["web_jsonl"], ContentType="application/json")


def seed_snowflake(connect_kwargs: dict, data: dict) -> None:
    import snowflake.connector

    with snowflake.connector.connect(**connect_kwargs) as conn, conn.cursor() as cur:
        for statement in SNOWFLAKE_DDL:
            cur.execute(statement)
        cur.executemany("INSERT INTO SHOP.CRM.REGIONS VALUES (%s, %s, %s)", data["regions"])
        cur.executemany("INSERT INTO SHOP.CRM.CUSTOMERS VALUES (%s, %s, %s, %s, %s, %s)", data["customers"])
        cur.executemany("INSERT INTO SHOP.SALES.PRODUCTS VALUES (%s, %s, %s, %s)", data["products"])
        cur.executemany("INSERT INTO SHOP.SALES.ORDERS VALUES (%s, %s, %s, %s, %s, %s)", data["orders"])


def seed(s3_endpoint_url: str, snowflake_kwargs: dict) -> None:
    data = generate()
    seed_s3(s3_endpoint_url, data)
    seed_snowflake(snowflake_kwargs, data)


def main(argv: list[str]) -> int:
    import os

    from integration import servers

    os.environ.update(servers.FAKE_CREDENTIALS)
    os.environ["SNOWFLAKE_DISABLE_PLATFORM_DETECTION"] = "true"
    port = int(argv[1])
    kwargs = dict(user="fake", password=servers.SNOWFLAKE_PASSWORD, account="fakesnow", host="127.0.0.1", port=port,
                  protocol="http", session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False})
    seed(argv[0], kwargs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The job: extract, stage, transform, publish."""
from __future__ import annotations

import argparse
import logging
from datetime import date

from . import extract, features, publish
from .settings import Settings



def run(settings: Settings) -> dict:
    with extract.connect(settings.snowflake) as conn:
        # Land the warehouse extracts in the feature bucket first: reruns and audits read these.
        extract.stage(extract.active_customers(conn), settings.staging_url("customers"))
        extract.stage(extract.completed_orders(conn, settings.as_of), settings.staging_url("orders"))

        customers = extract.read_staged(settings.staging_url("customers"))
        orders = extract.read_staged(settings.staging_url("orders"))
        contacts = extract.contact_preferences(settings.raw_bucket, settings.contacts_key)
        events = extract.web_events(settings.web_events_url)

        table = features.build(customers, orders, events, contacts, settings.as_of)

        publish.write_parquet(table, settings.feature_bucket, settings.features_key)
        loaded = publish.load_snowflake(table, conn, settings.as_of)
    return {"customers": len(table), "loaded": loaded}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="customer_features")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 5, 31))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    result = run(Settings(as_of=args.as_of))
    print(f"customer_features {args.as_of}: {result['customers']} customers, {result['loaded']} rows loaded")
    return 0

"""Where the job reads and writes, from the environment (the job's deployment sets these)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date


def _snowflake_from_env() -> dict:
    params = {
        "account": os.environ.get("SNOWFLAKE_ACCOUNT", "acme-analytics"),
        "user": os.environ.get("SNOWFLAKE_USER", "FEATURES_JOB"),
        "password": os.environ.get("SNOWFLAKE_PASSWORD", ""),
        "warehouse": os.environ.get("SNOWFLAKE_WAREHOUSE", "FEATURES_WH"),
        "role": os.environ.get("SNOWFLAKE_ROLE", "FEATURES_JOB"),
        "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    }
    # Local development points the connector at a Snowflake-compatible endpoint.
    if os.environ.get("SNOWFLAKE_HOST"):
        params["host"] = os.environ["SNOWFLAKE_HOST"]
        params["port"] = int(os.environ.get("SNOWFLAKE_PORT", "443"))
        params["protocol"] = os.environ.get("SNOWFLAKE_PROTOCOL", "https")
    return params


@dataclass(frozen=True)
class Settings:
    as_of: date
    raw_bucket: str = "acme-raw"
    feature_bucket: str = "acme-features"
    snowflake: dict = field(default_factory=_snowflake_from_env)

    @property
    def contacts_key(self) -> str:
        return f"crm/{self.as_of.isoformat()}/contact_preferences.csv"

    @property
    def web_events_url(self) -> str:
        return f"s3://{self.raw_bucket}/web/{self.as_of.isoformat()}/events.jsonl"

    def staging_url(self, table: str) -> str:
        return f"s3://{self.feature_bucket}/staging/{self.as_of.isoformat()}/{table}.parquet"

    @property
    def features_key(self) -> str:
        return f"customer_features/as_of={self.as_of.isoformat()}/features.parquet"

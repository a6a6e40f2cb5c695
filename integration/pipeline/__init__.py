"""Customer features: a nightly feature-engineering job for the churn and marketing models.

Sources: customers and orders in Snowflake (SHOP), the CRM's contact-preference export and the
web events of the day in the raw S3 bucket. Outputs: a staging copy of the extracted tables and the
feature set in the feature bucket (parquet), and the feature table in Snowflake (ANALYTICS).

    python -m integration.pipeline [--as-of YYYY-MM-DD]
"""

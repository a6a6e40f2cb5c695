"""Least-privilege drafts from hand-built access facets, compared exactly."""

from __future__ import annotations

import json

from openlineage_monkeypatch.governance.policy import (AwsPolicies, SnowflakePolicies, aws_diff, iam_action,
                                                       parse_snowflake_grants, snowflake_diff)
from openlineage_monkeypatch.governance.synthetic import Dataset, EventSet

SF = "snowflake://acme-xy123"


def s3_events() -> EventSet:
    events = EventSet("2026-05-01T00:00:00+00:00")
    a = Dataset("s3://raw", "landing/a.csv", ["id"])
    b = Dataset("s3://raw", "landing/b.csv", ["id"])
    orders = Dataset("s3://lake", "tables/orders/", ["order_id"])
    result = Dataset("s3://lake", "out/result.parquet", ["id"])
    for hour in (0, 1):
        run = events.run("s3job", namespace="etl", at=hour, run_id=f"0000000{hour}-0000-4000-8000-000000000000")
        run.read(a, actions=[{"action": "s3:GetObject", "count": 2, "api": "boto3 get_object"}])
        run.read(b, actions=[{"action": "s3:HeadObject", "api": "boto3 head_object"}])
        run.read(orders, actions=[{"action": "s3:GetObject", "objectType": "PREFIX", "api": "s3fs"},
                                  {"action": "s3:ListBucket", "api": "s3fs"}])
        run.access(Dataset("s3://raw", ""), [{"action": "s3:GetBucketLocation", "api": "s3fs"}])
        run.write(result, {"id": [a.field("id")]}, actions=[{"action": "s3:PutObject", "api": "pandas"}])
        run.failed_access("s3://raw", "secret/x.csv", "s3:GetObject", "AccessDenied")
        run.complete()
    return events


def test_aws_policy_document_per_job(survey_of):
    policies = AwsPolicies(survey_of(s3_events()).survey)
    assert list(policies.jobs) == [("etl", "s3job")]
    document = policies.jobs[("etl", "s3job")]["document"]
    assert document == {"Version": "2012-10-17", "Statement": [
        {"Sid": "GetBucketLocation", "Effect": "Allow", "Action": "s3:GetBucketLocation",
         "Resource": "arn:aws:s3:::raw"},
        {"Sid": "GetObject", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": ["arn:aws:s3:::lake/tables/orders", "arn:aws:s3:::lake/tables/orders/*",
                      "arn:aws:s3:::raw/landing/a.csv", "arn:aws:s3:::raw/landing/b.csv"]},
        {"Sid": "PutObject", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::lake/out/result.parquet"},
        {"Sid": "ListBucketLake", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::lake",
         "Condition": {"StringLike": {"s3:prefix": ["tables/orders", "tables/orders/*"]}}},
    ]}
    files = policies.documents()
    assert sorted(files) == ["README.md", "etl__s3job.justification.md", "etl__s3job.policy.json"]
    assert json.loads(files["etl__s3job.policy.json"]) == document
    why = files["etl__s3job.justification.md"]
    assert "- s3:GetObject arn:aws:s3:::raw/landing/a.csv: 2 run(s), 4 call(s)" in why
    assert "via boto3 get_object" in why and "last run 00000001-0000-4000-8000-000000000000" in why
    assert "## Attempted but failed" in why and "secret/x.csv: AccessDenied" in why
    assert "recent runs: 00000001-0000-4000-8000-000000000000, 00000000-0000-4000-8000-000000000000" in why


def test_aws_collapse_and_mapping():
    assert iam_action("s3:HeadObject") == "s3:GetObject"
    assert iam_action("s3:ListObjectsV2") == "s3:ListBucket"
    assert iam_action("s3:CreateMultipartUpload") == "s3:PutObject"
    assert iam_action("s3:GetObjectTagging") == "s3:GetObjectTagging"


def test_aws_many_objects_collapse_into_a_folder(survey_of):
    events = EventSet("2026-05-01T00:00:00+00:00")
    run = events.run("fanout", at=0)
    for i in range(4):
        run.read(Dataset("s3://raw", f"parts/p{i}.csv"), actions=["s3:GetObject"])
    run.complete()
    survey = survey_of(events).survey
    collapsed = AwsPolicies(survey, collapse=3).jobs[("tests", "fanout")]
    assert collapsed["document"]["Statement"][0]["Resource"] == "arn:aws:s3:::raw/parts/*"
    assert "4 objects under arn:aws:s3:::raw/parts/ collapsed" in collapsed["notes"][0]
    exact = AwsPolicies(survey, collapse=0).jobs[("tests", "fanout")]
    assert len(exact["document"]["Statement"][0]["Resource"]) == 4


def test_aws_diff_lists_unused_and_broader_grants(survey_of):
    policies = AwsPolicies(survey_of(s3_events()).survey)
    current = {"s3job": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::raw/*"},
        {"Sid": "Cleanup", "Effect": "Allow", "Action": ["s3:DeleteObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::lake/out/*"},
    ]}, "someone-else": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"}]}}
    diff = aws_diff(policies, json.dumps(current))
    assert "  Cleanup: UNUSED  s3:DeleteObject on arn:aws:s3:::lake/out/*" in diff
    assert ("  Cleanup: BROADER than used  s3:PutObject on arn:aws:s3:::lake/out/*; "
            "used: s3:PutObject on arn:aws:s3:::lake/out/result.parquet") in diff
    assert "  Everything: BROADER than used  s3:* on arn:aws:s3:::raw/*; used: s3:GetObject on " \
           "arn:aws:s3:::raw/landing/a.csv; s3:GetObject on arn:aws:s3:::raw/landing/b.csv" in diff
    assert "== someone-else: compared with any job (no job matches this name)" in diff
    assert "  statement 1: UNUSED  s3:GetObject on arn:aws:s3:::x/*" in diff


def sf_events() -> EventSet:
    customers = Dataset(SF, "DB.RAW.CUSTOMERS", ["ID", "EMAIL", "COUNTRY"])
    features = Dataset(SF, "DB.MART.FEATURES", ["ID", "EMAIL_DOMAIN"])
    events = EventSet("2026-05-02T00:00:00+00:00")
    run = events.run("sfjob", at=0)
    run.read(customers, actions=[{"action": "SELECT", "objectType": "TABLE", "api": "cursor.execute"}])
    run.access(Dataset(SF, "DB.RAW.MY_STAGE"), [{"action": "READ", "objectType": "STAGE"}])
    run.access(Dataset(SF, "DB.MART.TMP_X"), [{"action": "CREATE TABLE", "objectType": "SCHEMA", "object": "DB.MART"},
                                             {"action": "USAGE", "objectType": "WAREHOUSE", "object": "etl_wh"}])
    run.write(features, {"ID": [customers.field("ID")],
                         "EMAIL_DOMAIN": [customers.field("EMAIL", subtype="TRANSFORMATION")]},
              actions=[{"action": "INSERT", "objectType": "TABLE"}])
    run.failed_access(SF, "DB.SECRET.T", "SELECT", "002003 (42S02)")
    run.complete()
    run = events.run("sfjoin", at=1)
    run.read(customers, actions=[{"action": "SELECT", "objectType": "TABLE"}])
    out = Dataset("file", "/tmp/out.csv", ["COUNTRY"])
    run.write(out, {"COUNTRY": [customers.field("COUNTRY")]},
              dataset_lineage=[customers.field("EMAIL", "INDIRECT", "JOIN")])
    run.complete()
    return events


def _grants(sql: str) -> list[str]:
    return [line for line in sql.splitlines() if line.startswith("GRANT") or line.startswith("CREATE ROLE")]


def test_snowflake_role_per_job(survey_of):
    policies = SnowflakePolicies(survey_of(sf_events(), classifications="CUSTOMERS.EMAIL: PII").survey)
    assert policies.roles == {("tests", "sfjob"): "SFJOB_ROLE", ("tests", "sfjoin"): "SFJOIN_ROLE"}
    sql = policies.role_sql(("tests", "sfjob"))
    assert _grants(sql) == [
        "CREATE ROLE IF NOT EXISTS SFJOB_ROLE;",
        "GRANT USAGE ON WAREHOUSE ETL_WH TO ROLE SFJOB_ROLE;",
        "GRANT USAGE ON DATABASE DB TO ROLE SFJOB_ROLE;",
        "GRANT CREATE TABLE, USAGE ON SCHEMA DB.MART TO ROLE SFJOB_ROLE;",
        "GRANT USAGE ON SCHEMA DB.RAW TO ROLE SFJOB_ROLE;",
        "GRANT INSERT ON TABLE DB.MART.FEATURES TO ROLE SFJOB_ROLE;",
        "GRANT SELECT ON TABLE DB.RAW.CUSTOMERS TO ROLE SFJOB_ROLE;",
        "GRANT READ ON STAGE DB.RAW.MY_STAGE TO ROLE SFJOB_ROLE;",
    ]
    assert "-- SELECT on DB.RAW.CUSTOMERS: 1 run(s), 1 call(s)" in sql and "via cursor.execute" in sql
    assert "<WAREHOUSE>" not in sql  # named by the access facet's `object`
    assert "-- GRANT USAGE ON WAREHOUSE <WAREHOUSE> TO ROLE SFJOIN_ROLE;" in policies.role_sql(("tests", "sfjoin"))
    assert "--   SELECT on DB.SECRET.T: 002003 (42S02)" in sql


def test_snowflake_projection_and_masking_proposals(survey_of):
    survey = survey_of(sf_events(), classifications="CUSTOMERS.EMAIL: PII").survey
    text = SnowflakePolicies(survey).column_policies(survey.sensitive(), survey.column_usage())
    block = text.split("-- DB.RAW.CUSTOMERS.EMAIL  [PII]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block == [
        "--   roles that return it: SFJOB_ROLE",
        "--   roles that only filter/join/group/sort on it: SFJOIN_ROLE",
        "CREATE PROJECTION POLICY IF NOT EXISTS DB.RAW.PP_CUSTOMERS_EMAIL AS () RETURNS PROJECTION_CONSTRAINT ->",
        "  CASE WHEN CURRENT_ROLE() IN ('SFJOB_ROLE') THEN PROJECTION_CONSTRAINT(ALLOW => true)",
        "       ELSE PROJECTION_CONSTRAINT(ALLOW => false) END;",
        "ALTER TABLE DB.RAW.CUSTOMERS MODIFY COLUMN EMAIL SET PROJECTION POLICY DB.RAW.PP_CUSTOMERS_EMAIL;",
        "CREATE MASKING POLICY IF NOT EXISTS DB.RAW.MP_CUSTOMERS_EMAIL AS (val STRING) RETURNS STRING ->",
        "  CASE WHEN CURRENT_ROLE() IN ('SFJOB_ROLE') THEN val ELSE SHA2(val) END;",
        "ALTER TABLE DB.RAW.CUSTOMERS MODIFY COLUMN EMAIL SET MASKING POLICY DB.RAW.MP_CUSTOMERS_EMAIL;",
        "--   joins of masked values still match across tables masked the same way; the projection policy "
        "above is the lighter option for these readers",
    ]
    # the derived column in the mart gets a proposal too
    assert "-- DB.MART.FEATURES.EMAIL_DOMAIN  [PII]  (derived)" in text


GRANTS = """
-- current grants
GRANT SELECT ON TABLE DB.RAW.CUSTOMERS TO ROLE SFJOB_ROLE;
GRANT SELECT, DELETE ON TABLE DB.MART.FEATURES TO ROLE SFJOB_ROLE;
GRANT INSERT ON ALL TABLES IN SCHEMA DB.MART TO ROLE SFJOB_ROLE;
GRANT USAGE ON WAREHOUSE ETL_WH TO ROLE SFJOB_ROLE;
GRANT SELECT ON FUTURE TABLES IN SCHEMA DB.RAW TO ROLE SFJOB_ROLE;
GRANT SELECT ON TABLE DB.RAW.ORDERS TO ROLE ANALYST;
GRANT SELECT ON TABLE DB.RAW.CUSTOMERS TO ROLE ANALYST;
"""


def test_snowflake_diff_against_current_grants(survey_of):
    policies = SnowflakePolicies(survey_of(sf_events()).survey)
    diff = snowflake_diff(policies, GRANTS)
    revokes = [line for line in diff.splitlines() if line.startswith("REVOKE")]
    assert revokes == [
        "REVOKE SELECT ON TABLE DB.RAW.ORDERS FROM ROLE ANALYST;",
        "REVOKE DELETE ON TABLE DB.MART.FEATURES FROM ROLE SFJOB_ROLE;",
        "REVOKE SELECT ON TABLE DB.MART.FEATURES FROM ROLE SFJOB_ROLE;",
    ]
    assert "-- used but not granted: CREATE TABLE ON SCHEMA DB.MART" in diff
    assert "-- role SFJOIN_ROLE is not in the current grants" in diff
    assert "-- note: line 7: future grants are not compared" in diff
    csv_text = ("privilege,granted_on,name,grantee_name\nSELECT,TABLE,DB.RAW.CUSTOMERS,SFJOB_ROLE\n"
                "DELETE,TABLE,DB.MART.FEATURES,SFJOB_ROLE\n")
    assert parse_snowflake_grants(csv_text)[0] == [("SFJOB_ROLE", "SELECT", "TABLE", "DB.RAW.CUSTOMERS"),
                                                  ("SFJOB_ROLE", "DELETE", "TABLE", "DB.MART.FEATURES")]
    assert [line for line in snowflake_diff(policies, csv_text).splitlines() if line.startswith("REVOKE")] == [
        "REVOKE DELETE ON TABLE DB.MART.FEATURES FROM ROLE SFJOB_ROLE;"]

"""Real-world Snowflake statements and the exact lineage each must produce.

Every case runs in a fresh catalog, in session ANALYTICS.PUBLIC of account acme-prod, after its
`setup` statements (which teach the run about tables and stages, as earlier statements of a job
would). Expected edges are written `DATASET:FIELD TYPE SUBTYPE` (+ ` masked`); `rows` are the
dataset-level INDIRECT edges; `privileges` are `DATASET ACTION OBJECT_TYPE OBJECT`.
"""

from __future__ import annotations

NAMESPACE = "snowflake://acme-prod"
DATABASE = "ANALYTICS"
SCHEMA = "PUBLIC"

CUSTOMERS = "CREATE TABLE customers (id INT, name VARCHAR, email VARCHAR, region VARCHAR, status VARCHAR)"
ORDERS = ("CREATE TABLE orders (order_id INT, customer_id INT, order_date DATE, qty INT, unit_price FLOAT, "
          "status VARCHAR, updated_at TIMESTAMP)")
EVENTS = "CREATE TABLE raw.events (event_id INT, user_id INT, event_type VARCHAR, ts TIMESTAMP, payload VARIANT)"


class Case:
    def __init__(self, name, sql, *, kind, inputs=(), outputs=(), columns=None, rows=(), privileges=None,
                 setup=(), params=None, paramstyle=None, description=None, error=False, use=None,
                 statement=0, fields=None):
        self.name = name
        self.sql = sql
        self.kind = kind
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.columns = columns or {}
        self.rows = set(rows)
        self.privileges = privileges
        self.setup = list(setup)
        self.params = params
        self.paramstyle = paramstyle
        self.description = description
        self.error = error
        self.use = use
        self.statement = statement
        self.fields = fields


A = "ANALYTICS.PUBLIC"

CASES = [
    Case(
        "select_filter",
        "SELECT id, UPPER(name) AS name_uc FROM customers WHERE status = 'active'",
        kind="SELECT",
        inputs=[f"{A}.CUSTOMERS"],
        columns={
            "ID": [f"{A}.CUSTOMERS:ID DIRECT IDENTITY"],
            "NAME_UC": [f"{A}.CUSTOMERS:NAME DIRECT TRANSFORMATION"],
        },
        rows=[f"{A}.CUSTOMERS:STATUS INDIRECT FILTER"],
        privileges=[f"{A}.CUSTOMERS SELECT TABLE {A}.CUSTOMERS"],
    ),
    Case(
        "join_group_order",
        "SELECT c.region, COUNT(o.order_id) AS n_orders, SUM(o.qty * o.unit_price) AS revenue "
        "FROM orders o JOIN customers c ON o.customer_id = c.id "
        "GROUP BY c.region ORDER BY revenue DESC",
        kind="SELECT",
        setup=[CUSTOMERS, ORDERS],
        inputs=[f"{A}.ORDERS", f"{A}.CUSTOMERS"],
        columns={
            "REGION": [f"{A}.CUSTOMERS:REGION DIRECT IDENTITY"],
            "N_ORDERS": [f"{A}.ORDERS:ORDER_ID DIRECT AGGREGATION"],
            "REVENUE": [f"{A}.ORDERS:QTY DIRECT AGGREGATION", f"{A}.ORDERS:UNIT_PRICE DIRECT AGGREGATION"],
        },
        rows=[
            f"{A}.ORDERS:CUSTOMER_ID INDIRECT JOIN", f"{A}.CUSTOMERS:ID INDIRECT JOIN",
            f"{A}.CUSTOMERS:REGION INDIRECT GROUP_BY",
            f"{A}.ORDERS:QTY INDIRECT SORT", f"{A}.ORDERS:UNIT_PRICE INDIRECT SORT",
        ],
    ),
    Case(
        "insert_column_list_by_position",
        "INSERT INTO reporting.daily_sales (sale_date, total) "
        "SELECT DATE_TRUNC('day', created_at), SUM(amount) FROM raw.payments GROUP BY 1",
        kind="INSERT",
        inputs=["ANALYTICS.RAW.PAYMENTS"],
        outputs=["ANALYTICS.REPORTING.DAILY_SALES"],
        columns={
            "SALE_DATE": ["ANALYTICS.RAW.PAYMENTS:CREATED_AT DIRECT TRANSFORMATION"],
            "TOTAL": ["ANALYTICS.RAW.PAYMENTS:AMOUNT DIRECT AGGREGATION"],
        },
        rows=["ANALYTICS.RAW.PAYMENTS:CREATED_AT INDIRECT GROUP_BY"],
        privileges=[
            "ANALYTICS.REPORTING.DAILY_SALES INSERT TABLE ANALYTICS.REPORTING.DAILY_SALES",
            "ANALYTICS.RAW.PAYMENTS SELECT TABLE ANALYTICS.RAW.PAYMENTS",
        ],
    ),
    Case(
        "insert_without_column_list_uses_known_columns",
        "INSERT INTO order_facts SELECT order_id, qty * unit_price, order_date FROM orders WHERE status <> 'cancelled'",
        kind="INSERT",
        setup=[ORDERS, "CREATE TABLE order_facts (id INT, amount FLOAT, day DATE)"],
        inputs=[f"{A}.ORDERS"],
        outputs=[f"{A}.ORDER_FACTS"],
        columns={
            "ID": [f"{A}.ORDERS:ORDER_ID DIRECT IDENTITY"],
            "AMOUNT": [f"{A}.ORDERS:QTY DIRECT TRANSFORMATION", f"{A}.ORDERS:UNIT_PRICE DIRECT TRANSFORMATION"],
            "DAY": [f"{A}.ORDERS:ORDER_DATE DIRECT IDENTITY"],
        },
        rows=[f"{A}.ORDERS:STATUS INDIRECT FILTER"],
    ),
    Case(
        "ctas_cte_inputs_and_masking",
        "CREATE OR REPLACE TABLE enriched_orders AS "
        "WITH active AS (SELECT id, name, email FROM customers WHERE status = 'active') "
        "SELECT o.order_id, a.name, SHA2(a.email, 256) AS email_hash "
        "FROM orders o JOIN active a ON o.customer_id = a.id",
        kind="CREATE TABLE",
        inputs=[f"{A}.CUSTOMERS", f"{A}.ORDERS"],
        outputs=[f"{A}.ENRICHED_ORDERS"],
        columns={
            "ORDER_ID": [f"{A}.ORDERS:ORDER_ID DIRECT IDENTITY"],
            "NAME": [f"{A}.CUSTOMERS:NAME DIRECT IDENTITY"],
            "EMAIL_HASH": [f"{A}.CUSTOMERS:EMAIL DIRECT TRANSFORMATION masked"],
        },
        rows=[
            f"{A}.CUSTOMERS:STATUS INDIRECT FILTER",
            f"{A}.ORDERS:CUSTOMER_ID INDIRECT JOIN", f"{A}.CUSTOMERS:ID INDIRECT JOIN",
        ],
        privileges=[
            f"{A}.ENRICHED_ORDERS CREATE TABLE SCHEMA {A}",
            f"{A}.CUSTOMERS SELECT TABLE {A}.CUSTOMERS",
            f"{A}.ORDERS SELECT TABLE {A}.ORDERS",
        ],
    ),
    Case(
        "create_view_column_names",
        "CREATE OR REPLACE VIEW reporting.v_customers (customer_id, masked_email) AS "
        "SELECT id, MD5(email) FROM customers",
        kind="CREATE VIEW",
        inputs=[f"{A}.CUSTOMERS"],
        outputs=["ANALYTICS.REPORTING.V_CUSTOMERS"],
        columns={
            "CUSTOMER_ID": [f"{A}.CUSTOMERS:ID DIRECT IDENTITY"],
            "MASKED_EMAIL": [f"{A}.CUSTOMERS:EMAIL DIRECT TRANSFORMATION masked"],
        },
        privileges=[
            "ANALYTICS.REPORTING.V_CUSTOMERS CREATE VIEW SCHEMA ANALYTICS.REPORTING",
            f"{A}.CUSTOMERS SELECT TABLE {A}.CUSTOMERS",
        ],
    ),
    Case(
        "merge_upsert_with_delete",
        "MERGE INTO dim_customer t USING (SELECT id, name, email, op FROM staging.customer_changes) s "
        "ON t.customer_id = s.id "
        "WHEN MATCHED AND s.op = 'D' THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET t.name = s.name, t.email = LOWER(s.email) "
        "WHEN NOT MATCHED THEN INSERT (customer_id, name, email) VALUES (s.id, s.name, s.email)",
        kind="MERGE",
        inputs=["ANALYTICS.STAGING.CUSTOMER_CHANGES", f"{A}.DIM_CUSTOMER"],
        outputs=[f"{A}.DIM_CUSTOMER"],
        columns={
            "NAME": ["ANALYTICS.STAGING.CUSTOMER_CHANGES:NAME DIRECT IDENTITY"],
            "EMAIL": ["ANALYTICS.STAGING.CUSTOMER_CHANGES:EMAIL DIRECT TRANSFORMATION",
                      "ANALYTICS.STAGING.CUSTOMER_CHANGES:EMAIL DIRECT IDENTITY"],
            "CUSTOMER_ID": ["ANALYTICS.STAGING.CUSTOMER_CHANGES:ID DIRECT IDENTITY"],
        },
        rows=[
            "ANALYTICS.STAGING.CUSTOMER_CHANGES:ID INDIRECT JOIN", f"{A}.DIM_CUSTOMER:CUSTOMER_ID INDIRECT JOIN",
            "ANALYTICS.STAGING.CUSTOMER_CHANGES:OP INDIRECT FILTER",
        ],
        privileges=[
            f"{A}.DIM_CUSTOMER DELETE TABLE {A}.DIM_CUSTOMER",
            f"{A}.DIM_CUSTOMER INSERT TABLE {A}.DIM_CUSTOMER",
            f"{A}.DIM_CUSTOMER UPDATE TABLE {A}.DIM_CUSTOMER",
            "ANALYTICS.STAGING.CUSTOMER_CHANGES SELECT TABLE ANALYTICS.STAGING.CUSTOMER_CHANGES",
        ],
    ),
    Case(
        "update_from_join",
        "UPDATE orders o SET status = s.status, updated_at = CURRENT_TIMESTAMP() "
        "FROM staging.order_updates s WHERE o.order_id = s.order_id AND s.batch_id = 42",
        kind="UPDATE",
        inputs=["ANALYTICS.STAGING.ORDER_UPDATES", f"{A}.ORDERS"],
        outputs=[f"{A}.ORDERS"],
        columns={
            "STATUS": ["ANALYTICS.STAGING.ORDER_UPDATES:STATUS DIRECT IDENTITY"],
            "UPDATED_AT": [],
        },
        rows=[
            f"{A}.ORDERS:ORDER_ID INDIRECT JOIN", "ANALYTICS.STAGING.ORDER_UPDATES:ORDER_ID INDIRECT JOIN",
            "ANALYTICS.STAGING.ORDER_UPDATES:BATCH_ID INDIRECT FILTER",
        ],
        privileges=[
            f"{A}.ORDERS UPDATE TABLE {A}.ORDERS",
            "ANALYTICS.STAGING.ORDER_UPDATES SELECT TABLE ANALYTICS.STAGING.ORDER_UPDATES",
        ],
    ),
    Case(
        "update_in_place",
        "UPDATE customers SET email = LOWER(TRIM(email)) WHERE email <> LOWER(TRIM(email))",
        kind="UPDATE",
        inputs=[f"{A}.CUSTOMERS"],
        outputs=[f"{A}.CUSTOMERS"],
        columns={"EMAIL": [f"{A}.CUSTOMERS:EMAIL DIRECT TRANSFORMATION"]},
        rows=[f"{A}.CUSTOMERS:EMAIL INDIRECT FILTER"],
    ),
    Case(
        "delete_in_subquery",
        "DELETE FROM raw.events WHERE user_id IN (SELECT id FROM gdpr.erasure_requests WHERE processed = FALSE)",
        kind="DELETE",
        inputs=["ANALYTICS.GDPR.ERASURE_REQUESTS", "ANALYTICS.RAW.EVENTS"],
        outputs=["ANALYTICS.RAW.EVENTS"],
        rows=[
            "ANALYTICS.RAW.EVENTS:USER_ID INDIRECT FILTER", "ANALYTICS.GDPR.ERASURE_REQUESTS:ID INDIRECT FILTER",
            "ANALYTICS.GDPR.ERASURE_REQUESTS:PROCESSED INDIRECT FILTER",
        ],
        privileges=[
            "ANALYTICS.RAW.EVENTS DELETE TABLE ANALYTICS.RAW.EVENTS",
            "ANALYTICS.GDPR.ERASURE_REQUESTS SELECT TABLE ANALYTICS.GDPR.ERASURE_REQUESTS",
        ],
    ),
    Case(
        "delete_using",
        "DELETE FROM orders USING cancelled_orders c WHERE orders.order_id = c.order_id",
        kind="DELETE",
        inputs=[f"{A}.CANCELLED_ORDERS", f"{A}.ORDERS"],
        outputs=[f"{A}.ORDERS"],
        rows=[f"{A}.ORDERS:ORDER_ID INDIRECT JOIN", f"{A}.CANCELLED_ORDERS:ORDER_ID INDIRECT JOIN"],
    ),
    Case(
        "truncate",
        "TRUNCATE TABLE IF EXISTS staging.order_updates",
        kind="TRUNCATE",
        outputs=["ANALYTICS.STAGING.ORDER_UPDATES"],
        privileges=["ANALYTICS.STAGING.ORDER_UPDATES TRUNCATE TABLE ANALYTICS.STAGING.ORDER_UPDATES"],
    ),
    Case(
        "copy_into_table_from_s3_url",
        "COPY INTO raw.orders FROM 's3://acme-landing/orders/2025/' "
        "CREDENTIALS = (AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE' AWS_SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') "
        "FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1) ON_ERROR = 'CONTINUE'",
        kind="COPY",
        inputs=["s3://acme-landing/orders/2025"],
        outputs=["ANALYTICS.RAW.ORDERS"],
        privileges=["ANALYTICS.RAW.ORDERS INSERT TABLE ANALYTICS.RAW.ORDERS"],
    ),
    Case(
        "copy_into_table_from_external_stage",
        "COPY INTO raw.orders FROM @raw.landing/orders/2025/ FILE_FORMAT = (TYPE = PARQUET) "
        "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE",
        kind="COPY",
        setup=["CREATE STAGE raw.landing URL = 's3://acme-landing/' STORAGE_INTEGRATION = s3_int"],
        inputs=["s3://acme-landing/orders/2025"],
        outputs=["ANALYTICS.RAW.ORDERS"],
        privileges=[
            "ANALYTICS.RAW.ORDERS INSERT TABLE ANALYTICS.RAW.ORDERS",
            "s3://acme-landing/orders/2025 USAGE STAGE ANALYTICS.RAW.LANDING",
        ],
    ),
    Case(
        "copy_into_table_transform_from_internal_stage",
        'COPY INTO raw.events (event_id, user_id, payload) FROM '
        '(SELECT $1:"id"::INT, $1:"user", $1:"payload" FROM @raw.event_stage/2025/) '
        'FILE_FORMAT = (TYPE = PARQUET)',
        kind="COPY",
        inputs=["ANALYTICS.RAW.EVENT_STAGE/2025"],
        outputs=["ANALYTICS.RAW.EVENTS"],
        columns={
            "EVENT_ID": ["ANALYTICS.RAW.EVENT_STAGE/2025:id DIRECT TRANSFORMATION"],
            "USER_ID": ["ANALYTICS.RAW.EVENT_STAGE/2025:user DIRECT IDENTITY"],
            "PAYLOAD": ["ANALYTICS.RAW.EVENT_STAGE/2025:payload DIRECT IDENTITY"],
        },
        privileges=[
            "ANALYTICS.RAW.EVENTS INSERT TABLE ANALYTICS.RAW.EVENTS",
            "ANALYTICS.RAW.EVENT_STAGE/2025 READ STAGE ANALYTICS.RAW.EVENT_STAGE",
        ],
    ),
    Case(
        "unload_query_to_internal_stage",
        "COPY INTO @exports/daily/ FROM (SELECT order_id, qty * unit_price AS amount FROM orders "
        "WHERE order_date = CURRENT_DATE()) FILE_FORMAT = (TYPE = PARQUET) HEADER = TRUE OVERWRITE = TRUE",
        kind="UNLOAD",
        inputs=[f"{A}.ORDERS"],
        outputs=[f"{A}.EXPORTS/daily"],
        columns={
            "ORDER_ID": [f"{A}.ORDERS:ORDER_ID DIRECT IDENTITY"],
            "AMOUNT": [f"{A}.ORDERS:QTY DIRECT TRANSFORMATION", f"{A}.ORDERS:UNIT_PRICE DIRECT TRANSFORMATION"],
        },
        rows=[f"{A}.ORDERS:ORDER_DATE INDIRECT FILTER"],
        privileges=[
            f"{A}.ORDERS SELECT TABLE {A}.ORDERS",
            f"{A}.EXPORTS/daily WRITE STAGE {A}.EXPORTS",
        ],
    ),
    Case(
        "unload_table_to_s3_url",
        "COPY INTO 's3://acme-exports/customers/' FROM customers STORAGE_INTEGRATION = s3_export "
        "FILE_FORMAT = (TYPE = PARQUET)",
        kind="UNLOAD",
        setup=[CUSTOMERS],
        inputs=[f"{A}.CUSTOMERS"],
        outputs=["s3://acme-exports/customers"],
        columns={c: [f"{A}.CUSTOMERS:{c} DIRECT IDENTITY"] for c in ("ID", "NAME", "EMAIL", "REGION", "STATUS")},
        privileges=[
            f"{A}.CUSTOMERS SELECT TABLE {A}.CUSTOMERS",
            "s3://acme-exports/customers USAGE INTEGRATION S3_EXPORT",
        ],
    ),
    Case(
        "lateral_flatten",
        "SELECT e.event_id, f.value:sku::STRING AS sku, f.value:qty::INT AS qty "
        "FROM raw.events e, LATERAL FLATTEN(input => e.payload:items) f WHERE e.event_type = 'purchase'",
        kind="SELECT",
        inputs=["ANALYTICS.RAW.EVENTS"],
        columns={
            "EVENT_ID": ["ANALYTICS.RAW.EVENTS:EVENT_ID DIRECT IDENTITY"],
            "SKU": ["ANALYTICS.RAW.EVENTS:PAYLOAD DIRECT TRANSFORMATION"],
            "QTY": ["ANALYTICS.RAW.EVENTS:PAYLOAD DIRECT TRANSFORMATION"],
        },
        rows=["ANALYTICS.RAW.EVENTS:EVENT_TYPE INDIRECT FILTER"],
    ),
    Case(
        "qualify_latest_row_star_known",
        "SELECT * FROM raw.customers_history "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) = 1",
        kind="SELECT",
        setup=["CREATE TABLE raw.customers_history (customer_id INT, email VARCHAR, updated_at TIMESTAMP)"],
        inputs=["ANALYTICS.RAW.CUSTOMERS_HISTORY"],
        columns={c: [f"ANALYTICS.RAW.CUSTOMERS_HISTORY:{c} DIRECT IDENTITY"]
                 for c in ("CUSTOMER_ID", "EMAIL", "UPDATED_AT")},
        rows=["ANALYTICS.RAW.CUSTOMERS_HISTORY:CUSTOMER_ID INDIRECT FILTER",
              "ANALYTICS.RAW.CUSTOMERS_HISTORY:UPDATED_AT INDIRECT FILTER"],
    ),
    Case(
        "quoted_identifiers",
        'SELECT "Customer Name", "order-id" AS oid, total FROM "Sales"."Public"."Orders 2025" WHERE "Region" = \'EU\'',
        kind="SELECT",
        inputs=["Sales.Public.Orders 2025"],
        columns={
            "Customer Name": ["Sales.Public.Orders 2025:Customer Name DIRECT IDENTITY"],
            "OID": ["Sales.Public.Orders 2025:order-id DIRECT IDENTITY"],
            "TOTAL": ["Sales.Public.Orders 2025:TOTAL DIRECT IDENTITY"],
        },
        rows=["Sales.Public.Orders 2025:Region INDIRECT FILTER"],
        privileges=["Sales.Public.Orders 2025 SELECT TABLE Sales.Public.Orders 2025"],
    ),
    Case(
        "multi_statement_use_then_insert",
        "USE SCHEMA marts; INSERT INTO kpis (day, active_users) "
        "SELECT DATE(ts), COUNT(DISTINCT user_id) FROM analytics.raw.events GROUP BY DATE(ts); "
        "SELECT * FROM kpis",
        kind="INSERT",
        statement=1,
        inputs=["ANALYTICS.RAW.EVENTS"],
        outputs=["ANALYTICS.MARTS.KPIS"],
        columns={
            "DAY": ["ANALYTICS.RAW.EVENTS:TS DIRECT TRANSFORMATION"],
            "ACTIVE_USERS": ["ANALYTICS.RAW.EVENTS:USER_ID DIRECT AGGREGATION"],
        },
        rows=["ANALYTICS.RAW.EVENTS:TS INDIRECT GROUP_BY"],
    ),
    Case(
        "multi_statement_third_statement_uses_new_schema",
        "USE SCHEMA marts; INSERT INTO kpis (day, active_users) "
        "SELECT DATE(ts), COUNT(DISTINCT user_id) FROM analytics.raw.events GROUP BY DATE(ts); "
        "SELECT day FROM kpis",
        kind="SELECT",
        statement=2,
        inputs=["ANALYTICS.MARTS.KPIS"],
        columns={"DAY": ["ANALYTICS.MARTS.KPIS:DAY DIRECT IDENTITY"]},
    ),
    Case(
        "window_running_total",
        "SELECT user_id, ts, SUM(value) OVER (PARTITION BY user_id ORDER BY ts) AS running_value "
        "FROM raw.metrics ORDER BY ts",
        kind="SELECT",
        inputs=["ANALYTICS.RAW.METRICS"],
        columns={
            "USER_ID": ["ANALYTICS.RAW.METRICS:USER_ID DIRECT IDENTITY"],
            "TS": ["ANALYTICS.RAW.METRICS:TS DIRECT IDENTITY"],
            "RUNNING_VALUE": ["ANALYTICS.RAW.METRICS:VALUE DIRECT AGGREGATION",
                              "ANALYTICS.RAW.METRICS:USER_ID INDIRECT WINDOW",
                              "ANALYTICS.RAW.METRICS:TS INDIRECT WINDOW"],
        },
        rows=["ANALYTICS.RAW.METRICS:TS INDIRECT SORT"],
    ),
    Case(
        "conditionals_case_iff_coalesce",
        "SELECT order_id, "
        "CASE WHEN qty >= 10 THEN 'bulk' ELSE 'single' END AS size, "
        "IFF(qty < 10, unit_price, unit_price * 0.9) AS price_paid, "
        "COALESCE(status, 'unknown') AS status, "
        "NVL2(updated_at, 'changed', 'new') AS state "
        "FROM orders",
        kind="SELECT",
        inputs=[f"{A}.ORDERS"],
        columns={
            "ORDER_ID": [f"{A}.ORDERS:ORDER_ID DIRECT IDENTITY"],
            "SIZE": [f"{A}.ORDERS:QTY INDIRECT CONDITIONAL"],
            "PRICE_PAID": [f"{A}.ORDERS:QTY INDIRECT CONDITIONAL", f"{A}.ORDERS:UNIT_PRICE DIRECT IDENTITY",
                           f"{A}.ORDERS:UNIT_PRICE DIRECT TRANSFORMATION"],
            "STATUS": [f"{A}.ORDERS:STATUS DIRECT IDENTITY", f"{A}.ORDERS:STATUS INDIRECT CONDITIONAL"],
            "STATE": [f"{A}.ORDERS:UPDATED_AT INDIRECT CONDITIONAL"],
        },
    ),
    Case(
        "scalar_correlated_subquery",
        "SELECT c.id, (SELECT MAX(o.order_date) FROM orders o WHERE o.customer_id = c.id) AS last_order "
        "FROM customers c",
        kind="SELECT",
        inputs=[f"{A}.CUSTOMERS", f"{A}.ORDERS"],
        columns={
            "ID": [f"{A}.CUSTOMERS:ID DIRECT IDENTITY"],
            "LAST_ORDER": [f"{A}.ORDERS:ORDER_DATE DIRECT AGGREGATION", f"{A}.ORDERS:CUSTOMER_ID INDIRECT FILTER",
                           f"{A}.CUSTOMERS:ID INDIRECT FILTER"],
        },
    ),
    Case(
        "exists_filter",
        "SELECT id, region FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id "
        "AND o.order_date >= '2025-01-01')",
        kind="SELECT",
        inputs=[f"{A}.CUSTOMERS", f"{A}.ORDERS"],
        columns={
            "ID": [f"{A}.CUSTOMERS:ID DIRECT IDENTITY"],
            "REGION": [f"{A}.CUSTOMERS:REGION DIRECT IDENTITY"],
        },
        rows=[f"{A}.ORDERS:CUSTOMER_ID INDIRECT FILTER", f"{A}.CUSTOMERS:ID INDIRECT FILTER",
              f"{A}.ORDERS:ORDER_DATE INDIRECT FILTER"],
    ),
    Case(
        "insert_union_all",
        "INSERT INTO all_contacts (email, source) SELECT email, 'crm' FROM crm.contacts "
        "UNION ALL SELECT LOWER(email_address), 'shop' FROM shop.users",
        kind="INSERT",
        inputs=["ANALYTICS.CRM.CONTACTS", "ANALYTICS.SHOP.USERS"],
        outputs=[f"{A}.ALL_CONTACTS"],
        columns={
            "EMAIL": ["ANALYTICS.CRM.CONTACTS:EMAIL DIRECT IDENTITY",
                      "ANALYTICS.SHOP.USERS:EMAIL_ADDRESS DIRECT TRANSFORMATION"],
            "SOURCE": [],
        },
    ),
    Case(
        "select_distinct",
        "SELECT DISTINCT region, status FROM customers",
        kind="SELECT",
        inputs=[f"{A}.CUSTOMERS"],
        columns={
            "REGION": [f"{A}.CUSTOMERS:REGION DIRECT IDENTITY"],
            "STATUS": [f"{A}.CUSTOMERS:STATUS DIRECT IDENTITY"],
        },
        rows=[f"{A}.CUSTOMERS:REGION INDIRECT GROUP_BY", f"{A}.CUSTOMERS:STATUS INDIRECT GROUP_BY"],
    ),
    Case(
        "insert_overwrite",
        "INSERT OVERWRITE INTO marts.customer_counts SELECT region, COUNT(*) AS n FROM customers GROUP BY region",
        kind="INSERT",
        setup=["CREATE TABLE marts.customer_counts (region VARCHAR, n INT)"],
        inputs=[f"{A}.CUSTOMERS"],
        outputs=["ANALYTICS.MARTS.CUSTOMER_COUNTS"],
        columns={"REGION": [f"{A}.CUSTOMERS:REGION DIRECT IDENTITY"], "N": []},
        rows=[f"{A}.CUSTOMERS:REGION INDIRECT GROUP_BY"],
        privileges=[
            "ANALYTICS.MARTS.CUSTOMER_COUNTS INSERT TABLE ANALYTICS.MARTS.CUSTOMER_COUNTS",
            "ANALYTICS.MARTS.CUSTOMER_COUNTS DELETE TABLE ANALYTICS.MARTS.CUSTOMER_COUNTS",
            f"{A}.CUSTOMERS SELECT TABLE {A}.CUSTOMERS",
        ],
    ),
    Case(
        "multi_table_insert",
        "INSERT ALL WHEN qty >= 10 THEN INTO bulk_orders (id, qty) VALUES (order_id, qty) "
        "ELSE INTO small_orders (id) VALUES (order_id) SELECT order_id, qty FROM orders",
        kind="INSERT",
        inputs=[f"{A}.ORDERS"],
        outputs=[f"{A}.BULK_ORDERS", f"{A}.SMALL_ORDERS"],
        columns={
            "ID": [f"{A}.ORDERS:ORDER_ID DIRECT IDENTITY", f"{A}.ORDERS:QTY INDIRECT FILTER"],
            "QTY": [f"{A}.ORDERS:QTY DIRECT IDENTITY", f"{A}.ORDERS:QTY INDIRECT FILTER"],
        },
    ),
    Case(
        "clone_known_table",
        "CREATE TABLE customers_backup CLONE customers",
        kind="CREATE TABLE CLONE",
        setup=[CUSTOMERS],
        inputs=[f"{A}.CUSTOMERS"],
        outputs=[f"{A}.CUSTOMERS_BACKUP"],
        columns={c: [f"{A}.CUSTOMERS:{c} DIRECT IDENTITY"] for c in ("ID", "NAME", "EMAIL", "REGION", "STATUS")},
        privileges=[f"{A}.CUSTOMERS_BACKUP CREATE TABLE SCHEMA {A}", f"{A}.CUSTOMERS SELECT TABLE {A}.CUSTOMERS"],
    ),
    Case(
        "write_pandas_copy_with_bound_identifier",
        'COPY INTO identifier(?) /* Python:snowflake.connector.pandas_tools.write_pandas() */ ("ID","Amount") '
        'FROM (SELECT $1:"ID",$1:"Amount" FROM \'@"ANALYTICS"."PUBLIC"."SNOWPARK_TEMP_STAGE_ABC"\') '
        'FILE_FORMAT=(TYPE=PARQUET USE_VECTORIZED_SCANNER=False COMPRESSION=auto) PURGE=TRUE ON_ERROR=?',
        params=('"ANALYTICS"."PUBLIC"."SCORES"', "abort_statement"),
        paramstyle="qmark",
        kind="COPY",
        inputs=[f"{A}.SNOWPARK_TEMP_STAGE_ABC"],
        outputs=[f"{A}.SCORES"],
        columns={
            "ID": [f"{A}.SNOWPARK_TEMP_STAGE_ABC:ID DIRECT IDENTITY"],
            "Amount": [f"{A}.SNOWPARK_TEMP_STAGE_ABC:Amount DIRECT IDENTITY"],
        },
    ),
    Case(
        "insert_values_with_client_parameters",
        "INSERT INTO audit_log (event, actor) VALUES (%s, %(actor)s)",
        params={"actor": "x"},
        paramstyle="pyformat",
        kind="INSERT",
        outputs=[f"{A}.AUDIT_LOG"],
        privileges=[f"{A}.AUDIT_LOG INSERT TABLE {A}.AUDIT_LOG"],
    ),
    Case(
        "select_star_unknown_table_resolved_by_description",
        "SELECT *, amount * 100 AS cents FROM raw.payments",
        description=["PAYMENT_ID", "AMOUNT", "CENTS"],
        kind="SELECT",
        inputs=["ANALYTICS.RAW.PAYMENTS"],
        columns={
            "PAYMENT_ID": ["ANALYTICS.RAW.PAYMENTS:PAYMENT_ID DIRECT IDENTITY"],
            "AMOUNT": ["ANALYTICS.RAW.PAYMENTS:AMOUNT DIRECT IDENTITY"],
            "CENTS": ["ANALYTICS.RAW.PAYMENTS:AMOUNT DIRECT TRANSFORMATION"],
        },
    ),
    Case(
        "unaliased_expression_named_by_description",
        "SELECT id, qty * 2 FROM orders",
        description=["ID", "QTY * 2"],
        kind="SELECT",
        inputs=[f"{A}.ORDERS"],
        columns={
            "ID": [f"{A}.ORDERS:ID DIRECT IDENTITY"],
            "QTY * 2": [f"{A}.ORDERS:QTY DIRECT TRANSFORMATION"],
        },
    ),
    Case(
        "unparseable",
        "SELEC id FRM orders",
        kind="UNPARSED",
        error=True,
    ),
    Case(
        "put_local_file_to_stage",
        "PUT file:///data/exports/orders_2025.csv @raw.landing_internal AUTO_COMPRESS = TRUE",
        kind="PUT",
        inputs=["/data/exports/orders_2025.csv"],
        outputs=["ANALYTICS.RAW.LANDING_INTERNAL"],
        privileges=[
            "/data/exports/orders_2025.csv read FILE /data/exports/orders_2025.csv",
            "ANALYTICS.RAW.LANDING_INTERNAL WRITE STAGE ANALYTICS.RAW.LANDING_INTERNAL",
        ],
    ),
    Case(
        "group_by_all_having",
        "SELECT region, status, AVG(DATEDIFF('day', signup_date, CURRENT_DATE())) AS tenure "
        "FROM customers GROUP BY ALL HAVING COUNT(*) > 100",
        kind="SELECT",
        inputs=[f"{A}.CUSTOMERS"],
        columns={
            "REGION": [f"{A}.CUSTOMERS:REGION DIRECT IDENTITY"],
            "STATUS": [f"{A}.CUSTOMERS:STATUS DIRECT IDENTITY"],
            "TENURE": [f"{A}.CUSTOMERS:SIGNUP_DATE DIRECT AGGREGATION"],
        },
        rows=[f"{A}.CUSTOMERS:REGION INDIRECT GROUP_BY", f"{A}.CUSTOMERS:STATUS INDIRECT GROUP_BY"],
    ),
    Case(
        "except_set_operation",
        "SELECT email FROM crm.contacts EXCEPT SELECT email FROM crm.unsubscribed",
        kind="SELECT",
        inputs=["ANALYTICS.CRM.CONTACTS", "ANALYTICS.CRM.UNSUBSCRIBED"],
        columns={"EMAIL": ["ANALYTICS.CRM.CONTACTS:EMAIL DIRECT IDENTITY"]},
        rows=["ANALYTICS.CRM.UNSUBSCRIBED:EMAIL INDIRECT FILTER"],
    ),
    Case(
        "create_table_with_columns",
        'CREATE TRANSIENT TABLE IF NOT EXISTS staging.sessions (session_id VARCHAR(36), user_id NUMBER(38, 0), '
        '"Started At" TIMESTAMP_NTZ)',
        kind="CREATE TABLE",
        outputs=["ANALYTICS.STAGING.SESSIONS"],
        fields=["SESSION_ID", "USER_ID", "Started At"],
        privileges=["ANALYTICS.STAGING.SESSIONS CREATE TABLE SCHEMA ANALYTICS.STAGING"],
    ),
    Case(
        "result_scan_of_previous_query",
        "SELECT region, n * 2 AS doubled FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))",
        setup=["SELECT region, COUNT(*) AS n FROM customers GROUP BY region"],
        kind="SELECT",
        columns={
            "REGION": [f"{A}.CUSTOMERS:REGION DIRECT IDENTITY"],
            "DOUBLED": [],
        },
    ),
    Case(
        "join_using_and_left_join",
        "SELECT o.order_id, c.name, p.amount FROM orders o JOIN customers c ON o.customer_id = c.id "
        "LEFT JOIN raw.payments p USING (order_id) WHERE p.amount IS NOT NULL",
        kind="SELECT",
        setup=[CUSTOMERS, ORDERS],
        inputs=[f"{A}.ORDERS", f"{A}.CUSTOMERS", "ANALYTICS.RAW.PAYMENTS"],
        columns={
            "ORDER_ID": [f"{A}.ORDERS:ORDER_ID DIRECT IDENTITY"],
            "NAME": [f"{A}.CUSTOMERS:NAME DIRECT IDENTITY"],
            "AMOUNT": ["ANALYTICS.RAW.PAYMENTS:AMOUNT DIRECT IDENTITY"],
        },
        rows=[f"{A}.ORDERS:CUSTOMER_ID INDIRECT JOIN", f"{A}.CUSTOMERS:ID INDIRECT JOIN",
              f"{A}.ORDERS:ORDER_ID INDIRECT JOIN", "ANALYTICS.RAW.PAYMENTS:ORDER_ID INDIRECT JOIN",
              "ANALYTICS.RAW.PAYMENTS:AMOUNT INDIRECT FILTER"],
    ),
    Case(
        "star_through_cte_over_unknown_table",
        "WITH recent AS (SELECT * FROM raw.clicks WHERE ts > DATEADD('day', -1, CURRENT_DATE())) "
        "SELECT recent.user_id, recent.url FROM recent",
        kind="SELECT",
        inputs=["ANALYTICS.RAW.CLICKS"],
        columns={
            "USER_ID": ["ANALYTICS.RAW.CLICKS:USER_ID DIRECT IDENTITY"],
            "URL": ["ANALYTICS.RAW.CLICKS:URL DIRECT IDENTITY"],
        },
        rows=["ANALYTICS.RAW.CLICKS:TS INDIRECT FILTER"],
    ),
    Case(
        "ctas_star_over_unknown_table_is_partial",
        "CREATE TABLE clicks_copy AS SELECT *, CURRENT_DATE() AS copied_on FROM raw.clicks",
        kind="CREATE TABLE",
        inputs=["ANALYTICS.RAW.CLICKS"],
        outputs=[f"{A}.CLICKS_COPY"],
        columns={"COPIED_ON": []},
        privileges=[f"{A}.CLICKS_COPY CREATE TABLE SCHEMA {A}", "ANALYTICS.RAW.CLICKS SELECT TABLE ANALYTICS.RAW.CLICKS"],
    ),
    Case(
        "use_database",
        "USE DATABASE sales",
        kind="USE",
        use={"database": "SALES", "schema": ""},
    ),
]

"""A 200-line Snowflake statement for the parse-cost benchmark: CTEs, joins, CASE, windows, INSERT."""


def statement(lines: int = 200) -> str:
    head = [
        "INSERT INTO ANALYTICS.MARTS.CUSTOMER_REVENUE (CUSTOMER_ID, REGION, SEGMENT, REVENUE, MARGIN, ORDERS,",
        "    FIRST_ORDER, LAST_ORDER, RANK_IN_REGION, VIP, EMAIL_DOMAIN)",
        "WITH orders_clean AS (",
        "    SELECT o.order_id, o.customer_id, o.product_id, o.qty, o.price, o.qty * o.price AS amount,",
        "           o.created_at, DATE_TRUNC('day', o.created_at) AS order_day, o.status",
        "    FROM RAW.SALES.ORDERS o",
        "    WHERE o.status <> 'cancelled' AND o.created_at >= DATEADD(day, -365, CURRENT_DATE())",
        "),",
    ]
    body = []
    i = 0
    while len(head) + len(body) + 40 < lines:
        body += [
            f"step_{i} AS (",
            f"    SELECT c.customer_id, c.region, c.segment, p.category, oc.amount, oc.qty, oc.order_day,",
            f"           oc.amount - oc.qty * p.cost AS margin_{i},",
            f"           CASE WHEN c.segment IN ('gold', 'platinum') THEN 1 ELSE 0 END AS vip_{i},",
            f"           SPLIT_PART(c.email, '@', 2) AS email_domain",
            f"    FROM orders_clean oc",
            f"    JOIN RAW.CRM.CUSTOMERS c ON c.customer_id = oc.customer_id",
            f"    LEFT JOIN RAW.CATALOG.PRODUCTS p ON p.product_id = oc.product_id",
            f"    WHERE oc.qty > {i % 5} AND c.country IN ('US', 'DE', 'FR', 'GB', 'JP')",
            "),",
        ]
        i += 1
    union = " UNION ALL ".join(f"SELECT * FROM step_{k}" for k in range(i))
    tail = [
        f"unioned AS ({union}),",
        "aggregated AS (",
        "    SELECT customer_id, region, segment,",
        "           SUM(amount) AS revenue,",
        "           SUM(margin_0) AS margin,",
        "           COUNT(*) AS orders,",
        "           MIN(order_day) AS first_order,",
        "           MAX(order_day) AS last_order,",
        "           MAX(vip_0) AS vip,",
        "           ANY_VALUE(email_domain) AS email_domain",
        "    FROM unioned",
        "    GROUP BY customer_id, region, segment",
        "    HAVING SUM(amount) > 0",
        "),",
        "ranked AS (",
        "    SELECT a.*,",
        "           RANK() OVER (PARTITION BY region ORDER BY revenue DESC) AS rank_in_region",
        "    FROM aggregated a",
        ")",
        "SELECT customer_id,",
        "       region,",
        "       segment,",
        "       revenue,",
        "       margin,",
        "       orders,",
        "       first_order,",
        "       last_order,",
        "       rank_in_region,",
        "       CASE WHEN vip = 1 THEN TRUE ELSE FALSE END AS vip,",
        "       email_domain",
        "FROM ranked",
        "WHERE rank_in_region <= 1000",
        "ORDER BY region, rank_in_region",
    ]
    text = head + body + tail
    while len(text) < lines:
        text.insert(-1, "    -- padding comment to reach the target length")
    return "\n".join(text)


if __name__ == "__main__":
    print(statement())

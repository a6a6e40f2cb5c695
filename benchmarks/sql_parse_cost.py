"""Per-statement cost of SQL lineage analysis on the statements of tests/sql/cases.py (informal).

    PYTHONPATH=. .venv/bin/python benchmarks/sql_parse_cost.py

Prints, in milliseconds: the first statement of a process (sqlglot import and dialect set-up), then
over the table's statements the median / p90 / max of a full analysis (cache miss), of
openlineage-sql's parse alone, of sqlglot's parse alone, and of a cache hit (a statement run again,
as jobs do in loops).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median_ms(fn, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def summary(values: list[float]) -> str:
    values = sorted(values)
    return f"median {statistics.median(values):.3f}  p90 {values[int(len(values) * 0.9)]:.3f}  max {values[-1]:.3f}"


def main() -> None:
    started = time.perf_counter()
    from openlineage_monkeypatch.lineage import sql

    session = sql.Session("snowflake", "snowflake://acme-prod", "ANALYTICS", "PUBLIC")
    sql.analyze("SELECT a FROM t", session, cat=sql.Catalog())
    first = (time.perf_counter() - started) * 1e3

    import openlineage_sql
    import sqlglot

    from tests.sql.cases import CASES

    texts = [t for case in CASES if not case.error for t in sql.split_statements(case.sql)]
    full, ols, glot, hit = [], [], [], []
    for text in texts:
        prepared = sql.prepare(text)
        full.append(median_ms(lambda: sql.analyze(text, session, cat=sql.Catalog())))
        if not prepared.upper().startswith("INSERT ALL"):  # openlineage-sql panics on those
            ols.append(median_ms(lambda: openlineage_sql.parse([prepared], dialect="snowflake")))
        glot.append(median_ms(lambda: sqlglot.parse(prepared, read="snowflake")))
        catalog = sql.Catalog()
        sql.analyze(text, session, cat=catalog)
        hit.append(median_ms(lambda: sql.analyze(text, session, cat=catalog), 200))
    print(f"statements: {len(texts)}")
    print(f"first statement of a process (imports, dialect set-up): {first:.1f} ms")
    print(f"analysis, cache miss (ms):   {summary(full)}")
    print(f"openlineage-sql parse (ms):  {summary(ols)}")
    print(f"sqlglot parse (ms):          {summary(glot)}")
    print(f"analysis, cache hit (ms):    {summary(hit)}")


if __name__ == "__main__":
    main()

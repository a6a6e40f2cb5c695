"""Benchmark 7: the Snowflake and S3 paths.

(a) Per-statement parse cost of a ~200-line Snowflake INSERT ... WITH ... SELECT (sql_statement.py):
    our openlineage_monkeypatch.lineage.sql when present, and the parsers it builds on
    (openlineage_sql.parse, sqlglot.parse_one), each timed in-process (median of many calls).
(b) Per-call overhead on boto3 calls (put/get/head/list) against the local moto server on
    127.0.0.1 (integration/servers.py start("s3")), plain vs instrumented, alternating.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

PARSE = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from sql_statement import statement
n = int(sys.argv[2])
sql = statement(200)
out = {}
def timed(name, fn):
    fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter(); fn(); samples.append(time.perf_counter() - t)
    out[name] = {"median_ms": statistics.median(samples) * 1e3, "min_ms": min(samples) * 1e3}
try:
    from openlineage_monkeypatch.lineage import sql as ours
except ImportError:
    ours = None
if ours is not None and hasattr(ours, "analyze") and hasattr(ours, "Session"):
    session = ours.Session("snowflake", "snowflake://myorg-account1", "ANALYTICS", "PUBLIC")
    def uncached():
        getattr(ours, "_cache", {}).clear()
        return ours.analyze(sql, session)
    result = uncached()
    timed("openlineage_monkeypatch.lineage.sql.analyze (first time)", uncached)
    timed("openlineage_monkeypatch.lineage.sql.analyze (cached, same text)", lambda: ours.analyze(sql, session))
    st = result[0]
    out["ours_summary"] = {"kind": getattr(st, "kind", None), "error": getattr(st, "error", None),
                           "inputs": len(getattr(st, "inputs", ()) or ()), "outputs": len(getattr(st, "outputs", ()) or ())}
import openlineage_sql
timed("openlineage_sql.parse", lambda: openlineage_sql.parse([sql], dialect="snowflake"))
import sqlglot
timed("sqlglot.parse_one", lambda: sqlglot.parse_one(sql, read="snowflake"))
out["lines"] = sql.count("\n") + 1
print(json.dumps(out))
"""


def parse_cost(quick: bool) -> list[dict]:
    out = subprocess.run([h.bench_python(), "-c", PARSE, str(h.BENCH_DIR), "20" if quick else "100"], env=h.plain_env(),
                         capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    lines = data.pop("lines")
    summary = data.pop("ours_summary", None)
    rows = []
    ours = [k for k in data if k.startswith("openlineage_monkeypatch")]
    if not ours:
        rows.append(h.result("7 Snowflake SQL", f"parse, {lines}-line statement: ours", unit="ms",
                             value="n/a", note="openlineage_monkeypatch.lineage.sql not in this build"))
    for name, timing in data.items():
        note = f"min {timing['min_ms']:.2f} ms"
        if summary and name.startswith("openlineage_monkeypatch") and "first" in name:
            note += f"; result: {summary}"
        rows.append(h.result("7 Snowflake SQL", f"parse, {lines}-line statement: {name}", unit="ms",
                             value=round(timing["median_ms"], 2), note=note, key="first time" in name))
    return rows


def boto3_overhead(quick: bool, reps: int) -> list[dict]:
    sys.path.insert(0, str(h.REPO))
    from integration import servers

    server = servers.start("s3")
    work = h.workdir("boto3")
    iterations = 100 if quick else 300
    try:
        creds = dict(servers.FAKE_CREDENTIALS)
        counter = iter(range(10**6))

        def job(env):
            bucket = f"bench-{next(counter)}"
            return h.run_child(h.python_job("boto3_job.py", server.endpoint_url, iterations, bucket, "warm"), env=env)

        env_p = h.plain_env(**creds)
        env_i = h.instrumented_env(work, **creds)
        p, i = h.alternate(lambda: job(env_p), lambda: job(env_i), reps=reps, warmup=1, progress="boto3")
        calls = p[0]["calls"]
        wall = h.diff_stats([r["body"] for r in p], [r["body"] for r in i], 1e6 / calls)
        cpu = h.diff_stats([r["cpu"] for r in p], [r["cpu"] for r in i], 1e6 / calls)
        return [
            h.result("7 S3 (boto3)", f"{calls:,} calls (put/get/head/list, a RUNNING event per put) vs moto, "
                     "steady state: µs added per call, wall",
                     unit="µs", value=wall, plain=[r["body"] * 1e6 / calls for r in p],
                     instrumented=[r["body"] * 1e6 / calls for r in i],
                     ratio=h.ratio_stats([r["body"] for r in p], [r["body"] for r in i])),
            h.result("7 S3 (boto3)", "µs added per call, CPU (all threads)", unit="µs", value=cpu, key=True,
                     ratio=h.ratio_stats([r["cpu"] for r in p], [r["cpu"] for r in i])),
        ]
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(quick: bool = False, reps: int | None = None) -> list[dict]:
    return parse_cost(quick) + boto3_overhead(quick, reps or (3 if quick else 7))


if __name__ == "__main__":
    args = h.main_args(__doc__.splitlines()[0])
    h.finish(run(args.quick, args.reps), args)
